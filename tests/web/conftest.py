"""Shared data for the web pages' tests: a case on the advocate's team, one on another team
and a restricted one, each holding the same phone number."""

import pytest

from cases import services as case_services
from tests.factories import CaseFactory

PHONE = "+1 713 555 0199"
# The same number as a person would type it.
PHONE_TYPED = "(713) 555-0199"


def case_with_phone(*, actor, team=None, assignee=None, is_restricted=False, phone=PHONE):
    case = CaseFactory(actor=actor, team=team, assignee=assignee, is_restricted=is_restricted)
    case_services.identifier_add(actor=actor, kind="phone", value=phone, case=case)
    return case


@pytest.fixture
def team_case(supervisor, team):
    return case_with_phone(actor=supervisor, team=team)


@pytest.fixture
def other_team_case(supervisor, other_team):
    return case_with_phone(actor=supervisor, team=other_team)


@pytest.fixture
def restricted_case(supervisor, team):
    return case_with_phone(actor=supervisor, team=team, is_restricted=True)
