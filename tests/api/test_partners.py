"""A partner sees the cases referred to its organisation and no victim's identity, unless a
referral shares identities; every look is in the audit trail."""

import pytest

from cases import services as case_services
from hotline.models import AuditEntry
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_partner_lists_only_the_cases_referred_to_it(api, partner, referred_case,
                                                       unreferred_case):  # fmt: skip
    response = api(partner).get("/api/v1/cases/")
    assert [case["reference"] for case in response.json()["results"]] == [referred_case.reference]


def test_a_declined_referral_gives_the_partner_nothing(api, partner, advocate, referred_case):
    case_services.referral_respond(
        actor=advocate, referral=referred_case.referrals.get(), status="declined"
    )
    client = api(partner)
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert client.get(f"/api/v1/cases/{referred_case.reference}/").status_code == 404


def test_a_partner_sees_no_victim_identity(api, partner, referred_case):
    client = api(partner)
    case = client.get(f"/api/v1/cases/{referred_case.reference}/").json()
    assert case["summary"] == "" and case["redacted"] == ["summary"]
    assert case["assignee"] is None
    parties = client.get(f"/api/v1/cases/{referred_case.reference}/parties/").json()["results"]
    by_role = {party["role"]: party for party in parties}
    assert by_role["potential_victim"]["name"] == ""
    assert "name" in by_role["potential_victim"]["redacted"]
    assert by_role["potential_victim"]["age_band"] == "24-26"
    assert by_role["recruiter"]["name"] == "Victor Recruiter"
    body = client.get(f"/api/v1/cases/{referred_case.reference}/identifiers/").content
    assert b"0199" in body  # the recruiter's phone
    assert b"0101" not in body  # the victim's
    assert b"Maria" not in client.get(f"/api/v1/cases/{referred_case.reference}/parties/").content


def test_a_referral_that_shares_identities_shows_them(api, partner, advocate, referred_case):
    case_services.referral_update(
        actor=advocate, referral=referred_case.referrals.get(), shares_identities=True
    )
    client = api(partner)
    case = client.get(f"/api/v1/cases/{referred_case.reference}/").json()
    assert case["summary"] == referred_case.summary and case["redacted"] == []
    parties = client.get(f"/api/v1/cases/{referred_case.reference}/parties/").content
    assert b"Maria Lopez" in parties
    identifiers = client.get(f"/api/v1/cases/{referred_case.reference}/identifiers/").content
    assert b"0101" in identifiers


def test_staff_see_identities(api, advocate, referred_case):
    parties = api(advocate).get(f"/api/v1/cases/{referred_case.reference}/parties/").content
    assert b"Maria Lopez" in parties


def test_a_partner_searching_summaries_learns_nothing(api, partner, referred_case):
    word = referred_case.summary.split()[0]
    found = api(partner).get("/api/v1/cases/", {"q": word}).json()["results"]
    assert found == []
    found = api(partner).get("/api/v1/cases/", {"q": referred_case.reference}).json()["results"]
    assert len(found) == 1


def test_a_partner_sees_only_its_own_referrals(api, partner, advocate, referred_case,
                                               other_organisation):  # fmt: skip
    case_services.referral_send(
        actor=advocate, case=referred_case, organisation=other_organisation, reason="Other"
    )
    referrals = api(partner).get(f"/api/v1/cases/{referred_case.reference}/referrals/").json()
    assert [r["organisation"] for r in referrals["results"]] == [partner.organisation_id]


def test_a_partner_answers_its_referral_and_records_an_outcome(api, partner, referred_case):
    client = api(partner)
    referral = referred_case.referrals.get()
    path = f"/api/v1/cases/{referred_case.reference}/referrals/{referral.pk}/"
    assert client.patch(path, {"status": "accepted"}, format="json").status_code == 200
    referral.refresh_from_db()
    assert referral.status == "accepted"
    response = client.post(
        f"/api/v1/cases/{referred_case.reference}/outcomes/",
        {"kind": "investigation_opened", "occurred_on": "2026-11-20", "referral": referral.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert referred_case.outcomes.get().recorded_by == partner


def test_a_partner_cannot_change_a_referrals_terms(api, partner, referred_case):
    referral = referred_case.referrals.get()
    response = api(partner).patch(
        f"/api/v1/cases/{referred_case.reference}/referrals/{referral.pk}/",
        {"shares_identities": True},
        format="json",
    )
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.shares_identities is False


def test_every_look_is_audited(api, partner, referred_case):
    client = api(partner)
    client.get("/api/v1/cases/")
    client.get(f"/api/v1/cases/{referred_case.reference}/")
    client.get(f"/api/v1/cases/{referred_case.reference}/parties/")
    listed = AuditEntry.objects.get(action="list", object_kind="case", user=partner)
    assert listed.object_ids == [referred_case.pk]
    viewed = AuditEntry.objects.get(action="view", object_kind="case", user=partner)
    assert viewed.object_id == referred_case.pk and viewed.case_id == referred_case.pk
    parties = AuditEntry.objects.get(action="list", object_kind="party", user=partner)
    assert sorted(parties.object_ids) == sorted(referred_case.parties.values_list("pk", flat=True))


def test_a_partner_cannot_learn_who_works_a_case_by_filtering(api, partner, advocate,
                                                              referred_case, organisation,
                                                              other_organisation):  # fmt: skip
    # Two cases referred to the partner, one of them sent to another organisation too, and
    # only one assigned: a filter that narrowed would tell the two apart.
    also_sent = CaseFactory(actor=advocate, team=advocate.team, assignee=advocate)
    for to in (organisation, other_organisation):
        case_services.referral_send(actor=advocate, case=also_sent, organisation=to, reason="Other")
    client = api(partner)
    everyone = client.get("/api/v1/cases/").json()["results"]
    assert len(everyone) == 2
    for value in (advocate.pk, advocate.pk + 1000):
        assert client.get("/api/v1/cases/", {"assignee": value}).json()["results"] == everyone
    for value in (advocate.team_id, advocate.team_id + 1000):
        assert client.get("/api/v1/cases/", {"team": value}).json()["results"] == everyone
    for value in (other_organisation.pk, other_organisation.pk + 1000):
        assert client.get("/api/v1/cases/", {"organisation": value}).json()["results"] == everyone
    own = client.get("/api/v1/cases/", {"organisation": organisation.pk}).json()["results"]
    assert own == everyone
