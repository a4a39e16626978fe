"""The API's URL map at /api/v1/ (docs/api.md): one router for the hotline's resources and the
cases', the resources below a case, the OpenAPI schema and its docs page. Anything else under
/api/v1/ answers a JSON 404 in the error shape (the statistics, /api/v1/stats/, are the
reports app's and come first in hotline/urls.py)."""

from django.conf import settings
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from cases.api import financial, links, views
from hotline.api import resources, schema  # noqa: F401 - registers the schema extensions
from hotline.api.errors import json_404

router = SimpleRouter()
router.include_format_suffixes = False
router.register("calls", resources.CallViewSet, basename="call")
router.register("tips", resources.TipViewSet, basename="tip")
router.register("public/tips", resources.PublicTipViewSet, basename="public-tip")
router.register("cases", views.CaseViewSet, basename="case")
case = rf"cases/(?P<case_reference>{views.REFERENCE_REGEX})"
router.register(rf"{case}/parties", views.PartyViewSet, basename="case-party")
router.register(rf"{case}/identifiers", views.IdentifierViewSet, basename="case-identifier")
router.register(rf"{case}/venues", views.VenueViewSet, basename="case-venue")
router.register(rf"{case}/referrals", views.ReferralViewSet, basename="case-referral")
router.register(rf"{case}/outcomes", views.OutcomeViewSet, basename="case-outcome")
router.register(rf"{case}/events", views.EventViewSet, basename="case-event")
router.register("links", links.LinkSuggestionViewSet, basename="link")
router.register("clusters", links.ClusterViewSet, basename="cluster")
router.register(
    "financial-summaries", financial.FinancialSummaryViewSet, basename="financial-summary"
)
router.register("industries", resources.IndustryViewSet, basename="industry")
router.register("regions", resources.RegionViewSet, basename="region")
router.register("organisations", resources.OrganisationViewSet, basename="organisation")

if settings.HOTLINE_API_BENCH:
    # The benchmark's bare endpoints (hotline/api/bench.py); never on outside `make bench-api`.
    from cases.models import Case
    from hotline.api import bench

    bench_urls = [
        path("bench/insert/", bench.bare_insert),
        path("bench/select/<int:pk>/", bench.bare_select(Case)),
    ]
else:
    bench_urls = []

app_name = "api"
urlpatterns = [
    # Public: what the API offers is no secret, and a partner reads it before holding a token.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", permission_classes=[AllowAny], template_name="api/docs.html"
        ),
        name="docs",
    ),
    *bench_urls,
    *router.urls,
    # Whatever is left under /api/v1/ (any character, newlines included).
    re_path(r"", json_404),
]
