"""A page of the case list records which cases it showed in the audit trail. On PostgreSQL the
statement that reads the page's code lists writes that row too (hotline.audit.execute_listed):
one round trip instead of two, both or neither. Elsewhere the row is written first, then the
code lists are read; either way the row is the same."""

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext

from cases.api import serializers
from cases.api.serializers import case_codes
from hotline.db import deallocate_prepared
from hotline.models import AuditEntry
from tests.factories import CaseFactory
from tests.sql_helpers import statements

pytestmark = pytest.mark.django_db


def _listed(user):
    return AuditEntry.objects.filter(action="list", object_kind="case", user=user)


def test_a_page_of_cases_is_one_audit_row_with_the_ids_it_showed(api, advocate):
    cases = [CaseFactory(actor=advocate, assignee=advocate) for _ in range(3)]
    response = api(advocate).get("/api/v1/cases/", {"page_size": 2, "ordering": "-opened_at"})
    assert response.status_code == 200
    shown = [row["reference"] for row in response.json()["results"]]
    entry = _listed(advocate).get()
    by_pk = {case.pk: case.reference for case in cases}
    assert [by_pk[pk] for pk in entry.object_ids] == shown
    assert entry.request_id == response["X-Request-ID"]
    assert entry.ip == "127.0.0.1"


def test_an_empty_page_is_recorded_too(api, advocate):
    response = api(advocate).get("/api/v1/cases/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert _listed(advocate).get().object_ids == []


def test_the_row_and_the_code_lists_come_from_one_statement_on_postgresql(api, advocate):
    CaseFactory(actor=advocate, assignee=advocate)
    client = api(advocate)
    client.get("/api/v1/industries/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/cases/").status_code == 200
    audit_inserts = [sql for sql in statements(queries) if "hotline_auditentry" in sql]
    assert len(audit_inserts) == 1
    together = "cases_case_methods_of_control" in audit_inserts[0]
    assert together == (connection.vendor == "postgresql")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_of_the_code_lists_that_fails_writes_no_audit_row(advocate, monkeypatch):
    # Outside any transaction, as the API runs it: the one statement is both or neither.
    case = CaseFactory(actor=advocate)
    before = AuditEntry.objects.count()
    deallocate_prepared()
    failing = "SELECT which, case_id, code FROM (SELECT 0 AS which, 0 AS case_id, 1 / 0 AS code"
    monkeypatch.setattr(
        serializers, "_case_codes_sql", lambda *args: failing + " WHERE %s <> %s) codes"
    )
    with pytest.raises(DataError):
        case_codes([case.pk], audit_kind="case")
    deallocate_prepared()
    assert connection.get_autocommit()
    assert AuditEntry.objects.count() == before


def test_the_code_lists_read_with_the_audit_row_are_those_read_without(advocate):
    case = CaseFactory(actor=advocate)
    assert case_codes([case.pk], audit_kind="case") == case_codes([case.pk])
    assert AuditEntry.objects.filter(action="list", object_ids=[case.pk]).count() == 1
