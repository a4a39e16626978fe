from django.urls import path

from cases.views import intake

urlpatterns = [
    path("calls/new/", intake.call_new, name="call_new"),
    path("calls/new/matches/", intake.call_matches, name="call_matches"),
    path("calls/new/regions/", intake.regions, name="call_regions"),
    path("calls/<int:pk>/saved/", intake.call_saved, name="call_saved"),
]
