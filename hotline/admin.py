"""The Django admin for hotline staff: reference data, people, calls and tips.

Writes go through the services, as everywhere else. A form that writes rows is a ServiceForm:
create(actor) adds a row with a service, update(actor) saves the changes with one. When a
service refuses (it raises ValidationError), nothing is saved and the page comes back with the
service's message next to the field it names; see WritesThroughServices. Reference data
(regions, industries, codes, teams, partner organisations) has no services: plain saves.
The cases app builds its admin on the same machinery.
"""

import inspect

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
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
from hotline.selectors import assignable_staff

# --- Writing through the services -----------------------------------------------------------


def keyword_arguments(service, *, besides=()):
    """The keyword-only arguments of `service`, in order, but `actor` and `besides`: the
    fields a form can pass it."""
    return [
        name
        for name, parameter in inspect.signature(service).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and name not in {"actor", *besides}
    ]


def call_service(service, form, **given):
    """Call `service` with `given` and, for each of its other keyword arguments, the form's
    cleaned value; the service's defaults apply to those the form has no field for."""
    values = {
        name: form.cleaned_data[name]
        for name in keyword_arguments(service, besides=given)
        if name in form.cleaned_data
    }
    return service(**given, **values)


class ServiceRefused(Exception):
    """A service refused to write what the form with this `prefix` holds."""

    def __init__(self, prefix, error):
        super().__init__(error)
        self.prefix = prefix
        self.error = error


class ServiceForm(forms.ModelForm):
    """A model form whose rows the services write: create(actor) for a new row, update(actor)
    for an existing one.

    On an existing row, fields that `correctable` does not name (None: all are) are disabled,
    because no service changes them. `error_fields` maps a service's name for a field to the
    form's, so that its message is shown next to the field.
    """

    correctable = None
    error_fields = {}
    # The refusal to show, set by WritesThroughServices when it validates a POST again.
    refusal = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and self.correctable is not None:
            for name, field in self.fields.items():
                field.disabled = field.disabled or name not in self.correctable

    def full_clean(self):
        super().full_clean()
        if self.refusal is None or self.refusal.prefix != self.prefix or not self.is_bound:
            return
        error = self.refusal.error
        by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        for name, errors in by_field.items():
            name = self.error_fields.get(name, name)
            self.add_error(name if name in self.fields else None, errors)

    def write(self, actor):
        """Save through the service; a refusal becomes ServiceRefused."""
        try:
            return self.update(actor) if self.instance.pk else self.create(actor)
        except ValidationError as error:
            raise ServiceRefused(self.prefix, error) from error

    def create(self, actor):
        raise NotImplementedError

    def update(self, actor):
        raise NotImplementedError

    def changes(self, names=None):
        """The fields among `names` (the correctable ones by default) that the person changed,
        with their new values."""
        names = self.correctable if names is None else names
        return {name: self.cleaned_data[name] for name in self.changed_data if name in names}


def adopt(instance, saved):
    """Make the admin's unsaved `instance` the row a service saved, so that the admin's log,
    messages and redirect (and the inline rows of an add page, which hold `instance` as their
    parent) refer to it."""
    for field in type(saved)._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db
    return instance


class ServiceInlineFormSet(BaseInlineFormSet):
    """Inline rows saved through their ServiceForm. The admin sets `actor` before saving."""

    actor = None

    def save_new(self, form, commit=True):
        return form.write(self.actor)

    def save_existing(self, form, obj, commit=True):
        return form.write(self.actor)


class WritesThroughServices:
    """A ModelAdmin mixin for admins whose form and inline forms are ServiceForms: saves
    through them, and shows a service's refusal as a form error rather than a server error.

    The admin validates the page, then saves inside a transaction. A refusal raises
    ServiceRefused out of it, which rolls back everything the request wrote (the case, its
    inline rows, the timeline). The admin offers no hook between saving and showing the page,
    so the same POST is then validated again with the refusal added to the form it belongs to:
    the page comes back with what was typed and the service's message, like any other
    validation error, and that invalid form keeps the second pass from saving anything.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            request.service_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    # The admin builds its form classes afresh for each request (modelform_factory), so a
    # refusal set on them belongs to this request only.
    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        form_class.refusal = getattr(request, "service_refusal", None)
        return form_class

    def get_formsets_with_inlines(self, request, obj=None):
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            formset_class.form.refusal = getattr(request, "service_refusal", None)
            yield formset_class, inline

    def save_model(self, request, obj, form, change):
        adopt(obj, form.write(request.user))

    def save_related(self, request, form, formsets, change):
        # The services save many-to-many fields themselves: no form.save_m2m().
        for formset in formsets:
            formset.actor = request.user
            self.save_formset(request, form, formset, change=change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows the system writes: staff with the view permission may look, nobody may edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def assignable_or(current):
    """The people a record can be given to (hotline.selectors.assignable_staff), plus the one
    it names already (`current`, an id; they may have left since), so that editing the record
    does not lose them. A short list however many partner accounts there are, so a plain
    select suits it; the user autocomplete would also need the view-user permission, which
    advocates do not have."""
    people = Q(pk__in=assignable_staff().values("pk"))
    if current is not None:
        people |= Q(pk=current)
    return User.objects.filter(people).order_by("username")


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


# A role changes through user_role_set, with its team and organisation; the account's group and
# staff status follow, so nobody edits those directly.
ROLE_FIELDS = keyword_arguments(services.user_role_set, besides=["user"])
# No service grants superuser status or permissions outside the roles: only a superuser may
# change these (they are read-only for everyone else), and they are saved plainly.
SUPERUSER_FIELDS = ["is_superuser", "user_permissions"]


class UserAddForm(ServiceForm, UserCreationForm):
    role = forms.ChoiceField(choices=Role.choices)

    class Meta(UserCreationForm.Meta):
        model = User

    def create(self, actor):
        return call_service(
            services.user_create,
            self,
            password=self.cleaned_data["password1"],
            # The form has checked the password against the validators already.
            validate_password=False,
        )


class UserChangeAdminForm(ServiceForm, UserChangeForm):
    role = forms.ChoiceField(
        choices=Role.choices,
        help_text="Group, staff status, team and organisation change with the role.",
    )
    correctable = {*services.USER_CORRECTABLE, *ROLE_FIELDS, *SUPERUSER_FIELDS}

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["role"] = self.instance.role
        if self.instance.role is None:
            # An account without a role keeps none until someone chooses one.
            self.fields["role"].required = False
            self.fields["role"].choices = [("", "No role"), *Role.choices]

    def update(self, actor):
        user, changed = self.instance, set(self.changed_data)
        details = self.changes(services.USER_CORRECTABLE)
        # A new team alone is a detail user_update changes; a new role or organisation goes
        # through user_role_set, which takes the team with it.
        if changed & {"role", "organisation"}:
            data = self.cleaned_data
            user = services.user_role_set(
                actor=actor, user=user, **{name: data[name] for name in ROLE_FIELDS}
            )
            details.pop("team", None)
        if details:
            user = services.user_update(actor=actor, user=user, **details)
        if "is_superuser" in changed:
            User.objects.filter(pk=user.pk).update(is_superuser=self.cleaned_data["is_superuser"])
        if "user_permissions" in changed:
            user.user_permissions.set(self.cleaned_data["user_permissions"])
        return User.objects.get(pk=user.pk)


@admin.register(User)
class HotlineUserAdmin(WritesThroughServices, UserAdmin):
    form = UserChangeAdminForm
    add_form = UserAddForm
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        ("Role", {"fields": ["role", "team", "organisation"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
    ]
    fieldsets = [
        *UserAdmin.fieldsets[:2],
        ("Hotline", {"fields": ["role", "team", "organisation", "language"]}),
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

    def get_queryset(self, request):
        # The role is read from the groups: one query for the page, not one per user.
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # Group and staff status follow the role; see ROLE_FIELDS and SUPERUSER_FIELDS.
        readonly = ["is_staff", "groups"]
        if not request.user.is_superuser:
            readonly += SUPERUSER_FIELDS
        return readonly

    @admin.display(description="role")
    def role_name(self, user):
        return user.role.label if user.role else "No role"


# --- Intake ----------------------------------------------------------------------------------


class CallAdminForm(ServiceForm):
    correctable = services.CALL_CORRECTABLE

    class Meta:
        model = Call
        fields = keyword_arguments(services.call_log, besides=["tip"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advocate"].queryset = assignable_or(self.instance.advocate_id)

    def create(self, actor):
        return call_service(services.call_log, self)

    def update(self, actor):
        return services.call_update(actor=actor, call=self.instance, **self.changes())


@admin.register(Call)
class CallAdmin(WritesThroughServices, admin.ModelAdmin):
    form = CallAdminForm
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


TIP_FIELDS = keyword_arguments(services.tip_submit, besides=["submitted_by"])
TRIAGE_FIELDS = ["triage_state", "triage_reason", "duplicate_of"]
# What tip_update corrects: the fields it allows and its own arguments (the indicators).
TIP_CORRECTIONS = {
    *services.TIP_CORRECTABLE,
    *keyword_arguments(services.tip_update, besides=["tip"]),
}


class TipAdminForm(ServiceForm):
    correctable = {*TIP_CORRECTIONS, *TRIAGE_FIELDS}

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

    def create(self, actor):
        return call_service(services.tip_submit, self, submitted_by=actor)

    def update(self, actor):
        tip = services.tip_update(actor=actor, tip=self.instance, **self.changes(TIP_CORRECTIONS))
        if set(TRIAGE_FIELDS) & set(self.changed_data):
            tip = services.tip_triage(
                actor=actor,
                tip=tip,
                state=self.cleaned_data["triage_state"],
                reason=self.cleaned_data["triage_reason"],
                duplicate_of=self.cleaned_data["duplicate_of"],
            )
        return tip


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
