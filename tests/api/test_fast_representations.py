"""The fast paths of the API say exactly what the slow ones said.

A case (one, or a page of them) is represented by cases.api.serializers.CaseRepresentation, not
field by field by DRF; CaseSerializer stays the schema and keeps DRF's way as
serializer_representation, and the two must agree for staff and partners, in any time zone.
A logged call is answered with the instance the service saved, not read back: the answer must
be what reading it back gives."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.fields import DateTimeField
from rest_framework.test import APIRequestFactory

from cases import services as case_services
from cases.api.serializers import CaseSerializer, _write_datetimes, case_codes
from cases.models import Case
from hotline.models import AuditAction, AuditEntry, Code
from tests.factories import CaseFactory, code, region
from tests.sql_helpers import statements

pytestmark = pytest.mark.django_db

MOC = Code.List.METHODS_OF_CONTROL
TOE = Code.List.TYPES_OF_EXPLOITATION


def _context(user, shared=()):
    request = APIRequestFactory().get("/api/v1/cases/")
    request.user = user
    return {"request": request, "identities_shared": frozenset(shared)}


@pytest.fixture
def cases(advocate, organisation):
    """Cases with and without code lists, industry, region and a closing date; all referred
    to the partner's organisation, the first sharing identities."""
    moc = list(Code.objects.filter(list=MOC).order_by("-code")[:3])
    toe = list(Code.objects.filter(list=TOE)[:2])
    made = [
        CaseFactory(
            actor=advocate, team=advocate.team, methods_of_control=moc, exploitation_types=toe
        ),
        CaseFactory(actor=advocate, team=advocate.team, industry=None, region=None, summary=""),
        CaseFactory(
            actor=advocate,
            team=advocate.team,
            region=region("US-TX"),
            methods_of_control=[code(MOC, "DebtBondage")],
            assignee=advocate,
        ),
    ]
    for number, case in enumerate(made):
        case_services.referral_send(
            actor=advocate, case=case, organisation=organisation, reason="Other",
            shares_identities=number == 0,
        )  # fmt: skip
    return made


CLOSED_AT = datetime.datetime(2026, 11, 29, 23, 59, 1, 7, tzinfo=datetime.UTC)


def _one_closed(rows):
    """The second case as if closed (in memory: closing goes through the workflow)."""
    rows[1].closed_at = CLOSED_AT
    return rows


def _as_the_api_reads_them(cases):
    """The rows as the viewset gives them to the representation (annotated codes)."""
    return _one_closed(
        list(
            Case.objects.filter(pk__in=[case.pk for case in cases])
            .annotate(industry_code=F("industry__code"), region_code=F("region__code"))
            .order_by("pk")
        )
    )


def _as_drf_read_them(cases, closed=True):
    """The rows as the viewset used to give them to DRF's fields (joins and prefetches)."""
    rows = list(
        Case.objects.filter(pk__in=[case.pk for case in cases])
        .select_related("industry", "region")
        .prefetch_related("methods_of_control", "exploitation_types")
        .order_by("pk")
    )
    return _one_closed(rows) if closed else rows


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago"])
@pytest.mark.parametrize("who", ["advocate", "supervisor", "partner"])
def test_a_page_of_cases_reads_as_drf_s_fields_would_write_it(request, cases, who, zone):
    user = request.getfixturevalue(who)
    context = _context(user, shared=[cases[0].pk])
    with timezone.override(zone):
        fast = CaseSerializer(_as_the_api_reads_them(cases), many=True, context=context).data
        drf = [
            CaseSerializer(context=context).serializer_representation(case)
            for case in _as_drf_read_them(cases)
        ]
    assert fast == drf
    assert fast[0]["methods_of_control"] and fast[0]["exploitation_types"]
    assert fast[1]["closed_at"] is not None
    if who == "partner":
        assert [row["redacted"] for row in fast] == [[], ["summary"], ["summary"]]


def test_one_case_reads_as_drf_s_fields_would_write_it_even_without_annotations(cases, partner):
    context = _context(partner)
    for fast_row, drf_row in zip(_as_drf_read_them(cases), _as_drf_read_them(cases), strict=True):
        assert CaseSerializer(fast_row, context=context).data == CaseSerializer(
            context=context
        ).serializer_representation(drf_row)


def test_the_code_lists_keep_the_code_list_s_order(cases):
    case = cases[0]
    methods, types = case_codes([case.pk])[case.pk]
    assert methods == [c.code for c in case.methods_of_control.all()]
    assert types == [c.code for c in case.exploitation_types.all()]
    assert case_codes([]) == {}


def test_the_api_s_case_list_and_detail_agree_with_drf_s_fields(api, cases, advocate):
    client = api(advocate)
    listed = client.get("/api/v1/cases/", {"page_size": 50}).json()["results"]
    context = _context(advocate)
    expected = {
        case.reference: CaseSerializer(context=context).serializer_representation(case)
        for case in _as_drf_read_them(cases, closed=False)
    }
    assert {row["reference"]: row for row in listed} == expected
    for reference, row in expected.items():
        assert client.get(f"/api/v1/cases/{reference}/").json() == row


CALLS = [
    {"channel": "phone", "caller_type": "anonymous", "reason": "not_related"},
    {
        "channel": "phone",
        "caller_type": "community_member",
        "reason": "trafficking_tip",
        "region": "US-TX",
        "summary": "Caller saw workers locked in a warehouse at night.",
        "urgency": 1,
        "language": "es",
        "started_at": "2026-11-29T14:05:00.123456+02:00",
        "ended_at": "2026-11-29T14:17:00+02:00",
    },
]


@pytest.mark.parametrize("call", CALLS)
def test_a_logged_call_is_answered_as_it_reads_back(api, advocate, call):
    client = api(advocate)
    created = client.post("/api/v1/calls/", call, format="json")
    assert created.status_code == 201, created.content
    read = client.get(f"/api/v1/calls/{created.json()['id']}/")
    assert read.status_code == 200
    assert created.json() == read.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("call", CALLS)
def test_a_call_saved_with_its_audit_row_in_one_statement_reads_back_and_is_audited(
    api, advocate, call
):
    # Outside a test's transaction, as in production: the call and its audit row are one
    # statement (hotline.audit.insert_audited).
    client = api(advocate)
    with CaptureQueriesContext(connection) as queries:
        created = client.post("/api/v1/calls/", call, format="json", REMOTE_ADDR="2001:db8::7")
    assert created.status_code == 201, created.content
    assert any(
        sql.startswith('WITH new_row AS (INSERT INTO "hotline_call"') for sql in statements(queries)
    )
    read = client.get(f"/api/v1/calls/{created.json()['id']}/")
    assert created.json() == read.json()
    entry = AuditEntry.objects.get(
        action=AuditAction.CREATE, object_kind="call", object_id=created.json()["id"]
    )
    assert (entry.user_id, entry.ip, entry.request_id) == (
        advocate.pk,
        "2001:db8::7",
        created["X-Request-ID"],
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(timezones=st.just(datetime.UTC))), max_size=12))
def test_a_page_s_dates_written_at_once_are_what_drf_writes_one_by_one(values):
    field = DateTimeField()
    with timezone.override("UTC"):
        assert _write_datetimes(values) == [field.to_representation(value) for value in values]


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago"])
def test_dates_from_other_zones_or_in_another_zone_are_written_as_drf_writes_them(zone):
    field = DateTimeField()
    values = [
        datetime.datetime(2026, 11, 29, 23, 59, 1, 7, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 29, 23, 59, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5.5))),
        None,
    ]
    with timezone.override(zone):
        assert _write_datetimes(values) == [field.to_representation(value) for value in values]
