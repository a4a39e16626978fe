"""Tip triage in the browser (/tips/): who may use it, the order of the queue, and each decision:
open a case, link to a case (with suggestions), duplicate, no action."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case
from hotline.models import AuditAction, AuditEntry, Tip, Urgency
from tests.factories import CaseFactory, TipFactory, industry, region

pytestmark = pytest.mark.django_db


def tip_at(hours_ago, urgency=Urgency.ROUTINE, **fields):
    return TipFactory(
        received_at=timezone.now() - datetime.timedelta(hours=hours_ago), urgency=urgency, **fields
    )


def references(response):
    return [tip.reference for tip in response.context["tips"]]


def test_new_tips_come_first_most_urgent_on_top_then_oldest(client, supervisor):
    routine_old = tip_at(30)
    routine_new = tip_at(1)
    danger = tip_at(2, Urgency.IMMINENT_DANGER)
    urgent = tip_at(5, Urgency.URGENT)
    triaged = tip_at(50, Urgency.IMMINENT_DANGER)
    client.force_login(supervisor)
    from hotline.services import tip_triage

    tip_triage(actor=supervisor, tip=triaged, state=Tip.TriageState.TRIAGED)

    assert references(client.get("/tips/")) == [
        danger.reference,
        urgent.reference,
        routine_old.reference,
        routine_new.reference,
    ]
    everything = references(client.get("/tips/?state=all"))
    assert everything[-1] == triaged.reference
    assert everything[:4] == references(client.get("/tips/"))


@pytest.mark.parametrize("role", ["advocate", "partner", "admin_user", "outsider"])
def test_only_those_who_triage_tips_may_open_the_triage_pages(client, request, role):
    tip = TipFactory()
    client.force_login(request.getfixturevalue(role))
    assert client.get("/tips/").status_code == 403
    assert client.get(f"/tips/{tip.pk}/").status_code == 403
    assert client.post(f"/tips/{tip.pk}/open/").status_code == 403
    assert not Case.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    tip = TipFactory()
    response = client.get(f"/tips/{tip.pk}/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_tip_that_does_not_exist_is_not_found(client, supervisor):
    client.force_login(supervisor)
    assert client.get("/tips/999999/").status_code == 404


def test_reading_a_tip_and_listing_tips_are_audited(client, supervisor):
    tip = TipFactory()
    client.force_login(supervisor)
    client.get("/tips/")
    client.get(f"/tips/{tip.pk}/")
    listed = AuditEntry.objects.get(action=AuditAction.LIST, object_kind="tip")
    assert listed.object_ids == [tip.pk]
    viewed = AuditEntry.objects.get(action=AuditAction.VIEW, object_kind="tip")
    assert (viewed.object_id, viewed.user) == (tip.pk, supervisor)


def test_a_supervisor_opens_a_case_from_a_tip_and_assigns_it(client, supervisor, advocate):
    tip = tip_at(1, Urgency.IMMINENT_DANGER)
    services.identifier_add(actor=None, tip=tip, kind="phone", value="(202) 555-0143")
    client.force_login(supervisor)

    response = client.post(f"/tips/{tip.pk}/open/", {"assignee": advocate.pk})

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/"
    assert (case.assignee, case.priority, case.region) == (advocate, 4, tip.region)
    assert list(case.tips.all()) == [tip]
    assert case.identifiers.count() == 1
    tip.refresh_from_db()
    assert tip.triage_state == Tip.TriageState.LINKED


def test_opening_a_second_case_from_a_tip_is_refused_with_a_message(client, supervisor):
    tip = TipFactory()
    first = services.case_open_from_tip(actor=supervisor, tip=tip)
    client.force_login(supervisor)

    response = client.post(f"/tips/{tip.pk}/open/", {"priority": "9"})

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["open_form"].errors["priority"])
    response = client.post(f"/tips/{tip.pk}/open/", {})
    assert first.reference in str(response.context["open_form"].errors)
    assert Case.objects.count() == 1


def test_the_tip_page_suggests_cases_sharing_an_identifier_and_recent_ones_nearby(
    client, supervisor, advocate
):
    tip = TipFactory(region=region("US-TX"), industry=industry("escort_services"))
    services.identifier_add(actor=None, tip=tip, kind="phone", value="+1 202 555 0143")
    holder = CaseFactory(actor=supervisor, region=region("US-CA"))
    services.identifier_add(actor=supervisor, case=holder, kind="phone", value="202.555.0143")
    nearby = CaseFactory(
        actor=supervisor, region=region("US-TX"), industry=industry("escort_services")
    )
    CaseFactory(actor=supervisor, region=region("US-TX"), industry=industry("construction"))
    old = CaseFactory(
        actor=supervisor,
        region=region("US-TX"),
        industry=industry("escort_services"),
        opened_at=timezone.now() - datetime.timedelta(days=200),
    )
    client.force_login(supervisor)

    suggestions = client.get(f"/tips/{tip.pk}/").context["suggestions"]

    assert suggestions == [(holder, "identifier"), (nearby, "nearby")]
    listed = AuditEntry.objects.get(action=AuditAction.LIST, object_kind="case")
    assert listed.object_ids == [holder.pk, nearby.pk]
    assert old not in [case for case, _why in suggestions]


def test_a_supervisor_links_a_tip_to_an_existing_case(client, supervisor):
    tip = TipFactory()
    case = CaseFactory(actor=supervisor)
    client.force_login(supervisor)

    response = client.post(f"/tips/{tip.pk}/link/", {"case": case.reference.lower()})

    assert response.status_code == 302
    assert list(case.tips.all()) == [tip]
    assert case.events.filter(kind="tip_linked").exists()


def test_linking_to_a_case_that_does_not_exist_says_so_next_to_the_field(client, supervisor):
    tip = TipFactory()
    client.force_login(supervisor)
    response = client.post(f"/tips/{tip.pk}/link/", {"case": "HT-2026-999999"})
    assert response.status_code == 200
    assert response.context["link_form"].errors["case"] == [
        "No case you can see has this reference."
    ]
    assert 'id="link-case-error"' in response.content.decode() or "errorlist" in (
        response.content.decode()
    )


def test_marking_a_tip_a_duplicate_needs_the_original_and_a_reason(client, supervisor):
    original, copy = TipFactory(), TipFactory()
    client.force_login(supervisor)

    response = client.post(f"/tips/{copy.pk}/triage/", {"state": "duplicate"})
    errors = response.context["triage_form"].errors
    assert set(errors) == {"duplicate_of", "reason"}
    response = client.post(
        f"/tips/{copy.pk}/triage/",
        {"state": "duplicate", "duplicate_of": "T-XXXX-0000", "reason": "same caller"},
    )
    assert response.context["triage_form"].errors["duplicate_of"] == ["No tip has this reference."]
    copy.refresh_from_db()
    assert copy.triage_state == Tip.TriageState.NEW

    response = client.post(
        f"/tips/{copy.pk}/triage/",
        {"state": "duplicate", "duplicate_of": original.reference, "reason": "Same caller."},
    )

    assert response.status_code == 302
    copy.refresh_from_db()
    assert (copy.triage_state, copy.duplicate_of, copy.triage_reason) == (
        Tip.TriageState.DUPLICATE,
        original,
        "Same caller.",
    )


def test_a_tip_cannot_duplicate_itself(client, supervisor):
    tip = TipFactory()
    client.force_login(supervisor)
    response = client.post(
        f"/tips/{tip.pk}/triage/",
        {"state": "duplicate", "duplicate_of": tip.reference, "reason": "oops"},
    )
    assert response.status_code == 200
    assert response.context["triage_form"].errors["duplicate_of"] == [
        "A tip cannot duplicate itself."
    ]


def test_no_action_with_a_reason_closes_the_tip(client, supervisor):
    tip = TipFactory()
    client.force_login(supervisor)
    client.post(f"/tips/{tip.pk}/triage/", {"state": "no_action", "reason": "Not trafficking."})
    tip.refresh_from_db()
    assert (tip.triage_state, tip.triaged_by) == (Tip.TriageState.NO_ACTION, supervisor)
    page = client.get(f"/tips/{tip.pk}/")
    assert page.context["closed"] is True
    assert b"This tip was closed as" in page.content


def test_a_crafted_decision_is_an_error_not_a_500(client, supervisor):
    tip = TipFactory()
    client.force_login(supervisor)
    response = client.post(f"/tips/{tip.pk}/triage/", {"state": "linked"})
    assert response.status_code == 200
    assert "state" in response.context["triage_form"].errors


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_tip_list_runs_the_same_queries_for_3_tips_as_for_30(
    client, supervisor, django_assert_num_queries
):
    client.force_login(supervisor)
    for hours in range(3):
        tip_at(hours)
    few = count_queries(client, "/tips/")
    for hours in range(27):
        tip_at(hours, Urgency(hours % 3), region=region(["US-TX", "US-CA", "MX"][hours % 3]))
    with django_assert_num_queries(few):
        client.get("/tips/")


def test_the_tip_page_runs_the_same_queries_for_few_matches_as_for_many(
    client, supervisor, django_assert_num_queries
):
    client.force_login(supervisor)
    tip = TipFactory()
    services.identifier_add(actor=None, tip=tip, kind="phone", value="+1 202 555 0143")

    def holder():
        case = CaseFactory(actor=supervisor, region=tip.region, industry=tip.industry)
        services.identifier_add(actor=supervisor, case=case, kind="phone", value="2025550143")

    holder()
    few = count_queries(client, f"/tips/{tip.pk}/")
    for _ in range(12):
        holder()
    with django_assert_num_queries(few):
        client.get(f"/tips/{tip.pk}/")
