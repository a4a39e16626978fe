"""The case queue's filters and sorting (/cases/), as a django-filter FilterSet.

A filter a person got wrong (an unknown region code, a sort that is not offered) is an error
shown next to it, and the list is filtered by the others: never a 500.
"""

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases import selectors, workflow
from cases.models import Case, Identifier, Priority
from hotline.models import Industry, Region, Team, TraffickingType
from hotline.selectors import assignable_staff

OPEN = "open"
CLOSED = "closed_any"

# Sort keys offered in the URL (?sort=) and the ordering each means; the last column makes the
# order total, so a page never shows a row twice or skips one.
SORTS = {
    "priority": ("-priority", "opened_at", "pk"),
    "-priority": ("priority", "-opened_at", "-pk"),
    "opened": ("opened_at", "pk"),
    "-opened": ("-opened_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "reference": ("reference",),
    "-reference": ("-reference",),
    "status": ("status", "-priority", "pk"),
    "-status": ("-status", "-priority", "pk"),
    "assignee": (F("assignee__username").asc(nulls_last=True), "pk"),
    "-assignee": (F("assignee__username").desc(nulls_last=True), "pk"),
    "region": (F("region__code").asc(nulls_last=True), "pk"),
    "-region": (F("region__code").desc(nulls_last=True), "pk"),
    "industry": (F("industry__name").asc(nulls_last=True), "pk"),
    "-industry": (F("industry__name").desc(nulls_last=True), "pk"),
}
DEFAULT_SORT = "priority"
SORT_LABELS = [
    ("priority", _("Most urgent first")),
    ("-opened", _("Newest first")),
    ("opened", _("Oldest first")),
    ("-updated", _("Recently changed")),
    ("reference", _("Reference")),
    ("status", _("Status")),
    ("assignee", _("Assignee")),
    ("region", _("Region")),
    ("industry", _("Industry")),
]
# Every key of SORTS may be used (column headers toggle the direction); the select offers these.
SORT_CHOICES = SORT_LABELS + [
    (key, key) for key in SORTS if key not in {choice for choice, _label in SORT_LABELS}
]

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class RegionCodeField(forms.CharField):
    """A region written as its ISO code (US-TX, MX): a select of thousands would not do."""

    default_error_messages = {
        "unknown": _("No region has the code %(code)s. Write a code such as US-TX or MX."),
    }

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        region = Region.objects.filter(code__iexact=code.strip()).first()
        if region is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"code": code}
            )
        return region


class RegionCodeFilter(django_filters.Filter):
    field_class = RegionCodeField

    def filter(self, qs, value):
        if value is None:
            return qs
        # The region and everything below it: one indexed prefix match on the tree's path.
        return qs.filter(
            Q(region=value.pk) | Q(region__path__startswith=f"{value.path}/"),
        )


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class CaseQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Reference or identifier"), method="filter_q", max_length=300
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OPEN, _("Open (any)")), (CLOSED, _("Closed (any)")), *workflow.Status.choices],
        method="filter_status",
        empty_label=_("Any"),
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Priority.choices, empty_label=_("Any")
    )
    trafficking_type = django_filters.ChoiceFilter(
        label=_("Type"), choices=TraffickingType.choices, empty_label=_("Any")
    )
    industry = django_filters.ModelChoiceFilter(
        label=_("Industry"),
        queryset=Industry.objects.order_by("position", "name"),
        to_field_name="code",
        empty_label=_("Any"),
    )
    region = RegionCodeFilter(label=_("Region code"), help_text=_("e.g. US-TX, or US for all"))
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=assignable_staff().order_by("username"),
        to_field_name="username",
        empty_label=_("Anyone"),
        null_label=_("Unassigned"),
        null_value="none",
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        empty_label=_("Any"),
        null_label=_("No team"),
        null_value="none",
    )
    mine = django_filters.BooleanFilter(
        label=_("My cases"), method="filter_mine", widget=forms.CheckboxInput
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
        help_text=_("Open, with a referral unanswered past its due time."),
    )
    closure = django_filters.BooleanFilter(
        label=_("Closure requested"), method="filter_closure", widget=forms.CheckboxInput
    )
    restricted = django_filters.ChoiceFilter(
        label=_("Restricted"), choices=YES_NO[1:], method="filter_restricted", empty_label=_("Any")
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"), choices=SORT_CHOICES, method="filter_sort", empty_label=None
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, data=None, *args, user=None, **kwargs):
        self.user = user
        super().__init__(data, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*SORTS[self.sort_key])

    @property
    def sort_key(self):
        return self.form.cleaned_data.get("sort") or DEFAULT_SORT

    def filter_q(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        condition = Q(reference__iexact=term) | Q(reference__endswith=term.upper())
        match = selectors.identifier_term_filter(term)
        if match is not None:
            condition |= Q(pk__in=Identifier.objects.filter(match).values("case"))
        return queryset.filter(condition)

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=sorted(workflow.OPEN_STATUSES))
        if value == CLOSED:
            return queryset.filter(status__in=sorted(workflow.CLOSED_STATUSES))
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.user) if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(selectors.overdue_cases()) if value else queryset

    def filter_closure(self, queryset, name, value):
        return queryset.filter(selectors.closure_pending_cases()) if value else queryset

    def filter_restricted(self, queryset, name, value):
        wanted = _yes_no(value)
        return queryset if wanted is None else queryset.filter(is_restricted=wanted)

    def filter_sort(self, queryset, name, value):
        # Applied last, by filter_queryset, whatever else filtered.
        return queryset

    def without_status(self):
        """The same filters without the status one: what the per-status counts count."""
        data = self.data.copy()
        data.pop("status", None)
        data.pop("sort", None)
        return type(self)(data, queryset=self.queryset, user=self.user)
