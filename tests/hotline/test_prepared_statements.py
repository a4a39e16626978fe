"""Statements prepared once per connection (hotline.db): on PostgreSQL the hot paths run
EXECUTE of a statement prepared on the first use, with the same results as the plain
statement; a statement PostgreSQL will not prepare still runs, and its refusal does not spoil
the transaction around it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value, signals
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent
from hotline.db import (
    MAX_PREPARED,
    _insert_prepared,
    deallocate_prepared,
    execute_prepared,
    prepared_statements,
    save_checked,
)
from hotline.models import Call, Region
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _prepared_on_server():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_a_statement_is_prepared_once_and_executed_after_that():
    first, second = CaseFactory(), CaseFactory()
    deallocate_prepared()  # earlier tests may have used up the connection's limit
    rows = Case.objects.filter(reference=first.reference).values_list("pk", flat=True)
    with CaptureQueriesContext(connection) as queries, prepared_statements():
        found = [list(rows.all()), list(rows.filter(reference=second.reference))]
    assert found == [[first.pk], []]
    assert all(query["sql"].startswith("EXECUTE hotline_") for query in queries), [
        q["sql"] for q in queries
    ]
    names = {query["sql"].split()[1] for query in queries}
    assert len(names) == 2  # two statements, each prepared once
    statements = _prepared_on_server()
    assert names <= set(statements)
    assert '"cases_case"."reference" = $1' in statements[next(iter(names))]

    with prepared_statements():
        assert list(
            Case.objects.filter(reference=second.reference).values_list("pk", flat=True)
        ) == [second.pk]


@pytest.mark.postgres
def test_a_statement_postgres_will_not_prepare_still_runs_inside_a_transaction():
    with transaction.atomic():
        with prepared_statements(), connection.cursor() as cursor:
            # An untyped parameter: PREPARE cannot tell its type and refuses the statement.
            cursor.execute("SELECT %s", ["plain"])
            assert cursor.fetchone() == ("plain",)
        # The transaction is still usable.
        call = Call.objects.create(channel="phone", caller_type="anonymous", reason="not_related")
    assert Call.objects.filter(pk=call.pk).exists()


@pytest.mark.postgres
def test_a_prepared_statement_survives_a_rolled_back_transaction():
    case = CaseFactory()
    sql = 'SELECT "reference" FROM "cases_case" WHERE "id" = %s'
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            execute_prepared(connection, cursor, "test_case_reference", sql, [case.pk])
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with connection.cursor() as cursor:
        execute_prepared(connection, cursor, "test_case_reference", sql, [case.pk])
        assert cursor.fetchone() == (case.reference,)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    case = CaseFactory()
    sql = 'SELECT "reference" FROM "cases_case" WHERE "id" = %s'
    with connection.cursor() as cursor:
        execute_prepared(connection, cursor, "test_case_reference_again", sql, [case.pk])
    connection.close()
    with connection.cursor() as cursor:
        execute_prepared(connection, cursor, "test_case_reference_again", sql, [case.pk])
        assert cursor.fetchone() == (case.reference,)


def test_elsewhere_statements_run_as_they_are():
    case = CaseFactory()
    with prepared_statements():
        assert Case.objects.filter(pk=case.pk).values_list("reference", flat=True).get() == (
            case.reference
        )


@pytest.mark.postgres
def test_past_the_limit_statements_run_as_they_are():
    cases = [CaseFactory() for _ in range(3)]
    deallocate_prepared()
    with CaptureQueriesContext(connection) as queries, prepared_statements():
        for number in range(MAX_PREPARED + 2):
            # A statement of its own each time: the number is part of the SQL.
            list(
                Case.objects.filter(pk__in=[case.pk for case in cases][: 1 + number % 3]).extra(
                    where=[f"{number} = {number}"]
                )
            )
    executed = [query["sql"].startswith("EXECUTE") for query in queries]
    assert executed.count(True) == MAX_PREPARED
    assert executed[-2:] == [False, False]
    deallocate_prepared()


def test_a_new_call_inserted_by_the_prepared_statement_reads_back_as_the_orm_saves_it(advocate):
    region = Region.objects.get(code="US-TX")
    fields = dict(
        advocate=advocate,
        channel="phone",
        caller_type="anonymous",
        reason="crisis",
        region=region,
        summary="Ünïcode summary",
    )
    fast = save_checked(Call(**fields), savepoint=False)
    slow = Call(**fields)
    slow.save()
    assert fast.pk and not fast._state.adding and fast._state.db == "default"
    stored_fast, stored_slow = Call.objects.get(pk=fast.pk), Call.objects.get(pk=slow.pk)
    for field in Call._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(stored_fast, field.attname), field.name
        if field.name not in ("id", "created_at", "updated_at", "started_at"):
            assert getattr(stored_fast, field.attname) == getattr(stored_slow, field.attname)
    assert stored_fast.created_at is not None and stored_fast.updated_at is not None


def test_a_model_with_a_save_of_its_own_is_saved_by_it(advocate):
    case = CaseFactory()
    event = CaseEvent(case=case, kind=CaseEvent._meta.get_field("kind").choices[0][0])
    assert not _insert_prepared(event)
    assert event._state.adding and event.pk is None  # nothing was written
    saved = Call.objects.create(channel="phone", caller_type="anonymous", reason="crisis")
    assert not _insert_prepared(saved)  # not new


def test_a_refused_row_is_still_reported_on_its_field(advocate):
    with pytest.raises(ValidationError) as refused:
        save_checked(Call(channel="fax", caller_type="anonymous", reason="crisis"))
    assert "channel" in refused.value.message_dict


def test_a_receiver_connected_later_still_hears_the_save(advocate):
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    save_checked(Call(channel="phone", caller_type="anonymous", reason="crisis"))
    signals.post_save.connect(receiver, sender=Call)
    try:
        call = save_checked(Call(channel="phone", caller_type="anonymous", reason="crisis"))
    finally:
        signals.post_save.disconnect(receiver, sender=Call)
    assert heard == [(call.pk, True)]


@pytest.mark.postgres
def test_a_statement_whose_parameters_postgres_would_read_as_text_runs_as_it_is():
    # Django checks a constraint with such a statement: prepared, 9 < 10 would compare
    # '9' < '10' as text, and be false.
    sql = "SELECT 1 WHERE COALESCE((%s < %s), true)"
    with transaction.atomic(), prepared_statements(), connection.cursor() as cursor:
        cursor.execute(sql, [9, 10])
        assert cursor.fetchall() == [(1,)]
        cursor.execute(sql, [9, 10])  # refused once, run as it is from then on
        assert cursor.fetchall() == [(1,)]
    case = CaseFactory(victim_count=3)
    half = Case.objects.filter(pk=case.pk).annotate(half=F("victim_count") * Value(0.5))
    with prepared_statements():
        assert half.values_list("half", flat=True).get() == 1.5


@pytest.mark.postgres
def test_a_server_side_cursor_inside_the_block_runs_as_it_is():
    cases = {CaseFactory().pk for _ in range(3)}
    with transaction.atomic(), prepared_statements():
        found = set(Case.objects.filter(pk__in=cases).values_list("pk", flat=True).iterator(2))
    assert found == cases
