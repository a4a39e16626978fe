"""Filters every list shares: a region with everything below it, date ranges that refuse
impossible dates, and free-text search."""

import copy
import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeRangeField
from django_filters.filters import FilterMethod
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from hotline.models import Industry, Region


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, cheaper per request (every list builds one): the filters
    are copied shallowly rather than deeply (nothing in them changes per request but the
    parent and the bound `method`, set here), and the form class, which depends only on the
    filters' declarations, is built once per FilterSet class instead of on every request
    (on FilterForm, which copies its fields shallowly)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if isinstance(filter_.__dict__.get("filter"), FilterMethod):
                # `method=`: the bound method must call this copy, whose parent is set.
                filter_.filter = FilterMethod(filter_)

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            base = self._meta.form if self._meta.form is not forms.Form else FilterForm
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            form_class = type(f"{cls.__name__}Form", (base,), fields)
            cls._form_class = form_class
        return form_class


class FilterForm(forms.Form):
    """The form of a FilterSet: it only validates query parameters, never renders, so its
    fields are copied shallowly (Django copies every field, widget and queryset deeply for
    each form, which was the larger part of building one)."""

    def __init__(self, *args, **kwargs):
        self.base_fields = {}  # what BaseForm.__init__ deep-copies: nothing
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = {name: copy.copy(field) for name, field in self.base_fields.items()}

    def _clean_fields(self):
        # A list request names one or two of a dozen filters. A filter the query leaves out
        # cleans to the same empty value every time (its field sees no data): that value is
        # worked out once per form class and copied, rather than cleaned again. Every name
        # still gets its cleaned value, and anything given is cleaned as Django cleans it.
        absent = _ABSENT.setdefault(type(self), {})
        for name, bound in self._bound_items():
            field = bound.field
            omitted = _omitted(field.widget, self.data, self.files, bound.html_name)
            if omitted and name in absent:
                self.cleaned_data[name] = copy.copy(absent[name])
                continue
            try:
                self.cleaned_data[name] = field._clean_bound_field(bound)
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            if omitted and not field.disabled:
                absent[name] = copy.copy(self.cleaned_data[name])


# {form class: {field name: what the field cleans to when the query does not name it}}
_ABSENT = {}


def _omitted(widget, data, files, name):
    """Whether the query gives the field nothing at all. Django's own test says "not
    omitted" for a multiple select or a checkbox (browsers send nothing for an empty one);
    their value is read from `name` alone, so absent means absent."""
    if isinstance(widget, forms.SelectMultiple | forms.CheckboxInput):
        return name not in data and name not in files
    return widget.value_omitted_from_data(data, files, name)


EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2200, 1, 1, tzinfo=datetime.UTC)


class BoundedIsoDateTimeRangeField(IsoDateTimeRangeField):
    def clean(self, value):
        cleaned = super().clean(value)
        for bound in (cleaned.start, cleaned.stop) if cleaned else ():
            if bound is not None and not EARLIEST <= bound <= LATEST:
                raise forms.ValidationError(_("Use a date between 1900 and 2200."))
        return cleaned


class DateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """<field>_after and <field>_before, ISO 8601 (2026-11-01 or 2026-11-01T08:00:00Z)."""

    field_class = BoundedIsoDateTimeRangeField


def region_subtree(region, field="region"):
    """The rows in `region` or anywhere below it (a country includes its states)."""
    prefix = f"{field}__" if field else ""
    return Q(**{f"{prefix}path": region.path}) | Q(
        **{f"{prefix}path__startswith": f"{region.path}/"}
    )


@extend_schema_field(OpenApiTypes.STR)
class RegionFilter(django_filters.ModelChoiceFilter):
    """A region code (US, US-TX): the region and everything below it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault(
            "help_text", "A region code (US, US-TX); a country includes its subdivisions."
        )
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        if self.method is not None:
            return super().filter(queryset, value)
        return queryset.filter(region_subtree(value, self.field_name))


@extend_schema_field(OpenApiTypes.STR)
class IndustryFilter(django_filters.ModelChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Industry.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("help_text", "An industry code (see /api/v1/industries/).")
        super().__init__(*args, **kwargs)


class SearchFilter(django_filters.CharFilter):
    """Words that must all appear in one of `fields` (case-insensitive)."""

    def __init__(self, *args, fields=(), **kwargs):
        self.search_fields = fields
        kwargs.setdefault("help_text", "Words to look for; every word must match.")
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        for word in (value or "").split()[:10]:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


class IdFilter(django_filters.NumberFilter):
    """A record's id: a whole number in the database's range (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """status=new&status=active. Without django-filter's DISTINCT, which these filters on a
    row's own column never need and which made PostgreSQL sort every matching row."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)
