"""The second round of API speed-ups keeps what the slow ways did: the audit row written by a
prepared INSERT is the row the ORM would have written, serializers built from a per-class
prototype get fields of their own, and filters left out of one request do not leak into the
next."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from cases import services as case_services
from cases.api.serializers import IdentifierSerializer
from cases.models import Case, Priority
from hotline.audit import audit_list, audit_record, audit_view, request_begin, request_end
from hotline.models import AuditAction, AuditEntry
from tests.factories import CaseFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_an_audit_row_reads_back_as_the_entry_it_returns(rf, advocate):
    request = rf.get("/api/v1/cases/", REMOTE_ADDR="203.0.113.9")
    request.user = advocate
    token = request_begin(request)
    try:
        before = timezone.now()
        entry = audit_record(
            action=AuditAction.EXPORT,
            object_kind="case",
            object_ids=["3", 4],
            case_id=7,
            query={"metric": "cases", "by": ["region"]},
        )
    finally:
        request_end(token)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert not entry._state.adding and entry._state.db == stored._state.db
    for field in AuditEntry._meta.concrete_fields:
        assert getattr(entry, field.attname) == getattr(stored, field.attname), field.name
    assert stored.user == advocate and stored.ip == "203.0.113.9"
    assert stored.request_id == request.request_id and len(stored.request_id) == 32
    assert stored.object_ids == [3, 4] and stored.query == {"metric": "cases", "by": ["region"]}
    assert before <= stored.at <= timezone.now() + datetime.timedelta(seconds=1)


def test_an_audit_row_outside_a_request_has_no_one_and_no_address(advocate):
    case = CaseFactory(actor=advocate)
    viewed = audit_view(case)
    listed = audit_list("case", [case.pk])
    for entry in (viewed, listed):
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert (stored.user, stored.ip, stored.request_id) == (None, None, "")
    assert AuditEntry.objects.get(pk=viewed.pk).case_id == case.pk
    assert AuditEntry.objects.get(pk=listed.pk).object_ids == [case.pk]
    assert AuditEntry.objects.get(pk=listed.pk).query == {}


def test_two_serializers_of_one_class_never_share_a_field(advocate):
    first_case, second_case = CaseFactory(actor=advocate), CaseFactory(actor=advocate)
    party = PartyFactory(actor=advocate, case=first_case)
    request = APIRequestFactory().post("/")
    request.user = advocate
    first = IdentifierSerializer(context={"request": request, "case": first_case})
    second = IdentifierSerializer(context={"request": request, "case": second_case})
    assert first.fields["party"] is not second.fields["party"]
    assert first.fields["party"].parent is first and second.fields["party"].parent is second
    # Each narrowed its own copy: the first case's party is choosable in the first only.
    data = {"kind": "email", "value": "x@example.org", "party": party.pk}
    assert IdentifierSerializer(
        data=data, context={"request": request, "case": first_case}
    ).is_valid()
    refused = IdentifierSerializer(data=data, context={"request": request, "case": second_case})
    assert not refused.is_valid() and "party" in refused.errors
    # A serializer for an existing row makes its own `kind` read-only, no one else's.
    identifier = case_services.identifier_add(
        actor=advocate, case=first_case, kind="email", value="y@example.org"
    )
    editing = IdentifierSerializer(identifier, context={"request": request, "case": first_case})
    assert editing.fields["kind"].read_only
    assert not IdentifierSerializer(context={"request": request}).fields["kind"].read_only


def test_a_filter_left_out_of_one_request_is_applied_when_the_next_gives_it(api, supervisor):
    critical = CaseFactory(actor=supervisor, priority=Priority.CRITICAL)
    CaseFactory(actor=supervisor, priority=Priority.LOW)
    client = api(supervisor)

    def references(**query):
        response = client.get("/api/v1/cases/", query)
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    everything = set(Case.objects.values_list("reference", flat=True))
    assert len(everything) == 2
    assert references() == everything
    assert references(priority=Priority.CRITICAL) == {critical.reference}
    assert references() == everything
    assert references(status="new", priority=Priority.CRITICAL) == {critical.reference}
    assert references(status="closed", priority=Priority.CRITICAL) == set()
    assert client.get("/api/v1/cases/", {"status": "nonsense"}).status_code == 400
    assert references(status="new") == everything
    assert references() == everything
