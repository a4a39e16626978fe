"""The one scoped base viewset: a resource cannot forget the access module."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from cases.api.urls import router
from cases.models import Case
from hotline import access
from hotline.api.resources import PublicTipViewSet
from hotline.api.viewsets import ScopedViewSet


def test_a_viewset_without_a_scope_is_refused_when_defined():
    with pytest.raises(ImproperlyConfigured, match="declares no scope"):

        class Careless(ScopedViewSet):
            queryset = Case.objects.all()


def test_a_viewset_that_overrides_get_queryset_is_refused_when_defined():
    with pytest.raises(ImproperlyConfigured, match="overrides get_queryset"):

        class Sneaky(ScopedViewSet):
            queryset = Case.objects.all()
            scope = access.cases_for

            def get_queryset(self):
                return Case.objects.all()


def test_a_scope_taken_away_later_is_refused_when_used(rf, supervisor):
    class Scoped(ScopedViewSet):
        queryset = Case.objects.all()
        scope = access.cases_for

    view = Scoped()
    view.scope = None
    view.request = rf.get("/")
    view.request.user = supervisor
    with pytest.raises(ImproperlyConfigured):
        view.get_queryset()


@pytest.mark.django_db
def test_the_scope_is_applied(rf, other_advocate, advocate):
    from tests.factories import CaseFactory

    CaseFactory(actor=advocate, team=advocate.team)

    class Scoped(ScopedViewSet):
        queryset = Case.objects.all()
        scope = access.cases_for

    view = Scoped()
    view.request = rf.get("/")
    view.request.user = other_advocate
    assert list(view.get_queryset()) == []
    view.request.user = advocate
    assert len(view.get_queryset()) == 1


def test_every_resource_that_reads_derives_from_the_scoped_base():
    for _prefix, viewset, _basename in router.registry:
        assert issubclass(viewset, ScopedViewSet) or viewset is PublicTipViewSet, viewset
    # The public tip form reads nothing back: it has no list, no retrieve.
    assert not hasattr(PublicTipViewSet, "list") and not hasattr(PublicTipViewSet, "retrieve")
