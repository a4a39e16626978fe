from django.contrib import admin
from django.urls import include, path

from hotline import accounts, views

# The site's URL map. The app pages come from the app that owns them: the cases app holds the
# intake and case pages because they link calls and tips to cases (imports run reports ->
# cases -> hotline), the reports app the dashboards and the statistics endpoint.
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include((accounts.urlpatterns, "accounts"))),
    path("admin/", admin.site.urls),
    path("api/v1/stats/", include("reports.api_urls")),
    path("api/v1/", include("cases.api.urls")),
    path("dashboard/", include("reports.urls")),
    path("", include("cases.urls")),
]
