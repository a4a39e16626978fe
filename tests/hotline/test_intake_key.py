"""Sending the same call or tip twice (a double click, a retry after a lost connection)
records it once: the intake key the form or client sends decides."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from hotline import services
from hotline.models import AuditEntry, Call, Tip
from tests.cases.test_concurrency import race

CALL = {"channel": "phone", "caller_type": "community_member", "reason": "trafficking_tip"}


@pytest.mark.django_db
def test_the_same_call_sent_twice_is_recorded_once(advocate):
    key = uuid.uuid4()
    tip = {"observed": "Workers locked in at night"}
    first = services.call_log(advocate=advocate, intake_key=key, tip=tip, **CALL)
    again = services.call_log(advocate=advocate, intake_key=key, tip=tip, **CALL)
    assert again.pk == first.pk
    assert (first.was_repeat, again.was_repeat) == (False, True)
    assert Call.objects.count() == 1
    assert Tip.objects.count() == 1
    assert AuditEntry.objects.filter(object_kind="call").count() == 1


@pytest.mark.django_db
def test_calls_without_a_key_are_each_recorded(advocate):
    services.call_log(advocate=advocate, **CALL)
    services.call_log(advocate=advocate, **CALL)
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_it_refuses_a_key_another_advocate_used(advocate, other_advocate):
    key = uuid.uuid4()
    services.call_log(advocate=advocate, intake_key=key, **CALL)
    with pytest.raises(ValidationError) as refused:
        services.call_log(advocate=other_advocate, intake_key=key, **CALL)
    assert "intake_key" in refused.value.message_dict
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_a_public_tip_sent_twice_is_recorded_once():
    key = uuid.uuid4()
    first = services.tip_submit(source="web_form", observed="A van at night", intake_key=key)
    again = services.tip_submit(source="web_form", observed="A van at night", intake_key=key)
    assert again.pk == first.pk
    assert Tip.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_call_record_one(advocate):
    key = uuid.uuid4()
    results = race(*[lambda: services.call_log(advocate=advocate, intake_key=key, **CALL)] * 6)
    assert all(isinstance(result, Call) for result in results), results
    assert {result.pk for result in results} == {results[0].pk}
    assert sorted(result.was_repeat for result in results) == [False] + [True] * 5
    assert Call.objects.count() == 1
    assert AuditEntry.objects.filter(object_kind="call").count() == 1
