"""The Django admin for cases and everything recorded about them.

Every write goes through cases/services.py so that the timeline stays true: the case form opens
cases with case_open and saves an edit with case_edit (status, assignment and description in
one call, checked once against the version the page was loaded with), linking new tips and
calls with case_link_tip and case_link_call. The inline rows and the admins of parties,
identifiers, venues, referrals and outcomes add rows and save corrections with their services;
notes are added with note_add and never edited. The timeline itself (CaseEvent) is read-only
here, and nothing deletes a case or what is recorded on it.

Who sees which case and what they may do to it is the access module's (hotline/access.py):
every queryset here goes through cases_for, case_records_for or identifiers_for, and what a
page lets someone change follows access.can (assignment, restriction, closing, answering a
referral). Reading a case or anything recorded on it is written to the audit trail; the case
page shows supervisors who viewed it. The audit trail's own admin is registered here
(AuditTrailAdmin), because only the cases app knows case references.
"""

import re
from contextlib import contextmanager

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from cases import events, services, workflow
from cases.models import (
    REFERENCE_PATTERN,
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
from cases.selectors import identifier_term_filter
from hotline import access
from hotline.access import Action, Permission
from hotline.admin import (
    AuditedReads,
    AuditEntryAdmin,
    ExportsCSV,
    ReadOnlyAdmin,
    ScopedRows,
    ServiceForm,
    ServiceInlineFormSet,
    WritesThroughServices,
    assignable_or,
    call_service,
    keyword_arguments,
)
from hotline.models import AuditAction, AuditEntry

Status = workflow.Status
# How many "viewed by" rows the case page shows supervisors; the audit trail has them all.
VIEWED_BY_SHOWN = 50


def may(request, action, case=None):
    """Whether the person may do `action` to `case`, a case the page fetched through
    cases_for (so visible to them), or, on the page that opens one, to the case they are
    opening, which will be theirs to see."""
    return access.can_on_visible(request.user, action, case if case is not None else Case())


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

LINKS = {"tips": services.case_link_tip, "calls": services.case_link_call}


class CaseAdminForm(ServiceForm):
    # The version of the case the page was loaded with: case_edit refuses to save over a
    # newer one, so that a save never overwrites someone else's edit.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # case_link_tip and case_link_call name the tip or call they refuse.
    error_fields = {"tip": "tips", "call": "calls"}
    # Whether the person may close cases (Action.APPROVE_CLOSURE); set by CaseAdmin.get_form.
    may_close = True

    class Meta:
        model = Case
        fields = ["status", "closing_reason", *keyword_arguments(services.case_open)]
        widgets = {
            "methods_of_control": forms.CheckboxSelectMultiple,
            "exploitation_types": forms.CheckboxSelectMultiple,
        }
        help_texts = {"closing_reason": "Required when closing the case."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = assignable_or(self.instance.assignee_id)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_version"].required = True
        if "status" in self.fields:
            self._offer_allowed_statuses()

    def _offer_allowed_statuses(self):
        current = Status(self.instance.status)
        offered = {current, *workflow.allowed_transitions(current)}
        field = self.fields["status"]
        message = ""
        if not self.may_close and (offered - {current}) & workflow.CLOSED_STATUSES:
            offered -= workflow.CLOSED_STATUSES - {current}
            field.help_text = "A supervisor closes cases."
            message = " A supervisor closes cases."
        field.choices = [(status.value, status.label) for status in Status if status in offered]
        field.error_messages["invalid_choice"] = (
            f"A case that is {current.label.lower()} can only become "
            f"{join_labels(offered - {current})}.{message}"
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        if "closing_reason" in self.changed_data and "status" not in self.changed_data:
            # case_edit takes a closing reason only with a change of status: without this
            # message, the change would be dropped without a word.
            self.add_error(
                "closing_reason",
                "The closing reason is given when the case is closed; it cannot change on its own.",
            )
        for name in LINKS:
            self._check_still_linked(cleaned, name)
        loaded = cleaned.get("loaded_version")
        if self.errors and loaded is not None and loaded != self.instance.version:
            # Not a second version check (case_edit makes it, under a lock): the choices follow
            # the case as someone else left it, so these errors may be about changes this
            # person never made. Say what happened.
            self.add_error(None, ValidationError(conflict_message(self.instance), code="conflict"))
        return cleaned

    def _check_still_linked(self, cleaned, name):
        if name not in cleaned:
            return
        kept = {row.pk for row in cleaned[name]}
        if any(row.pk not in kept for row in self.initial.get(name, [])):
            noun = "tip" if name == "tips" else "call"
            self.add_error(name, f"A linked {noun} stays linked to the case; it cannot be removed.")

    def create(self, actor):
        given = {}
        if "assignee" not in self.fields:
            # Someone who may not assign cases opens one for themselves: assigned to them, in
            # their team, until a supervisor gives it to someone else.
            given = {"assignee": actor, "team": actor.team}
        return call_service(services.case_open, self, actor=actor, **given)

    def update(self, actor):
        data, case = self.cleaned_data, self.instance
        edited = set(self.changed_data) - {"loaded_version", "closing_reason", *LINKS}
        if edited:
            changes = {name: data[name] for name in edited}
            if "status" in edited:
                changes["closing_reason"] = data.get("closing_reason", "")
            with conflicts_shown_as_errors():
                case = services.case_edit(
                    actor=actor, case=case, expected_version=data["loaded_version"], **changes
                )
        for name, link in LINKS.items():
            linked = {row.pk for row in self.initial.get(name, [])}
            for row in data.get(name, []):
                if row.pk not in linked:
                    link(actor=actor, case=case, **{name[:-1]: row})
        return case


class CaseRecords(ScopedRows):
    """Rows recorded on a case, seen exactly when their case is (access.case_records_for)."""

    def scope(self, user, queryset):
        return access.case_records_for(user, queryset)


class CaseRowInline(CaseRecords, admin.TabularInline):
    """Rows recorded on a case, on the case page: written through their services, never
    deleted here (the timeline refers to them). Adding and changing them is working the case
    (`action`), which the person may do on some cases they see and not on others."""

    formset = ServiceInlineFormSet
    extra = 0
    show_change_link = True
    action = Action.CHANGE

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and may(request, self.action, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or may(request, self.action, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(CaseRecords, admin.TabularInline):
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


class PartyForm(ServiceForm):
    correctable = services.PARTY_CORRECTABLE

    class Meta:
        model = Party
        fields = keyword_arguments(services.party_add)

    def clean_citizenship(self):
        # The services store it in capitals; doing the same here lets the model's validation,
        # which runs before them, accept "mx".
        return self.cleaned_data["citizenship"].strip().upper()

    def create(self, actor):
        return call_service(services.party_add, self, actor=actor)

    def update(self, actor):
        return services.party_update(actor=actor, party=self.instance, **self.changes())


class IdentifierForm(ServiceForm):
    # What identifier_update corrects; it normalises the value again, as identifier_add does.
    correctable = set(keyword_arguments(services.identifier_update, besides=["identifier"]))

    class Meta:
        model = Identifier
        fields = keyword_arguments(services.identifier_add)

    def create(self, actor):
        return call_service(services.identifier_add, self, actor=actor)

    def update(self, actor):
        return services.identifier_update(actor=actor, identifier=self.instance, **self.changes())


class VenueForm(ServiceForm):
    correctable = services.VENUE_CORRECTABLE

    class Meta:
        model = Venue
        fields = keyword_arguments(services.venue_add)

    def create(self, actor):
        return call_service(services.venue_add, self, actor=actor)

    def update(self, actor):
        return services.venue_update(actor=actor, venue=self.instance, **self.changes())


ANSWERS = [Referral.Status.ACCEPTED, Referral.Status.DECLINED, Referral.Status.CLOSED]


class ReferralForm(ServiceForm):
    # The partner's answer and the referral's terms change; what was sent, to whom and when
    # does not.
    correctable = {"status", *services.REFERRAL_TERMS}

    class Meta:
        model = Referral
        fields = ["case", "status", *keyword_arguments(services.referral_send, besides=["case"])]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" not in self.fields:
            return
        status = self.fields["status"]
        if self.instance.pk is None:
            # A referral starts as sent; the partner's answer is recorded once it comes.
            status.disabled = True
        else:
            offered = {self.instance.status, *ANSWERS}
            status.choices = [(s.value, s.label) for s in Referral.Status if s in offered]

    def create(self, actor):
        return call_service(services.referral_send, self, actor=actor)

    def update(self, actor):
        referral, terms = self.instance, self.changes(services.REFERRAL_TERMS)
        if "status" in self.changed_data:
            # The answer and the notes that came with it are one event.
            referral = services.referral_respond(
                actor=actor,
                referral=referral,
                status=self.cleaned_data["status"],
                notes=terms.pop("notes", None),
            )
        if terms:
            referral = services.referral_update(actor=actor, referral=referral, **terms)
        return referral


class OutcomeForm(ServiceForm):
    correctable = services.OUTCOME_CORRECTABLE

    class Meta:
        model = Outcome
        fields = keyword_arguments(services.outcome_record)

    def create(self, actor):
        return call_service(services.outcome_record, self, actor=actor)

    def update(self, actor):
        return services.outcome_update(actor=actor, outcome=self.instance, **self.changes())


class NoteForm(ServiceForm):
    # Notes are never edited: a correction is a new note.
    correctable = set()

    class Meta:
        model = Note
        fields = keyword_arguments(services.note_add)

    def create(self, actor):
        return call_service(services.note_add, self, actor=actor)


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

    def scope(self, user, queryset):
        return access.identifiers_for(user, queryset)

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

    def get_readonly_fields(self, request, obj=None):
        return referral_readonly(request, obj, super().get_readonly_fields(request, obj))


def referral_readonly(request, case, readonly):
    """A referral's status is the partner's answer: only someone who may record it
    (Action.RESPOND_TO_REFERRAL) changes it."""
    if case is not None and may(request, Action.RESPOND_TO_REFERRAL, case):
        return readonly
    return [*readonly, "status"]


class OutcomeInline(CaseRowInline):
    model = Outcome
    form = OutcomeForm
    action = Action.RECORD_OUTCOME
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

    def has_change_permission(self, request, obj=None):
        # Notes already written are shown, never edited, superusers included.
        return False


CASE_FIELDSETS = [
    ("Description", ["priority", "trafficking_type", "industry", "region", "victim_count"]),
    (None, ["summary", "is_restricted"]),
    ("Exploitation", ["methods_of_control", "exploitation_types"]),
    ("Assignment", ["assignee", "team"]),
    ("Came from", ["tips", "calls"]),
]


@admin.register(Case)
class CaseAdmin(AuditedReads, ExportsCSV, ScopedRows, WritesThroughServices, admin.ModelAdmin):
    form = CaseAdminForm
    change_form_template = "admin/cases/case/change_form.html"
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
    search_fields = ["reference", "summary"]
    search_help_text = (
        "Search by case reference (HT-2026-000123) or part of it, by words of the summary, or "
        "by an identifier on the case, written any way (a phone number with or without its "
        "country code, say)."
    )
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

    # The CSV export: what a case is, never who is in it.
    export_columns = [
        ("reference", lambda case: case.reference),
        ("status", lambda case: case.get_status_display()),
        ("priority", lambda case: case.get_priority_display()),
        ("trafficking type", lambda case: case.get_trafficking_type_display()),
        ("industry", lambda case: case.industry),
        ("region", lambda case: case.region.code if case.region_id else ""),
        ("assignee", lambda case: case.assignee.username if case.assignee_id else ""),
        ("team", lambda case: case.team),
        ("opened", lambda case: case.opened_at),
        ("closed", lambda case: case.closed_at),
    ]

    def scope(self, user, queryset):
        return access.cases_for(user, queryset)

    def may_export(self, request):
        return access.may(request.user, Permission.EXPORT)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = identifier_term_filter(search_term)
        if match is not None:
            # A subquery, not a join: one row per case, however many identifiers match.
            holders = Identifier.objects.filter(match).values("case")
            found |= queryset.filter(pk__in=holders)
        return found, may_have_duplicates

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        form_class.may_close = may(request, Action.APPROVE_CLOSURE, obj)
        return form_class

    def get_fieldsets(self, request, obj=None):
        described = [(name, {"fields": fields}) for name, fields in CASE_FIELDSETS]
        if obj is None:
            if not may(request, Action.ASSIGN):
                described = [
                    (name, fieldset)
                    if name != "Assignment"
                    else (name, {"fields": [], "description": OPENED_FOR_YOURSELF})
                    for name, fieldset in described
                ]
            # A new case is new: its status and reference come from case_open.
            return [*described, ("Record", {"fields": ["opened_at"]})]
        record = ["opened_at", "closed_at", "created_by", "updated_at", "version"]
        if obj.identities_erased_at is not None:
            # The retention policy erased who was in it (cases/retention.py).
            record.append("identities_erased_at")
        return [
            (None, {"fields": ["reference", "status", "closing_reason", "loaded_version"]}),
            *described,
            ("Record", {"fields": record}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = []
        if obj is not None:
            # No service changes these: the reference and times are facts, the version counts
            # edits.
            readonly = [
                "reference",
                "opened_at",
                "closed_at",
                "created_by",
                "updated_at",
                "version",
                "identities_erased_at",
            ]
            if not may(request, Action.APPROVE_CLOSURE, obj):
                readonly.append("closing_reason")
        if not may(request, Action.ASSIGN, obj):
            readonly += ["assignee", "team"]
        if not may(request, Action.RESTRICT, obj):
            readonly.append("is_restricted")
        return readonly

    def get_inlines(self, request, obj):
        if obj is None:
            # A case that does not exist yet has no timeline to show.
            return [inline for inline in self.inlines if inline is not CaseEventInline]
        return self.inlines

    def has_add_permission(self, request):
        return super().has_add_permission(request) and access.may(
            request.user, Permission.OPEN_CASE
        )

    def has_change_permission(self, request, obj=None):
        # The case came through cases_for (get_object): it is one the person sees.
        return super().has_change_permission(request, obj) and (
            obj is None or may(request, Action.CHANGE, obj)
        )

    def has_delete_permission(self, request, obj=None):
        # A case is evidence and its timeline the audit trail: nothing deletes them.
        return False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if change and obj is not None and viewed_by_shown_to(request.user):
            response.context_data["viewed_by"] = viewed_by(obj)
            response.context_data["case_trail_url"] = (
                f"{reverse('admin:hotline_auditentry_changelist')}?case_id={obj.pk}"
            )
        return response


OPENED_FOR_YOURSELF = (
    "A case you open is yours: it is assigned to you, in your team. A supervisor can give it "
    "to someone else."
)


def viewed_by_shown_to(user):
    return access.may(user, access.Permission.SEE_CASE_READS)


def viewed_by(case):
    """The latest reads of the case and of the records on it, newest first: one query."""
    reads = AuditEntry.objects.filter(case_id=case.pk, action=AuditAction.VIEW)
    return list(reads.select_related("user").order_by("-at", "-pk")[:VIEWED_BY_SHOWN])


class CaseRowAdmin(CaseRecords, WritesThroughServices, admin.ModelAdmin):
    """The admin of rows recorded on a case: seen exactly when their case is, written through
    their services, never deleted, and never moved to another case. Adding and changing one is
    working its case (`action`)."""

    autocomplete_fields = ["case"]
    list_select_related = ["case"]
    # Fields that say who recorded the row and when.
    record_fields = []
    action = Action.CHANGE

    def get_queryset(self, request):
        # The detail page asks what may be done to the row's case: fetched with it. (The list
        # adds list_select_related only to a queryset that selects nothing related yet.)
        return super().get_queryset(request).select_related("case", *self.list_select_related)

    def get_fields(self, request, obj=None):
        fields = list(self.form._meta.fields)
        return fields if obj is None else [*fields, *self.record_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["case", *self.record_fields]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or obj.case_id is None:
            return allowed
        return may(request, self.action, obj.case)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form offers only cases the person sees; adding to one is working it.
        case = form.cleaned_data.get("case")
        if not change and case is not None and not access.can(request.user, self.action, case):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(Party)
class PartyAdmin(AuditedReads, CaseRowAdmin):
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
    # Names are encrypted at rest, so they cannot be searched in the database.
    search_fields = ["case__reference"]
    ordering = ["-pk"]
    show_full_result_count = False


@admin.register(Identifier)
class IdentifierAdmin(AuditedReads, CaseRowAdmin):
    form = IdentifierForm
    record_fields = ["normalised", "created_by", "created_at"]
    # Autocompletes, never raw-id widgets: a raw-id widget labels the id it is given through
    # the default manager, past the access module (?party=<a party of a hidden case> would be
    # named). An autocomplete's label comes from the field's choices, which ScopedRows narrows.
    autocomplete_fields = ["case", "tip", "party"]
    list_display = ["normalised", "kind", "platform", "value", "case", "tip", "party"]
    list_filter = ["kind", "platform"]
    list_select_related = ["case", "tip", "party"]
    # Values are encrypted: identifiers are found by the hash of their normalised form.
    search_fields = ["case__reference", "tip__reference"]
    search_help_text = (
        "Search by identifier, written any way (a phone number with or without its country "
        "code, say), or by case or tip reference."
    )
    ordering = ["-pk"]
    show_full_result_count = False

    def scope(self, user, queryset):
        return access.identifiers_for(user, queryset)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = identifier_term_filter(search_term)
        if match is not None:
            found |= queryset.filter(match)
        return found, may_have_duplicates


@admin.register(Venue)
class VenueAdmin(AuditedReads, CaseRowAdmin):
    form = VenueForm
    record_fields = ["created_by", "created_at"]
    autocomplete_fields = ["case", "industry", "region"]
    list_display = ["name", "case", "industry", "region"]
    list_filter = ["industry", "region__census_region"]
    list_select_related = ["case", "industry", "region"]
    search_fields = ["name", "case__reference"]
    ordering = ["-pk"]


@admin.register(Referral)
class ReferralAdmin(AuditedReads, CaseRowAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else referral_readonly(request, obj.case, readonly)


@admin.register(Outcome)
class OutcomeAdmin(AuditedReads, CaseRowAdmin):
    form = OutcomeForm
    action = Action.RECORD_OUTCOME
    record_fields = ["recorded_by", "recorded_at"]
    autocomplete_fields = ["case", "referral"]
    list_display = ["case", "kind", "occurred_on", "agency", "referral"]
    list_filter = ["kind"]
    list_select_related = ["case", "referral"]
    search_fields = ["case__reference", "agency"]
    date_hierarchy = "occurred_on"
    ordering = ["-occurred_on"]


@admin.register(Note)
class NoteAdmin(AuditedReads, CaseRowAdmin):
    form = NoteForm
    record_fields = ["author", "created_at"]
    list_display = ["__str__", "case", "author", "created_at"]
    list_select_related = ["case", "author"]
    search_fields = ["case__reference"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # A note is never edited, superusers included: a correction is a new note.
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(AuditedReads, CaseRecords, ReadOnlyAdmin):
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


# --- The audit trail ---------------------------------------------------------------------------


@admin.register(AuditEntry)
class AuditTrailAdmin(AuditEntryAdmin):
    """hotline.admin.AuditEntryAdmin, with the case references only this app knows: a column,
    and a search that finds a case's whole trail by its reference."""

    # The kinds the timeline's writes name, and those only reads name (the timeline itself).
    object_kinds = sorted(
        {
            *AuditEntryAdmin.object_kinds,
            *(kind for _action, kind, _key in events.AUDIT.values()),
            CaseEvent._meta.model_name,
        }
    )
    search_help_text = (
        "Search by case reference (HT-2026-000123), username, request id or IP address."
    )
    export_columns = [
        *AuditEntryAdmin.export_columns[:9],
        ("case reference", lambda entry: entry.case_reference or ""),
        *AuditEntryAdmin.export_columns[9:],
    ]

    def get_queryset(self, request):
        reference = Case.objects.filter(pk=OuterRef("case_id")).values("reference")[:1]
        return super().get_queryset(request).annotate(case_reference=Subquery(reference))

    def search_condition(self, term):
        if re.fullmatch(REFERENCE_PATTERN, term.upper()):
            return Q(case_id__in=Case.objects.filter(reference=term.upper()).values("pk"))
        return super().search_condition(term)

    def case_label(self, case_id):
        return Case.objects.filter(pk=case_id).values_list("reference", flat=True).first() or (
            f"case {case_id}"
        )

    @admin.display(description="case", ordering="case_id")
    def case(self, entry):
        return entry.case_reference or entry.case_id


# --- Forwarding rules (cases/forwarding.py, docs/forwarding.md) --------------------------------

from cases import models as cases_models  # noqa: E402 - appended section
from hotline import admin as hotline_admin  # noqa: E402 - appended section


@admin.register(cases_models.ForwardingRule)
class ForwardingRuleAdmin(hotline_admin.ManagedAdmin):
    """Administrators edit the rules; supervisors read them. A rule in use is made inactive
    rather than deleted: its forwardings keep naming it."""

    manage = Permission.MANAGE_REFERENCE_DATA
    list_display = [
        "name",
        "trafficking_type",
        "requires_minor_victim",
        "requires_adult_victims",
        "requires_imminent_danger",
        "requires_consent",
        "organisation_type",
        "due_within_hours",
        "is_active",
    ]
    list_filter = ["is_active", "organisation_type", "trafficking_type"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False
