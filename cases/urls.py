"""The hotline's pages in the browser (docs/web.md): intake (calls, the public tip form's
matches) and case work (tip triage, the case queue, the case page)."""

from django.urls import include, path

urlpatterns = [
    path("", include("cases.views.intake_urls")),
    path("", include("cases.views.casework_urls")),
    path("", include("cases.views.links_urls")),
]
