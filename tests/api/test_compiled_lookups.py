"""Reading a case by its reference runs a statement compiled once per user and lookup
(hotline.db.CompiledLookups): it must find what the ORM finds, for each user by their own
rule, however often the statement is reused, and answer 404 where the ORM finds nothing."""

import pytest

from cases.api.views import CaseViewSet
from cases.models import Case
from hotline import access
from hotline.api.viewsets import ScopedViewSet
from hotline.db import CompiledLookups
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def by_reference(user):
    scoped = access.cases_for(user, Case.objects.all())
    return lambda value: scoped.filter(reference=value).order_by()[:1]


def test_it_finds_the_row_the_orm_finds_field_by_field(advocate):
    cases = [CaseFactory(actor=advocate, team=advocate.team) for _ in range(3)]
    lookups = CompiledLookups()
    shape = ("test", access.rule_key(advocate))
    built = []

    def counted(value):
        built.append(value)
        return by_reference(advocate)(value)

    for case in cases * 2:
        (found,) = lookups.get(shape, Case, counted, case.reference)
        (expected,) = by_reference(advocate)(case.reference)
        for field in Case._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert lookups.get(shape, Case, counted, "HT-2000-000000") == []
    # Built once, with the sentinel; every lookup after that reuses the compiled statement.
    assert built == [CompiledLookups.SENTINELS[str]]


def test_each_user_keeps_their_own_rule(api, advocate, other_advocate):
    mine = CaseFactory(actor=advocate, team=advocate.team)
    theirs = CaseFactory(actor=other_advocate, team=other_advocate.team)
    alice, wes = api(advocate), api(other_advocate)
    for _ in range(3):  # the statements are reused from the second round on
        assert alice.get(f"/api/v1/cases/{mine.reference}/").status_code == 200
        assert alice.get(f"/api/v1/cases/{theirs.reference}/").status_code == 404
        assert wes.get(f"/api/v1/cases/{theirs.reference}/").status_code == 200
        assert wes.get(f"/api/v1/cases/{mine.reference}/").status_code == 404
    assert alice.get(f"/api/v1/cases/{mine.reference}/").json()["reference"] == mine.reference


def test_a_changed_rule_is_a_new_statement(api, advocate, other_team):
    case = CaseFactory(actor=advocate, team=advocate.team)
    client = api(advocate)
    assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    advocate.team = other_team
    advocate.save()
    assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 404


def test_a_partner_reads_only_what_was_referred(api, partner, referred_case, advocate):
    unreferred = CaseFactory(actor=advocate, team=advocate.team)
    client = api(partner)
    for _ in range(2):
        assert client.get(f"/api/v1/cases/{referred_case.reference}/").status_code == 200
        assert client.get(f"/api/v1/cases/{unreferred.reference}/").status_code == 404


def test_an_account_without_a_role_finds_nothing(outsider, advocate):
    case = CaseFactory(actor=advocate, team=advocate.team)
    lookups = CompiledLookups()
    shape = ("test", access.rule_key(outsider))
    assert lookups.get(shape, Case, by_reference(outsider), case.reference) == []


def test_only_resources_that_say_so_use_it():
    assert CaseViewSet.compiled_lookup
    assert not ScopedViewSet.compiled_lookup


def test_a_field_that_refuses_the_sentinel_is_looked_up_by_the_orm(advocate):
    case = CaseFactory(actor=advocate, team=advocate.team)
    lookups = CompiledLookups()
    scoped = access.cases_for(advocate, Case.objects.all())

    def by_opened_at(value):
        # A date field: the string sentinel is no date, so nothing can be compiled with it.
        return scoped.filter(opened_at=value).order_by()[:1]

    shape = ("test-date", access.rule_key(advocate))
    for _ in range(2):
        assert lookups.get(shape, Case, by_opened_at, case.opened_at.isoformat()) == [case]
