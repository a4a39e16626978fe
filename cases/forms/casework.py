"""Forms of the case-work pages: tip triage, the queue's bulk actions, the case page.

Forms validate what a person typed and name the records they mean (a case by reference, a tip by
reference), always through hotline.access; the services (cases/services.py) decide the rest and
their refusals are shown next to the field they concern (`show_service_errors`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases import workflow
from cases.models import (
    Case,
    ClosingReason,
    Identifier,
    Outcome,
    Party,
    Priority,
    Referral,
    TransactionClue,
)
from cases.views.casework_filters import RegionCodeField
from hotline import access
from hotline.admin import assignable_or
from hotline.models import Industry, PartnerOrganisation, Tip, TraffickingType

Status = workflow.Status

CLOSING_REASON_CHOICES = [("", _("Choose a reason")), *ClosingReason.choices]


class PageForm(forms.Form):
    """A form among several on one page: its ids start with `id_prefix`, so that two forms
    with a field of the same name (a status, notes) never share an id."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


def show_service_errors(form, error):
    """Put a service's ValidationError on the form: next to the field it names when the form
    has that field, at the top otherwise."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class VersionedForm(PageForm):
    """A form that edits a case carries the version it was shown with, and the last timeline
    event the person saw: a save over a newer version is refused (cases.services.CaseChanged),
    and what happened since is read from the events after that one."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    seen_event = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args, case, user, seen_event=None, **kwargs):
        self.case, self.user = case, user
        initial = {"version": case.version, "seen_event": seen_event, **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)


# --- Tips -------------------------------------------------------------------------------------


class TipTriageForm(PageForm):
    id_prefix = "triage"

    DECISIONS = [
        (Tip.TriageState.TRIAGED, _("Triaged: to be worked")),
        (Tip.TriageState.DUPLICATE, _("Duplicate of another tip")),
        (Tip.TriageState.NO_ACTION, _("No action")),
    ]
    state = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    duplicate_of = forms.CharField(
        label=_("Duplicate of (tip reference)"),
        required=False,
        max_length=20,
        help_text=_("e.g. T-ABCD-2345"),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, tip, **kwargs):
        self.user, self.tip = user, tip
        super().__init__(*args, **kwargs)

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip().upper()
        if not reference:
            return None
        original = access.tips_for(self.user, Tip.objects.all()).filter(reference=reference)
        original = original.first()
        if original is None:
            raise ValidationError(_("No tip has this reference."))
        return original

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get("state")
        missing = not cleaned.get("duplicate_of") and "duplicate_of" not in self.errors
        if state == Tip.TriageState.DUPLICATE and missing:
            self.add_error("duplicate_of", _("Say which tip this one duplicates."))
        if (
            state in (Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION)
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give a reason, so a reviewer can follow it."))
        return cleaned


class TipOpenCaseForm(PageForm):
    id_prefix = "open"

    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False, empty_label=_("Nobody yet")
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("From the tip's urgency")), *Priority.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_or(None)


class TipLinkForm(PageForm):
    id_prefix = "link"

    case = forms.CharField(
        label=_("Case reference"), max_length=20, help_text=_("e.g. HT-2026-000123")
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_case(self):
        reference = self.cleaned_data["case"].strip().upper()
        case = access.cases_for(self.user, Case.objects.all()).filter(reference=reference).first()
        if case is None:
            raise ValidationError(_("No case you can see has this reference."))
        if not access.can_on_visible(self.user, access.Action.CHANGE, case):
            raise ValidationError(_("You cannot change this case."))
        return case


# --- The queue's bulk actions -----------------------------------------------------------------


class BulkForm(PageForm):
    id_prefix = "bulk"

    ASSIGN, STATUS = "assign", "status"
    selected = forms.MultipleChoiceField(label=_("Cases"), choices=[])
    action = forms.ChoiceField(
        label=_("Action"), choices=[(ASSIGN, _("Assign to")), (STATUS, _("Change status to"))]
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Status.choices], required=False
    )
    closing_reason = forms.ChoiceField(
        label=_("Closing reason"), choices=CLOSING_REASON_CHOICES, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_or(None)
        # Each selected row is "<id>:<version>", the version the row was listed with.
        self.fields["selected"].choices = [
            (value, value) for value in (self.data.getlist("selected") if self.data else [])
        ]

    def clean_selected(self):
        rows = []
        for value in self.cleaned_data["selected"]:
            pk, _sep, version = value.partition(":")
            if not (pk.isdigit() and version.isdigit()):
                raise ValidationError(_("Select cases from the list."))
            rows.append((int(pk), int(version)))
        return rows

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.STATUS and not cleaned.get("status"):
            self.add_error("status", _("Choose the new status."))
        closing = cleaned.get("status") in workflow.CLOSED_STATUSES
        if cleaned.get("action") == self.STATUS and closing and not cleaned.get("closing_reason"):
            self.add_error("closing_reason", _("Say why the cases are being closed."))
        return cleaned


# --- The case page ----------------------------------------------------------------------------


def offered_transitions(user, case):
    """The statuses this user may move this case to now: the workflow's, less closing for
    those who may only request it."""
    if not access.can_on_visible(user, access.Action.CHANGE, case):
        return []
    allowed = workflow.allowed_transitions(case.status)
    if not access.can_on_visible(user, access.Action.APPROVE_CLOSURE, case):
        allowed = allowed - workflow.CLOSED_STATUSES
    return [status for status in Status if status in allowed]


def closure_requestable(user, case):
    """Statuses this user may ask a supervisor to close the case as."""
    if not access.can_on_visible(user, access.Action.CHANGE, case):
        return []
    if access.can_on_visible(user, access.Action.APPROVE_CLOSURE, case):
        return []
    allowed = workflow.allowed_transitions(case.status) & workflow.CLOSED_STATUSES
    return [status for status in Status if status in allowed]


class CaseStatusForm(VersionedForm):
    id_prefix = "status"

    status = forms.ChoiceField(label=_("New status"), choices=[])
    closing_reason = forms.ChoiceField(
        label=_("Closing reason"),
        choices=CLOSING_REASON_CHOICES,
        required=False,
        help_text=_("Required when closing the case."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = offered_transitions(self.user, self.case)
        self.fields["status"].choices = [(status.value, status.label) for status in offered]
        current = self.case.get_status_display().lower()
        labels = ", ".join(str(status.label).lower() for status in offered)
        self.fields["status"].error_messages["invalid_choice"] = _(
            "A case that is %(current)s can become: %(labels)s."
        ) % {"current": current, "labels": labels or _("nothing you may choose")}
        if not any(status in workflow.CLOSED_STATUSES for status in offered):
            del self.fields["closing_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") in workflow.CLOSED_STATUSES and not cleaned.get("closing_reason"):
            self.add_error("closing_reason", _("Say why the case is being closed."))
        return cleaned


class ClosureRequestForm(VersionedForm):
    id_prefix = "closure"

    status = forms.ChoiceField(label=_("Close as"), choices=[])
    closing_reason = forms.ChoiceField(label=_("Reason"), choices=CLOSING_REASON_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (status.value, status.label) for status in closure_requestable(self.user, self.case)
        ]


class ClosureDecisionForm(VersionedForm):
    id_prefix = "decision"

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve and close")), ("decline", _("Decline"))]
    )


class CaseAssignForm(VersionedForm):
    id_prefix = "assign"

    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_or(self.case.assignee_id)
        self.fields["assignee"].initial = self.case.assignee_id


class CaseDetailsForm(VersionedForm):
    id_prefix = "details"

    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    trafficking_type = forms.ChoiceField(label=_("Type"), choices=TraffickingType.choices)
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.order_by("position", "name"), required=False
    )
    region = RegionCodeField(label=_("Region code"), required=False, max_length=10)
    victim_count = forms.IntegerField(label=_("Potential victims"), min_value=0, max_value=100000)
    is_restricted = forms.BooleanField(label=_("Restricted"), required=False)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    FIELDS = ["priority", "trafficking_type", "industry", "region", "victim_count", "summary"]

    @staticmethod
    def values_of(case):
        """The case's fields as this form shows them."""
        return {
            "priority": case.priority,
            "trafficking_type": case.trafficking_type,
            "industry": case.industry_id,
            "region": case.region.code if case.region_id else "",
            "victim_count": case.victim_count,
            "is_restricted": case.is_restricted,
            "summary": case.summary,
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", self.values_of(kwargs["case"]))
        super().__init__(*args, **kwargs)
        if not access.can_on_visible(self.user, access.Action.RESTRICT, self.case):
            del self.fields["is_restricted"]
        for name in self.editable():
            # Each field also sends the value it was shown with, so that a save applies only
            # what the person changed and never writes back a value they merely left alone.
            self.fields[name].show_hidden_initial = True

    def editable(self):
        return [name for name in [*self.FIELDS, "is_restricted"] if name in self.fields]

    def changes(self):
        """The fields the person changed, with their new values."""
        return {
            name: self.cleaned_data[name] for name in self.editable() if name in self.changed_data
        }


class NoteForm(PageForm):
    id_prefix = "note"

    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


class PartyForm(PageForm):
    id_prefix = "party"

    role = forms.ChoiceField(label=_("Role"), choices=Party.Role.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Party.Kind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    aliases = forms.CharField(label=_("Aliases"), required=False, max_length=300)
    age_band = forms.ChoiceField(label=_("Age band"), choices=Party.AgeBand.choices)
    gender = forms.ChoiceField(label=_("Gender"), choices=Party.Gender.choices)
    citizenship = forms.CharField(
        label=_("Citizenship"), required=False, max_length=2, help_text=_("Country code, e.g. MX")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["age_band"].initial = Party.AgeBand.UNKNOWN
        self.fields["gender"].initial = Party.Gender.UNKNOWN


class IdentifierForm(PageForm):
    id_prefix = "identifier"

    kind = forms.ChoiceField(label=_("Kind"), choices=Identifier.Kind.choices)
    platform = forms.ChoiceField(
        label=_("Platform"),
        choices=[("", _("(handles only)")), *Identifier.Platform.choices],
        required=False,
    )
    value = forms.CharField(label=_("Value"), max_length=300)
    party = forms.ModelChoiceField(
        label=_("Belongs to"), queryset=Party.objects.none(), required=False
    )

    def __init__(self, *args, case, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(case=case)
        if parties is not None:
            # The page has the parties already: label them without another query.
            self.fields["party"].choices = [("", "—")] + [
                (party.pk, party.get_role_display() + (f": {party.name}" if party.name else ""))
                for party in parties
            ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Identifier.Kind.HANDLE and not cleaned.get("platform"):
            self.add_error("platform", _("Say which platform the handle is on."))
        return cleaned


class TransactionClueForm(PageForm):
    """A payment seen on one of the case's payment accounts (docs/linking.md, "Financial
    leads"). The service checks the rest: a payment account of this case, a currency of ISO
    4217, no day in the future."""

    id_prefix = "clue"

    identifier = forms.ModelChoiceField(
        label=_("Payment account"), queryset=Identifier.objects.none()
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("Not known")), *TransactionClue.Direction.choices],
        required=False,
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": _("Write the amount as a number, such as 250 or 1200.50."),
            "max_decimal_places": _("An amount has at most two decimal places."),
            "max_digits": _("This amount is too large to be a payment."),
            "max_whole_digits": _("This amount is too large to be a payment."),
        },
    )
    currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=3,
        help_text=_("ISO 4217 code, e.g. USD, EUR, MXN."),
        error_messages={"max_length": _("A currency is a three-letter code such as USD.")},
    )
    occurred_on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day of the payment, or the first of several."),
    )
    occurred_until = forms.DateField(
        label=_("Last date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For several payments: the day of the last one."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Every identifier of the case is accepted here, so that one of another kind is
        # refused by the service with a message that says why.
        self.fields["identifier"].queryset = Identifier.objects.filter(case=case)
        if accounts is not None:
            # The page has the accounts already: offer them without another query.
            self.fields["identifier"].choices = [(a.pk, a.value) for a in accounts]

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()


class VenueForm(PageForm):
    id_prefix = "venue"

    name = forms.CharField(label=_("Name"), max_length=200)
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.order_by("position", "name"), required=False
    )
    region = RegionCodeField(label=_("Region code"), required=False, max_length=10)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReferralForm(PageForm):
    id_prefix = "referral"

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=PartnerOrganisation.objects.filter(is_active=True).order_by("name"),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=Referral.Reason.choices)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("When a forwarding rule applies: the deadline."),
    )
    shares_identities = forms.BooleanField(label=_("Share identities"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OutcomeForm(PageForm):
    id_prefix = "outcome"

    kind = forms.ChoiceField(label=_("Outcome"), choices=Outcome.Kind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    agency = forms.CharField(label=_("Agency"), required=False, max_length=200)
    referral = forms.ModelChoiceField(
        label=_("Referral"), queryset=Referral.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case, referrals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = Referral.objects.filter(case=case)
        if referrals is not None:
            self.fields["referral"].choices = [("", "—")] + [
                (referral.pk, f"{referral.organisation.name} ({referral.sent_at:%Y-%m-%d})")
                for referral in referrals
            ]
