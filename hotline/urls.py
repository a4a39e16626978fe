from django.contrib import admin
from django.urls import include, path

from hotline import accounts, views

# The site's URL map. The app pages come from the app that owns them: the cases app holds the
# intake and case pages because they link calls and tips to cases (imports run reports ->
# cases -> hotline), the reports app the dashboards and the statistics endpoint.
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.sign_in, name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/", include((accounts.urlpatterns, "accounts"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tip/", views.public_tip, name="public_tip"),
    path("admin/", admin.site.urls),
    path("api/v1/stats/", include("reports.api_urls")),
    path("api/v1/", include("cases.api.urls")),
    path("dashboard/", include("reports.urls")),
    path("", include("cases.urls")),
]

# Errors under /api/ answer JSON in the API's one shape (hotline/api/errors.py); other paths
# keep Django's pages.
handler404 = "hotline.api.errors.handler404"
handler500 = "hotline.api.errors.handler500"
