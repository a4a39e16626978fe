"""The Django admin for cases and everything recorded about them.

Every write goes through cases/services.py so that the timeline stays true: the case form opens
cases with case_open and splits an edit into case_status_change, case_assign and case_update
(each checking the version the form was loaded with); the inline rows and the admins of parties,
identifiers, venues, referrals, outcomes and notes add rows with their services. The timeline
itself (CaseEvent) is read-only here, and nothing deletes a case or what is recorded on it.
"""

from contextlib import contextmanager

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import identifiers, services, workflow
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    Identifier,
    Note,
    Outcome,
    Party,
    Referral,
    Venue,
)
from hotline.admin import (
    ReadOnlyAdmin,
    ServiceInlineFormSet,
    WritesThroughServices,
    hotline_staff,
    service_arguments,
)

Status = workflow.Status


def conflict_message(case):
    return (
        f"Someone else changed {case.reference} while you were editing it, so your changes "
        "were not saved. Open the case again to see what changed, then make your changes again."
    )


@contextmanager
def conflicts_shown_as_errors():
    try:
        yield
    except services.CaseChanged as changed:
        raise ValidationError(conflict_message(changed.case), code="conflict") from changed


def join_labels(statuses):
    labels = [status.label.lower() for status in Status if status in statuses]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


# --- The case ---------------------------------------------------------------------------------

OPEN_ARGUMENTS = [
    "trafficking_type",
    "industry",
    "region",
    "summary",
    "priority",
    "victim_count",
    "is_restricted",
    "assignee",
    "team",
    "methods_of_control",
    "exploitation_types",
    "opened_at",
    "tips",
    "calls",
]
UPDATE_ARGUMENTS = {*services.UPDATABLE_FIELDS, "methods_of_control", "exploitation_types"}
LINKS = {"tips": services.case_link_tip, "calls": services.case_link_call}


class CaseAdminForm(forms.ModelForm):
    # The version of the case the form was loaded with. Every service that changes the case
    # compares it with the current one, so that a save never overwrites someone else's edit.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = ["status", "closing_reason", *OPEN_ARGUMENTS]
        widgets = {
            "methods_of_control": forms.CheckboxSelectMultiple,
            "exploitation_types": forms.CheckboxSelectMultiple,
        }
        help_texts = {"closing_reason": "Required when closing the case."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = hotline_staff(including=self.instance.assignee_id)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_version"].required = True
        if "status" in self.fields:
            self._offer_allowed_statuses()

    def _offer_allowed_statuses(self):
        current = Status(self.instance.status)
        offered = {current, *workflow.allowed_transitions(current)}
        field = self.fields["status"]
        field.choices = [(status.value, status.label) for status in Status if status in offered]
        field.error_messages["invalid_choice"] = (
            f"A case that is {current.label.lower()} can only become "
            f"{join_labels(offered - {current})}."
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        self._check_not_stale(cleaned)
        self._check_closing_reason(cleaned)
        for name in LINKS:
            self._check_still_linked(cleaned, name)
        return cleaned

    def _edited_fields(self):
        return set(self.changed_data) - {"loaded_version"}

    def _check_not_stale(self, cleaned):
        # The services check again under a lock; checking here as well means the message is
        # not buried under errors about choices that changed with the case.
        loaded = cleaned.get("loaded_version")
        if self._edited_fields() and loaded is not None and loaded != self.instance.version:
            raise ValidationError(conflict_message(self.instance), code="conflict")

    def _check_closing_reason(self, cleaned):
        status, reason = cleaned.get("status"), cleaned.get("closing_reason")
        if status is None:
            return
        if status != self.instance.status and status in workflow.CLOSED_STATUSES and not reason:
            self.add_error("closing_reason", "Say why the case is being closed.")
        elif status == self.instance.status and "closing_reason" in self.changed_data:
            self.add_error(
                "closing_reason",
                "The closing reason is given when the case is closed; it cannot change on its own.",
            )

    def _check_still_linked(self, cleaned, name):
        if name not in cleaned:
            return
        kept = {row.pk for row in cleaned[name]}
        if any(row.pk not in kept for row in self.initial.get(name, [])):
            noun = "tip" if name == "tips" else "call"
            self.add_error(name, f"A linked {noun} stays linked to the case; it cannot be removed.")

    def create(self, actor):
        return services.case_open(actor=actor, **service_arguments(self, OPEN_ARGUMENTS))

    def update(self, actor):
        with conflicts_shown_as_errors():
            return self._apply_changes(actor)

    def _apply_changes(self, actor):
        # One service per kind of change, each writing its own event. Each passes on the
        # version it saved, so only the first can find the case changed by someone else.
        data, edited = self.cleaned_data, self._edited_fields()
        case, version = self.instance, data["loaded_version"]
        if "status" in edited:
            case = services.case_status_change(
                actor=actor,
                case=case,
                status=data["status"],
                closing_reason=data.get("closing_reason") or "",
                expected_version=version,
            )
            version = case.version
        if edited & {"assignee", "team"}:
            # Without a new team, the case follows its new assignee's team.
            team = {"team": data["team"]} if "team" in edited else {}
            case = services.case_assign(
                actor=actor,
                case=case,
                assignee=data.get("assignee"),
                expected_version=version,
                **team,
            )
            version = case.version
        updates = {name: data[name] for name in sorted(edited & UPDATE_ARGUMENTS)}
        if updates:
            case = services.case_update(actor=actor, case=case, expected_version=version, **updates)
        for name, link in LINKS.items():
            linked = {row.pk for row in self.initial.get(name, [])}
            for row in data.get(name, []):
                if row.pk not in linked:
                    link(actor=actor, case=case, **{name[:-1]: row})
        return case


class CaseRowInline(admin.TabularInline):
    """Rows recorded on a case: added through their service, never deleted here (the
    timeline refers to them)."""

    formset = ServiceInlineFormSet
    extra = 0
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    verbose_name = "event"
    verbose_name_plural = "timeline"
    fields = ["at", "kind", "actor", "details"]
    readonly_fields = fields
    ordering = ["at", "pk"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="details")
    def details(self, event):
        return event_details(event)


def event_details(event):
    # Events hold ids and codes only (never names or free text), so they can be shown as is.
    return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in event.data.items())


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


# --- Rows recorded on a case --------------------------------------------------------------

PARTY_FIELDS = [
    "role",
    "kind",
    "name",
    "aliases",
    "date_of_birth",
    "age_band",
    "gender",
    "is_minor",
    "citizenship",
    "description",
]


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["case", *PARTY_FIELDS]

    def clean_citizenship(self):
        return self.cleaned_data["citizenship"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") in Party.VICTIM_ROLES and cleaned.get("kind") != Party.Kind.PERSON:
            self.add_error("kind", "A potential victim or survivor is a person.")
        age_band, is_minor = cleaned.get("age_band"), cleaned.get("is_minor")
        if age_band in Party.MINOR_AGE_BANDS and is_minor is False:
            self.add_error("is_minor", f"Someone aged {age_band} is a minor.")
        if age_band in Party.ADULT_AGE_BANDS and is_minor is True:
            self.add_error("is_minor", f"Someone aged {age_band} is not a minor.")
        return cleaned

    def create(self, actor):
        return services.party_add(
            actor=actor, case=self.instance.case, **service_arguments(self, PARTY_FIELDS)
        )


class IdentifierForm(forms.ModelForm):
    class Meta:
        model = Identifier
        fields = ["case", "tip", "party", "kind", "platform", "value"]

    def clean(self):
        cleaned = super().clean()
        if {"case", "tip"} <= set(self.fields) and not (cleaned.get("case") or cleaned.get("tip")):
            self.add_error(None, "Say which case or tip this identifier belongs to.")
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind != Identifier.Kind.HANDLE:
            cleaned["platform"] = ""
        if kind and value:
            try:
                # Derived, never typed: matching across cases compares this form.
                self.instance.normalised = identifiers.normalise(
                    kind, value, cleaned.get("platform", "")
                )
            except ValidationError as error:
                field = "platform" if error.code == "handle_needs_platform" else "value"
                self.add_error(field, error)
        return cleaned

    def create(self, actor):
        return services.identifier_add(
            actor=actor,
            case=self.instance.case,
            tip=self.instance.tip,
            **service_arguments(self, ["party", "kind", "platform", "value"]),
        )


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = ["case", "name", "industry", "region", "address"]

    def create(self, actor):
        return services.venue_add(
            actor=actor,
            case=self.instance.case,
            **service_arguments(self, ["name", "industry", "region", "address"]),
        )


REFERRAL_SEND_ARGUMENTS = [
    "organisation",
    "reason",
    "sent_at",
    "due_at",
    "shares_identities",
    "notes",
]
# What the referral_sent event records: facts of the sending, not to be edited afterwards.
REFERRAL_SENDING_FIELDS = ["organisation", "reason", "sent_at"]
ANSWERS = [Referral.Status.ACCEPTED, Referral.Status.DECLINED, Referral.Status.CLOSED]


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["case", "status", *REFERRAL_SEND_ARGUMENTS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        is_new = self.instance.pk is None
        if "status" in self.fields:
            status = self.fields["status"]
            if is_new:
                # A referral starts as sent; the partner's answer is recorded once it comes.
                status.disabled = True
            else:
                offered = {self.instance.status, *ANSWERS}
                status.choices = [(s.value, s.label) for s in Referral.Status if s in offered]
        if not is_new:
            for name in REFERRAL_SENDING_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean_organisation(self):
        organisation = self.cleaned_data["organisation"]
        if self.instance.pk is None and not organisation.is_active:
            raise ValidationError("This organisation no longer takes referrals.")
        return organisation

    def create(self, actor):
        return services.referral_send(
            actor=actor,
            case=self.instance.case,
            **service_arguments(self, REFERRAL_SEND_ARGUMENTS),
        )

    def update(self, actor):
        referral = self.save(commit=False)
        # The other fields have no service yet: a plain save that leaves the status as it is
        # in the database, for referral_respond to change and record.
        plain = [name for name in self.changed_data if name != "status"]
        if plain:
            referral.save(update_fields=[*plain, "updated_at"])
        if "status" in self.changed_data:
            referral = services.referral_respond(
                actor=actor, referral=referral, status=self.cleaned_data["status"]
            )
        return referral


OUTCOME_ARGUMENTS = ["kind", "occurred_on", "agency", "referral", "notes"]


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["case", *OUTCOME_ARGUMENTS]

    def clean(self):
        cleaned = super().clean()
        occurred_on, referral = cleaned.get("occurred_on"), cleaned.get("referral")
        if occurred_on and occurred_on > timezone.localdate():
            self.add_error("occurred_on", "An outcome cannot be in the future.")
        case_id = cleaned["case"].pk if cleaned.get("case") else self.instance.case_id
        if referral is not None and case_id is not None and referral.case_id != case_id:
            self.add_error("referral", "This referral belongs to another case.")
        return cleaned

    def create(self, actor):
        return services.outcome_record(
            actor=actor, case=self.instance.case, **service_arguments(self, OUTCOME_ARGUMENTS)
        )


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["case", "text"]

    def create(self, actor):
        return services.note_add(
            actor=actor, case=self.instance.case, text=self.cleaned_data["text"]
        )


def narrow_to_case(formset, field, queryset):
    """Offer only the case's own rows (its parties, its referrals) in an inline's select."""
    if field in formset.form.base_fields:
        formset.form.base_fields[field].queryset = queryset


class PartyInline(CaseRowInline):
    model = Party
    form = PartyForm
    fields = ["role", "kind", "name", "aliases", "age_band", "gender", "is_minor", "citizenship"]


class IdentifierInline(CaseRowInline):
    model = Identifier
    form = IdentifierForm
    fields = ["kind", "platform", "value", "normalised", "party"]
    readonly_fields = ["normalised"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        narrow_to_case(
            formset, "party", Party.objects.filter(case=obj) if obj else Party.objects.none()
        )
        return formset


class VenueInline(CaseRowInline):
    model = Venue
    form = VenueForm
    fields = ["name", "industry", "region", "address"]
    autocomplete_fields = ["industry", "region"]


class ReferralInline(CaseRowInline):
    model = Referral
    form = ReferralForm
    fields = [
        "organisation",
        "reason",
        "status",
        "sent_at",
        "due_at",
        "responded_at",
        "shares_identities",
        "notes",
    ]
    readonly_fields = ["responded_at"]
    autocomplete_fields = ["organisation"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")


class OutcomeInline(CaseRowInline):
    model = Outcome
    form = OutcomeForm
    fields = ["kind", "occurred_on", "agency", "referral", "notes"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        referrals = Referral.objects.filter(case=obj) if obj else Referral.objects.none()
        narrow_to_case(formset, "referral", referrals.select_related("organisation"))
        return formset


class NoteInline(CaseRowInline):
    model = Note
    form = NoteForm
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


CASE_FIELDSETS = [
    ("Description", ["priority", "trafficking_type", "industry", "region", "victim_count"]),
    (None, ["summary", "is_restricted"]),
    ("Exploitation", ["methods_of_control", "exploitation_types"]),
    ("Assignment", ["assignee", "team"]),
    ("Came from", ["tips", "calls"]),
]


@admin.register(Case)
class CaseAdmin(WritesThroughServices, admin.ModelAdmin):
    form = CaseAdminForm
    list_display = [
        "reference",
        "status",
        "priority",
        "trafficking_type",
        "industry",
        "region",
        "assignee",
        "team",
        "opened_at",
        "is_restricted",
    ]
    list_filter = [
        "status",
        "priority",
        "trafficking_type",
        "industry",
        "region__census_region",
        "is_restricted",
        AssigneeFilter,
        "team",
    ]
    list_select_related = ["industry", "region", "assignee", "team"]
    search_fields = ["reference"]
    search_help_text = "Search by case reference (HT-2026-000123) or part of it."
    date_hierarchy = "opened_at"
    ordering = ["-opened_at"]
    autocomplete_fields = ["industry", "region", "tips", "calls"]
    show_full_result_count = False
    inlines = [
        PartyInline,
        IdentifierInline,
        VenueInline,
        ReferralInline,
        OutcomeInline,
        NoteInline,
        CaseEventInline,
    ]

    def get_fieldsets(self, request, obj=None):
        described = [(name, {"fields": fields}) for name, fields in CASE_FIELDSETS]
        if obj is None:
            # A new case is new: its status and reference come from case_open.
            return [*described, ("Record", {"fields": ["opened_at"]})]
        record = ["opened_at", "closed_at", "created_by", "updated_at", "version"]
        return [
            (None, {"fields": ["reference", "status", "closing_reason", "loaded_version"]}),
            *described,
            ("Record", {"fields": record}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # No service changes these: the reference and times are facts, the version counts edits.
        return ["reference", "opened_at", "closed_at", "created_by", "updated_at", "version"]

    def get_inlines(self, request, obj):
        if obj is None:
            # A case that does not exist yet has no timeline to show.
            return [inline for inline in self.inlines if inline is not CaseEventInline]
        return self.inlines

    def has_delete_permission(self, request, obj=None):
        # A case is evidence and its timeline the audit trail: nothing deletes them.
        return False


class CaseRowAdmin(WritesThroughServices, admin.ModelAdmin):
    """The admin of rows recorded on a case: added through their service, never deleted, and
    never moved to another case."""

    autocomplete_fields = ["case"]
    list_select_related = ["case"]
    # Fields that say who recorded the row and when.
    record_fields = []

    def get_fields(self, request, obj=None):
        fields = list(self.form._meta.fields)
        return fields if obj is None else [*fields, *self.record_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["case", *self.record_fields]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Party)
class PartyAdmin(CaseRowAdmin):
    form = PartyForm
    record_fields = ["created_by", "created_at"]
    list_display = [
        "__str__",
        "case",
        "role",
        "kind",
        "name",
        "age_band",
        "gender",
        "is_minor",
        "citizenship",
    ]
    list_filter = ["role", "kind", "age_band", "gender", "is_minor"]
    search_fields = ["case__reference", "name", "aliases"]
    ordering = ["-pk"]
    show_full_result_count = False


def normalised_forms(term):
    """What `term` would be stored as, for each kind of identifier that can read it: so that a
    number searched as (555) 123-4567 finds +15551234567."""
    found = set()
    for kind in Identifier.Kind:
        platform = Identifier.Platform.OTHER if kind == Identifier.Kind.HANDLE else ""
        try:
            found.add(identifiers.normalise(kind, term, platform))
        except ValidationError:
            continue
    return found


@admin.register(Identifier)
class IdentifierAdmin(CaseRowAdmin):
    form = IdentifierForm
    record_fields = ["normalised", "created_by", "created_at"]
    autocomplete_fields = ["case", "tip"]
    raw_id_fields = ["party"]
    list_display = ["normalised", "kind", "platform", "value", "case", "tip", "party"]
    list_filter = ["kind", "platform"]
    list_select_related = ["case", "tip", "party"]
    search_fields = ["normalised", "value", "case__reference", "tip__reference"]
    search_help_text = (
        "Search by identifier, written any way (a phone number with or without its country "
        "code, say), or by case or tip reference."
    )
    ordering = ["-pk"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["case", "tip", *self.record_fields]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        forms_of_term = normalised_forms(search_term) if search_term else set()
        if forms_of_term:
            found |= queryset.filter(normalised__in=forms_of_term)
        return found, may_have_duplicates


@admin.register(Venue)
class VenueAdmin(CaseRowAdmin):
    form = VenueForm
    record_fields = ["created_by", "created_at"]
    autocomplete_fields = ["case", "industry", "region"]
    list_display = ["name", "case", "industry", "region"]
    list_filter = ["industry", "region__census_region"]
    list_select_related = ["case", "industry", "region"]
    search_fields = ["name", "case__reference"]
    ordering = ["-pk"]


@admin.register(Referral)
class ReferralAdmin(CaseRowAdmin):
    form = ReferralForm
    record_fields = ["responded_at", "sent_by", "updated_at"]
    autocomplete_fields = ["case", "organisation"]
    list_display = [
        "case",
        "organisation",
        "reason",
        "status",
        "sent_at",
        "due_at",
        "responded_at",
        "shares_identities",
    ]
    list_filter = ["status", "reason", "shares_identities", "organisation__type"]
    list_select_related = ["case", "organisation"]
    search_fields = ["case__reference", "organisation__name"]
    date_hierarchy = "sent_at"
    ordering = ["-sent_at"]


@admin.register(Outcome)
class OutcomeAdmin(CaseRowAdmin):
    form = OutcomeForm
    record_fields = ["recorded_by", "recorded_at"]
    raw_id_fields = ["referral"]
    list_display = ["case", "kind", "occurred_on", "agency", "referral"]
    list_filter = ["kind"]
    list_select_related = ["case", "referral"]
    search_fields = ["case__reference", "agency"]
    date_hierarchy = "occurred_on"
    ordering = ["-occurred_on"]


@admin.register(Note)
class NoteAdmin(CaseRowAdmin):
    form = NoteForm
    record_fields = ["author", "created_at"]
    list_display = ["__str__", "case", "author", "created_at"]
    list_select_related = ["case", "author"]
    search_fields = ["case__reference"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "kind", "actor", "details"]
    list_filter = ["kind"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__reference"]
    search_help_text = "Search by case reference."
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    fields = ["case", "kind", "actor", "at", "details"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="details")
    def details(self, event):
        return event_details(event)


@admin.register(CaseReferenceCounter)
class CaseReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ["year", "last_number"]
    ordering = ["-year"]
