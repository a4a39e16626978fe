from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("csv/<slug:key>/", views.dashboard_csv, name="dashboard_csv"),
]
