"""Every write of the hotline app: calls, tips, accounts.

Each function validates, saves and schedules follow-up work in one transaction, and raises
ValidationError (with field names where it can) for anything a person or a partner got wrong.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hotline.models import Call, Code, Role, Tip, TraffickingType, Urgency, User, WorkerHeartbeat

TRIAGE_DECISIONS = {Tip.TriageState.TRIAGED, Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION}


def _save_validated(instance):
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def call_log(
    *,
    advocate,
    channel,
    caller_type,
    reason,
    started_at=None,
    ended_at=None,
    direction=Call.Direction.INBOUND,
    language="en",
    region=None,
    summary="",
    urgency=Urgency.ROUTINE,
    tip=None,
):
    """Record a call (a signal). With `tip` (a dict of tip_submit's arguments), the call's
    tip is recorded with it, in the same transaction."""
    call = _save_validated(
        Call(
            advocate=advocate,
            channel=channel,
            direction=direction,
            started_at=started_at or timezone.now(),
            ended_at=ended_at,
            language=language,
            caller_type=caller_type,
            reason=reason,
            region=region,
            summary=summary,
            urgency=urgency,
        )
    )
    if tip is not None:
        tip_fields = {"urgency": urgency, "region": region, **tip}
        tip_submit(source=Tip.Source.CALL, call=call, submitted_by=advocate, **tip_fields)
    return call


@transaction.atomic
def tip_submit(
    *,
    source,
    observed,
    call=None,
    organisation=None,
    submitted_by=None,
    received_at=None,
    region=None,
    address="",
    industry=None,
    trafficking_type=TraffickingType.UNKNOWN,
    indicators=(),
    people_mentioned="",
    urgency=Urgency.ROUTINE,
):
    """Record a tip from a call, the public web form or a partner."""
    indicators = list(indicators)
    wrong = [code for code in indicators if code.list != Code.List.ILO_INDICATORS]
    if wrong:
        raise ValidationError({"indicators": "Choose indicators from the ILO list only."})
    if call is not None and received_at is None:
        received_at = call.started_at
    tip = _save_validated(
        Tip(
            source=source,
            call=call,
            organisation=organisation,
            submitted_by=submitted_by,
            received_at=received_at or timezone.now(),
            observed=observed,
            region=region,
            address=address,
            industry=industry,
            trafficking_type=trafficking_type,
            people_mentioned=people_mentioned,
            urgency=urgency,
        )
    )
    tip.indicators.set(indicators)
    return tip


@transaction.atomic
def tip_triage(*, actor, tip, state, reason="", duplicate_of=None):
    """Decide what becomes of a new tip: triaged (to be worked), a duplicate, or no action.

    Linking a tip to a case is done by the cases app, which calls tip_mark_linked.
    """
    if state not in TRIAGE_DECISIONS:
        raise ValidationError({"state": "Choose triaged, duplicate or no action."})
    if state == Tip.TriageState.DUPLICATE and duplicate_of is None:
        raise ValidationError({"duplicate_of": "Say which tip this one duplicates."})
    if state in (Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION) and not reason.strip():
        raise ValidationError({"triage_reason": "Give a reason, so a reviewer can follow it."})
    if duplicate_of is not None and duplicate_of.pk == tip.pk:
        raise ValidationError({"duplicate_of": "A tip cannot duplicate itself."})
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    tip.triage_state = state
    tip.triage_reason = reason.strip()
    tip.duplicate_of = duplicate_of if state == Tip.TriageState.DUPLICATE else None
    tip.triaged_by = actor
    tip.triaged_at = timezone.now()
    tip.save()
    return tip


def tip_mark_linked(*, actor, tip):
    """Mark a tip as linked to a case; called by the cases app inside its own transaction."""
    Tip.objects.filter(pk=tip.pk).update(
        triage_state=Tip.TriageState.LINKED,
        triaged_by=actor,
        triaged_at=timezone.now(),
        duplicate_of=None,
        updated_at=timezone.now(),
    )
    tip.refresh_from_db()
    return tip


@transaction.atomic
def user_create(
    *,
    username,
    password,
    role,
    email="",
    first_name="",
    last_name="",
    team=None,
    organisation=None,
    validate_password=True,
):
    """Create an account with exactly one role."""
    role = Role(role)
    if role == Role.PARTNER and organisation is None:
        raise ValidationError({"organisation": "A partner account belongs to an organisation."})
    if role != Role.PARTNER and organisation is not None:
        raise ValidationError({"organisation": "Only partner accounts belong to an organisation."})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        organisation=organisation,
        # Staff roles may use the admin, within their permissions; partners use the API only.
        is_staff=role != Role.PARTNER,
        is_superuser=False,
    )
    if validate_password:
        from django.contrib.auth.password_validation import validate_password as check

        try:
            check(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=role.value)])
    return user


def heartbeat_record(*, worker):
    WorkerHeartbeat.objects.update_or_create(
        worker=worker[:200], defaults={"last_seen": timezone.now()}
    )
