"""Filters of the case lists."""

import django_filters
from django.db.models import Q

from cases.models import Case, CaseEvent, Identifier, Outcome, Party, Priority, Referral
from cases.workflow import Status
from hotline import access
from hotline.api.filters import (
    DateTimeRangeFilter,
    FilterSet,
    IdFilter,
    IndustryFilter,
    MultipleChoiceFilter,
    RegionFilter,
    SearchFilter,
)
from hotline.models import Role, TraffickingType


class CaseSearchFilter(SearchFilter):
    """Reference and summary for staff; the reference only for partners, who do not see every
    summary (searching it would let them probe what is hidden)."""

    def filter(self, queryset, value):
        request = getattr(self.parent, "request", None)
        user = getattr(request, "user", None)
        fields = ("reference",) if access.role_of(user) == Role.PARTNER else self.search_fields
        for word in (value or "").split()[:10]:
            condition = Q()
            for field in fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


class CaseFilterSet(FilterSet):
    status = MultipleChoiceFilter(choices=Status.choices)
    priority = MultipleChoiceFilter(choices=Priority.choices)
    trafficking_type = MultipleChoiceFilter(choices=TraffickingType.choices)
    industry = IndustryFilter()
    region = RegionFilter()
    assignee = IdFilter(
        field_name="assignee_id", method="filter_staff_only", help_text="An account id."
    )
    team = IdFilter(field_name="team_id", method="filter_staff_only", help_text="A team id.")
    organisation = IdFilter(
        method="filter_organisation",
        help_text="A partner organisation's id: the cases referred to it.",
    )
    referral_status = MultipleChoiceFilter(
        choices=Referral.Status.choices,
        method="filter_referral_status",
        help_text="Cases with a referral in this state (for partners: a referral to them).",
    )
    is_restricted = django_filters.BooleanFilter()
    opened_at = DateTimeRangeFilter()
    updated_at = DateTimeRangeFilter()
    closed_at = DateTimeRangeFilter()
    q = CaseSearchFilter(fields=("reference", "summary"))

    class Meta:
        model = Case
        fields = [
            "status", "priority", "trafficking_type", "industry", "region", "assignee", "team",
            "organisation", "referral_status", "is_restricted", "opened_at", "updated_at",
            "closed_at", "q",
        ]  # fmt: skip

    def filter_staff_only(self, queryset, name, value):
        # Who works a case inside the hotline is not shown to partners, so they cannot filter
        # by it either (the filter would tell them).
        if access.role_of(getattr(self.request, "user", None)) == Role.PARTNER:
            return queryset
        return queryset.filter(**{name: value})

    def filter_organisation(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if access.role_of(user) == Role.PARTNER and _pk(value) != user.organisation_id:
            # Which of its cases went to another organisation too is not a partner's business.
            return queryset
        referred = Referral.objects.filter(organisation_id=value).values("case")
        return queryset.filter(pk__in=referred)

    def filter_referral_status(self, queryset, name, value):
        if not value:
            return queryset
        referrals = Referral.objects.filter(status__in=value)
        user = getattr(self.request, "user", None)
        if access.role_of(user) == Role.PARTNER:
            referrals = referrals.filter(organisation_id=user.organisation_id)
        return queryset.filter(pk__in=referrals.values("case"))


class PartyFilterSet(FilterSet):
    role = MultipleChoiceFilter(choices=Party.Role.choices)
    kind = django_filters.ChoiceFilter(choices=Party.Kind.choices)

    class Meta:
        model = Party
        fields = ["role", "kind"]


class IdentifierFilterSet(FilterSet):
    kind = MultipleChoiceFilter(choices=Identifier.Kind.choices)
    party = IdFilter(field_name="party_id")

    class Meta:
        model = Identifier
        fields = ["kind", "party"]


class VenueFilterSet(FilterSet):
    industry = IndustryFilter()
    region = RegionFilter()

    class Meta:
        model = Case.venues.rel.related_model
        fields = ["industry", "region"]


class ReferralFilterSet(FilterSet):
    status = MultipleChoiceFilter(choices=Referral.Status.choices)
    organisation = IdFilter(field_name="organisation_id")
    sent_at = DateTimeRangeFilter()

    class Meta:
        model = Referral
        fields = ["status", "organisation", "sent_at"]


class OutcomeFilterSet(FilterSet):
    kind = MultipleChoiceFilter(choices=Outcome.Kind.choices)
    occurred_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Outcome
        fields = ["kind", "occurred_on"]


class EventFilterSet(FilterSet):
    kind = MultipleChoiceFilter(choices=CaseEvent.Kind.choices)
    at = DateTimeRangeFilter()

    class Meta:
        model = CaseEvent
        fields = ["kind", "at"]


def _pk(value):
    return getattr(value, "pk", value)
