"""A partner reads from a case's timeline only what the case resources show it: the case's
status and its own organisation's referrals and outcomes, with no actor."""

import pytest

from cases import services as case_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_case(advocate, supervisor, referred_case, organisation, other_organisation):
    """The referred case, assigned, sent to another organisation too, with an outcome on each
    referral. Returns the case, its partner's referral and outcome, and the other ones."""
    other = case_services.referral_send(
        actor=advocate, case=referred_case, organisation=other_organisation, reason="Other"
    )
    case_services.case_assign(actor=supervisor, case=referred_case, assignee=advocate)
    own = referred_case.referrals.get(organisation=organisation)
    outcomes = [
        case_services.outcome_record(
            actor=advocate,
            case=referred_case,
            kind="investigation_opened",
            occurred_on=referred_case.opened_at.date(),
            referral=referral,
        )
        for referral in (own, other)
    ]
    return referred_case, own, outcomes[0], other, outcomes[1]


def _events(client, case):
    response = client.get(f"/api/v1/cases/{case.reference}/events/")
    assert response.status_code == 200
    return response.json()["results"]


def test_a_partner_reads_no_actor_and_no_assignment(api, partner, advocate, busy_case):
    case = busy_case[0]
    events = _events(api(partner), case)
    assert events
    assert {event["actor"] for event in events} == {None}
    assert "assigned" not in {event["kind"] for event in events}
    assert all("assignee" not in event["data"] for event in events)


def test_a_partner_reads_its_own_referral_and_outcome_events_only(api, partner, busy_case):
    case, own, own_outcome, other, _other_outcome = busy_case
    events = _events(api(partner), case)
    referrals = {e["data"]["referral"] for e in events if e["kind"].startswith("referral")}
    outcomes = {e["data"]["outcome"] for e in events if e["kind"].startswith("outcome")}
    assert referrals == {own.pk}
    assert outcomes == {own_outcome.pk}
    assert other.organisation_id not in {e["data"].get("organisation") for e in events}


def test_a_partner_cannot_read_another_organisations_event_by_its_id(api, partner, busy_case):
    case, other = busy_case[0], busy_case[3]
    event = case.events.get(kind="referral_sent", data__referral=other.pk)
    response = api(partner).get(f"/api/v1/cases/{case.reference}/events/{event.pk}/")
    assert response.status_code == 404


def test_staff_read_the_whole_timeline(api, advocate, busy_case):
    case = busy_case[0]
    events = _events(api(advocate), case)
    kinds = {event["kind"] for event in events}
    assert {"assigned", "referral_sent", "outcome_recorded"} <= kinds
    assert advocate.pk in {event["actor"] for event in events}
    assert len([e for e in events if e["kind"] == "referral_sent"]) == 2


def test_a_partner_reads_no_outcome_referral_of_another_organisation(api, partner, busy_case):
    case, own, own_outcome, _other, other_outcome = busy_case
    rows = api(partner).get(f"/api/v1/cases/{case.reference}/outcomes/").json()["results"]
    by_id = {row["id"]: row["referral"] for row in rows}
    assert by_id == {own_outcome.pk: own.pk, other_outcome.pk: None}
