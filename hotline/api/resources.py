"""The hotline app's own API resources: calls, tips, public tips and the reference data
(industries, regions, partner organisations). Registered by cases/api/urls.py, which holds the
one router."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from hotline import access, services
from hotline.access import Permission
from hotline.api.filters import (
    DateTimeRangeFilter,
    FilterSet,
    IdFilter,
    IndustryFilter,
    MultipleChoiceFilter,
    RegionFilter,
    SearchFilter,
    region_subtree,
)
from hotline.api.idempotency import idempotent
from hotline.api.pagination import Cursor, Pages
from hotline.api.serializers import CodeField, ModelSerializer
from hotline.api.throttles import PerClientThrottle, PublicTipThrottle
from hotline.api.viewsets import CreateMixin, ScopedViewSet, UpdateMixin
from hotline.models import Call, Code, Industry, PartnerOrganisation, Region, Role, Tip, Urgency


def everyone_with_a_role(user, queryset):
    """Reference data: every account with a role reads all of it."""
    return queryset if access.role_of(user) is not None else queryset.none()


def organisations_for(user, queryset):
    """Partner organisations: staff see all; a partner sees its own."""
    role = access.role_of(user)
    if role in access.STAFF:
        return queryset
    if role == Role.PARTNER and user.organisation_id is not None:
        return queryset.filter(pk=user.organisation_id)
    return queryset.none()


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique value (a UUID): sending the same request again with the same key "
    "returns the first response and creates nothing new; keys are kept 24 hours.",
)


# --- Reference data -----------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An industry",
            value={
                "code": "agriculture_animal_husbandry",
                "name": "Agriculture and animal husbandry",
                "form": "labor",
                "isic_section": "A",
            },
            response_only=True,
        )
    ]
)
class IndustrySerializer(ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "form", "isic_section"]


class IndustryFilterSet(FilterSet):
    form = django_filters.ChoiceFilter(choices=Industry.Form.choices)
    q = SearchFilter(fields=("code", "name"))

    class Meta:
        model = Industry
        fields = ["form", "q"]


@extend_schema_view(
    list=extend_schema(
        summary="List industries",
        description="The Polaris typology of trafficking industries, plus other and unknown; "
        "cases, tips and venues name one by its code.",
    ),
    retrieve=extend_schema(summary="Read an industry", description="One industry by its code."),
)
class IndustryViewSet(ScopedViewSet):
    queryset = Industry.objects.all()
    scope = everyone_with_a_role
    serializer_class = IndustrySerializer
    filterset_class = IndustryFilterSet
    pagination_class = Pages
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering_fields = ["position", "code", "name"]
    ordering = ["position", "name"]
    http_method_names = ["get", "head", "options"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A state",
            value={
                "code": "US-TX",
                "name": "Texas",
                "kind": "subdivision",
                "parent": "US",
                "country_code": "US",
                "census_region": "south",
            },
            response_only=True,
        )
    ]
)
class RegionSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "kind", "parent", "country_code", "census_region"]


class RegionFilterSet(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Region.Kind.choices)
    country = django_filters.CharFilter(
        field_name="country_code", max_length=2, help_text="ISO 3166-1 code: US, MX."
    )
    within = RegionFilter(
        method="filter_within", help_text="A region code: it and everything below it."
    )
    q = SearchFilter(fields=("code", "name"))

    class Meta:
        model = Region
        fields = ["kind", "country", "within", "q"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(region_subtree(value, field=""))


@extend_schema_view(
    list=extend_schema(
        summary="List regions",
        description="ISO 3166-1 countries and ISO 3166-2 subdivisions, as one tree. Filtering "
        "any list by a country includes its subdivisions.",
    ),
    retrieve=extend_schema(summary="Read a region", description="One region by its code."),
)
class RegionViewSet(ScopedViewSet):
    queryset = Region.objects.all()
    scope = everyone_with_a_role
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    pagination_class = Pages
    lookup_field = "code"
    lookup_value_regex = "[-A-Za-z0-9]+"
    ordering_fields = ["code", "name"]
    ordering = ["code"]
    http_method_names = ["get", "head", "options"]

    def refine(self, queryset):
        return queryset.select_related("parent")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A partner",
            value={
                "id": 3,
                "name": "Metro Police Human Trafficking Unit",
                "type": "LawEnforcement",
                "region": "US-TX",
                "is_active": True,
            },
            response_only=True,
        )
    ]
)
class OrganisationSerializer(ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = PartnerOrganisation
        fields = ["id", "name", "type", "region", "is_active"]


class OrganisationFilterSet(FilterSet):
    type = django_filters.ChoiceFilter(choices=PartnerOrganisation.Type.choices)
    region = RegionFilter()
    is_active = django_filters.BooleanFilter()
    q = SearchFilter(fields=("name",))

    class Meta:
        model = PartnerOrganisation
        fields = ["type", "region", "is_active", "q"]


@extend_schema_view(
    list=extend_schema(
        summary="List partner organisations",
        description="The organisations cases are referred to. Staff see all; a partner sees "
        "its own.",
    ),
    retrieve=extend_schema(summary="Read a partner organisation"),
)
class OrganisationViewSet(ScopedViewSet):
    queryset = PartnerOrganisation.objects.all()
    scope = organisations_for
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    pagination_class = Pages
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    http_method_names = ["get", "head", "options"]

    def refine(self, queryset):
        return queryset.select_related("region")


# --- Calls ----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A call",
            value={
                "id": 1042,
                "channel": "phone",
                "direction": "inbound",
                "started_at": "2026-11-29T14:05:00Z",
                "ended_at": "2026-11-29T14:17:00Z",
                "language": "es",
                "caller_type": "community_member",
                "reason": "trafficking_tip",
                "region": "US-TX",
                "summary": "Caller saw workers locked in a warehouse at night.",
                "urgency": 1,
                "advocate": 7,
                "created_at": "2026-11-29T14:17:30Z",
                "updated_at": "2026-11-29T14:17:30Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Log a call",
            value={
                "channel": "phone",
                "caller_type": "community_member",
                "reason": "trafficking_tip",
                "region": "US-TX",
                "summary": "Caller saw workers locked in a warehouse at night.",
                "urgency": 1,
            },
            request_only=True,
        ),
    ]
)
class CallSerializer(ModelSerializer):
    region = CodeField(queryset=Region.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Call
        fields = [
            "id", "channel", "direction", "started_at", "ended_at", "language", "caller_type",
            "reason", "region", "summary", "urgency", "advocate", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["advocate", "created_at", "updated_at"]
        # The web intake form's limits (cases/forms/intake.py).
        extra_kwargs = {"summary": {"max_length": 20_000}}


class CallFilterSet(FilterSet):
    started_at = DateTimeRangeFilter()
    channel = MultipleChoiceFilter(choices=Call.Channel.choices)
    caller_type = MultipleChoiceFilter(choices=Call.CallerType.choices)
    reason = MultipleChoiceFilter(choices=Call.Reason.choices)
    urgency = MultipleChoiceFilter(choices=Urgency.choices)
    region = RegionFilter()
    advocate = IdFilter(field_name="advocate_id", help_text="An account id.")
    q = SearchFilter(fields=("summary",))

    class Meta:
        model = Call
        fields = [
            "started_at", "channel", "caller_type", "reason", "urgency", "region", "advocate",
            "q",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List calls",
        description="Calls (signals): supervisors and admins see all, an advocate those they "
        "took and those of cases they see, partners none. Newest first; cursor-paginated.",
    ),
    retrieve=extend_schema(summary="Read a call"),
    create=extend_schema(
        summary="Log a call",
        description="Record a call as the signed-in advocate. Send an Idempotency-Key so that "
        "a retry never records it twice.",
        parameters=[IDEMPOTENCY_HEADER],
    ),
    partial_update=extend_schema(
        summary="Correct a call", description="Correct what was recorded about a call."
    ),
)
class CallViewSet(CreateMixin, UpdateMixin, ScopedViewSet):
    queryset = Call.objects.all()
    scope = access.calls_for
    audit_kind = "call"
    create_permission = Permission.LOG_INTAKE
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    pagination_class = Cursor
    ordering_fields = ["started_at", "urgency", "id"]
    ordering = ["-started_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # call_log returns the call it saved, its region the serializer's: answer with it.
    reload_created = False

    def refine(self, queryset):
        return queryset.select_related("region")

    def perform_create(self, serializer):
        return services.call_log(advocate=self.request.user, **serializer.validated_data)

    def check_update(self, instance):
        if not access.may(self.request.user, Permission.LOG_INTAKE):
            raise exceptions.PermissionDenied(_("Your role may not correct calls."))

    def perform_update(self, instance, serializer):
        return services.call_update(
            actor=self.request.user, call=instance, **serializer.validated_data
        )


# --- Tips -----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A tip",
            value={
                "reference": "T-K7QM-3XPA",
                "source": "partner",
                "call": None,
                "organisation": 3,
                "received_at": "2026-11-29T09:30:00Z",
                "observed": "Several young women driven to a motel every night by the same man.",
                "region": "US-TX",
                "address": "",
                "industry": "escort_services",
                "trafficking_type": "sex",
                "indicators": ["RestrictionOfMovement"],
                "people_mentioned": "",
                "urgency": 1,
                "triage_state": "new",
                "created_at": "2026-11-29T09:30:02Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Send a tip (partner)",
            value={
                "observed": "Several young women driven to a motel every night by the same man.",
                "region": "US-TX",
                "industry": "escort_services",
                "trafficking_type": "sex",
                "urgency": 1,
            },
            request_only=True,
        ),
    ]
)
class TipSerializer(ModelSerializer):
    region = CodeField(queryset=Region.objects.all(), required=False, allow_null=True)
    industry = CodeField(queryset=Industry.objects.all(), required=False, allow_null=True)
    indicators = CodeField(
        queryset=Code.objects.filter(list=Code.List.ILO_INDICATORS), many=True, required=False
    )
    call = serializers.PrimaryKeyRelatedField(
        queryset=Call.objects.none(),
        required=False,
        allow_null=True,
        help_text="For hotline staff: the call the tip came from (required for staff).",
    )

    class Meta:
        model = Tip
        fields = [
            "reference", "source", "call", "organisation", "received_at", "observed", "region",
            "address", "industry", "trafficking_type", "indicators", "people_mentioned",
            "urgency", "triage_state", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "source", "organisation", "triage_state", "created_at",
        ]  # fmt: skip
        # The web intake form's limits (cases/forms/intake.py).
        extra_kwargs = {
            "observed": {"max_length": 20_000},
            "address": {"max_length": 1_000},
            "people_mentioned": {"max_length": 10_000},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "call" in self.fields:
            # Only a call the sender may see can be named.
            self.fields["call"].queryset = access.calls_for(request.user, Call.objects.all())


class TipFilterSet(FilterSet):
    received_at = DateTimeRangeFilter()
    source = MultipleChoiceFilter(choices=Tip.Source.choices)
    triage_state = MultipleChoiceFilter(choices=Tip.TriageState.choices)
    trafficking_type = MultipleChoiceFilter(choices=Tip._meta.get_field("trafficking_type").choices)
    urgency = MultipleChoiceFilter(choices=Urgency.choices)
    industry = IndustryFilter()
    region = RegionFilter()
    organisation = IdFilter(field_name="organisation_id", help_text="A partner organisation's id.")
    q = SearchFilter(fields=("observed", "reference"))

    class Meta:
        model = Tip
        fields = [
            "received_at", "source", "triage_state", "trafficking_type", "urgency", "industry",
            "region", "organisation", "q",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List tips",
        description="Tips: supervisors and admins see all, an advocate those they recorded and "
        "those of cases they see, a partner those its organisation sent. Cursor-paginated.",
    ),
    retrieve=extend_schema(summary="Read a tip", description="One tip by its reference."),
    create=extend_schema(
        summary="Send a tip",
        description="A partner sends a tip for its organisation; hotline staff record the tip "
        "of a call (name the call). Send an Idempotency-Key so that a retry never records it "
        "twice.",
        parameters=[IDEMPOTENCY_HEADER],
    ),
    partial_update=extend_schema(
        summary="Correct a tip", description="Hotline staff correct what was recorded."
    ),
)
class TipViewSet(CreateMixin, UpdateMixin, ScopedViewSet):
    queryset = Tip.objects.all()
    scope = access.tips_for
    audit_kind = "tip"
    serializer_class = TipSerializer
    filterset_class = TipFilterSet
    pagination_class = Cursor
    lookup_field = "reference"
    lookup_value_regex = "[-A-Za-z0-9]+"
    ordering_fields = ["received_at", "urgency", "id"]
    ordering = ["-received_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def refine(self, queryset):
        return queryset.select_related("region", "industry").prefetch_related("indicators")

    def check_create(self):
        user = self.request.user
        if access.role_of(user) == Role.PARTNER and user.organisation_id is not None:
            return
        if not access.may(user, Permission.LOG_INTAKE):
            raise exceptions.PermissionDenied(_("Your role may not send tips."))

    def perform_create(self, serializer):
        user, data = self.request.user, dict(serializer.validated_data)
        if access.role_of(user) == Role.PARTNER:
            if data.pop("call", None) is not None:
                raise serializers.ValidationError({"call": _("Partners do not name calls.")})
            return services.tip_submit(
                source=Tip.Source.PARTNER,
                organisation=user.organisation,
                submitted_by=user,
                **data,
            )
        call = data.pop("call", None)
        if call is None:
            raise serializers.ValidationError(
                {"call": _("Name the call this tip came from (log the call first).")}
            )
        if Tip.objects.filter(call=call).exists():
            raise serializers.ValidationError({"call": _("This call already has its tip.")})
        return services.tip_submit(source=Tip.Source.CALL, call=call, submitted_by=user, **data)

    def check_update(self, instance):
        if not access.may(self.request.user, Permission.LOG_INTAKE):
            raise exceptions.PermissionDenied(_("Your role may not correct tips."))

    def perform_update(self, instance, serializer):
        data = dict(serializer.validated_data)
        if "call" in data:
            raise serializers.ValidationError({"call": _("A tip's call cannot be changed.")})
        data.pop("received_at", None)
        return services.tip_update(actor=self.request.user, tip=instance, **data)


# --- Public tips (anonymous) -----------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Report anonymously",
            value={
                "observed": "A restaurant where the cooks sleep in the storeroom.",
                "region": "US-CA",
                "industry": "restaurants_food_service",
                "urgency": 0,
            },
            request_only=True,
        ),
        OpenApiExample(
            "Received",
            value={"reference": "T-K7QM-3XPA", "received_at": "2026-11-29T09:30:00Z"},
            response_only=True,
        ),
    ]
)
class PublicTipSerializer(ModelSerializer):
    region = CodeField(queryset=Region.objects.all(), required=False, allow_null=True)
    industry = CodeField(queryset=Industry.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Tip
        fields = [
            "reference", "received_at", "observed", "region", "address", "industry",
            "trafficking_type", "people_mentioned", "urgency",
        ]  # fmt: skip
        read_only_fields = ["reference", "received_at"]
        # The public web form's limits (hotline/forms.py).
        extra_kwargs = {
            "address": {"write_only": True, "max_length": 1_000},
            "observed": {"write_only": True, "max_length": 10_000},
            "region": {"write_only": True},
            "industry": {"write_only": True},
            "trafficking_type": {"write_only": True},
            "people_mentioned": {"write_only": True, "max_length": 5_000},
            "urgency": {"write_only": True},
        }

    def validate_observed(self, value):
        if not value.strip():
            raise serializers.ValidationError(_("Say what you saw or heard."))
        return value


@extend_schema_view(
    create=extend_schema(
        summary="Report a tip anonymously",
        description="Anyone may report possible trafficking, without an account. Rate-limited "
        "per address (429 with Retry-After). The answer is the tip's reference only. Send an "
        "Idempotency-Key so that a retry never reports it twice.",
        parameters=[IDEMPOTENCY_HEADER],
        auth=[],
    )
)
class PublicTipViewSet(viewsets.GenericViewSet):
    """Anonymous tip intake: write only, nothing is read back but the new reference."""

    serializer_class = PublicTipSerializer
    permission_classes = [AllowAny]
    throttle_classes = [PerClientThrottle, PublicTipThrottle]
    http_method_names = ["post", "options"]
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Tip.objects.none()

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tip = services.tip_submit(source=Tip.Source.WEB_FORM, **serializer.validated_data)
        return Response(
            {
                "reference": tip.reference,
                "received_at": serializer.fields["received_at"].to_representation(tip.received_at),
            },
            status=status.HTTP_201_CREATED,
        )
