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
        ("linked", "", None, "triage_state"),
        ("new", "", None, "triage_state"),
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


def test_a_tip_linked_to_a_case_cannot_be_triaged_away(advocate, supervisor):
    from cases.services import case_open_from_tip

    tip = TipFactory()
    case_open_from_tip(actor=advocate, tip=tip)
    with pytest.raises(ValidationError, match="linked to a case already"):
        services.tip_triage(actor=supervisor, tip=tip, state="no_action", reason="x")
    assert Tip.objects.get(pk=tip.pk).triage_state == "linked"


def test_a_duplicate_of_a_duplicate_points_at_the_original(supervisor):
    original, first_copy, second_copy = TipFactory(), TipFactory(), TipFactory()
    services.tip_triage(
        actor=supervisor, tip=first_copy, state="duplicate", reason="x", duplicate_of=original
    )
    tip = services.tip_triage(
        actor=supervisor, tip=second_copy, state="duplicate", reason="x", duplicate_of=first_copy
    )
    assert tip.duplicate_of == original


def test_duplicates_cannot_form_a_loop(supervisor):
    first, second = TipFactory(), TipFactory()
    services.tip_triage(
        actor=supervisor, tip=second, state="duplicate", reason="x", duplicate_of=first
    )
    with pytest.raises(ValidationError, match="itself"):
        services.tip_triage(
            actor=supervisor, tip=first, state="duplicate", reason="x", duplicate_of=second
        )


def test_correcting_a_call_validates_like_logging_it(advocate):
    call = services.call_log(
        advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis"
    )
    call = services.call_update(actor=advocate, call=call, language="es", region=region("US-AZ"))
    assert (call.language, call.region.code) == ("es", "US-AZ")
    with pytest.raises(ValidationError) as error:
        services.call_update(actor=advocate, call=call, language="xx")
    assert "language" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.call_update(actor=advocate, call=call, advocate=None)
    assert "advocate" in error.value.message_dict


def test_correcting_a_tip_keeps_its_indicators_on_the_ilo_list(advocate):
    tip = services.tip_update(
        actor=advocate,
        tip=TipFactory(),
        observed="Workers locked in at night",
        indicators=[code("ilo_ForcedLabourIndicator", "isolation")],
    )
    assert tip.observed == "Workers locked in at night"
    assert [c.code for c in tip.indicators.all()] == ["isolation"]
    with pytest.raises(ValidationError):
        services.tip_update(
            actor=advocate, tip=tip, indicators=[code("vic_MethodsOfControl", "DebtBondage")]
        )
    with pytest.raises(ValidationError) as error:
        services.tip_update(actor=advocate, tip=tip, triage_state="no_action")
    assert "triage_state" in error.value.message_dict


def test_a_role_changes_as_a_whole(admin_user, advocate, organisation):
    user = services.user_role_set(
        actor=admin_user, user=advocate, role="partner", organisation=organisation
    )
    assert [g.name for g in user.groups.all()] == ["partner"]
    assert (user.role, user.is_staff, user.team, user.organisation) == (
        Role.PARTNER,
        False,
        None,
        organisation,
    )
    user = services.user_role_set(actor=admin_user, user=user, role="supervisor")
    assert (user.role, user.is_staff, user.organisation) == (Role.SUPERVISOR, True, None)


@pytest.mark.parametrize(
    ("role", "with_organisation", "field"),
    [
        ("partner", False, "organisation"),
        ("advocate", True, "organisation"),
        ("boss", False, "role"),
    ],
)
def test_a_role_that_does_not_fit_is_refused(
    admin_user, advocate, organisation, role, with_organisation, field
):
    with pytest.raises(ValidationError) as error:
        services.user_role_set(
            actor=admin_user,
            user=advocate,
            role=role,
            organisation=organisation if with_organisation else None,
        )
    assert field in error.value.message_dict
    assert advocate.groups.get().name == "advocate"


def test_account_details_change_but_not_the_role_or_staff_status(admin_user, partner, other_team):
    user = services.user_update(actor=admin_user, user=partner, email="pat@example.org")
    assert user.email == "pat@example.org"
    with pytest.raises(ValidationError) as error:
        services.user_update(actor=admin_user, user=partner, is_staff=True)
    assert "is_staff" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.user_update(actor=admin_user, user=partner, team=other_team)
    assert "team" in error.value.message_dict


def test_setting_or_disabling_a_password_is_audited(admin_user, advocate):
    from django.contrib.auth import authenticate

    from hotline.models import AuditEntry

    services.user_password_set(actor=admin_user, user=advocate, password="a-new-long-passphrase")
    assert authenticate(username="alice", password="a-new-long-passphrase") is not None
    services.user_password_set(actor=admin_user, user=advocate, password=None)
    assert authenticate(username="alice", password="a-new-long-passphrase") is None
    rows = AuditEntry.objects.filter(object_kind="user", object_id=advocate.pk, user=admin_user)
    assert rows.count() == 2


def test_privileges_outside_the_roles_are_audited(admin_user, advocate):
    from django.contrib.auth.models import Permission

    from hotline.models import AuditEntry

    permission = Permission.objects.get(codename="view_region")
    user = services.user_privileges_set(
        actor=admin_user, user=advocate, is_superuser=True, permissions=[permission]
    )
    assert user.is_superuser and list(user.user_permissions.all()) == [permission]
    assert AuditEntry.objects.filter(
        object_kind="user", object_id=advocate.pk, user=admin_user
    ).exists()
