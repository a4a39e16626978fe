"""A bearer token is looked up with its account, the account's organisation and its role in
one query (hotline.api.authentication.token_record), and what it loads is what the ORM would
have loaded: the same fields, the same role as User.role reads from the groups."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.api.authentication import token_record
from hotline.models import ApiToken, Role, User
from tests.api.conftest import token_for
from tests.sql_helpers import statements

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@pytest.mark.parametrize("who", ["advocate", "supervisor", "partner", "admin_user"])
def test_one_query_loads_the_token_its_account_organisation_and_role(request, who):
    user = request.getfixturevalue(who)
    token = token_for(user)
    with CaptureQueriesContext(connection) as queries:
        record = token_record(token)
        loaded = record.user
        role, organisation = loaded.role, loaded.organisation
    assert len(queries) == 1
    orm = ApiToken.objects.select_related("user", "user__organisation").get(pk=record.pk)
    assert _fields(record) == _fields(orm)
    assert _fields(loaded) == _fields(orm.user)
    assert role == User.objects.get(pk=user.pk).role
    assert organisation == orm.user.organisation
    if organisation is not None:
        assert _fields(organisation) == _fields(orm.user.organisation)
    assert not loaded._state.adding and record._state.db == "default"


def test_an_account_in_two_role_groups_has_the_role_user_role_gives(advocate):
    advocate.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    token = token_for(advocate)
    assert token_record(token).user.role == User.objects.get(pk=advocate.pk).role
    assert token_record(token).user.role == Role.SUPERVISOR


def test_an_account_whose_role_was_taken_away_has_none(advocate):
    token = token_for(advocate)
    advocate.groups.clear()
    assert token_record(token).user.role is None


def test_an_unknown_token_finds_nothing(db):
    assert token_record("hl_00000000_nothing") is None


def test_a_request_by_token_costs_one_query_for_who_is_asking(api, advocate):
    client = api(advocate)
    client.get("/api/v1/industries/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/industries/").status_code == 200
    tables = statements(queries)
    assert sum("auth_group" in sql for sql in tables) == 1  # inside the token's query
    assert sum('"hotline_apitoken"' in sql for sql in tables) == 1
