"""Links between cases and forwarding deadlines (cases/views/links.py)."""

from django.urls import include, path, re_path

from cases.views import links

patterns = [
    path("links/", links.link_list, name="links"),
    path("links/<int:pk>/", links.link_decide, name="link_decide"),
    path("clusters/<int:pk>/", links.cluster_detail, name="cluster"),
    path("clusters/<int:pk>/network/", links.cluster_network, name="cluster_network"),
    path(
        "clusters/<int:pk>/export.graphml",
        links.cluster_export,
        {"fmt": "graphml"},
        name="cluster_graphml",
    ),
    path("clusters/<int:pk>/export.csv", links.cluster_export, {"fmt": "csv"}, name="cluster_csv"),
    path("deadlines/", links.deadline_list, name="deadlines"),
    re_path(
        r"^cases/(?P<reference>HT-[0-9]{4}-[0-9]{6})/forwarding-consent/$",
        links.case_forwarding_consent,
        name="case_forwarding_consent",
    ),
]

urlpatterns = [path("", include((patterns, "links")))]
