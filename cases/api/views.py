"""The case resources: /api/v1/cases/ and, below a case, its parties, identifiers, venues,
referrals, outcomes and timeline events. Thin: they scope through hotline.access (the base
viewset), validate with the serializers and write through cases.services."""

from functools import cached_property

from django.db.models import F, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers

from cases import services
from cases.api import filters
from cases.api.serializers import (
    CASE_COLUMNS,
    CaseCreateSerializer,
    CaseRepresentation,
    CaseSerializer,
    EventSerializer,
    IdentifierSerializer,
    OutcomeSerializer,
    PartySerializer,
    ReferralSerializer,
    VenueSerializer,
)
from cases.models import Case, CaseEvent, Identifier, Outcome, Party, Referral, Venue
from cases.workflow import CLOSED_STATUSES
from hotline import access
from hotline.access import Action, Permission
from hotline.api.concurrency import etag, if_match_version, stale
from hotline.api.pagination import Cursor, Pages
from hotline.api.resources import IDEMPOTENCY_HEADER
from hotline.api.viewsets import CreateMixin, ScopedViewSet, UpdateMixin, row_pk
from hotline.models import Role

IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you edited, e.g. "4": 412 if the case changed since, '
    "428 if missing.",
)
CASE_REFERENCE = OpenApiParameter(
    "case_reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The case's reference, e.g. HT-2026-000123.",
)
REFERENCE_REGEX = r"HT-[0-9]{4}-[0-9]{6}"


def identities_shared(user, case_ids):
    """Of `case_ids`, those whose identities `user` sees: all for staff; for a partner, those
    referred to it with identities shared (one query for a whole page)."""
    if access.role_of(user) != Role.PARTNER:
        return frozenset(case_ids)
    shared = Case.objects.filter(access.identities_shared_rule(user), pk__in=list(case_ids))
    return frozenset(shared.values_list("pk", flat=True))


# --- Cases ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="The cases the caller may see: a partner, those referred to its "
        "organisation (not by a referral it declined); an advocate, their team's and their "
        "own; supervisors and admins, all. Filter by status, priority, type, industry, region "
        "(a country includes its subdivisions), assignee, organisation, dates and text. "
        "Cursor-paginated, 50 a page (page_size up to 200).",
    ),
    retrieve=extend_schema(
        summary="Read a case",
        description="One case by its reference. The ETag header carries its version: send it "
        "back in If-Match to change the case.",
    ),
    create=extend_schema(
        summary="Open a case",
        description="Open a case (advocates and supervisors), or open it from a tip. Send an "
        "Idempotency-Key so that a retry never opens it twice.",
        parameters=[IDEMPOTENCY_HEADER],
        request=CaseCreateSerializer,
        responses={201: CaseSerializer},
    ),
    update=extend_schema(
        summary="Change a case",
        description="Requires If-Match with the case's ETag: 412 when someone changed it since "
        "(nothing is changed), 428 when If-Match is missing. Closing needs a supervisor, "
        "assigning and restricting too.",
        parameters=[IF_MATCH_HEADER],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a case",
        description="As PUT, with only the fields to change. Requires If-Match.",
        parameters=[IF_MATCH_HEADER],
    ),
)
class CaseViewSet(CreateMixin, UpdateMixin, ScopedViewSet):
    queryset = Case.objects.all()
    scope = access.cases_for
    audit_kind = "case"
    create_permission = Permission.OPEN_CASE
    serializer_class = CaseSerializer
    filterset_class = filters.CaseFilterSet
    pagination_class = Cursor
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_REGEX
    compiled_lookup = True
    # Not industry or region: their codes are looked up (and refused) in the database.
    pages_kept_for = frozenset(
        {
            *("status", "priority", "trafficking_type", "assignee", "team", "organisation"),
            *("referral_status", "is_restricted", "q", "ordering", "page_size"),
            *(
                f"{field}_{end}"
                for field in ("opened_at", "updated_at", "closed_at")
                for end in ("after", "before")
            ),
        }
    )
    ordering_fields = ["opened_at", "updated_at", "priority", "reference"]
    ordering = ["-opened_at"]

    def refine(self, queryset):
        # What the representation shows of the industry and region is their code; the code
        # lists come with it, one query for a whole page (cases.api.serializers.case_codes).
        return queryset.annotate(industry_code=F("industry__code"), region_code=F("region__code"))

    def get_serializer_class(self):
        return CaseCreateSerializer if self.action == "create" else CaseSerializer

    def list_rows(self, queryset):
        # The page as plain rows: what the representation shows, and nothing else.
        return queryset.values_list(*CASE_COLUMNS, named=True)

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else kwargs.get("instance")
        if rows is not None:
            self._share(rows if isinstance(rows, list) else [rows])
        return super().get_serializer(*args, **kwargs)

    def _share(self, rows):
        """Note which of `rows` have their identities shared with the user (the context's
        `identities_shared`)."""
        self._shared = identities_shared(self.request.user, [row_pk(row) for row in rows])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "identities_shared": self._shared}

    def audit_rows(self, rows):
        pass  # by the statement that reads the page's code lists (represent_rows)

    def represent_rows(self, rows):
        # What CaseListSerializer does, without building a list serializer and a case
        # serializer for each page only to reach it; the page's audit row is written by the
        # statement that reads its code lists (one round trip less).
        self._share(rows)
        context = self.get_serializer_context()
        return CaseRepresentation(context).many(rows, audit_kind=self.audit_kind)

    _shared = frozenset()

    def respond_with(self, instance, status_code=200, headers=None):
        return super().respond_with(
            instance, status_code, {**(headers or {}), "ETag": etag(instance.version)}
        )

    def location(self, instance):
        return f"/api/v1/cases/{instance.reference}/"

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        user, tip = self.request.user, data.pop("tip", None)
        role = access.role_of(user)
        if data.get("is_restricted") and role != Role.SUPERVISOR:
            raise exceptions.PermissionDenied(_("Only a supervisor may restrict a case."))
        assignee = data.get("assignee")
        if assignee is not None and assignee != user and role != Role.SUPERVISOR:
            raise exceptions.PermissionDenied(_("Only a supervisor may assign a case to others."))
        if assignee is None and user.team_id is not None:
            # A case opened without an assignee goes to the opener's team, so that the opener
            # (who sees their team's cases) can go on working it.
            data["team"] = user.team
        if tip is not None:
            return services.case_open_from_tip(actor=user, tip=tip, **data)
        return services.case_open(actor=user, **data)

    def update(self, request, *args, **kwargs):
        # The version is asked for before anything else: a client that sends no If-Match
        # learns that first, whatever else is wrong with its request.
        instance = self.get_object()
        if not access.can_on_visible(request.user, Action.CHANGE, instance):
            raise exceptions.PermissionDenied(_("Your role may not change this case."))
        self._expected_version = if_match_version(request, current=instance.version)
        if self._expected_version != instance.version:
            raise stale(instance.version)
        return super().update(request, *args, **kwargs)

    def check_update(self, instance):
        pass  # checked in update(), before If-Match

    def perform_update(self, instance, serializer):
        data = dict(serializer.validated_data)
        user = self.request.user
        for needed, asked in (
            (Action.ASSIGN, "assignee" in data and data["assignee"] != instance.assignee),
            (
                Action.RESTRICT,
                "is_restricted" in data and data["is_restricted"] != instance.is_restricted,
            ),
            (Action.APPROVE_CLOSURE, data.get("status") in CLOSED_STATUSES),
        ):
            if asked and not access.can_on_visible(user, needed, instance):
                raise exceptions.PermissionDenied(
                    _("Your role may not %(action)s this case.")
                    % {"action": needed.replace("_", " ")}
                )
        if "assignee" in data and data["assignee"] == instance.assignee:
            data.pop("assignee")
        edit = {
            "status": data.pop("status", None),
            "closing_reason": data.pop("closing_reason", "") or "",
        }
        if "assignee" in data:
            edit["assignee"] = data.pop("assignee")
        try:
            return services.case_edit(
                actor=user,
                case=instance,
                expected_version=self._expected_version,
                **edit,
                **data,
            )
        except services.CaseChanged as changed:
            raise stale(changed.case.version) from None


# --- Below a case -----------------------------------------------------------------------------


class BelowACase:
    """A list below one case: the case is fetched through cases_for (404 when the caller may
    not see it), and the rows through the viewset's scope."""

    pagination_class = Pages
    scope = staticmethod(access.case_records_for)
    # What the caller must be allowed to do to the case to add or change rows here.
    write_action = Action.CHANGE

    @cached_property
    def case(self):
        reference = self.kwargs.get("case_reference", "")
        case = access.cases_for(self.request.user, Case.objects.all()).filter(reference=reference)
        case = case.first()
        if case is None:
            raise exceptions.NotFound(_("No such case."))
        return case

    def refine(self, queryset):
        return queryset.filter(case=self.case)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.kwargs.get("case_reference") and getattr(self, "request", None) is not None:
            context["case"] = self.case
            context["identities_shared"] = identities_shared(self.request.user, [self.case.pk])
        return context

    def audit_view_kwargs(self, instance):
        return {"case_id": self.case.pk}

    def check_create(self):
        self.check_write()

    def check_update(self, instance):
        self.check_write()

    def check_write(self):
        if not access.can_on_visible(self.request.user, self.write_action, self.case):
            raise exceptions.PermissionDenied(_("Your role may not change this case."))

    def location(self, instance):
        return f"{self.request.path.rstrip('/')}/{instance.pk}/"


class CaseChildViewSet(BelowACase, CreateMixin, UpdateMixin, ScopedViewSet):
    abstract = True
    http_method_names = ["get", "post", "patch", "head", "options"]


def _child_schema(name, plural, extra=""):
    return extend_schema_view(
        list=extend_schema(
            summary=f"List a case's {plural}",
            description=f"The {plural} recorded on the case. {extra}".strip(),
            parameters=[CASE_REFERENCE],
        ),
        retrieve=extend_schema(summary=f"Read a {name}", parameters=[CASE_REFERENCE]),
        create=extend_schema(
            summary=f"Add a {name}",
            description=f"Record a {name} on the case (hotline staff who work the case).",
            parameters=[CASE_REFERENCE, IDEMPOTENCY_HEADER],
        ),
        partial_update=extend_schema(summary=f"Correct a {name}", parameters=[CASE_REFERENCE]),
    )


@_child_schema(
    "party",
    "parties",
    "For a partner without a referral that shares identities, the name, aliases, date of "
    "birth and description of anyone but a perpetrator are empty and listed in `redacted`.",
)
class PartyViewSet(CaseChildViewSet):
    queryset = Party.objects.all()
    audit_kind = "party"
    serializer_class = PartySerializer
    filterset_class = filters.PartyFilterSet
    ordering_fields = ["id", "role"]
    ordering = ["role", "id"]

    def perform_create(self, serializer):
        return services.party_add(
            actor=self.request.user, case=self.case, **serializer.validated_data
        )

    def perform_update(self, instance, serializer):
        return services.party_update(
            actor=self.request.user, party=instance, **serializer.validated_data
        )


@_child_schema(
    "identifier",
    "identifiers",
    "A partner sees those of perpetrators and those that reach nobody named, unless a "
    "referral shares identities.",
)
class IdentifierViewSet(CaseChildViewSet):
    queryset = Identifier.objects.all()
    scope = staticmethod(access.identifiers_for)
    audit_kind = "identifier"
    serializer_class = IdentifierSerializer
    filterset_class = filters.IdentifierFilterSet
    ordering_fields = ["id", "kind"]
    ordering = ["kind", "id"]

    def perform_create(self, serializer):
        return services.identifier_add(
            actor=self.request.user, case=self.case, **serializer.validated_data
        )

    def perform_update(self, instance, serializer):
        data = dict(serializer.validated_data)
        data.pop("kind", None)
        return services.identifier_update(actor=self.request.user, identifier=instance, **data)


@_child_schema("venue", "venues")
class VenueViewSet(CaseChildViewSet):
    queryset = Venue.objects.all()
    audit_kind = "venue"
    serializer_class = VenueSerializer
    filterset_class = filters.VenueFilterSet
    ordering_fields = ["id", "name"]
    ordering = ["name", "id"]

    def refine(self, queryset):
        return super().refine(queryset).select_related("industry", "region")

    def perform_create(self, serializer):
        return services.venue_add(
            actor=self.request.user, case=self.case, **serializer.validated_data
        )

    def perform_update(self, instance, serializer):
        return services.venue_update(
            actor=self.request.user, venue=instance, **serializer.validated_data
        )


@_child_schema(
    "referral",
    "referrals",
    "A partner sees the referrals to its own organisation, and answers them with PATCH "
    '{"status": "accepted"} (or declined, closed).',
)
class ReferralViewSet(CaseChildViewSet):
    queryset = Referral.objects.all()
    audit_kind = "referral"
    serializer_class = ReferralSerializer
    filterset_class = filters.ReferralFilterSet
    ordering_fields = ["sent_at", "id"]
    ordering = ["-sent_at", "id"]

    def refine(self, queryset):
        queryset = super().refine(queryset)
        user = self.request.user
        if access.role_of(user) == Role.PARTNER:
            queryset = queryset.filter(organisation_id=user.organisation_id)
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        return services.referral_send(actor=self.request.user, case=self.case, **data)

    def check_update(self, instance):
        # What else is needed depends on what changes: perform_update.
        user = self.request.user
        if not (
            access.can_on_visible(user, Action.CHANGE, self.case)
            or access.can_on_visible(user, Action.RESPOND_TO_REFERRAL, self.case)
        ):
            raise exceptions.PermissionDenied(_("Your role may not change this referral."))

    def perform_update(self, instance, serializer):
        data = dict(serializer.validated_data)
        user = self.request.user
        data.pop("organisation", None)
        status = data.pop("status", None)
        if data and not access.can_on_visible(user, Action.CHANGE, self.case):
            raise exceptions.PermissionDenied(_("Your role may not change a referral's terms."))
        if status is not None and not access.can_on_visible(
            user, Action.RESPOND_TO_REFERRAL, self.case
        ):
            raise exceptions.PermissionDenied(_("Your role may not answer this referral."))
        if status is not None and status != instance.status:
            instance = services.referral_respond(
                actor=user, referral=instance, status=status, notes=data.pop("notes", None)
            )
        if data:
            instance = services.referral_update(actor=user, referral=instance, **data)
        return instance


@_child_schema("outcome", "outcomes", "Investigations opened, charges filed, convictions.")
class OutcomeViewSet(CaseChildViewSet):
    queryset = Outcome.objects.all()
    audit_kind = "outcome"
    write_action = Action.RECORD_OUTCOME
    serializer_class = OutcomeSerializer
    filterset_class = filters.OutcomeFilterSet
    ordering_fields = ["occurred_on", "id"]
    ordering = ["occurred_on", "id"]

    def check_update(self, instance):
        super().check_update(instance)
        user = self.request.user
        # The whole case may be theirs to see; another's outcome is not theirs to rewrite.
        if access.role_of(user) == Role.PARTNER and (
            instance.referral is None or instance.referral.organisation_id != user.organisation_id
        ):
            raise exceptions.PermissionDenied(
                _("A partner may change only the outcomes of its own organisation's referrals.")
            )

    def perform_create(self, serializer):
        return services.outcome_record(
            actor=self.request.user, case=self.case, **serializer.validated_data
        )

    def perform_update(self, instance, serializer):
        data = dict(serializer.validated_data)
        if "referral" in data and data["referral"] != instance.referral:
            raise serializers.ValidationError(
                {"referral": _("An outcome's referral cannot change.")}
            )
        data.pop("referral", None)
        return services.outcome_update(actor=self.request.user, outcome=instance, **data)


@extend_schema_view(
    list=extend_schema(
        summary="List a case's timeline",
        description="Everything that happened to the case, oldest first; `data` holds ids, "
        "codes and field names only. A partner sees the case's creation and status changes "
        "and the events of its own organisation's referrals and their outcomes, without "
        "`actor`. Cursor-paginated.",
        parameters=[CASE_REFERENCE],
    ),
    retrieve=extend_schema(summary="Read a timeline event", parameters=[CASE_REFERENCE]),
)
class EventViewSet(BelowACase, ScopedViewSet):
    queryset = CaseEvent.objects.all()
    audit_kind = "caseevent"
    serializer_class = EventSerializer
    filterset_class = filters.EventFilterSet
    pagination_class = Cursor
    ordering_fields = ["at", "id"]
    ordering = ["at"]
    http_method_names = ["get", "head", "options"]

    def refine(self, queryset):
        queryset = super().refine(queryset)
        user = self.request.user
        if access.role_of(user) != Role.PARTNER:
            return queryset
        # A partner sees what the case serializer shows it: the case's status, and its own
        # organisation's referrals and their outcomes; not who works the case, nor who else
        # it was sent to.
        Kind = CaseEvent.Kind
        own_referrals = list(
            Referral.objects.filter(
                case=self.case, organisation_id=user.organisation_id
            ).values_list("pk", flat=True)
        )
        own_outcomes = list(
            Outcome.objects.filter(case=self.case, referral_id__in=own_referrals).values_list(
                "pk", flat=True
            )
        )
        return queryset.filter(
            Q(kind__in=[Kind.CREATED, Kind.STATUS_CHANGED])
            | Q(
                kind__in=[Kind.REFERRAL_SENT, Kind.REFERRAL_UPDATED],
                data__referral__in=own_referrals,
            )
            | Q(
                kind__in=[Kind.OUTCOME_RECORDED, Kind.OUTCOME_UPDATED],
                data__outcome__in=own_outcomes,
            )
        )
