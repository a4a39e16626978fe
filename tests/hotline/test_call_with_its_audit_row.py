"""A call logged on its own (no tip, no intake key) outside a transaction, as the API logs
most calls, is saved with the audit row of its creation in one statement on PostgreSQL
(hotline.db.insert_with_follower): both rows or neither, one round trip instead of four. Inside
a transaction, and on other databases, the call and its audit row are saved one after the
other in the service's transaction, as before; either way the rows are the same."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline import services
from hotline.audit import insert_audited
from hotline.models import AuditAction, AuditEntry, Call, Region, User
from tests.factories import region
from tests.sql_helpers import statements


def _log(advocate, **fields):
    return services.call_log(
        advocate=advocate,
        channel="phone",
        caller_type="anonymous",
        reason="not_related",
        **fields,
    )


def _creation_rows(call):
    return list(
        AuditEntry.objects.filter(
            action=AuditAction.CREATE, object_kind="call", object_id=call.pk
        ).values_list("user_id", flat=True)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_call_alone_is_saved_with_its_audit_row_in_one_statement(advocate):
    texas = region("US-TX")
    _log(advocate)  # the connection's first: the statement is prepared
    with CaptureQueriesContext(connection) as queries:
        call = _log(advocate, region=texas, summary="A caller asking about visas.")
    sent = statements(queries)
    assert len(sent) == 1, sent
    assert sent[0].startswith('WITH new_row AS (INSERT INTO "hotline_call"')
    assert 'INSERT INTO "hotline_auditentry"' in sent[0]
    assert call.pk is not None and not call._state.adding and call.was_repeat is False
    saved = Call.objects.get(pk=call.pk)
    assert (saved.advocate_id, saved.region_id, saved.summary) == (
        advocate.pk,
        texas.pk,
        "A caller asking about visas.",
    )
    assert _creation_rows(call) == [advocate.pk]
    # As when saved one after the other: the call's times are taken before the audit row's.
    entry = AuditEntry.objects.get(object_kind="call", object_id=call.pk)
    assert saved.created_at <= entry.at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_constraint_refusal_is_the_same_error_and_leaves_neither_row(advocate):
    now = timezone.now()
    with pytest.raises(ValidationError, match="A call cannot end before it starts"):
        _log(advocate, started_at=now, ended_at=now - datetime.timedelta(minutes=1))
    assert not Call.objects.exists()
    assert not AuditEntry.objects.filter(object_kind="call").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_when_the_call_is_refused_at_commit_its_audit_row_is_not_saved_either(advocate):
    # A region that is not in the database, as if deleted meanwhile: the call's foreign key
    # fails when the statement commits, after both INSERTs ran.
    ghost = Region(pk=10**9, code="XX-GONE", name="Gone")
    ghost._state.adding = False
    with pytest.raises(IntegrityError):
        _log(advocate, region=ghost)
    assert not Call.objects.exists()
    assert not AuditEntry.objects.filter(object_kind="call").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_when_the_audit_row_is_refused_the_call_is_not_saved_either(advocate):
    # An account that is not in the database: the audit row's foreign key fails when the
    # statement commits, after both INSERTs ran.
    ghost = User(pk=10**9, username="ghost")
    ghost._state.adding = False
    call = Call(advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis")
    with pytest.raises(IntegrityError):
        insert_audited(call, object_kind="call", user=ghost)
    assert not Call.objects.exists()
    assert not AuditEntry.objects.filter(object_kind="call").exists()


@pytest.mark.django_db
def test_inside_a_transaction_the_call_and_its_audit_row_are_saved_as_before(advocate):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        call = _log(advocate)
    inserts = [sql for sql in statements(queries) if sql.startswith("INSERT")]
    assert [sql.split()[2] for sql in inserts] == ['"hotline_call"', '"hotline_auditentry"']
    assert _creation_rows(call) == [advocate.pk]


@pytest.mark.django_db(transaction=True)
def test_a_call_with_an_intake_key_is_saved_in_the_services_transaction(advocate):
    key = "7f1e0a52-5f0b-4a41-9d59-3b7c7f4f2a10"
    with CaptureQueriesContext(connection) as queries:
        first = _log(advocate, intake_key=key)
    inserts = [sql for sql in statements(queries) if sql.startswith(("INSERT", "WITH"))]
    assert [sql.split()[2] for sql in inserts] == ['"hotline_call"', '"hotline_auditentry"']
    again = _log(advocate, intake_key=key)
    assert again.pk == first.pk and again.was_repeat
    assert _creation_rows(first) == [advocate.pk]
