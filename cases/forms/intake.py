"""The "Log a call" form (/calls/new/): the call, the tip it may be, and the identifiers the
caller mentioned (docs/web.md)."""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import identifiers
from cases.models import Identifier
from hotline.forms import (
    CALLER_TYPE_LABELS,
    CHANNEL_LABELS,
    REASON_LABELS,
    TRAFFICKING_TYPE_LABELS,
    AccessibleForm,
    IndicatorsField,
    IndustryField,
    RegionField,
    labelled,
    set_region_choices,
)
from hotline.models import Call, Code, Industry, TraffickingType, Urgency

# How far the page's clock may be ahead of the server's, and how old a call may be, when it is
# logged through this form (older calls are entered through the admin).
STARTED_AT_SKEW = timedelta(minutes=2)
STARTED_AT_OLDEST = timedelta(days=1)
# The identifier rows the page shows at first, and how many it accepts.
IDENTIFIER_ROWS = 3
IDENTIFIER_ROWS_MAX = 20

CALL_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ase", _("American Sign Language")),
    ("ar", _("Arabic")),
    ("zh", _("Chinese")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
    ("ko", _("Korean")),
    ("pt", _("Portuguese")),
    ("ru", _("Russian")),
    ("tl", _("Tagalog")),
    ("vi", _("Vietnamese")),
]
URGENCY_CHOICES = [
    (Urgency.ROUTINE.value, _("Routine")),
    (Urgency.URGENT.value, _("Urgent")),
]
IDENTIFIER_KIND_LABELS = {
    Identifier.Kind.PHONE: _("Phone number"),
    Identifier.Kind.EMAIL: _("E-mail address"),
    Identifier.Kind.HANDLE: _("Social-media handle"),
    Identifier.Kind.ADDRESS: _("Address"),
    Identifier.Kind.VEHICLE: _("Vehicle"),
    Identifier.Kind.BUSINESS_NAME: _("Business name"),
    Identifier.Kind.PAYMENT_ACCOUNT: _("Payment account"),
}
PLATFORM_OTHER = _("Other")
# cases/identifiers.py says what is wrong in English, with a code; the page says it in the
# reader's language.
IDENTIFIER_ERRORS = {
    "invalid_phone": _(
        "This is not a phone number we can read. Type the digits, with the country code for "
        "numbers outside %(region)s (for example +52 55 1234 5678)."
    ),
    "invalid_email": _("This is not an e-mail address: it should look like name@example.org."),
    "handle_needs_platform": _("Choose the platform this handle is on (Instagram, Telegram, ...)."),
    "invalid_handle": _(
        "A handle may contain letters, digits, dots, dashes and underscores only, like @name_123."
    ),
    "invalid_vehicle": _("Type the vehicle's plate, letters and digits (for example ABC 1234)."),
    "empty": _("This identifier has nothing in it that we can match."),
}


class CallForm(AccessibleForm):
    started_at = forms.DateTimeField(widget=forms.HiddenInput)
    intake_key = forms.UUIDField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=labelled(Call.Channel, CHANNEL_LABELS))
    caller_type = forms.ChoiceField(
        label=_("Caller"), choices=[("", "—"), *labelled(Call.CallerType, CALLER_TYPE_LABELS)]
    )
    language = forms.ChoiceField(label=_("Language of the call"), choices=CALL_LANGUAGES)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *labelled(Call.Reason, REASON_LABELS)]
    )
    region = RegionField(
        label=_("Region"),
        help_text=_("The state or country the call is about. Type to search."),
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=URGENCY_CHOICES, coerce=int, initial=Urgency.ROUTINE
    )
    imminent_danger = forms.BooleanField(
        label=_("Imminent danger"),
        help_text=_(
            "Someone is in danger now: the call goes to the top of the supervisors' queue."
        ),
        required=False,
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    is_tip = forms.BooleanField(
        label=_("This is a tip"),
        help_text=_("The caller reports possible trafficking: record what they saw."),
        required=False,
    )
    observed = forms.CharField(
        label=_("What was seen or heard"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = forms.CharField(
        label=_("Where"),
        help_text=_("An address, a business or a place."),
        required=False,
        max_length=1_000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    industry = IndustryField(
        label=_("Suspected industry"),
        queryset=Industry.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="—",
    )
    trafficking_type = forms.ChoiceField(
        label=_("Type of trafficking"),
        choices=labelled(TraffickingType, TRAFFICKING_TYPE_LABELS),
        initial=TraffickingType.UNKNOWN,
        required=False,
    )
    indicators = IndicatorsField(
        label=_("Indicators of forced labour"),
        queryset=Code.objects.filter(list=Code.List.ILO_INDICATORS, is_active=True),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    people_mentioned = forms.CharField(
        label=_("People mentioned"),
        help_text=_("Names, nicknames, descriptions; one person per line."),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intake_key", uuid.uuid4())
            # With its offset, so the page's timer (static/js/call-log.js) reads it exactly.
            started_at = timezone.now().replace(microsecond=0).isoformat()
            self.initial.setdefault("started_at", started_at)
        set_region_choices(self)
        self.fields["region"].widget.attrs.update(
            {"data-region-picker": "", "data-regions-url": reverse("call_regions")}
        )

    def clean_started_at(self):
        started_at = self.cleaned_data["started_at"]
        now = timezone.now()
        if started_at > now + STARTED_AT_SKEW:
            raise ValidationError(
                _("The call's start time is in the future; check this computer's clock.")
            )
        if started_at < now - STARTED_AT_OLDEST:
            raise ValidationError(
                _(
                    "This form was opened more than a day ago. Discard the draft and log the "
                    "call again; older calls are entered in the admin."
                )
            )
        return min(started_at, now)

    def clean(self):
        data = super().clean()
        if data.get("is_tip") and not (data.get("observed") or "").strip():
            self.add_error("observed", _("Say what the caller saw or heard: this is a tip."))
        return data

    def call_fields(self):
        data = self.cleaned_data
        urgency = Urgency.IMMINENT_DANGER if data["imminent_danger"] else data["urgency"]
        return {
            "intake_key": data["intake_key"],
            "started_at": data["started_at"],
            # The call ends when it is saved: the advocate logs it while it goes on.
            "ended_at": max(timezone.now(), data["started_at"]),
            "channel": data["channel"],
            "caller_type": data["caller_type"],
            "language": data["language"],
            "reason": data["reason"],
            "region": data["region"],
            "summary": data["summary"].strip(),
            "urgency": urgency,
        }

    def tip_fields(self):
        data = self.cleaned_data
        if not data.get("is_tip"):
            return None
        return {
            "observed": data["observed"].strip(),
            "address": data["address"].strip(),
            "industry": data["industry"],
            "trafficking_type": data["trafficking_type"] or TraffickingType.UNKNOWN,
            "indicators": list(data["indicators"]),
            "people_mentioned": data["people_mentioned"].strip(),
            # The tip's key is the call's, derived, so a repeat finds both.
            "intake_key": uuid.uuid5(data["intake_key"], "tip"),
        }


class IdentifierForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=labelled(Identifier.Kind, IDENTIFIER_KIND_LABELS)
    )
    platform = forms.ChoiceField(
        label=_("Platform"),
        choices=[("", "—"), *Identifier.Platform.choices[:-1], ("other", PLATFORM_OTHER)],
        required=False,
        help_text=_("For handles."),
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=300,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "identifier-value"}
        ),
    )

    def clean(self):
        data = super().clean()
        value = (data.get("value") or "").strip()
        if not value or "kind" not in data:
            return data
        try:
            data["normalised"] = identifiers.normalise(data["kind"], value, data.get("platform"))
        except ValidationError as error:
            field = "platform" if error.code == "handle_needs_platform" else "value"
            message = IDENTIFIER_ERRORS.get(error.code)
            if message is None:
                self.add_error(field, error.messages)
            else:
                self.add_error(field, message % {"region": settings.HOTLINE_DEFAULT_PHONE_REGION})
        return data

    def has_value(self):
        return bool((self.cleaned_data.get("value") or "").strip())


class BaseIdentifierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if self.rows() and not self.tip_wanted:
            raise ValidationError(
                _(
                    "Identifiers are kept with a tip: tick “This is a tip”, or clear "
                    "the identifiers."
                ),
                code="identifiers_need_tip",
            )

    def rows(self):
        """(kind, platform, value) of every filled row, each identifier once."""
        seen, rows = set(), []
        for form in self.forms:
            if not form.has_value():
                continue
            data = form.cleaned_data
            platform = data.get("platform") or "" if data["kind"] == Identifier.Kind.HANDLE else ""
            key = (data["kind"], platform, data["normalised"])
            if key not in seen:
                seen.add(key)
                rows.append({"kind": data["kind"], "platform": platform, "value": data["value"]})
        return rows


IdentifierFormSet = forms.formset_factory(
    IdentifierForm,
    formset=BaseIdentifierFormSet,
    extra=IDENTIFIER_ROWS,
    max_num=IDENTIFIER_ROWS_MAX,
    absolute_max=IDENTIFIER_ROWS_MAX,
    validate_max=True,
)


def identifier_formset(data=None, *, tip_wanted=False):
    formset = IdentifierFormSet(data, prefix="identifiers")
    formset.tip_wanted = tip_wanted
    return formset
