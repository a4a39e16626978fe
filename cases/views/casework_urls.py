"""Case work: tip triage, the case queue, the case page (cases/views/casework.py)."""

from django.urls import include, path, re_path

from cases.views import casework

REFERENCE = r"(?P<reference>HT-[0-9]{4}-[0-9]{6})"

case_patterns = [
    path("", casework.case_detail, name="case"),
    path("status/", casework.case_status, name="case_status"),
    path("closure/", casework.case_closure_request, name="case_closure_request"),
    path("closure/decide/", casework.case_closure_decide, name="case_closure_decide"),
    path("assign/", casework.case_assign, name="case_assign"),
    path("details/", casework.case_details, name="case_details"),
    path("notes/", casework.case_note, name="case_note"),
    path("parties/", casework.case_party, name="case_party"),
    path("identifiers/", casework.case_identifier, name="case_identifier"),
    path("transaction-clues/", casework.case_transaction_clue, name="case_transaction_clue"),
    path("venues/", casework.case_venue, name="case_venue"),
    path("referrals/", casework.case_referral, name="case_referral"),
    path("outcomes/", casework.case_outcome, name="case_outcome"),
]

patterns = [
    path("tips/", casework.tip_list, name="tips"),
    path("tips/<int:pk>/", casework.tip_detail, name="tip"),
    path("tips/<int:pk>/open/", casework.tip_open_case, name="tip_open_case"),
    path("tips/<int:pk>/link/", casework.tip_link_case, name="tip_link_case"),
    path("tips/<int:pk>/triage/", casework.tip_triage, name="tip_triage"),
    path("cases/", casework.case_list, name="cases"),
    path("cases/export.csv", casework.case_export, name="case_export"),
    path("cases/bulk/", casework.case_bulk, name="case_bulk"),
    re_path(rf"^cases/{REFERENCE}/", include(case_patterns)),
]

urlpatterns = [path("", include((patterns, "casework")))]
