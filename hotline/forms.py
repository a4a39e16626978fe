"""Forms of the hotline app's pages (sign-in, the public tip form) and what the intake forms of
the cases app share with them: translated labels for the intake choices, and the region
picker (docs/web.md)."""

import gettext
import uuid
from functools import lru_cache

import pycountry
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotline.models import Call, Region, TraffickingType, Urgency

# The intake choices' labels, translated: the models keep English labels for the admin and
# exports; these are what people see on the pages, in their language.
CHANNEL_LABELS = {
    Call.Channel.PHONE: _("Phone"),
    Call.Channel.SMS: _("SMS"),
    Call.Channel.CHAT: _("Chat"),
    Call.Channel.EMAIL: _("E-mail"),
    Call.Channel.WEB_FORM: _("Web form"),
}
CALLER_TYPE_LABELS = {
    Call.CallerType.POTENTIAL_VICTIM: _("Potential victim"),
    Call.CallerType.SURVIVOR: _("Survivor"),
    Call.CallerType.FAMILY_OR_FRIEND: _("Family or friend"),
    Call.CallerType.COMMUNITY_MEMBER: _("Community member"),
    Call.CallerType.LAW_ENFORCEMENT: _("Law enforcement"),
    Call.CallerType.SERVICE_PROVIDER: _("Service provider"),
    Call.CallerType.BUSINESS: _("Business"),
    Call.CallerType.ANONYMOUS: _("Anonymous"),
}
REASON_LABELS = {
    Call.Reason.TRAFFICKING_TIP: _("Trafficking tip"),
    Call.Reason.CRISIS: _("Crisis"),
    Call.Reason.SERVICES_REQUEST: _("Request for services"),
    Call.Reason.GENERAL_INFORMATION: _("General information"),
    Call.Reason.NOT_RELATED: _("Not related to trafficking"),
}
URGENCY_LABELS = {
    Urgency.ROUTINE: _("Routine"),
    Urgency.URGENT: _("Urgent"),
    Urgency.IMMINENT_DANGER: _("Imminent danger"),
}
TRAFFICKING_TYPE_LABELS = {
    TraffickingType.SEX: _("Sex trafficking"),
    TraffickingType.LABOR: _("Labor trafficking"),
    TraffickingType.SEX_AND_LABOR: _("Sex and labor trafficking"),
    TraffickingType.UNKNOWN: _("Unknown"),
}
TIP_STATE_LABELS = {
    "new": _("New"),
    "triaged": _("Triaged"),
    "linked": _("Linked to a case"),
    "duplicate": _("Duplicate"),
    "no_action": _("No action"),
}

# Reference data people pick from on the pages, by code: the tables keep the standards' English
# names (exports speak the standard); these are what the pages show.
ILO_INDICATOR_LABELS = {
    "abuse_of_vulnerability": _("Abuse of vulnerability"),
    "deception": _("Deception"),
    "restriction_of_movement": _("Restriction of movement"),
    "isolation": _("Isolation"),
    "physical_sexual_violence": _("Physical and sexual violence"),
    "intimidation_threats": _("Intimidation and threats"),
    "retention_of_identity_documents": _("Retention of identity documents"),
    "withholding_of_wages": _("Withholding of wages"),
    "debt_bondage": _("Debt bondage"),
    "abusive_working_living_conditions": _("Abusive working and living conditions"),
    "excessive_overtime": _("Excessive overtime"),
}
INDUSTRY_LABELS = {
    "escort_services": _("Escort services"),
    "illicit_massage_health_beauty": _("Illicit massage, health and beauty"),
    "outdoor_solicitation": _("Outdoor solicitation"),
    "residential": _("Residential"),
    "domestic_work": _("Domestic work"),
    "bars_strip_clubs_cantinas": _("Bars, strip clubs and cantinas"),
    "pornography": _("Pornography"),
    "traveling_sales_crews": _("Traveling sales crews"),
    "restaurants_food_service": _("Restaurants and food service"),
    "peddling_begging": _("Peddling and begging"),
    "agriculture_animal_husbandry": _("Agriculture and animal husbandry"),
    "personal_sexual_servitude": _("Personal sexual servitude"),
    "health_beauty_services": _("Health and beauty services"),
    "construction": _("Construction"),
    "hotels_hospitality": _("Hotels and hospitality"),
    "landscaping": _("Landscaping"),
    "illicit_activities": _("Illicit activities"),
    "arts_entertainment": _("Arts and entertainment"),
    "commercial_cleaning": _("Commercial cleaning services"),
    "factories_manufacturing": _("Factories and manufacturing"),
    "remote_interactive_sexual_acts": _("Remote interactive sexual acts"),
    "carnivals": _("Carnivals"),
    "forestry_logging": _("Forestry and logging"),
    "health_care": _("Health care"),
    "recreational_facilities": _("Recreational facilities"),
    "other": _("Other"),
    "unknown": _("Unknown"),
}


class CodeLabelMixin:
    """A choice field over reference rows that shows each row's translated label, by code."""

    labels = {}

    def label_from_instance(self, obj):
        return self.labels.get(obj.code, str(obj))


class IndustryField(CodeLabelMixin, forms.ModelChoiceField):
    labels = INDUSTRY_LABELS


class IndicatorsField(CodeLabelMixin, forms.ModelMultipleChoiceField):
    labels = ILO_INDICATOR_LABELS


def with_labels(call):
    """`call` with its channel, reason and urgency labelled in the page's language, for
    templates (channel_label, reason_label, urgency_label)."""
    call.channel_label = CHANNEL_LABELS.get(call.channel, call.channel)
    call.reason_label = REASON_LABELS.get(call.reason, call.reason)
    call.urgency_label = URGENCY_LABELS.get(call.urgency, call.urgency)
    return call


def labelled(choices, labels):
    """A model's choices with the translated labels of `labels`."""
    return [(value, labels.get(value, label)) for value, label in choices.choices]


# --- Regions ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _region_translations(language):
    """pycountry's own translations of ISO 3166 names (countries and subdivisions)."""
    if not language or language.startswith("en"):
        return None, None
    try:
        countries = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        subdivisions = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return None, None
    return countries, subdivisions


def region_label(region, language=None):
    """A region's name in the page's language: "Texas (US-TX)", "México"."""
    countries, subdivisions = _region_translations(language or get_language())
    if region.kind == Region.Kind.COUNTRY:
        name = region.name
        if countries is not None:
            # The stored name may be pycountry's common name; its official one is translated.
            country = pycountry.countries.get(alpha_2=region.code)
            candidates = [region.name, getattr(country, "name", region.name)]
            name = next(
                (countries.gettext(c) for c in candidates if countries.gettext(c) != c),
                region.name,
            )
        return name
    name = subdivisions.gettext(region.name) if subdivisions is not None else region.name
    return f"{name} ({region.code})"


def region_choices(selected=None):
    """(code, label) pairs for a region <select>, in the page's language."""
    states = Region.objects.filter(country_code="US", depth=1).only("code", "name", "kind")
    countries = Region.objects.filter(kind=Region.Kind.COUNTRY).only("code", "name", "kind")
    language = get_language()
    state_choices = sorted(
        ((r.code, region_label(r, language)) for r in states), key=lambda c: c[1]
    )
    country_choices = sorted(
        ((r.code, region_label(r, language)) for r in countries), key=lambda c: c[1]
    )
    choices = [("", "—")]
    if (
        selected is not None
        and selected.kind == Region.Kind.SUBDIVISION
        and not (selected.country_code == "US" and selected.depth == 1)
    ):
        choices.append((selected.code, region_label(selected, language)))
    choices.append((_("United States"), state_choices))
    choices.append((_("Countries"), country_choices))
    return choices


class RegionField(forms.ModelChoiceField):
    """A region by its ISO code; the <select> lists the US states and the countries, and any
    region's code is accepted (the type-ahead offers them all)."""

    default_error_messages = {
        "invalid_choice": _("Choose a state or country from the list."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Region"))
        super().__init__(queryset=Region.objects.all(), to_field_name="code", **kwargs)


def set_region_choices(form, field_name="region"):
    """Fill the region field's <select> (its queryset stays every region)."""
    field = form.fields[field_name]
    value = form.data.get(form.add_prefix(field_name)) if form.is_bound else None
    value = value or form.initial.get(field_name)
    selected = None
    if value:
        selected = Region.objects.filter(code=getattr(value, "code", value)).first()
    field.widget.choices = region_choices(selected)


# --- Accessible forms ---------------------------------------------------------------------------


class AccessibleForm(forms.Form):
    """A form whose inputs point at their help text and, once the form has errors, at their
    error message (aria-describedby, aria-invalid), for screen readers; the templates give
    those elements the ids used here (templates/hotline/_field.html)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe_fields()

    def describe_fields(self):
        errors = self._errors or {}
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            bound_id = self[name].auto_id
            ids = []
            if name in errors:
                ids.append(f"{bound_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if field.help_text:
                ids.append(f"{bound_id}_help")
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def full_clean(self):
        super().full_clean()
        self.describe_fields()

    def add_errors_from(self, error):
        """Put a service's ValidationError next to the fields it names (the others at the
        top of the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)
        self.describe_fields()


# --- Sign-in -----------------------------------------------------------------------------------


class SignInForm(AuthenticationForm):
    """Django's sign-in form (it passes the request to the backends, which the lockout needs),
    with the hints browsers and password managers use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


# --- The public tip form ------------------------------------------------------------------------


class PublicTipForm(AccessibleForm):
    """What a member of the public can tell the hotline, without an account."""

    observed = forms.CharField(
        label=_("What did you see or hear?"),
        help_text=_(
            "Describe what happened, when, and who was involved. Do not put yourself in danger "
            "to find out more."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
    )
    region = RegionField(
        label=_("State or country"),
        help_text=_("Where it happened, if you know."),
    )
    address = forms.CharField(
        label=_("Where exactly?"),
        help_text=_("A city, an address, or the name of a business or place."),
        required=False,
        max_length=1_000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    people_mentioned = forms.CharField(
        label=_("People involved"),
        help_text=_("Names, nicknames or descriptions of the people involved, if you know them."),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    danger = forms.BooleanField(
        label=_("Someone is in danger right now"),
        help_text=_("If someone is in immediate danger, also call 911."),
        required=False,
    )
    # A field people never see (hidden by the stylesheet, skipped by the keyboard and screen
    # readers); software that fills every field fills it too.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    intake_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intake_key", uuid.uuid4())
        set_region_choices(self)
        self.fields["region"].widget.attrs["data-region-picker"] = ""

    def clean_observed(self):
        observed = self.cleaned_data["observed"].strip()
        if not observed:
            raise forms.ValidationError(_("Tell us what you saw or heard."))
        return observed

    def clean_intake_key(self):
        # A form sent without its key (a page saved long ago) still works; it gets a new one.
        return self.cleaned_data["intake_key"] or uuid.uuid4()

    def is_bot(self):
        return bool(self.cleaned_data.get("website"))

    def tip_fields(self):
        data = self.cleaned_data
        return {
            "observed": data["observed"],
            "region": data["region"],
            "address": data["address"].strip(),
            "people_mentioned": data["people_mentioned"].strip(),
            "urgency": Urgency.IMMINENT_DANGER if data["danger"] else Urgency.ROUTINE,
            "intake_key": data["intake_key"],
        }
