"""A partner without shared identities reads a venue's name but not its address: a venue can
be where a victim lives."""

import pytest

from cases import services as case_services

pytestmark = pytest.mark.django_db

ADDRESS = "12 Elm Street, apartment 3"


@pytest.fixture
def venue(advocate, referred_case):
    return case_services.venue_add(
        actor=advocate, case=referred_case, name="Green Acres Farm", address=ADDRESS
    )


def _venues(client, case):
    return client.get(f"/api/v1/cases/{case.reference}/venues/").json()["results"]


def test_a_partner_reads_a_venues_name_but_not_its_address(api, partner, referred_case, venue):
    client = api(partner)
    [row] = _venues(client, referred_case)
    assert (row["name"], row["address"], row["redacted"]) == ("Green Acres Farm", "", ["address"])
    one = client.get(f"/api/v1/cases/{referred_case.reference}/venues/{venue.pk}/")
    assert b"Elm" not in one.content and one.json()["redacted"] == ["address"]


def test_shared_identities_and_staff_show_a_venues_address(api, partner, advocate, referred_case,
                                                          venue):  # fmt: skip
    assert _venues(api(advocate), referred_case)[0]["address"] == ADDRESS
    case_services.referral_update(
        actor=advocate, referral=referred_case.referrals.get(), shares_identities=True
    )
    [row] = _venues(api(partner), referred_case)
    assert (row["address"], row["redacted"]) == (ADDRESS, [])
