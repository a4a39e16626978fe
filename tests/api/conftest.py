"""Fixtures for the API tests: clients signed in by token or session, and a case referred to
the partner's organisation with a victim, a perpetrator and their identifiers."""

import pytest
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Party
from hotline import services
from tests.factories import CaseFactory, PartyFactory

# Generous limits for every test but those about rate limits, which set their own.
TEST_RATES = {"user": "100000/minute", "anon": "100000/minute", "public_tips": "100000/minute"}


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": TEST_RATES}
    settings.HOTLINE_API_THROTTLE_REDIS_URL = None


def token_for(user, days=30):
    return services.api_token_issue(actor=None, user=user, days=days)[1]


@pytest.fixture
def api():
    """api(user=None, *, how="token"): an APIClient signed in as `user`, by bearer token or by
    session (two-factor passed, as a signed-in browser)."""

    def make(user=None, *, how="token"):
        client = APIClient()
        if user is None:
            return client
        if how == "token":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        else:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def referred_case(advocate, organisation):
    """A case on the advocate's team, referred to the partner's organisation (identities not
    shared), with a victim and a recruiter, each with a phone number."""
    case = CaseFactory(actor=advocate, team=advocate.team)
    victim = PartyFactory(actor=advocate, case=case, name="Maria Lopez")
    recruiter = PartyFactory(
        actor=advocate,
        case=case,
        role=Party.Role.RECRUITER,
        name="Victor Recruiter",
        gender=Party.Gender.MASCULINE,
    )
    case_services.identifier_add(
        actor=advocate, case=case, party=victim, kind="phone", value="+1 512 555 0101"
    )
    case_services.identifier_add(
        actor=advocate, case=case, party=recruiter, kind="phone", value="+1 512 555 0199"
    )
    case_services.referral_send(
        actor=advocate, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def unreferred_case(advocate):
    return CaseFactory(actor=advocate, team=advocate.team, summary="Nobody outside sees this.")
