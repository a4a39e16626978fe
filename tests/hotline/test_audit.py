"""The audit trail: one row per look, write and sign-in, no personal data, append-only."""

import pytest
from django.db import IntegrityError, connection, transaction

from cases import services as case_services
from hotline.audit import audit_list, audit_view
from hotline.models import AuditEntry
from hotline.models.audit import AuditAppendOnlyError
from tests.conftest import PASSWORD
from tests.factories import CaseFactory, TipFactory

pytestmark = pytest.mark.django_db


def test_a_case_write_is_audited_with_its_actor_and_case(advocate):
    case = CaseFactory(actor=advocate)
    party = case_services.party_add(actor=advocate, case=case, role="recruiter", name="Juan")
    entries = AuditEntry.objects.exclude(object_kind="user").order_by("pk")
    rows = list(entries.values_list("action", "object_kind", "object_id"))
    assert rows == [("create", "case", case.pk), ("create", "party", party.pk)]
    assert set(entries.values_list("user", "case_id")) == {(advocate.pk, case.pk)}


def test_intake_writes_are_audited(advocate):
    tip = TipFactory(submitted_by=advocate)
    entry = AuditEntry.objects.get(object_kind="tip")
    assert (entry.action, entry.object_id, entry.user) == ("create", tip.pk, advocate)


def test_a_read_and_a_list_are_one_row_each_with_the_ids(advocate):
    first, second = CaseFactory(actor=advocate), CaseFactory(actor=advocate)
    before = AuditEntry.objects.count()
    audit_view(first)
    audit_list("case", [first.pk, second.pk])
    view, listing = AuditEntry.objects.order_by("pk")[before:]
    assert (view.action, view.object_kind, view.object_id, view.case_id) == (
        "view",
        "case",
        first.pk,
        first.pk,
    )
    assert (listing.action, listing.object_ids) == ("list", [first.pk, second.pk])


def test_sign_ins_sign_outs_and_failures_are_audited_with_ip_and_request_id(client, advocate):
    assert not client.login(username="alice", password="wrong")
    client.post("/admin/login/", {"username": "alice", "password": PASSWORD, "next": "/admin/"})
    response = client.post("/admin/logout/")
    rows = list(AuditEntry.objects.order_by("pk"))
    assert [row.action for row in rows][-2:] == ["login", "logout"]
    login = rows[-2]
    assert (login.user, login.ip) == (advocate, "127.0.0.1")
    assert len(login.request_id) == 32
    assert response["X-Request-ID"] == rows[-1].request_id
    failed = AuditEntry.objects.filter(action="login_failed")
    assert failed.count() == 1 and failed.get().user == advocate


def test_a_failed_sign_in_for_an_unknown_name_stores_nothing_typed(client):
    client.post("/admin/login/", {"username": "hunter2-oops", "password": "x"})
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.user is None
    assert "hunter2" not in str(list(AuditEntry.objects.values()))


def test_audit_entries_cannot_be_changed_through_the_model(advocate):
    entry = AuditEntry.objects.get(object_kind="case", object_id=CaseFactory(actor=advocate).pk)
    with pytest.raises(AuditAppendOnlyError):
        entry.save()
    with pytest.raises(AuditAppendOnlyError):
        entry.delete()


@pytest.mark.postgres
def test_postgres_refuses_to_update_or_delete_audit_entries_even_in_raw_sql(advocate):
    entry = AuditEntry.objects.get(object_kind="case", object_id=CaseFactory(actor=advocate).pk)
    for statement in (
        "UPDATE hotline_auditentry SET action = 'view' WHERE id = %s",
        "DELETE FROM hotline_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_the_orm_refuses_bulk_changes_to_the_trail_and_the_timeline(advocate):
    from cases.models import CaseEvent

    CaseFactory(actor=advocate)
    for queryset in (AuditEntry.objects.all(), CaseEvent.objects.all()):
        with pytest.raises(TypeError, match="append-only"):
            queryset.update(at=None)
        with pytest.raises(TypeError, match="append-only"):
            queryset.delete()
    assert AuditEntry.objects.exists() and CaseEvent.objects.exists()


def test_the_database_refuses_to_update_an_audit_entry_in_raw_sql_on_any_database(advocate):
    entry = AuditEntry.objects.get(object_kind="case", object_id=CaseFactory(actor=advocate).pk)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE hotline_auditentry SET action = 'view' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_behind_trusted_proxies_the_client_is_read_from_their_entries_only(rf, settings):
    from hotline.audit import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2")
    request.META["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 203.0.113.9"
    settings.HOTLINE_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"
    settings.HOTLINE_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    assert client_ip(request) == "10.0.0.2"


def test_expired_sessions_are_cleared_by_the_periodic_task(client, advocate):
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from hotline.tasks import sessions_clear

    client.force_login(advocate)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(minutes=1))
    sessions_clear.delay()
    assert not Session.objects.exists()
