"""Logging calls, submitting and triaging tips, creating accounts."""

import datetime

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline import services
from hotline.models import Call, Code, Role, Tip, Urgency
from tests.conftest import PASSWORD
from tests.factories import TipFactory, code, industry, region

pytestmark = pytest.mark.django_db


def test_an_advocate_logs_a_call_that_is_not_about_trafficking(advocate):
    call = services.call_log(
        advocate=advocate,
        channel="sms",
        caller_type="anonymous",
        reason="general_information",
        language="es",
    )
    assert call.advocate == advocate and call.language == "es"
    assert not Tip.objects.exists()


def test_a_call_with_a_tip_records_both_and_the_tip_inherits_place_and_urgency(advocate):
    started = timezone.now() - datetime.timedelta(minutes=5)
    call = services.call_log(
        advocate=advocate,
        channel="phone",
        caller_type="potential_victim",
        reason="trafficking_tip",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=4),
        region=region("US-GA"),
        urgency=Urgency.IMMINENT_DANGER,
        tip={
            "observed": "Locked in a restaurant kitchen",
            "industry": industry("restaurants_food_service"),
            "indicators": [code("ilo_ForcedLabourIndicator", "restriction_of_movement")],
        },
    )
    tip = call.tip
    assert (tip.source, tip.region.code, tip.urgency) == ("call", "US-GA", Urgency.IMMINENT_DANGER)
    assert tip.received_at == started and tip.submitted_by == advocate
    assert [c.code for c in tip.indicators.all()] == ["restriction_of_movement"]
    assert call.duration == datetime.timedelta(minutes=4)


@pytest.mark.parametrize(
    ("field", "value"),
    [("channel", "pigeon"), ("caller_type", "alien"), ("reason", ""), ("language", "xx")],
)
def test_a_call_with_a_bad_value_is_refused_naming_the_field(advocate, field, value):
    fields = {
        "channel": "phone",
        "caller_type": "anonymous",
        "reason": "crisis",
        "language": "en",
        field: value,
    }
    with pytest.raises(ValidationError) as error:
        services.call_log(advocate=advocate, **fields)
    assert field in error.value.message_dict
    assert not Call.objects.exists()


def test_a_call_that_ends_before_it_starts_is_refused(advocate):
    now = timezone.now()
    with pytest.raises(ValidationError, match="A call cannot end before it starts"):
        services.call_log(
            advocate=advocate,
            channel="phone",
            caller_type="anonymous",
            reason="crisis",
            started_at=now,
            ended_at=now - datetime.timedelta(minutes=1),
        )


def test_a_bad_tip_rolls_back_its_call(advocate):
    with pytest.raises(ValidationError):
        services.call_log(
            advocate=advocate,
            channel="phone",
            caller_type="anonymous",
            reason="trafficking_tip",
            tip={"observed": ""},
        )
    assert not Call.objects.exists() and not Tip.objects.exists()


def test_tip_indicators_must_come_from_the_ilo_list():
    wrong = Code.objects.get(list="vic_MethodsOfControl", code="DebtBondage")
    with pytest.raises(ValidationError) as error:
        services.tip_submit(source="web_form", observed="x", indicators=[wrong])
    assert "indicators" in error.value.message_dict


def test_a_public_tip_gets_an_unguessable_reference():
    references = {TipFactory().reference for _ in range(20)}
    assert len(references) == 20
    assert all(len(reference) == 11 and reference.startswith("T-") for reference in references)


def test_triaging_a_tip_as_duplicate_names_the_original_and_the_reason(supervisor):
    original, copy = TipFactory(), TipFactory()
    tip = services.tip_triage(
        actor=supervisor, tip=copy, state="duplicate", reason="Same caller", duplicate_of=original
    )
    assert (tip.triage_state, tip.duplicate_of, tip.triaged_by) == (
        "duplicate",
        original,
        supervisor,
    )
    assert tip.triaged_at is not None


@pytest.mark.parametrize(
    ("state", "reason", "duplicate_of", "field"),
    [
        ("duplicate", "Same caller", None, "duplicate_of"),
        ("no_action", "  ", None, "triage_reason"),
        ("linked", "", None, "state"),
        ("new", "", None, "state"),
    ],
)
def test_an_incomplete_triage_decision_is_refused(supervisor, state, reason, duplicate_of, field):
    tip = TipFactory()
    with pytest.raises(ValidationError) as error:
        services.tip_triage(
            actor=supervisor, tip=tip, state=state, reason=reason, duplicate_of=duplicate_of
        )
    assert field in error.value.message_dict
    assert Tip.objects.get(pk=tip.pk).triage_state == "new"


def test_a_tip_cannot_duplicate_itself(supervisor):
    tip = TipFactory()
    with pytest.raises(ValidationError, match="itself"):
        services.tip_triage(
            actor=supervisor, tip=tip, state="duplicate", reason="x", duplicate_of=tip
        )


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_one_group_membership(role, organisation):
    user = services.user_create(
        username=f"u-{role}",
        password=PASSWORD,
        role=role,
        organisation=organisation if role == Role.PARTNER else None,
    )
    assert [group.name for group in user.groups.all()] == [role.value]
    assert user.role == role
    assert user.is_staff is (role != Role.PARTNER)
    assert authenticate(username=f"u-{role}", password=PASSWORD) == user


def test_a_partner_account_needs_an_organisation_and_staff_cannot_have_one(organisation):
    with pytest.raises(ValidationError) as error:
        services.user_create(username="p", password=PASSWORD, role=Role.PARTNER)
    assert "organisation" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.user_create(
            username="a", password=PASSWORD, role=Role.ADVOCATE, organisation=organisation
        )


def test_a_weak_password_is_refused_with_the_validators_messages():
    with pytest.raises(ValidationError) as error:
        services.user_create(username="weak", password="12345678", role=Role.ADVOCATE)
    assert any("too common" in message for message in error.value.message_dict["password"])


def test_an_account_without_a_role_has_none(outsider):
    assert outsider.role is None
