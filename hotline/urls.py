from django.contrib import admin
from django.urls import include, path

from hotline import accounts, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include((accounts.urlpatterns, "accounts"))),
    path("admin/", admin.site.urls),
]
