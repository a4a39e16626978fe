"""The one base viewset every API resource derives from.

Rows: a subclass declares `queryset` (what it lists: Case.objects.all()) and `scope`, the
access-module function that narrows it to what the user may see (hotline.access.cases_for,
calls_for, ...). get_queryset always passes through that scope and subclasses cannot override
it (refine() adds joins and filters after the scope); a subclass without a scope is refused
when it is defined and again when it is used. A record outside the scope is a 404, exactly as a
record that does not exist.

Reads are audited: a list writes one audit_list row with the ids of the page, a retrieve one
audit_view row, as the admin does (`audit_kind = None` for reference data, which is not).

Writes: nothing is deleted through the API (DELETE is 405 everywhere). `create_permission`
(an access.Permission) gates POST; update checks are the subclass's (check_update), since they
depend on the record. POSTs go through hotline/api/idempotency.py.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from hotline import access
from hotline.api.idempotency import idempotent
from hotline.api.permissions import HasRole
from hotline.audit import audit_list, audit_view
from hotline.db import CompiledLookups, CompiledPages, prepared_statements

SAFE_AND_WRITES = ["get", "post", "put", "patch", "head", "options"]
_LOOKUPS = CompiledLookups()
# Each entry holds a queryset and a compiler: a few hundred shapes cover the lists in use.
_PAGES = CompiledPages(maxsize=256)


def row_pk(row):
    """The primary key of a row the list read: a model instance, a `.values()` row or a
    named `.values_list()` row."""
    return row["pk"] if isinstance(row, dict) else row.pk


class ScopedViewSet(viewsets.GenericViewSet):
    scope = None
    audit_kind = None
    create_permission = None
    http_method_names = SAFE_AND_WRITES
    permission_classes = [HasRole]
    # Ids are numbers; resources looked up by a code or a reference say so.
    lookup_value_regex = "[0-9]+"
    # Read one record with the statement compiled once per user and lookup
    # (hotline.db.CompiledLookups): only for a resource whose refine() reads nothing but the
    # URL's arguments and the user's access rule.
    compiled_lookup = False
    # The query parameters for which a list's first page is run from what was built for the
    # same query before (hotline.db.CompiledPages): those whose filters turn the parameter's
    # text into SQL without reading anything else (not a code looked up in the database, not
    # the clock, not a cursor). None: every request builds its page.
    pages_kept_for = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise ImproperlyConfigured(
                f"{cls.__name__} overrides get_queryset; refine the scoped queryset in "
                "refine() instead, so that every row still passes through the access module."
            )
        declared = cls.__dict__.get("scope")
        # A plain function assigned in the class body would be bound as a method.
        if declared is not None and not isinstance(declared, staticmethod):
            cls.scope = staticmethod(declared)
        if not cls.__dict__.get("abstract", False) and cls.scope is None:
            raise ImproperlyConfigured(
                f"{cls.__name__} declares no scope: name the access function "
                "(hotline.access.cases_for, ...) that decides which rows a user sees."
            )

    abstract = True

    # --- rows -------------------------------------------------------------------------------

    def get_queryset(self):
        if self.scope is None or self.queryset is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a queryset and a scope from the access module."
            )
        return self.refine(self.scope(self.request.user, self.queryset.all()))

    def refine(self, queryset):
        """Joins, prefetches and filters on rows already scoped."""
        return queryset

    def get_object(self):
        """One row of the scoped rows, by the URL's lookup; 404 otherwise. Unlike DRF's own,
        without the list's filters and ordering: they mean nothing for one record, and building
        the filter form was a third of the cost of reading one."""
        lookup = self.lookup_url_kwarg or self.lookup_field

        def rows(value):
            # The lookup is unique: no ORDER BY to compile or run.
            return self.get_queryset().filter(**{self.lookup_field: value}).order_by()[:1]

        value = self.kwargs[lookup]
        try:
            with prepared_statements():
                if self.compiled_lookup:
                    shape = (
                        type(self),
                        self.lookup_field,
                        access.rule_key(self.request.user),
                        tuple(sorted((k, v) for k, v in self.kwargs.items() if k != lookup)),
                    )
                    found = _LOOKUPS.get(shape, self.queryset.model, rows, value)
                else:
                    found = list(rows(value))
            row = found[0] if found else None
        except (TypeError, ValueError, DjangoValidationError):
            row = None  # a value the field cannot hold: no such record
        if row is None:
            raise exceptions.NotFound(_("Not found."))
        self.check_object_permissions(self.request, row)
        return row

    # --- reads ------------------------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        key = self.page_key()
        if key is None:
            queryset = self.list_rows(self.filter_queryset(self.get_queryset()))
        else:
            queryset = _PAGES.queryset(
                key,
                self.queryset.model,
                lambda: self.list_rows(self.filter_queryset(self.get_queryset())),
            )
        with prepared_statements():
            page = self.paginate_queryset(queryset)
            rows = list(page if page is not None else queryset)
        self.audit_rows(rows)
        data = self.represent_rows(rows)
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def represent_rows(self, rows):
        """The rows of a list as the answer shows them: the serializer's representation."""
        return self.get_serializer(rows, many=True).data

    def page_key(self):
        """What shapes the first page's statement, when it may be kept (CompiledPages): the
        resource, the access rule's values and the query string, when every parameter in it
        is one of `pages_kept_for`; None otherwise (a later page, a filter that looks
        something up in the database)."""
        if self.pages_kept_for is None:
            return None
        params = self.request.query_params
        if not params.keys() <= self.pages_kept_for:
            return None
        return (
            type(self),
            access.rule_key(self.request.user),
            tuple(sorted((name, tuple(params.getlist(name))) for name in params)),
        )

    def list_rows(self, queryset):
        """The scoped, filtered rows as the list reads them: model instances, or, for a
        resource whose serializer represents plain rows, `.values(...)` with the primary key
        as "pk" (no model instance built per row)."""
        return queryset

    def audit_rows(self, rows):
        if self.audit_kind is not None:
            audit_list(self.audit_kind, [row_pk(row) for row in rows])

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if self.audit_kind is not None:
            audit_view(instance, **self.audit_view_kwargs(instance))
        return self.respond_with(instance)

    def audit_view_kwargs(self, instance):
        return {}

    def respond_with(self, instance, status_code=status.HTTP_200_OK, headers=None):
        serializer = self.get_serializer(instance)
        return Response(serializer.data, status=status_code, headers=headers or {})


class CreateMixin:
    """POST: `may(user, create_permission)`, then perform_create(serializer) (which calls a
    service and returns the new record), idempotent by Idempotency-Key."""

    # (Not in the docstring, which the OpenAPI document shows.) The answer is the new record
    # read back through the scoped rows (reload), unless `reload_created` is off: for a
    # resource whose service returns the instance it saved with every field and relation the
    # serializer shows already in memory, reading it again is a query that changes nothing
    # (tests/api/test_fast_representations.py holds it to that).
    reload_created = True

    def create(self, request, *args, **kwargs):
        self.check_create()
        return idempotent(request, lambda: self._create(request))

    def check_create(self):
        if self.create_permission is None or not access.may(
            self.request.user, self.create_permission
        ):
            raise exceptions.PermissionDenied(_("Your role may not create these records."))

    def _create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_create(serializer)
        headers = {}
        location = self.location(instance)
        if location:
            headers["Location"] = location
        if not self.reload_created:
            # The serializer that validated the request shows what it created, as DRF's own
            # CreateModelMixin does.
            serializer.instance = instance
            return Response(serializer.data, status=status.HTTP_201_CREATED, headers=headers)
        instance = self.reload(instance)
        return self.respond_with(instance, status.HTTP_201_CREATED, headers)

    def reload(self, instance):
        """The new record as the list would show it (with its joins), from the scoped rows."""
        lookup = {self.lookup_field: getattr(instance, self.lookup_field)}
        return self.get_queryset().filter(**lookup).first() or instance

    def location(self, instance):
        return None


class UpdateMixin:
    """PATCH (and PUT where a subclass allows it): check_update(instance), then
    perform_update(instance, serializer) calls a service."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        self.check_update(instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_update(instance, serializer)
        return self.respond_with(self.reload(instance))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def check_update(self, instance):
        raise exceptions.PermissionDenied(_("These records cannot be changed here."))

    def reload(self, instance):
        lookup = {self.lookup_field: getattr(instance, self.lookup_field)}
        return self.get_queryset().filter(**lookup).first() or instance
