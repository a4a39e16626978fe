"""Link review in the API (docs/linking.md, docs/api.md "Link review"): /api/v1/links/, the
link suggestions, with their two decisions, and /api/v1/clusters/, the clusters read-only.

The same rules as the pages at /links/ and /clusters/<id>/ (cases/views/links.py):

- suggestions are for whoever may review links (Permission.REVIEW_LINKS: supervisors); anyone
  else with a role gets 403. A suggestion naming a case the caller may not see
  (hotline.access.cases_for) does not exist for them: 404, as an unknown id;
- what matched is shown as the review page shows it: the identifier's value only where
  hotline.access.identifiers_for lets the caller see it, the two names for a name match, never
  the keyed hash; a venue match shows no name;
- the decisions call what the page calls, cases.linking.link_confirm and link_dismiss (and,
  when a cluster name is sent with a confirmation, cluster_rename, as the cluster page does),
  in one transaction; a suggestion already decided gets 409 `already_decided`;
- clusters are for hotline staff, with only the member cases they may see; a cluster of none
  of them is a 404.

Reads are audited as every resource's are (cases.api.views): a list writes one row for the
suggestions (or clusters) of the page and one for the cases they name; a read, one view row and
one row for the cases. The decisions are audited by the services. POSTs honour
Idempotency-Key (hotline/api/idempotency.py). A suggestion has no version and so no ETag: its
only change is the one decision, which the service makes once under a row lock; If-Match is
not asked for, as for the other POSTs.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import permissions, serializers
from rest_framework.decorators import action

from cases import linking
from cases.models import Case, Cluster, ClusterMembership, Identifier, LinkSuggestion
from hotline import access
from hotline.access import Permission
from hotline.api.errors import ApiError
from hotline.api.filters import MultipleChoiceFilter
from hotline.api.idempotency import idempotent
from hotline.api.pagination import Cursor
from hotline.api.resources import IDEMPOTENCY_HEADER
from hotline.api.serializers import TextField
from hotline.api.viewsets import ScopedViewSet
from hotline.audit import audit_list, audit_view

REFERENCE_REGEX = r"HT-[0-9]{4}-[0-9]{6}"
CLUSTER_NAME_MAX = Cluster._meta.get_field("name").max_length


# --- Who sees what ----------------------------------------------------------------------------


def _visible_cases(user):
    return access.cases_for(user, Case.objects.all()).values("pk")


def between_visible_cases(user, suggestions):
    """The suggestions between two cases `user` may both see: the condition of
    cases.selectors.link_suggestions_for, in every state."""
    on_a = access.case_records_for(user, suggestions, case_field="case_a")
    return access.case_records_for(user, on_a, case_field="case_b")


def suggestions_for(user, suggestions):
    """The scope of /api/v1/links/: nothing for those who may not review links; for those
    who may, the suggestions between two cases they may see."""
    if not access.may(user, Permission.REVIEW_LINKS):
        return suggestions.none()
    return between_visible_cases(user, suggestions)


def clusters_for(user, clusters):
    """Clusters holding at least one case `user` may see, for hotline staff (as
    cases.views.links.cluster_detail)."""
    if access.role_of(user) not in access.STAFF:
        return clusters.none()
    held = ClusterMembership.objects.filter(case__in=_visible_cases(user)).values("cluster")
    return clusters.filter(pk__in=held)


class MayReviewLinks(permissions.BasePermission):
    message = _("Your role may not review link suggestions.")

    def has_permission(self, request, view):
        return access.may(request.user, Permission.REVIEW_LINKS)


class IsStaff(permissions.BasePermission):
    message = _("Only hotline staff see clusters.")

    def has_permission(self, request, view):
        return access.role_of(request.user) in access.STAFF


# --- Serializers ------------------------------------------------------------------------------


class ClusterBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _membership_or_none(case):
    try:
        return case.cluster_membership
    except ClusterMembership.DoesNotExist:
        return None


class SuggestedCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    cluster = serializers.SerializerMethodField(help_text="The cluster the case is in now, if any.")

    @extend_schema_field(ClusterBriefSerializer(allow_null=True))
    def get_cluster(self, case):
        membership = _membership_or_none(case)  # joined by the viewset's refine()
        if membership is None:
            return None
        return {"id": membership.cluster_id, "name": membership.cluster.name}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A suggestion",
            value={
                "id": 41,
                "state": "open",
                "kind": "identifier",
                "detail": "phone",
                "score": 1.0,
                "case_a": {"reference": "HT-2026-000123", "status": "active", "cluster": None},
                "case_b": {
                    "reference": "HT-2026-000187",
                    "status": "referred",
                    "cluster": {"id": 3, "name": "Operation Harbor"},
                },
                "value": "+1 713 555 0147",
                "names": None,
                "created_at": "2026-11-28T16:40:00Z",
                "decided_at": None,
                "decided_by": None,
            },
            response_only=True,
        )
    ]
)
class LinkSuggestionSerializer(serializers.ModelSerializer):
    case_a = serializers.SerializerMethodField()
    case_b = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField(
        help_text="For an identifier match: the value as written on the first case, where the "
        "access rules let the caller see it; null otherwise."
    )
    names = serializers.SerializerMethodField(
        help_text="For a name match between two people: their two names; null otherwise."
    )

    class Meta:
        model = LinkSuggestion
        fields = [
            "id", "state", "kind", "detail", "score", "case_a", "case_b", "value", "names",
            "created_at", "decided_at", "decided_by",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SuggestedCaseSerializer)
    def get_case_a(self, suggestion):
        return SuggestedCaseSerializer(suggestion.case_a).data

    @extend_schema_field(SuggestedCaseSerializer)
    def get_case_b(self, suggestion):
        return SuggestedCaseSerializer(suggestion.case_b).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_value(self, suggestion):
        shown = self.context.get("shown_identifiers", frozenset())
        if suggestion.identifier_a_id is None or suggestion.identifier_a_id not in shown:
            return None
        return suggestion.identifier_a.value

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_names(self, suggestion):
        if suggestion.party_a_id is None or suggestion.party_b_id is None:
            return None
        return [suggestion.party_a.name, suggestion.party_b.name]


@extend_schema_serializer(
    examples=[
        OpenApiExample("Confirm", value={}, request_only=True),
        OpenApiExample(
            "Confirm and name the cluster",
            value={"cluster_name": "Operation Harbor"},
            request_only=True,
        ),
    ]
)
def _one_line(value):
    if linking.has_control_characters(value):
        raise serializers.ValidationError(linking.CONTROL_CHARACTERS_MESSAGE)


class LinkConfirmSerializer(serializers.Serializer):
    cluster_name = TextField(
        required=False,
        max_length=CLUSTER_NAME_MAX,
        validators=[_one_line],
        help_text="The name of the cluster the two cases are in afterwards, new or existing "
        "(as renaming it on its page); without it a new cluster is named after itself "
        '("Operation <its id>") and an existing one keeps its name.',
    )


@extend_schema_serializer(
    examples=[OpenApiExample("Dismiss", value={}, request_only=True)],
)
class LinkDismissSerializer(serializers.Serializer):
    """Nothing to send: an empty object, or no body."""


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A cluster",
            value={
                "id": 3,
                "name": "Operation Harbor",
                "created_at": "2026-11-28T16:41:00Z",
                "cases": ["HT-2026-000123", "HT-2026-000187"],
            },
            response_only=True,
        )
    ]
)
class ClusterSerializer(serializers.ModelSerializer):
    cases = serializers.SerializerMethodField(
        help_text="The references of its cases the caller may see, oldest first."
    )

    class Meta:
        model = Cluster
        fields = ["id", "name", "created_at", "cases"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cases(self, cluster):
        return [membership.case.reference for membership in cluster.visible_memberships]


# --- Filters ----------------------------------------------------------------------------------


class LinkSuggestionFilterSet(django_filters.FilterSet):
    state = MultipleChoiceFilter(
        choices=LinkSuggestion.State.choices, help_text="open, confirmed or dismissed."
    )
    kind = MultipleChoiceFilter(choices=LinkSuggestion.Kind.choices)
    case = django_filters.CharFilter(
        method="filter_case",
        max_length=14,
        validators=[RegexValidator(f"^{REFERENCE_REGEX}$", _("A case reference: HT-2026-000123."))],
        help_text="A case reference: the suggestions naming that case (either side).",
    )

    class Meta:
        model = LinkSuggestion
        fields = ["state", "kind", "case"]

    def filter_case(self, queryset, name, value):
        return queryset.filter(Q(case_a__reference=value) | Q(case_b__reference=value))


class ClusterFilterSet(django_filters.FilterSet):
    case = django_filters.CharFilter(
        method="filter_case",
        max_length=14,
        validators=[RegexValidator(f"^{REFERENCE_REGEX}$", _("A case reference: HT-2026-000123."))],
        help_text="A case reference: the cluster holding that case.",
    )

    class Meta:
        model = Cluster
        fields = ["case"]

    def filter_case(self, queryset, name, value):
        # Through the cases the caller may see only: a restricted case they may not see finds
        # nothing, as an unknown reference does (rather than telling it is in the cluster).
        user = getattr(self.request, "user", None)
        cases = access.cases_for(user, Case.objects.filter(reference=value)).values("pk")
        return queryset.filter(memberships__case__in=cases)


# --- Link suggestions -------------------------------------------------------------------------

ALREADY_DECIDED = OpenApiResponse(
    response={"$ref": "#/components/schemas/Error"},
    description="The suggestion was already confirmed or dismissed (error code "
    "already_decided); or a request with this Idempotency-Key is still being processed.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List link suggestions",
        description="Pairs of cases that may be about the same people, for supervisors: what "
        "matched (an identifier's kind and, where the caller may see it, its value; two "
        "names; a venue) and how strongly (1.0 for the same value). Only suggestions between "
        "two cases the caller may see. Filter by state (open, confirmed, dismissed), kind and "
        "case reference. Cursor-paginated, newest first, 50 a page (page_size up to 200); "
        "?ordering=-score for the strongest first.",
    ),
    retrieve=extend_schema(summary="Read a link suggestion"),
)
class LinkSuggestionViewSet(ScopedViewSet):
    queryset = LinkSuggestion.objects.all()
    scope = suggestions_for
    audit_kind = "linksuggestion"
    serializer_class = LinkSuggestionSerializer
    filterset_class = LinkSuggestionFilterSet
    pagination_class = Cursor
    permission_classes = [*ScopedViewSet.permission_classes, MayReviewLinks]
    ordering_fields = ["id", "score", "created_at"]
    ordering = ["-id"]
    http_method_names = ["get", "post", "head", "options"]

    def refine(self, queryset):
        return queryset.select_related(
            "case_a__cluster_membership__cluster",
            "case_b__cluster_membership__cluster",
            "identifier_a",
            "party_a",
            "party_b",
        )

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else kwargs.get("instance")
        if isinstance(rows, LinkSuggestion):
            rows = [rows]
        if isinstance(rows, list):
            self._shown = self.identifiers_shown(rows)
        return super().get_serializer(*args, **kwargs)

    _shown = frozenset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "shown_identifiers": self._shown}

    def identifiers_shown(self, rows):
        """Of the identifiers the rows name, those the caller may see (one query), as the
        review page decides."""
        ids = {row.identifier_a_id for row in rows if row.identifier_a_id is not None}
        if not ids:
            return frozenset()
        named = Identifier.objects.filter(pk__in=ids)
        visible = access.identifiers_for(self.request.user, named)
        if visible is named:  # the caller sees every identifier: no query needed
            return frozenset(ids)
        return frozenset(visible.values_list("pk", flat=True))

    def audit_rows(self, rows):
        super().audit_rows(rows)
        audit_list("case", sorted({pk for row in rows for pk in (row.case_a_id, row.case_b_id)}))

    def audit_view_kwargs(self, instance):
        return {"case_id": instance.case_a_id}

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        audit_view(instance, **self.audit_view_kwargs(instance))
        audit_list("case", [instance.case_a_id, instance.case_b_id])
        return self.respond_with(instance)

    # --- decisions --------------------------------------------------------------------------

    @extend_schema(
        summary="Confirm a link suggestion",
        description="The two cases are linked: they join one cluster, as on the review page "
        '(a new one, named "Operation <its id>", when neither is in a cluster; the one either '
        "is in; or, when they are in two, the larger, the other merged into it). With "
        "`cluster_name`, that cluster is given the name. Every case that changes cluster gets "
        "a timeline event. 409 when the suggestion was already decided. Send an "
        "Idempotency-Key so that a retry answers as the first time.",
        request=LinkConfirmSerializer,
        responses={200: LinkSuggestionSerializer, 409: ALREADY_DECIDED},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, *args, **kwargs):
        suggestion = self.get_object()
        body = LinkConfirmSerializer(data=self._body(request))
        body.is_valid(raise_exception=True)
        name = body.validated_data.get("cluster_name")

        def decide():
            with transaction.atomic():
                cluster = linking.link_confirm(actor=request.user, suggestion=suggestion)
                if name is not None:
                    linking.cluster_rename(actor=request.user, cluster=cluster, name=name)
            return self.respond_with(self.get_object())

        return idempotent(request, lambda: _refusing_decided(decide))

    @extend_schema(
        summary="Dismiss a link suggestion",
        description="The suggestion stays, dismissed: matching the same pair on the same "
        "value again never suggests it again. Both cases get a timeline event. 409 when the "
        "suggestion was already decided. Idempotency-Key as for confirming.",
        request=LinkDismissSerializer,
        responses={200: LinkSuggestionSerializer, 409: ALREADY_DECIDED},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, *args, **kwargs):
        suggestion = self.get_object()
        LinkDismissSerializer(data=self._body(request)).is_valid(raise_exception=True)

        def decide():
            linking.link_dismiss(actor=request.user, suggestion=suggestion)
            return self.respond_with(self.get_object())

        return idempotent(request, lambda: _refusing_decided(decide))

    @staticmethod
    def _body(request):
        data = request.data
        if data is None or data == "":
            return {}
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a JSON object (or no body).")]}
            )
        return data


def _refusing_decided(decide):
    """decide(), with the services' "already decided" as a 409 rather than a 400."""
    try:
        return decide()
    except DjangoValidationError as error:
        # The one refusal cases.linking._decide makes is about the field "suggestion".
        if "suggestion" in getattr(error, "error_dict", {}):
            raise ApiError(409, "already_decided", " ".join(error.messages)) from None
        raise


# --- Clusters ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List clusters",
        description="Operations: the cases a supervisor confirmed are linked. For hotline "
        "staff; a cluster is listed when the caller may see one of its cases, with the "
        "references of those it may see. Filter by case reference. Cursor-paginated.",
    ),
    retrieve=extend_schema(summary="Read a cluster"),
)
class ClusterViewSet(ScopedViewSet):
    queryset = Cluster.objects.all()
    scope = clusters_for
    audit_kind = "cluster"
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilterSet
    pagination_class = Cursor
    permission_classes = [*ScopedViewSet.permission_classes, IsStaff]
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["-id"]
    http_method_names = ["get", "head", "options"]

    def refine(self, queryset):
        members = (
            ClusterMembership.objects.filter(case__in=_visible_cases(self.request.user))
            .select_related("case")
            .order_by("case__opened_at", "case__pk")
        )
        return queryset.prefetch_related(
            Prefetch("memberships", queryset=members, to_attr="visible_memberships")
        )

    def audit_rows(self, rows):
        super().audit_rows(rows)
        audit_list("case", [m.case_id for row in rows for m in row.visible_memberships])

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        audit_view(instance)
        audit_list("case", [m.case_id for m in instance.visible_memberships])
        return self.respond_with(instance)
