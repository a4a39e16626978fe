"""The Django admin for hotline staff: reference data, people, calls and tips.

Writes go through the services, as everywhere else: an admin form that has a `create(actor)`
method saves new rows with it, and one with an `update(actor)` method saves changes with it.
When a service refuses a write (it raises ValidationError), nothing is saved and the form is
shown again with the service's message next to the field it names; see WritesThroughServices.
The cases app builds its admin on the same machinery.
"""

from contextlib import contextmanager

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.timesince import timesince

from hotline import services
from hotline.models import (
    Call,
    Code,
    Industry,
    PartnerOrganisation,
    Region,
    Role,
    Team,
    Tip,
    User,
    WorkerHeartbeat,
)

# --- Writing through the services -----------------------------------------------------------


class ServiceRefused(Exception):
    """A service refused a write made from an admin form; `prefix` names the form."""

    def __init__(self, prefix, error):
        self.prefix = prefix
        self.error = error
        super().__init__(error)


@contextmanager
def refusals_shown_on(form):
    """Turn a service's ValidationError into ServiceRefused for `form`, which undoes the whole
    save and shows the error on that form."""
    try:
        yield
    except ValidationError as error:
        raise ServiceRefused(form.prefix, error) from error


def service_arguments(form, names):
    """The form's cleaned values for the service arguments it has fields for; the service's
    defaults apply to the others."""
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def adopt(instance, saved):
    """Make the admin's unsaved `instance` the row a service saved, so that the admin's log,
    messages and redirect (and inline rows on an add page) refer to it."""
    for field in type(saved)._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db
    return instance


def saves_through_service(form, change):
    return hasattr(form, "update" if change else "create")


class ShowsServiceErrors:
    """Mixed into a form class on the second pass after a refusal: adds the service's error to
    the form it was raised for, which makes the form invalid so that nothing is saved."""

    service_errors = {}

    def full_clean(self):
        super().full_clean()
        error = self.service_errors.get(self.prefix)
        if error is None or not self.is_bound:
            return
        by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        for field, errors in by_field.items():
            # A service may name a field this form does not show (or a read-only one).
            target = field if field in self.fields else None
            shown = self.errors.get(target or NON_FIELD_ERRORS, [])
            fresh = [
                message for message in ValidationError(errors).messages if message not in shown
            ]
            if fresh:
                self.add_error(target, fresh)


def with_service_errors(form_class, errors):
    if not errors:
        return form_class
    shows_errors = type(
        form_class.__name__, (ShowsServiceErrors, form_class), {"service_errors": errors}
    )
    # The subclass rebuilt its fields from the model; keep the ones the admin tailored (a
    # queryset narrowed to one case's rows, say).
    shows_errors.base_fields = form_class.base_fields
    return shows_errors


class ServiceInlineFormSet(BaseInlineFormSet):
    """Saves new inline rows with their form's create(actor), changed rows with update(actor)
    when the form has one (a plain save otherwise). The admin sets `actor` before saving."""

    actor = None

    def save_new(self, form, commit=True):
        setattr(form.instance, self.fk.name, self.instance)
        with refusals_shown_on(form):
            return form.create(self.actor)

    def save_existing(self, form, obj, commit=True):
        if not hasattr(form, "update"):
            return super().save_existing(form, obj, commit=commit)
        with refusals_shown_on(form):
            return form.update(self.actor)


class WritesThroughServices:
    """A ModelAdmin mixin: saves through the form's create(actor) / update(actor), and shows a
    service's refusal as a form error rather than a server error.

    The admin saves inside a transaction. A refusal raises ServiceRefused out of it, which rolls
    back everything the request wrote (the case, its inline rows, the timeline). The same POST
    is then validated again with the refusal attached to its form, so the page comes back with
    what was typed and the service's message, exactly like any other validation error.
    """

    _service_errors_attribute = "_hotline_admin_service_errors"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            setattr(request, self._service_errors_attribute, {refusal.prefix: refusal.error})
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _service_errors(self, request):
        return getattr(request, self._service_errors_attribute, None)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        return with_service_errors(form_class, self._service_errors(request))

    def get_formsets_with_inlines(self, request, obj=None):
        errors = self._service_errors(request)
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            if errors:
                form_class = with_service_errors(formset_class.form, errors)
                formset_class = type(formset_class.__name__, (formset_class,), {"form": form_class})
            yield formset_class, inline

    def save_model(self, request, obj, form, change):
        if not saves_through_service(form, change):
            super().save_model(request, obj, form, change)
            return
        write = form.update if change else form.create
        with refusals_shown_on(form):
            saved = write(request.user)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        if not saves_through_service(form, change):
            # A plain save: the many-to-many fields are the admin's to save. A service saves
            # them itself.
            form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.actor = request.user
        super().save_formset(request, form, formset, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows the system writes: staff with the view permission may look, nobody may edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def hotline_staff(including=None):
    """Active advocates and supervisors, the people calls and cases are given to, plus the one a
    record already has (`including`, a user id) so that editing it does not lose them.

    A short list however many partner accounts there are, so a plain select suits it; the user
    autocomplete would also need the view-user permission, which advocates do not have.
    """
    staff = Q(is_active=True, groups__name__in=[Role.ADVOCATE, Role.SUPERVISOR])
    if including is not None:
        staff |= Q(pk=including)
    return User.objects.filter(staff).distinct().order_by("username")


# --- Reference data ----------------------------------------------------------------------------


class RegionAdminForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "parent", "subdivision_type", "census_region"]

    def clean(self):
        cleaned = super().clean()
        code, parent = cleaned.get("code"), cleaned.get("parent")
        if code and self.instance.pk is None:
            self._place_in_tree(code, parent)
        region = self.instance
        if cleaned.get("census_region") and region.country_code != "US":
            self.add_error("census_region", "Only US states belong to a census region.")
        return cleaned

    def _place_in_tree(self, code, parent):
        # Statistics roll up along `path`, so it follows from the parent; staff do not type it.
        region = self.instance
        if parent is None:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                self.add_error("code", "A country's code is its two-letter ISO 3166-1 code.")
            region.kind, region.country_code, region.path, region.depth = "country", code, code, 0
            return
        if not code.startswith(f"{parent.country_code}-"):
            self.add_error(
                "code",
                f"A subdivision of {parent} has a code starting with {parent.country_code}-.",
            )
        region.kind = Region.Kind.SUBDIVISION
        region.country_code = parent.country_code
        region.path = f"{parent.path}/{code}"
        region.depth = parent.depth + 1


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionAdminForm
    list_display = ["code", "name", "kind", "subdivision_type", "parent", "census_region"]
    list_filter = ["kind", "census_region"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    search_help_text = "Search by ISO code (US-TX) or name."
    ordering = ["code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["kind", "country_code", "path", "depth"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Moving a region in the tree would leave the paths of everything below it stale.
        return [*self.readonly_fields, "code", "parent"]

    def get_fields(self, request, obj=None):
        fields = ["code", "name", "parent", "subdivision_type", "census_region"]
        return fields if obj is None else [*fields, "kind", "country_code", "path", "depth"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "form", "isic_section", "position"]
    list_filter = ["form"]
    search_fields = ["name", "code"]
    ordering = ["position", "name"]


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "list", "is_active", "position"]
    list_filter = ["list", "is_active"]
    search_fields = ["label", "code"]
    ordering = ["list", "position", "label"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, team):
        return team.member_count


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "region", "email", "is_active"]
    list_filter = ["type", "is_active"]
    list_select_related = ["region"]
    search_fields = ["name", "email"]
    ordering = ["name"]
    autocomplete_fields = ["region"]


# --- People ----------------------------------------------------------------------------------


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [*Role.choices, ("none", "No role")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(groups__name__in=Role.values)
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


class UserAddForm(UserCreationForm):
    role = forms.ChoiceField(choices=Role.choices)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email", "first_name", "last_name", "team", "organisation"]

    def clean(self):
        cleaned = super().clean()
        role, team, organisation = (cleaned.get(name) for name in ("role", "team", "organisation"))
        if role == Role.PARTNER:
            if organisation is None:
                self.add_error("organisation", "A partner account belongs to an organisation.")
            if team is not None:
                self.add_error("team", "Partner accounts are not in a hotline team.")
        elif role and organisation is not None:
            self.add_error("organisation", "Only partner accounts belong to an organisation.")
        return cleaned

    def create(self, actor):
        return services.user_create(
            password=self.cleaned_data["password1"],
            role=self.cleaned_data["role"],
            # The form has checked the password against the validators already.
            validate_password=False,
            **service_arguments(
                self, ["username", "email", "first_name", "last_name", "team", "organisation"]
            ),
        )


@admin.register(User)
class HotlineUserAdmin(WritesThroughServices, UserAdmin):
    add_form = UserAddForm
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        ("Role", {"fields": ["role", "team", "organisation"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
    ]
    fieldsets = [
        *UserAdmin.fieldsets[:2],
        ("Hotline", {"fields": ["role_name", "team", "organisation", "language"]}),
        *UserAdmin.fieldsets[2:],
    ]
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role_name",
        "team",
        "organisation",
        "is_active",
        "last_login",
    ]
    list_filter = [RoleFilter, "team", "is_active", "is_staff", "language"]
    list_select_related = ["team", "organisation"]
    search_fields = ["username", "first_name", "last_name", "email", "organisation__name"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["role_name"]

    def get_queryset(self, request):
        # The role is read from the groups: one query for the page, not one per user.
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An administrator manages roles through the groups; only a superuser may hand
            # out superuser status or permissions outside the roles.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    @admin.display(description="role")
    def role_name(self, user):
        return user.role.label if user.role else "No role"


# --- Intake ----------------------------------------------------------------------------------

CALL_FIELDS = [
    "channel",
    "direction",
    "started_at",
    "ended_at",
    "language",
    "caller_type",
    "reason",
    "region",
    "summary",
    "urgency",
    "advocate",
]


class CallAdminForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = CALL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "advocate" in self.fields:
            self.fields["advocate"].queryset = hotline_staff(including=self.instance.advocate_id)

    def clean(self):
        cleaned = super().clean()
        started_at, ended_at = cleaned.get("started_at"), cleaned.get("ended_at")
        if started_at and ended_at and ended_at < started_at:
            self.add_error("ended_at", "A call cannot end before it starts.")
        return cleaned

    def create(self, actor):
        return services.call_log(**service_arguments(self, CALL_FIELDS))


@admin.register(Call)
class CallAdmin(WritesThroughServices, admin.ModelAdmin):
    form = CallAdminForm
    fields = CALL_FIELDS
    list_display = [
        "__str__",
        "started_at",
        "channel",
        "caller_type",
        "reason",
        "urgency",
        "region",
        "advocate",
    ]
    list_filter = [
        "channel",
        "direction",
        "caller_type",
        "reason",
        "urgency",
        "region__census_region",
    ]
    list_select_related = ["region", "advocate"]
    search_fields = ["id__exact", "summary", "advocate__username"]
    search_help_text = "Search by call number, words in the summary or the advocate's username."
    date_hierarchy = "started_at"
    ordering = ["-started_at"]
    autocomplete_fields = ["region"]
    show_full_result_count = False

    def get_changeform_initial_data(self, request):
        # Whoever logs the call took it, unless they say otherwise.
        return {"advocate": request.user.pk, **super().get_changeform_initial_data(request)}


TIP_FIELDS = [
    "source",
    "call",
    "organisation",
    "received_at",
    "observed",
    "region",
    "address",
    "industry",
    "trafficking_type",
    "indicators",
    "people_mentioned",
    "urgency",
]
TRIAGE_FIELDS = ["triage_state", "triage_reason", "duplicate_of"]


class TipAdminForm(forms.ModelForm):
    class Meta:
        model = Tip
        fields = [*TIP_FIELDS, *TRIAGE_FIELDS]
        widgets = {"indicators": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "triage_state" in self.fields:
            # Linking to a case is the cases app's decision, and a triaged tip is not new again.
            offered = {self.instance.triage_state, *services.TRIAGE_DECISIONS}
            self.fields["triage_state"].choices = [
                (state.value, state.label) for state in Tip.TriageState if state in offered
            ]

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        if source == Tip.Source.CALL and not cleaned.get("call"):
            self.add_error("call", "A tip from a call names the call.")
        if source == Tip.Source.PARTNER and not cleaned.get("organisation"):
            self.add_error("organisation", "A tip from a partner names the partner.")
        if self._triage_changed():
            self._check_triage(cleaned)
        return cleaned

    def _triage_changed(self):
        return self.instance.pk is not None and bool(set(TRIAGE_FIELDS) & set(self.changed_data))

    def _check_triage(self, cleaned):
        # The same rules as services.tip_triage, checked here so that the message appears
        # before the database constraints give their generic one.
        state = cleaned.get("triage_state")
        if state == Tip.TriageState.NEW:
            self.add_error("triage_state", "Choose triaged, duplicate or no action.")
        closing = state in (Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION)
        if state == Tip.TriageState.DUPLICATE and not cleaned.get("duplicate_of"):
            self.add_error("duplicate_of", "Say which tip this one duplicates.")
        if closing and not cleaned.get("triage_reason", "").strip():
            self.add_error("triage_reason", "Give a reason, so a reviewer can follow it.")
        if cleaned.get("duplicate_of") == self.instance and self.instance.pk:
            self.add_error("duplicate_of", "A tip cannot duplicate itself.")

    def create(self, actor):
        return services.tip_submit(submitted_by=actor, **service_arguments(self, TIP_FIELDS))

    def update(self, actor):
        triage_changed = self._triage_changed()
        tip = self.save(commit=False)
        # The descriptive fields have no service yet: a plain save, which leaves the triage
        # fields as they are in the database for tip_triage to change and record.
        tip.save(update_fields=[*self._changed_plain_fields(), "updated_at"])
        self.save_m2m()
        if triage_changed:
            tip = services.tip_triage(
                actor=actor,
                tip=tip,
                state=self.cleaned_data["triage_state"],
                reason=self.cleaned_data.get("triage_reason", ""),
                duplicate_of=self.cleaned_data.get("duplicate_of"),
            )
        return tip

    def _changed_plain_fields(self):
        many_to_many = {field.name for field in Tip._meta.many_to_many}
        return [
            name
            for name in self.changed_data
            if name not in TRIAGE_FIELDS and name not in many_to_many
        ]


@admin.register(Tip)
class TipAdmin(WritesThroughServices, admin.ModelAdmin):
    form = TipAdminForm
    list_display = [
        "reference",
        "received_at",
        "source",
        "triage_state",
        "urgency",
        "trafficking_type",
        "industry",
        "region",
    ]
    list_filter = [
        "triage_state",
        "source",
        "urgency",
        "trafficking_type",
        "industry",
        "region__census_region",
    ]
    list_select_related = ["industry", "region"]
    search_fields = ["reference"]
    search_help_text = "Search by tip reference (T-ABCD-EFGH)."
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    autocomplete_fields = ["call", "organisation", "region", "industry", "duplicate_of"]
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        tip = [(None, {"fields": TIP_FIELDS})]
        if obj is None:
            return tip
        return [
            (None, {"fields": ["reference", *TIP_FIELDS]}),
            ("Triage", {"fields": [*TRIAGE_FIELDS, "triaged_by", "triaged_at"]}),
            ("Record", {"fields": ["submitted_by", "created_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = [
            "reference",
            "triaged_by",
            "triaged_at",
            "submitted_by",
            "created_at",
            "updated_at",
        ]
        if obj.triage_state == Tip.TriageState.LINKED:
            # Its case decides what becomes of it now.
            readonly += TRIAGE_FIELDS
        return readonly


# --- Operations ------------------------------------------------------------------------------


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["worker", "last_seen", "age"]
    search_fields = ["worker"]
    ordering = ["-last_seen"]

    # A worker whose heartbeat is minutes old is late; see HOTLINE_HEARTBEAT_STALE_SECONDS.
    @admin.display(description="age")
    def age(self, heartbeat):
        return f"{timesince(heartbeat.last_seen, timezone.now())} ago"
