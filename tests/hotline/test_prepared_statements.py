"""Statements prepared once per connection (hotline.db): on PostgreSQL the hot paths run
EXECUTE of a statement prepared on the first use, with the same results as the plain
statement; a statement PostgreSQL will not prepare still runs, and its refusal does not spoil
the transaction around it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from hotline.db import MAX_PREPARED, deallocate_prepared, execute_prepared, prepared_statements
from hotline.models import Call
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
