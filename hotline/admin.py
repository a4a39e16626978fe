"""The Django admin for hotline staff: reference data, people, calls and tips.

Who sees which rows and may do what is the access module's (hotline/access.py): every admin
of records fetches them through it (ScopedRows), so a record someone may not see does not
exist for them, in lists, detail pages, autocompletes and the choices a form accepts. Reads
of case records, calls and tips are written to the audit trail (AuditedReads), and lists can
be exported as CSV (ExportsCSV). docs/admin.md describes it.

Writes go through the services, as everywhere else. A form that writes rows is a ServiceForm:
create(actor) adds a row with a service, update(actor) saves the changes with one. When a
service refuses (it raises ValidationError), nothing is saved and the page comes back with the
service's message next to the field it names; see WritesThroughServices. Reference data
(regions, industries, codes, teams, partner organisations) has no services: plain saves.
The cases app builds its admin on the same machinery.
"""

import csv
import datetime
import functools
import inspect
import ipaddress
import json
import re

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince

from hotline import access, services
from hotline.access import Permission
from hotline.audit import audit_list, audit_record, audit_view, current_request
from hotline.models import (
    ApiToken,
    AuditAction,
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

    # The admin's own history (django_admin_log, the "Recent actions" and "History" pages) and
    # the messages it shows after a save (kept in the session until the next page) name each
    # row. They would name it by its str, which may say what the row holds (a value, a name):
    # encrypted in its own table, that must not be copied in plain text into another. The
    # services write the audit trail; this history and these messages name rows by kind and
    # reference or id only (history_label).

    def response_add(self, request, obj, post_url_continue=None):
        return super().response_add(request, NamedByLabel(obj), post_url_continue)

    def response_change(self, request, obj):
        return super().response_change(request, NamedByLabel(obj))

    def log_addition(self, request, obj, message):
        return _log_entry(request, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        return _log_entry(request, obj, CHANGE, message)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        # Django names the inline rows it saved, formset by formset: added, changed, deleted.
        labels = iter(
            history_label(row)
            for formset in formsets or ()
            for row in [
                *formset.new_objects,
                *(row for row, _fields in formset.changed_objects),
                *formset.deleted_objects,
            ]
        )
        for entry in message:
            for details in entry.values():
                if "object" in details:
                    details["object"] = next(labels)
        return message


def history_label(obj):
    """What the admin's history and messages call a row: its reference where it has one
    (cases, tips), otherwise its kind and id; never its contents."""
    return getattr(obj, "reference", "") or f"{obj._meta.verbose_name} {obj.pk}"


class NamedByLabel:
    """A saved row as the admin's responses to a save see it: the row itself (every attribute
    is the row's), but named by its history_label. Django builds the success message (and a
    pop-up's answer) from str(obj); this keeps them to the label."""

    def __init__(self, obj):
        object.__setattr__(self, "_row", obj)

    def __getattr__(self, name):
        return getattr(self._row, name)

    def __setattr__(self, name, value):
        setattr(self._row, name, value)

    def __str__(self):
        return history_label(self._row)


def _log_entry(request, obj, flag, message):
    return LogEntry.objects.create(
        user_id=request.user.pk,
        content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
        object_id=str(obj.pk),
        object_repr=history_label(obj)[:200],
        action_flag=flag,
        change_message=json.dumps(message) if isinstance(message, list) else message,
    )


# --- Who sees which rows: the access module -------------------------------------------------


class ScopedRows:
    """A ModelAdmin or inline mixin: the rows come through the access module.

    `scope(user, queryset)` narrows a queryset to what the user may see (access.cases_for and
    its kin). Lists, detail pages (get_object), history, autocompletes (which ask the target's
    admin) and inline rows all start from get_queryset, so a row outside the scope answers
    exactly like a row that does not exist.

    A form's choice of a scoped row (the case of a party, the tips of a case, the call of a tip)
    offers, and accepts, only what the related model's admin lets the user see: a typed-in id of
    a case they may not see is "not one of the available choices", like an id that does not
    exist.
    """

    def scope(self, user, queryset):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.scope(request.user, super().get_queryset(request))

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        return scoped_choices(self.admin_site, db, db_field, request, queryset)


def scoped_choices(admin_site, db, db_field, request, queryset):
    model = db_field.remote_field.model
    try:
        related_admin = admin_site.get_model_admin(model)
    except NotRegistered:
        return queryset
    if not isinstance(related_admin, ScopedRows):
        return queryset
    if queryset is None:
        queryset = model._default_manager.using(db)
    return related_admin.scope(request.user, queryset)


def superuser_or_may(request, permission):
    """Configuration (accounts, reference data, the audit trail) follows Django's model
    permissions, which superusers hold all of, and the access module's permissions. Case
    records follow the access module alone: a superuser without a role sees none."""
    return request.user.is_superuser or access.may(request.user, permission)


class ManagedAdmin(admin.ModelAdmin):
    """Rows only those who may `manage` (an access.Permission) add, change or delete."""

    manage = None

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and superuser_or_may(request, self.manage)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and superuser_or_may(
            request, self.manage
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and superuser_or_may(
            request, self.manage
        )


# --- Every look is recorded ---------------------------------------------------------------------


class AuditedReads:
    """A ModelAdmin mixin for records whose every read is audited (cases and everything
    recorded on them, calls, tips): every page of an existing row the admin renders writes one
    audit_view row, with the case the row belongs to, whatever the method. A POST that comes
    back with errors shows the row too (the fields not typed in, the inline rows, the record
    fields), and a crafted POST can make the page come back on purpose; a POST that succeeds
    renders nothing (it redirects) and writes the rows of its writes only. The history page
    writes one row too, and a list page one audit_list row with the ids of the rows on the
    page.

    The admin renders a change page once per request: render_change_form is where it does,
    after the form is validated (and, when a service refused the save, validated again), so
    one row stands for exactly one page shown."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and obj.pk is not None:
            audit_view(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("object")
        if obj is not None and response.status_code == 200:
            audit_view(obj)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and response.status_code == 200:
            # The page's rows, fetched once: the template shows these same objects.
            audit_list(self.opts.model_name, [row.pk for row in changelist.result_list])
        return response


# --- Lists as CSV ---------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


# A cell that starts with one of these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_lines(header, rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([spreadsheet_safe(value) for value in row])


class ExportsCSV:
    """A ModelAdmin mixin: an "Export CSV" link on the list page writes out every row that
    matches the list's current filters, search and sort, not only the page shown.

    The export is audited (action export, with the id of every row written out) before the
    first line is sent, then streamed a batch of rows at a time, so a big export holds neither
    the rows nor the file in memory. Subclasses say who may export (may_export), the columns
    (export_columns: header and a function of the row) and the kind the audit row names.
    """

    change_list_template = "admin/export_change_list.html"
    export_columns = []
    export_batch_size = 1000

    def may_export(self, request):
        raise NotImplementedError

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        export = path("export/", self.admin_site.admin_view(self.export_view), name=name)
        # Before the admin's own: its "<object_id>/" would take "export/" for an id.
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        if self.has_view_permission(request) and self.may_export(request):
            name = f"admin:{self.opts.app_label}_{self.opts.model_name}_export"
            extra_context = {**(extra_context or {}), "export_url": reverse(name)}
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if getattr(request, "exporting", False):
            # The export needs the list's query, not a page of it, nor its count.
            return type("Unpaged", (changelist,), {"get_results": lambda self, request: None})
        return changelist

    def export_view(self, request):
        if not (self.has_view_permission(request) and self.may_export(request)):
            raise PermissionDenied
        request.exporting = True
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            name = f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            return HttpResponseRedirect(f"{reverse(name)}?{ERROR_FLAG}=1")
        # A filter through a relation may list a row twice; it is written out once.
        ids = list(dict.fromkeys(changelist.queryset.values_list("pk", flat=True)))
        audit_list(self.opts.model_name, ids, action=AuditAction.EXPORT)
        rows = self.export_queryset(request)
        header = [title for title, _value in self.export_columns]
        values = [value for _title, value in self.export_columns]
        lines = csv_lines(
            header, ([value(row) for value in values] for row in self._batches(rows, ids))
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"{self.opts.verbose_name_plural.replace(' ', '-')}-{stamp}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def export_queryset(self, request):
        """The rows the export reads, by id: the admin's own (scoped) queryset."""
        return self.get_queryset(request).select_related(*(self.list_select_related or ()))

    def _batches(self, queryset, ids):
        for start in range(0, len(ids), self.export_batch_size):
            batch = ids[start : start + self.export_batch_size]
            rows = {row.pk: row for row in queryset.filter(pk__in=batch)}
            yield from (rows[pk] for pk in batch if pk in rows)


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


class ReferenceDataAdmin(ManagedAdmin):
    """Everyone on staff reads reference data; only administrators change it."""

    manage = Permission.MANAGE_REFERENCE_DATA


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
class RegionAdmin(ReferenceDataAdmin):
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
class IndustryAdmin(ReferenceDataAdmin):
    list_display = ["name", "code", "form", "isic_section", "position"]
    list_filter = ["form"]
    search_fields = ["name", "code"]
    ordering = ["position", "name"]


@admin.register(Code)
class CodeAdmin(ReferenceDataAdmin):
    list_display = ["label", "code", "list", "is_active", "position"]
    list_filter = ["list", "is_active"]
    search_fields = ["label", "code"]
    ordering = ["list", "position", "label"]


@admin.register(Team)
class TeamAdmin(ReferenceDataAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, team):
        return team.member_count


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ReferenceDataAdmin):
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
        if changed & set(SUPERUSER_FIELDS):
            data = self.cleaned_data
            user = services.user_privileges_set(
                actor=actor,
                user=user,
                is_superuser=data["is_superuser"] if "is_superuser" in changed else None,
                permissions=data["user_permissions"] if "user_permissions" in changed else None,
            )
        return User.objects.get(pk=user.pk)


class AuditedPasswordForm(AdminPasswordChangeForm):
    """The account's password page (Django's form): setting or disabling a password is a
    change of the account, written to the audit trail with it."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        usable = self.cleaned_data["set_usable_password"]
        # The signed-in administrator, from the request being served, is the actor.
        return services.user_password_set(
            actor=current_request().user,
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
        )


def audited_own_password_change(password_change):
    """The admin's own "Change password" page (AdminSite.password_change), auditing the change
    of the signed-in person's password: the page redirects after a POST only once it has saved
    the new one. Password and audit row are saved together or not at all."""

    @functools.wraps(password_change)
    def view(request, extra_context=None):
        with transaction.atomic():
            response = password_change(request, extra_context)
            if request.method == "POST" and response.status_code == 302:
                audit_record(
                    action=AuditAction.UPDATE, object_kind="user", object_id=request.user.pk
                )
        return response

    return view


admin.site.password_change = audited_own_password_change(admin.site.password_change)


@admin.register(User)
class HotlineUserAdmin(WritesThroughServices, ManagedAdmin, UserAdmin):
    # Supervisors look people up; only administrators add and change accounts. Nobody deletes
    # one (the audit trail refers to it): an account that should not sign in is made inactive.
    manage = Permission.MANAGE_ACCOUNTS
    form = UserChangeAdminForm
    add_form = UserAddForm
    change_password_form = AuditedPasswordForm
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

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its details, role, password) is changed by superusers only:
        # anyone else could take it over by setting its password. Django's password page asks
        # this too.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

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
        fields = keyword_arguments(services.call_log, besides=["tip", "intake_key"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "advocate" in self.fields:
            self.fields["advocate"].queryset = assignable_or(self.instance.advocate_id)

    def create(self, actor):
        return call_service(services.call_log, self)

    def update(self, actor):
        return services.call_update(actor=actor, call=self.instance, **self.changes())


@admin.register(Call)
class CallAdmin(AuditedReads, ScopedRows, WritesThroughServices, admin.ModelAdmin):
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

    def scope(self, user, queryset):
        return access.calls_for(user, queryset)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and access.may(
            request.user, Permission.LOG_INTAKE
        )

    def get_changeform_initial_data(self, request):
        # Whoever logs the call took it, unless they say otherwise.
        return {"advocate": request.user.pk, **super().get_changeform_initial_data(request)}


TIP_FIELDS = keyword_arguments(services.tip_submit, besides=["submitted_by", "intake_key"])
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
class TipAdmin(AuditedReads, ScopedRows, WritesThroughServices, admin.ModelAdmin):
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

    def scope(self, user, queryset):
        return access.tips_for(user, queryset)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and access.may(
            request.user, Permission.LOG_INTAKE
        )

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
        if obj.triage_state == Tip.TriageState.LINKED or not access.may(
            request.user, Permission.TRIAGE_TIPS
        ):
            # Supervisors triage; once linked, its case decides what becomes of it.
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


# --- The audit trail ---------------------------------------------------------------------------


class DateRangeFilter(admin.ListFilter):
    """From one day to another, both included, in the hotline's time zone: the ranges
    date_hierarchy cannot give (a week, a span across months)."""

    title = "date range"
    template = "admin/date_range_filter.html"
    field_name = "at"
    parameters = ("since", "until")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.dates = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)[-1].strip()
                self.used_parameters[name] = value
                if value:
                    try:
                        self.dates[name] = datetime.date.fromisoformat(value)
                    except ValueError as error:
                        raise IncorrectLookupParameters(error) from error

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        if "since" in self.dates:
            queryset = queryset.filter(
                **{f"{self.field_name}__gte": _day_start(self.dates["since"])}
            )
        if "until" in self.dates:
            next_day = self.dates["until"] + datetime.timedelta(days=1)
            queryset = queryset.filter(**{f"{self.field_name}__lt": _day_start(next_day)})
        return queryset

    def choices(self, changelist):
        keep = {
            name: value for name, value in changelist.params.items() if name not in self.parameters
        }
        yield {
            "since": self.used_parameters.get("since", ""),
            "until": self.used_parameters.get("until", ""),
            "hidden": sorted(keep.items()),
            "active": bool(self.dates),
            "clear": changelist.get_query_string(remove=list(self.parameters)),
        }


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ObjectKindFilter(admin.SimpleListFilter):
    title = "object kind"
    parameter_name = "object_kind"

    def lookups(self, request, model_admin):
        return [(kind, kind) for kind in model_admin.object_kinds]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_kind=self.value())
        return queryset


class CaseFilter(admin.SimpleListFilter):
    """A case's whole trail (the case page links here). Shown only while a case is chosen:
    a list of every case would be the size of the case table."""

    title = "case"
    parameter_name = "case_id"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        if not value.isdigit():
            raise IncorrectLookupParameters(f"Not a case id: {value}")
        return [(value, model_admin.case_label(int(value)))]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(case_id=self.value())
        return queryset


REQUEST_ID = re.compile(r"[0-9a-f]{32}")


class AuditEntryAdmin(ExportsCSV, admin.ModelAdmin):
    """The audit trail, for those who may view it (access.Permission.VIEW_AUDIT): read-only for
    everyone, superusers included, filtered by user, action, kind, time and case, and exported
    as CSV. The cases app registers it (cases/admin.py: AuditTrailAdmin), adding what only it
    knows: case references."""

    list_display = [
        "at",
        "user",
        "action",
        "object_kind",
        "object_id",
        "listed",
        "case",
        "request_id",
        "ip",
    ]
    list_filter = [
        "action",
        ObjectKindFilter,
        ("user", admin.RelatedFieldListFilter),
        DateRangeFilter,
        CaseFilter,
    ]
    list_select_related = ["user"]
    # Searched by get_search_results: exact values, each served by an index or a small table.
    search_fields = ["user__username"]
    search_help_text = "Search by username, request id or IP address."
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    show_full_result_count = False
    # Counts per filter choice would each read the whole trail.
    show_facets = admin.ShowFacets.NEVER
    actions = None
    fields = [
        "at",
        "user",
        "action",
        "object_kind",
        "object_id",
        "object_ids",
        "case",
        "request_id",
        "ip",
    ]
    readonly_fields = fields
    # The kinds of record the trail names (AuditEntry.object_kind); the cases app adds its own.
    object_kinds = ["call", "tip", "user", "auditentry"]
    export_columns = [
        ("id", lambda entry: entry.pk),
        ("at", lambda entry: entry.at),
        ("user id", lambda entry: entry.user_id),
        ("username", lambda entry: entry.user.username if entry.user_id else ""),
        ("action", lambda entry: entry.action),
        ("object kind", lambda entry: entry.object_kind),
        ("object id", lambda entry: entry.object_id),
        ("object ids", lambda entry: " ".join(str(pk) for pk in entry.object_ids)),
        ("case id", lambda entry: entry.case_id),
        ("request id", lambda entry: entry.request_id),
        ("ip", lambda entry: entry.ip),
    ]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and superuser_or_may(
            request, Permission.VIEW_AUDIT
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_export(self, request):
        return self.has_view_permission(request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_condition(term)), False

    def search_condition(self, term):
        if REQUEST_ID.fullmatch(term.lower()):
            return Q(request_id=term.lower())
        try:
            return Q(ip=str(ipaddress.ip_address(term)))
        except ValueError:
            return Q(user__username=term)

    def case_label(self, case_id):
        return f"case {case_id}"

    @admin.display(description="case", ordering="case_id")
    def case(self, entry):
        return entry.case_id

    @admin.display(description="rows")
    def listed(self, entry):
        return len(entry.object_ids) if entry.object_ids else ""


# --- API tokens (docs/api.md) -----------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token USERNAME` (the token is printed once and
    stored only as its hash, so it cannot be shown here) and revoked here. Administrators
    and superusers only."""

    list_display = ["prefix_shown", "user", "label", "created_at", "expires_at", "state"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["prefix", "user__username", "label"]
    ordering = ["-created_at"]
    readonly_fields = [
        "prefix_shown", "user", "label", "created_at", "expires_at", "revoked_at", "last_used_at",
    ]  # fmt: skip
    fields = readonly_fields
    actions = ["revoke"]

    def has_module_permission(self, request):
        return superuser_or_may(request, Permission.MANAGE_ACCOUNTS)

    def has_view_permission(self, request, obj=None):
        return superuser_or_may(request, Permission.MANAGE_ACCOUNTS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # Django offers an action only to those with the change permission it names; revoking
        # is the one change allowed, to those who may view tokens at all.
        actions = super().get_actions(request)
        if not self.has_view_permission(request):
            actions.pop("revoke", None)
        return actions

    @admin.display(description="token")
    def prefix_shown(self, token):
        return f"hl_{token.prefix}_…"

    @admin.display(description="state")
    def state(self, token):
        if token.revoked_at is not None:
            return "revoked"
        return "expired" if token.is_expired else "active"

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        if not self.has_view_permission(request):
            raise PermissionDenied
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                services.api_token_revoke(actor=request.user, token=token)
                count += 1
        self.message_user(request, f"{count} token(s) revoked.")
