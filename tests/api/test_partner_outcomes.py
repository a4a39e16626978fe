"""A partner reads a case's outcomes without notes that could name a victim, and changes only
the outcomes of its own organisation's referrals."""

import pytest

from cases import services as case_services

pytestmark = pytest.mark.django_db

NOTES = "Maria Lopez gave a statement."


@pytest.fixture
def other_referral(advocate, referred_case, other_organisation):
    return case_services.referral_send(
        actor=advocate, case=referred_case, organisation=other_organisation, reason="Other"
    )


def _outcome(advocate, case, referral=None):
    return case_services.outcome_record(
        actor=advocate,
        case=case,
        kind="investigation_opened",
        occurred_on=case.opened_at.date(),
        referral=referral,
        notes=NOTES,
    )


def _path(case, outcome=None):
    base = f"/api/v1/cases/{case.reference}/outcomes/"
    return base if outcome is None else f"{base}{outcome.pk}/"


def test_a_partner_without_shared_identities_reads_no_outcome_notes(api, partner, advocate,
                                                                     referred_case):  # fmt: skip
    outcome = _outcome(advocate, referred_case, referred_case.referrals.get())
    client = api(partner)
    listed = client.get(_path(referred_case)).json()["results"]
    assert [(o["notes"], o["redacted"]) for o in listed] == [("", ["notes"])]
    one = client.get(_path(referred_case, outcome)).json()
    assert one["notes"] == "" and one["redacted"] == ["notes"]
    assert b"Maria" not in client.get(_path(referred_case)).content


def test_a_partner_with_shared_identities_and_staff_read_outcome_notes(api, partner, advocate,
                                                                       referred_case):  # fmt: skip
    outcome = _outcome(advocate, referred_case)
    assert api(advocate).get(_path(referred_case, outcome)).json()["notes"] == NOTES
    case_services.referral_update(
        actor=advocate, referral=referred_case.referrals.get(), shares_identities=True
    )
    one = api(partner).get(_path(referred_case, outcome)).json()
    assert one["notes"] == NOTES and one["redacted"] == []


def test_a_partner_cannot_change_an_outcome_staff_recorded_without_a_referral(
    api, partner, advocate, referred_case
):
    outcome = _outcome(advocate, referred_case)
    response = api(partner).patch(
        _path(referred_case, outcome), {"agency": "Nobody", "notes": ""}, format="json"
    )
    assert response.status_code == 403
    outcome.refresh_from_db()
    assert (outcome.agency, outcome.notes) == ("", NOTES)


def test_a_partner_cannot_change_another_organisations_outcome(
    api, partner, advocate, referred_case, other_referral
):
    outcome = _outcome(advocate, referred_case, other_referral)
    response = api(partner).patch(_path(referred_case, outcome), {"notes": ""}, format="json")
    assert response.status_code == 403
    outcome.refresh_from_db()
    assert outcome.notes == NOTES


def test_a_partner_changes_the_outcome_of_its_own_referral(api, partner, advocate,
                                                           referred_case):  # fmt: skip
    outcome = _outcome(advocate, referred_case, referred_case.referrals.get())
    response = api(partner).patch(
        _path(referred_case, outcome), {"agency": "Metro PD"}, format="json"
    )
    assert response.status_code == 200, response.content
    outcome.refresh_from_db()
    assert outcome.agency == "Metro PD" and outcome.notes == NOTES


def test_a_partner_cannot_record_an_outcome_on_another_organisations_referral(
    api, partner, referred_case, other_referral
):
    response = api(partner).post(
        _path(referred_case),
        {"kind": "charges_filed", "occurred_on": "2026-11-20", "referral": other_referral.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "referral" in response.content.decode()
    assert not referred_case.outcomes.exists()


def test_staff_record_an_outcome_on_any_of_the_cases_referrals(api, advocate, referred_case,
                                                               other_referral):  # fmt: skip
    response = api(advocate).post(
        _path(referred_case),
        {"kind": "charges_filed", "occurred_on": "2026-11-20", "referral": other_referral.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
