from django.urls import path

from reports.api import StatsView

urlpatterns = [path("", StatsView.as_view(), name="stats")]
