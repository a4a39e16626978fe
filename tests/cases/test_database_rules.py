"""The database itself refuses what the data model forbids, whatever path a write takes."""

import datetime
import itertools

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cases import workflow
from cases.models import AppendOnlyError, Case, CaseEvent, Identifier, Party
from hotline.models import Call, Region, Tip, User
from tests.factories import CaseFactory, TipFactory

pytestmark = pytest.mark.django_db

STATUSES = [status.value for status in workflow.Status]


def refused(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def insert_case(status, reference="HT-2026-000001"):
    closed = status in workflow.CLOSED_STATUSES
    return Case.objects.create(
        reference=reference,
        status=status,
        opened_at=timezone.now() - datetime.timedelta(hours=1),
        closing_reason="other" if closed else "",
        closed_at=timezone.now() if closed else None,
    )


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(STATUSES, 2)))
def test_the_database_allows_exactly_the_workflow_s_status_transitions(old, new):
    case = insert_case(old)
    closing = new in workflow.CLOSED_STATUSES

    def move():
        Case.objects.filter(pk=case.pk).update(
            status=new,
            closing_reason="other" if closing else "",
            closed_at=timezone.now() if closing else None,
        )

    if workflow.transition_allowed(old, new):
        move()
        assert Case.objects.get(pk=case.pk).status == new
    else:
        refused(move)
        assert Case.objects.get(pk=case.pk).status == old


def test_the_migration_s_frozen_transitions_match_the_workflow():
    from importlib import import_module

    rules = import_module("cases.migrations.0002_database_rules")
    assert sorted(rules.TRANSITION_PAIRS) == workflow.transition_pairs()


def test_a_duplicate_reference_is_refused():
    insert_case("new", reference="HT-2026-000007")
    refused(lambda: insert_case("new", reference="HT-2026-000007"))


@pytest.mark.parametrize("reference", ["HT-26-000001", "HT-2026-1", "XX-2026-000001", ""])
def test_a_malformed_reference_is_refused(reference):
    refused(lambda: insert_case("new", reference=reference))


def test_a_closed_case_without_a_reason_is_refused():
    refused(
        lambda: Case.objects.create(
            reference="HT-2026-000002", status="closed", closed_at=timezone.now()
        )
    )


def test_an_open_case_with_a_closing_time_is_refused():
    refused(
        lambda: Case.objects.create(
            reference="HT-2026-000003", status="active", closed_at=timezone.now()
        )
    )


def test_a_status_outside_the_workflow_is_refused():
    refused(lambda: insert_case("pending"))


def identifier(**fields):
    """An identifier row as the services write it: normalised, with its keyed hash."""
    row = Identifier(**{"kind": "phone", "value": "x", **fields})
    row.set_normalised(fields.get("normalised", "+12025550143"))
    return row


@pytest.mark.parametrize("value_hash", ["", "555", "A" * 64, "+12025550143"])
def test_an_identifier_without_the_keyed_hash_of_its_normalised_value_is_refused(value_hash):
    # The normalised value is encrypted, so the database cannot check its shape; it checks
    # that what matching compares is there and is a hash.
    case = insert_case("new")
    row = identifier(case=case)
    row.value_hash = value_hash
    refused(row.save)


def test_an_identifier_must_belong_to_a_case_or_a_tip():
    refused(identifier().save)


def test_a_handle_needs_a_platform_and_other_kinds_have_none():
    case = insert_case("new")
    refused(identifier(case=case, kind="handle", normalised="a").save)
    refused(identifier(case=case, platform="x").save)


def test_the_same_identifier_twice_on_one_case_is_refused():
    case = insert_case("new")
    identifier(case=case, value="a").save()
    refused(identifier(case=case, value="b").save)


def test_a_victim_must_be_a_person_and_ages_agree_with_minority():
    case = insert_case("new")
    refused(lambda: Party.objects.create(case=case, role="potential_victim", kind="organisation"))
    refused(
        lambda: Party.objects.create(case=case, role="survivor", age_band="30-38", is_minor=True)
    )
    refused(
        lambda: Party.objects.create(case=case, role="survivor", age_band="9-17", is_minor=False)
    )
    refused(lambda: Party.objects.create(case=case, role="survivor", citizenship="mx"))


def test_a_call_cannot_end_before_it_starts():
    now = timezone.now()
    refused(
        lambda: Call.objects.create(
            channel="phone",
            caller_type="anonymous",
            reason="crisis",
            started_at=now,
            ended_at=now - datetime.timedelta(seconds=1),
        )
    )


def test_a_tip_marked_duplicate_must_name_the_original():
    tip = TipFactory()
    refused(
        lambda: Tip.objects.filter(pk=tip.pk).update(triage_state="duplicate", triage_reason="x")
    )


def test_a_tip_closed_without_action_must_give_a_reason():
    tip = TipFactory()
    refused(lambda: Tip.objects.filter(pk=tip.pk).update(triage_state="no_action"))
    original = TipFactory()
    refused(
        lambda: Tip.objects.filter(pk=tip.pk).update(
            triage_state="duplicate", duplicate_of=original
        )
    )


def test_a_tip_from_a_call_must_name_its_call():
    refused(lambda: Tip.objects.create(source="call", observed="x"))


def test_a_country_cannot_have_a_parent_region():
    mexico = Region.objects.get(code="MX")
    refused(lambda: Region.objects.filter(code="US").update(parent=mexico))


def test_an_account_cannot_be_both_hotline_staff_and_a_partner(team, organisation):
    refused(lambda: User.objects.create(username="both", team=team, organisation=organisation))


def test_case_events_cannot_be_changed_or_deleted_through_the_model(advocate):
    event = CaseFactory(actor=advocate).events.get(kind="created")
    event.data = {"tampered": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_the_database_refuses_to_change_a_case_event_even_in_raw_sql(advocate):
    event = CaseFactory(actor=advocate).events.get(kind="created")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE cases_caseevent SET data = '{}' WHERE id = %s", [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).data == {"reference": event.data["reference"]}


@pytest.mark.postgres
def test_postgres_refuses_to_delete_a_case_event_even_in_raw_sql(advocate):
    event = CaseFactory(actor=advocate).events.get(kind="created")
    for statement in ("DELETE FROM cases_caseevent WHERE id = %s",):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk).exists()
