"""hotline.api.filters.FilterSet: django-filter's FilterSet made cheaper per request (the form
class built once per class, filters and form fields copied shallowly), without one request's
filter set seeing another's request or data."""

import pytest
from django.http import QueryDict
from rest_framework.test import APIRequestFactory

from cases.api.filters import CaseFilterSet
from cases.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = APIRequestFactory().get("/api/v1/cases/")
    request.user = user
    return request


def test_the_form_class_is_built_once_per_filter_set_class(advocate):
    first = CaseFilterSet(QueryDict("status=new"), Case.objects.all(), request=_request(advocate))
    second = CaseFilterSet(QueryDict("status=active"), Case.objects.all())
    assert type(first.form) is type(second.form)
    assert first.form is not second.form
    assert first.form.fields["status"] is not second.form.fields["status"]


def test_each_filter_set_filters_with_its_own_request_and_data(advocate, partner, organisation):
    mine = CaseFactory(actor=advocate, team=advocate.team, assignee=advocate)
    CaseFactory(actor=advocate, team=advocate.team)
    query = QueryDict(f"assignee={advocate.pk}")
    staff = CaseFilterSet(query, Case.objects.all(), request=_request(advocate))
    outside = CaseFilterSet(query, Case.objects.all(), request=_request(partner))
    assert staff.is_valid() and outside.is_valid()
    # `assignee` is a staff-only filter (a method that reads the filter set's request).
    assert list(staff.qs) == [mine]
    assert outside.qs.count() == 2
    assert list(staff.qs) == [mine]


def test_bad_input_is_still_refused_field_by_field(advocate):
    filters = CaseFilterSet(
        QueryDict("status=nonsense&assignee=x&opened_at_after=3000-01-01"),
        Case.objects.all(),
        request=_request(advocate),
    )
    assert not filters.is_valid()
    assert {"status", "assignee", "opened_at"} <= set(filters.errors)
