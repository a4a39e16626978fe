"""Saving with the database checking the constraints (hotline.db.save_validated and friends):
fields are validated in Python as before, the check constraints by the INSERT itself, and the
database's refusal comes back as the same clear ValidationError, on the right field, with the
constraint's own message; never as an IntegrityError (a 500 in the API)."""

import datetime
import uuid

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline import services
from hotline.db import (
    constraint_name,
    constraint_violation,
    save_checked,
    save_validated,
    validate_fields,
)
from hotline.models import Call, Code, Region
from tests.sql_helpers import statements

pytestmark = pytest.mark.django_db


def a_call(**fields):
    return Call(**{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", **fields})


def refusal(instance):
    """What save_checked says when the database refuses `instance`."""
    with pytest.raises(ValidationError) as error:
        save_checked(instance)
    return error.value.message_dict


def test_a_choice_the_database_refuses_is_reported_on_its_field():
    # save_checked does not validate: the CHECK constraint of choices_constraint refuses it.
    assert refusal(a_call(channel="pigeon")) == {"channel": ["Choose a valid channel."]}
    assert not Call.objects.exists()


def test_a_rule_on_one_field_is_reported_on_that_field():
    assert refusal(a_call(language="EN")) == {
        "language": ["Use a lower-case ISO 639 language code such as en or es."]
    }


def test_a_rule_across_fields_is_reported_for_the_record():
    now = timezone.now()
    started, ended = now, now - datetime.timedelta(minutes=1)
    assert refusal(a_call(started_at=started, ended_at=ended)) == {
        NON_FIELD_ERRORS: ["A call cannot end before it starts."]
    }


def test_the_service_gives_the_same_error_as_model_validation_did(advocate):
    now = timezone.now()
    bad = {"started_at": now, "ended_at": now - datetime.timedelta(minutes=1)}
    with pytest.raises(ValidationError) as by_django:
        a_call(advocate=advocate, **bad).full_clean()
    with pytest.raises(ValidationError) as by_the_database:
        services.call_log(
            advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis", **bad
        )
    assert by_the_database.value.message_dict == by_django.value.message_dict
    assert not Call.objects.exists()


def test_a_refusal_leaves_the_surrounding_transaction_usable(advocate):
    now = timezone.now()
    with transaction.atomic():
        with pytest.raises(ValidationError):
            services.call_log(
                advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis",
                started_at=now, ended_at=now - datetime.timedelta(minutes=1),
            )  # fmt: skip
        with pytest.raises(ValidationError):
            save_checked(a_call(language="EN"))
        kept = services.call_log(
            advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis"
        )
    assert list(Call.objects.values_list("pk", flat=True)) == [kept.pk]


def test_other_integrity_errors_are_not_disguised(advocate):
    key = uuid.uuid4()
    save_checked(a_call(intake_key=key))
    with pytest.raises(IntegrityError) as error:
        save_checked(a_call(intake_key=key))
    assert constraint_violation(Call, error.value) is None


def test_constraint_names_are_read_on_this_database():
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        a_call(channel="pigeon").save()
    assert constraint_name(error.value) == "hotline_call_channel_valid"


def test_logging_a_call_checks_no_constraint_with_a_query_of_its_own(advocate):
    region = Region.objects.get(code="US-TX")
    with CaptureQueriesContext(connection) as queries:
        services.call_log(
            advocate=advocate,
            channel="phone",
            caller_type="anonymous",
            reason="crisis",
            region=region,
        )
    verbs = [sql.split()[0].upper() for sql in statements(queries)]
    # The call and its audit row; no SELECT per constraint, none for the region or advocate.
    assert verbs.count("INSERT") == 2
    assert "SELECT" not in verbs


def test_a_foreign_key_given_by_id_is_still_checked():
    with pytest.raises(ValidationError) as error:
        validate_fields(a_call(region_id=987654321))
    assert "region" in error.value.message_dict


def test_a_foreign_key_whose_row_is_loaded_is_not_checked_again(advocate):
    call = a_call(advocate=advocate, region=Region.objects.get(code="US-TX"))
    with CaptureQueriesContext(connection) as queries:
        validate_fields(call)
    assert len(queries) == 0


def test_fields_are_still_validated_in_python():
    with pytest.raises(ValidationError) as error:
        validate_fields(a_call(channel="pigeon", language="xx", summary=None))
    assert {"channel", "language"} <= set(error.value.message_dict)


def test_unique_constraints_are_still_reported_by_field_before_the_insert():
    existing = Code.objects.filter(list=Code.List.ILO_INDICATORS).first()
    duplicate = Code(list=existing.list, code=existing.code, label="Again")
    with pytest.raises(ValidationError) as error:
        save_validated(duplicate)
    assert error.value.message_dict == {NON_FIELD_ERRORS: ["This list already has this code."]}
