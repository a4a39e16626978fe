"""What the case resources look like. Partners get the redacted representation: the viewset
passes `identities_shared` (the cases whose referral to them shares identities) in the
context, and anything that could name a victim is blanked and listed in `redacted`."""

import collections
import datetime
import functools

import orjson
from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from cases.models import Case, CaseEvent, Identifier, Outcome, Party, Referral, Venue
from hotline import access
from hotline.api.serializers import CodeField, ModelSerializer
from hotline.audit import audit_list, execute_listed
from hotline.db import execute_prepared
from hotline.models import Code, Industry, PartnerOrganisation, Region, Role, Tip, User


def _is_partner(context):
    request = context.get("request")
    return request is not None and access.role_of(request.user) == Role.PARTNER


def _identities_visible(context, case_id):
    if not _is_partner(context):
        return True
    return case_id in context.get("identities_shared", ())


REDACTED_FIELD = serializers.ListField(
    child=serializers.CharField(),
    read_only=True,
    help_text="Fields left empty because the caller may not see them (partners without a "
    "referral that shares identities).",
)


class CaseListSerializer(serializers.ListSerializer):
    """A page of cases, represented all at once (one query for all their codes)."""

    def to_representation(self, data):
        rows = data.all() if hasattr(data, "all") else data
        return CaseRepresentation(self.context).many(list(rows))


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A case",
            value={
                "reference": "HT-2026-000123",
                "status": "referred",
                "closing_reason": "",
                "priority": 3,
                "trafficking_type": "labor",
                "industry": "agriculture_animal_husbandry",
                "region": "US-TX",
                "summary": "Farm workers whose passports are held by the crew leader.",
                "victim_count": 3,
                "methods_of_control": ["WithholdingOfDocuments"],
                "exploitation_types": [],
                "assignee": 7,
                "team": 2,
                "is_restricted": False,
                "opened_at": "2026-11-20T10:00:00Z",
                "closed_at": None,
                "updated_at": "2026-11-28T16:40:00Z",
                "version": 4,
                "redacted": [],
            },
            response_only=True,
        ),
        OpenApiExample(
            "Change a case (send If-Match)",
            value={"priority": 4, "status": "active"},
            request_only=True,
        ),
    ]
)
class CaseSerializer(ModelSerializer):
    # The schema and the validation of a case; its representation (one case or a page) is
    # CaseRepresentation's, which gives the same JSON as DRF's fields would
    # (serializer_representation, kept for the test that holds the two together) at a fraction
    # of the cost: a page of 50 cases is a thousand field conversions. (A comment: the
    # docstring would be the schema's description of a case.)

    industry = CodeField(queryset=Industry.objects.all(), required=False, allow_null=True)
    region = CodeField(queryset=Region.objects.all(), required=False, allow_null=True)
    methods_of_control = CodeField(
        queryset=Code.objects.filter(list=Code.List.METHODS_OF_CONTROL), many=True, required=False
    )
    exploitation_types = CodeField(
        queryset=Code.objects.filter(list=Code.List.TYPES_OF_EXPLOITATION),
        many=True,
        required=False,
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    redacted = REDACTED_FIELD

    class Meta:
        model = Case
        fields = [
            "reference", "status", "closing_reason", "priority", "trafficking_type", "industry",
            "region", "summary", "victim_count", "methods_of_control", "exploitation_types",
            "assignee", "team", "is_restricted", "opened_at", "closed_at", "updated_at",
            "version", "redacted",
        ]  # fmt: skip
        read_only_fields = ["reference", "team", "opened_at", "closed_at", "updated_at", "version"]
        list_serializer_class = CaseListSerializer

    def to_representation(self, instance):
        return CaseRepresentation(self.context).many([instance])[0]

    def serializer_representation(self, instance):
        """DRF's own representation, field by field (what CaseRepresentation must equal)."""
        data = super().to_representation(instance)
        redacted = []
        if _is_partner(self.context):
            # Who works the case inside the hotline is not a partner's business.
            data["assignee"], data["team"] = None, None
            if not _identities_visible(self.context, instance.pk):
                data["summary"] = ""
                redacted.append("summary")
        data["redacted"] = redacted
        return data


_DATETIME = serializers.DateTimeField(read_only=True)


def _iso_8601_in_a_zone():
    """Whether DRF writes datetimes as ISO 8601 in the current time zone (its default), the
    only configuration written here rather than by DRF's field."""
    return settings.USE_TZ and (api_settings.DATETIME_FORMAT or "").lower() == ISO_8601


def _datetime_writer():
    """DRF's DateTimeField.to_representation, with the current time zone looked up once for
    a page rather than once a value (the ISO 8601 output DRF is configured for; any other
    configuration goes through DRF's field)."""
    if not _iso_8601_in_a_zone():
        return lambda value: _DATETIME.to_representation(value) if value is not None else None
    zone = timezone.get_current_timezone()

    def write(value):
        if value is None:
            return None
        if timezone.is_naive(value):
            return _DATETIME.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _write_datetimes(values):
    """`values` (datetimes or None) as _datetime_writer writes them, all at once. When the
    current time zone is UTC and every value is read from the database in UTC (as Django's
    backends give them), the ISO 8601 text DRF writes is what orjson writes with its "Z"
    option: one call for a page's 150 dates, a tenth of writing them one by one."""
    if (
        _iso_8601_in_a_zone()
        and getattr(timezone.get_current_timezone(), "key", None) == "UTC"
        and all(value is None or value.tzinfo is datetime.UTC for value in values)
    ):
        return orjson.loads(orjson.dumps(values, option=orjson.OPT_UTC_Z))
    write = _datetime_writer()
    return [write(value) for value in values]


def _code(case, field):
    """The code of a case's industry or region: annotated by the viewset (`industry_code`),
    or from the related row."""
    annotated = f"{field}_code"
    if annotated in case.__dict__:
        return case.__dict__[annotated]
    return getattr(case, field).code if getattr(case, f"{field}_id") is not None else None


# The columns a case's representation is made of, as the list reads them with
# `.values_list(named=True)` (CaseViewSet.list_rows; the codes are annotated by
# CaseViewSet.refine): named tuples, which the database's rows become at a fraction of the
# cost of dictionaries.
CASE_COLUMNS = (
    "pk", "reference", "status", "closing_reason", "priority", "trafficking_type",
    "industry_code", "region_code", "summary", "victim_count", "assignee_id", "team_id",
    "is_restricted", "opened_at", "closed_at", "updated_at", "version",
)  # fmt: skip
CaseColumns = collections.namedtuple("CaseColumns", CASE_COLUMNS)


def _columns(case):
    """A case as CASE_COLUMNS: a row the list read as it is, a model instance read out."""
    if isinstance(case, tuple):
        return case
    return CaseColumns(
        **{name: getattr(case, name) for name in CASE_COLUMNS if not name.endswith("_code")},
        industry_code=_code(case, "industry"),
        region_code=_code(case, "region"),
    )


class CaseRepresentation:
    """Cases as the API shows them, built directly from the rows (model instances, or plain
    named rows of CASE_COLUMNS as the list reads them): plain values, the codes of the
    industry and region (annotated on the rows), the code lists in one query for all the
    cases (instead of two prefetches), dates as DRF writes them, and the partner's
    redaction."""

    def __init__(self, context):
        self.context = context
        self.partner = _is_partner(context)

    def many(self, cases, *, audit_kind=None):
        """The cases' representations; with `audit_kind`, the list is recorded in the audit
        trail (audit_list) by the statement that reads the code lists (case_codes)."""
        cases = [_columns(case) for case in cases]
        codes = case_codes([case.pk for case in cases], audit_kind=audit_kind)
        dates = iter(
            _write_datetimes(
                [
                    date
                    for case in cases
                    for date in (case.opened_at, case.closed_at, case.updated_at)
                ]
            )
        )
        rows = []
        for case in cases:
            moc, toe = codes.get(case.pk, ((), ()))
            row = {
                "reference": case.reference,
                "status": case.status,
                "closing_reason": case.closing_reason,
                "priority": case.priority,
                "trafficking_type": case.trafficking_type,
                "industry": case.industry_code,
                "region": case.region_code,
                "summary": case.summary,
                "victim_count": case.victim_count,
                "methods_of_control": list(moc),
                "exploitation_types": list(toe),
                "assignee": case.assignee_id,
                "team": case.team_id,
                "is_restricted": case.is_restricted,
                "opened_at": next(dates),
                "closed_at": next(dates),
                "updated_at": next(dates),
                "version": case.version,
                "redacted": [],
            }
            if self.partner:
                # Who works the case inside the hotline is not a partner's business.
                row["assignee"], row["team"] = None, None
                if not _identities_visible(self.context, case.pk):
                    row["summary"] = ""
                    row["redacted"] = ["summary"]
            rows.append(row)
        return rows


def case_codes(case_ids, *, audit_kind=None):
    """{case id: (methods of control, types of exploitation)}, each a list of codes in the
    code list's order (Code's Meta.ordering, as a prefetch would give them), in one query.
    With `audit_kind`, the same statement writes the list's audit row
    (hotline.audit.execute_listed)."""
    if not case_ids:
        if audit_kind is not None:
            audit_list(audit_kind, [])
        return {}
    connection = connections[router.db_for_read(Case)]
    # On PostgreSQL the ids go in one array parameter, so that one statement, prepared once
    # per connection, serves a page of any length. It is sent as the array's text ("{1,2}"),
    # which PostgreSQL reads as the column's array type: psycopg2 would adapt a list element
    # by element, which cost more than the rest of the query.
    by_array = connection.vendor == "postgresql"
    sql = _case_codes_sql(connection, 1 if by_array else len(case_ids), by_array)
    if by_array:
        ids = "{" + ",".join(str(int(case_id)) for case_id in case_ids) + "}"
        params = [ids, ids]
    else:
        params = [*case_ids, *case_ids]
    found = {}
    name = "cases_case_codes_ordered"
    with connection.cursor() as cursor:
        if audit_kind is not None:
            execute_listed(connection, cursor, name, sql, params, kind=audit_kind, ids=case_ids)
        else:
            execute_prepared(connection, cursor, name, sql, params)
        for which, case_id, value in cursor.fetchall():
            found.setdefault(case_id, ([], []))[which].append(value)
    return found


@functools.lru_cache(maxsize=64)
def _case_codes_sql_for(vendor, quote_name, count, by_array):
    qn = quote_name
    code = Code._meta
    # Code's Meta.ordering (list, position, label): columns of the union named order_0...,
    # to order by without sending them.
    order = [(name.lstrip("-"), name.startswith("-")) for name in code.ordering]
    columns = ", ".join(
        f"c.{qn(code.get_field(name).column)} AS order_{number}"
        for number, (name, _) in enumerate(order)
    )
    parts = []
    for which, field in enumerate(("methods_of_control", "exploitation_types")):
        through = Case._meta.get_field(field).remote_field.through._meta
        case_column = through.get_field("case").column
        code_column = through.get_field("code").column
        among = "= ANY(%s)" if by_array else f"IN ({', '.join(['%s'] * count)})"
        parts.append(
            f"SELECT {which} AS which, t.{qn(case_column)} AS case_id, {columns}, "
            f"c.{qn(code.get_field('code').column)} AS code "
            f"FROM {qn(through.db_table)} t INNER JOIN {qn(code.db_table)} c "
            f"ON c.{qn(code.pk.column)} = t.{qn(code_column)} "
            f"WHERE t.{qn(case_column)} {among}"
        )
    ordering = ", ".join(
        f"order_{number}{' DESC' if descending else ''}"
        for number, (_, descending) in enumerate(order)
    )
    return (
        f"SELECT which, case_id, code FROM ({' UNION ALL '.join(parts)}) codes "
        f"ORDER BY which, case_id, {ordering}"
    )


def _case_codes_sql(connection, count, by_array):
    return _case_codes_sql_for(connection.vendor, connection.ops.quote_name, count, by_array)


class CaseCreateSerializer(CaseSerializer):
    tip = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Tip.objects.none(),
        required=False,
        allow_null=True,
        write_only=True,
        help_text="Open the case from this tip (its reference): the case takes the tip's "
        "place, industry, type, urgency, call and identifiers.",
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "tip"]
        read_only_fields = [*CaseSerializer.Meta.read_only_fields, "status", "closing_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["tip"].queryset = access.tips_for(request.user, Tip.objects.all())


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A party (redacted for a partner)",
            value={
                "id": 11,
                "kind": "person",
                "role": "potential_victim",
                "name": "",
                "aliases": "",
                "date_of_birth": None,
                "age_band": "18-20",
                "gender": "Feminine",
                "is_minor": False,
                "citizenship": "MX",
                "description": "",
                "created_at": "2026-11-20T10:05:00Z",
                "redacted": ["aliases", "date_of_birth", "description", "name"],
            },
            response_only=True,
        ),
        OpenApiExample(
            "Add a party",
            value={"role": "recruiter", "name": "J. Doe", "gender": "Masculine"},
            request_only=True,
        ),
    ]
)
class PartySerializer(ModelSerializer):
    redacted = REDACTED_FIELD

    class Meta:
        model = Party
        fields = [
            "id", "kind", "role", "name", "aliases", "date_of_birth", "age_band", "gender",
            "is_minor", "citizenship", "description", "created_at", "redacted",
        ]  # fmt: skip
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        hidden = access.hidden_party_fields(
            self.context["request"].user,
            instance,
            identities=_identities_visible(self.context, instance.case_id),
        )
        for field in sorted(hidden):
            data[field] = None if field == "date_of_birth" else ""
        data["redacted"] = sorted(hidden)
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An identifier",
            value={
                "id": 31,
                "kind": "phone",
                "platform": "",
                "value": "(512) 555-0199",
                "normalised": "+15125550199",
                "party": 12,
                "created_at": "2026-11-20T10:06:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Add an identifier",
            value={"kind": "phone", "value": "(512) 555-0199", "party": 12},
            request_only=True,
        ),
    ]
)
class IdentifierSerializer(ModelSerializer):
    party = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Identifier
        fields = ["id", "kind", "platform", "value", "normalised", "party", "created_at"]
        read_only_fields = ["normalised", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            self.fields["party"].queryset = Party.objects.filter(case=case)
        if self.instance is not None and not isinstance(self.instance, list):
            self.fields["kind"].read_only = True


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A venue",
            value={
                "id": 5,
                "name": "Green Acres Farm",
                "industry": "agriculture_animal_husbandry",
                "region": "US-TX",
                "address": "County Road 9",
                "created_at": "2026-11-20T10:07:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Add a venue",
            value={
                "name": "Green Acres Farm",
                "industry": "agriculture_animal_husbandry",
                "region": "US-TX",
            },
            request_only=True,
        ),
    ]
)
class VenueSerializer(ModelSerializer):
    industry = CodeField(queryset=Industry.objects.all(), required=False, allow_null=True)
    region = CodeField(queryset=Region.objects.all(), required=False, allow_null=True)

    redacted = REDACTED_FIELD

    class Meta:
        model = Venue
        fields = ["id", "name", "industry", "region", "address", "created_at", "redacted"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        redacted = []
        # A venue can be where a victim lives; its name, a business's, names no one.
        if not _identities_visible(self.context, instance.case_id):
            data["address"] = ""
            redacted.append("address")
        data["redacted"] = redacted
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A referral",
            value={
                "id": 8,
                "organisation": 3,
                "reason": "LawEnforcementReport",
                "status": "accepted",
                "sent_at": "2026-11-21T09:00:00Z",
                "due_at": "2026-11-22T09:00:00Z",
                "responded_at": "2026-11-21T15:30:00Z",
                "shares_identities": False,
                "notes": "",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Answer a referral (partner)", value={"status": "accepted"}, request_only=True
        ),
    ]
)
class ReferralSerializer(ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=PartnerOrganisation.objects.filter(is_active=True)
    )

    class Meta:
        model = Referral
        fields = [
            "id", "organisation", "reason", "status", "sent_at", "due_at", "responded_at",
            "shares_identities", "notes",
        ]  # fmt: skip
        read_only_fields = ["sent_at", "responded_at"]
        extra_kwargs = {"status": {"required": False}}

    def validate(self, attrs):
        if self.instance is None and attrs.get("status", Referral.Status.SENT) != "sent":
            raise serializers.ValidationError({"status": _("A new referral is sent.")})
        changed_organisation = (
            self.instance is not None
            and "organisation" in attrs
            and attrs["organisation"].pk != self.instance.organisation_id
        )
        if changed_organisation:
            raise serializers.ValidationError(
                {"organisation": _("A referral's organisation cannot change.")}
            )
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An outcome",
            value={
                "id": 2,
                "kind": "investigation_opened",
                "occurred_on": "2026-11-25",
                "agency": "Metro PD",
                "referral": 8,
                "notes": "",
                "recorded_at": "2026-11-25T12:00:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Record an outcome",
            value={"kind": "investigation_opened", "occurred_on": "2026-11-25", "referral": 8},
            request_only=True,
        ),
    ]
)
class OutcomeSerializer(ModelSerializer):
    referral = serializers.PrimaryKeyRelatedField(
        queryset=Referral.objects.none(), required=False, allow_null=True
    )
    redacted = REDACTED_FIELD

    class Meta:
        model = Outcome
        fields = [
            "id", "kind", "occurred_on", "agency", "referral", "notes", "recorded_at", "redacted",
        ]  # fmt: skip
        read_only_fields = ["recorded_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            referrals = Referral.objects.filter(case=case)
            if _is_partner(self.context):
                # A partner speaks for its own organisation's referrals only.
                referrals = referrals.filter(
                    organisation_id=self.context["request"].user.organisation_id
                )
            self.fields["referral"].queryset = referrals

    def to_representation(self, instance):
        data = super().to_representation(instance)
        redacted = []
        if _is_partner(self.context) and data["referral"] is not None:
            # Which other organisations the case went to is not a partner's business.
            if not hasattr(self, "_own_referrals"):
                queryset = self.fields["referral"].queryset
                self._own_referrals = set(queryset.values_list("pk", flat=True))
            if data["referral"] not in self._own_referrals:
                data["referral"] = None
        # Notes are free text and may name a victim, as a case's summary may.
        if not _identities_visible(self.context, instance.case_id):
            data["notes"] = ""
            redacted.append("notes")
        data["redacted"] = redacted
        return data


@extend_schema_field(
    {"type": "object", "additionalProperties": True, "description": "Ids, codes and field names."}
)
class EventDataField(serializers.JSONField):
    pass


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A timeline event",
            value={
                "id": 77,
                "kind": "status_changed",
                "actor": 7,
                "at": "2026-11-21T09:00:00Z",
                "data": {"previous": "active", "status": "referred", "closing_reason": ""},
            },
            response_only=True,
        ),
    ]
)
class EventSerializer(ModelSerializer):
    data = EventDataField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor", "at", "data"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if _is_partner(self.context):
            # Who did what inside the hotline is not a partner's business.
            data["actor"] = None
        return data
