"""Every write of the hotline app: calls, tips, accounts.

Each function validates, saves and schedules follow-up work in one transaction, and raises
ValidationError (with field names where it can) for anything a person or a partner got wrong.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.audit import audit_record, insert_audited
from hotline.db import save_checked, save_validated, validate_fields
from hotline.models import (
    AuditAction,
    Call,
    Code,
    Role,
    Tip,
    TraffickingType,
    Urgency,
    User,
    WorkerHeartbeat,
)

TRIAGE_DECISIONS = {Tip.TriageState.TRIAGED, Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION}
CLOSED_TIP_STATES = {Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION}
# Fields of a call and a tip that may be corrected after they were recorded.
CALL_CORRECTABLE = {
    "channel", "direction", "started_at", "ended_at", "language", "caller_type", "reason",
    "region", "summary", "urgency",
}  # fmt: skip
TIP_CORRECTABLE = {
    "observed", "region", "address", "industry", "trafficking_type", "people_mentioned",
    "urgency",
}  # fmt: skip
USER_CORRECTABLE = {"email", "first_name", "last_name", "language", "is_active", "team"}


def _save_validated(instance, **kwargs):
    """full_clean() and save(), with the database checking the check constraints (one INSERT
    instead of a SELECT per constraint; the same ValidationError): hotline.db.save_validated."""
    return save_validated(instance, **kwargs)


def _already_sent(model, intake_key, **same_sender):
    """The record an earlier attempt with this intake key created, or None.

    A key belongs to whoever first used it: someone else sending it is refused rather than
    shown that record."""
    if intake_key is None:
        return None
    existing = model.objects.filter(intake_key=intake_key).first()
    if existing is not None and any(
        getattr(existing, field) != value for field, value in same_sender.items()
    ):
        raise ValidationError({"intake_key": "This key was already used for another record."})
    return existing


def _save_once(instance, *, validated=False, **same_sender):
    """Save a new call or tip; when a concurrent attempt with the same intake key won the race,
    return the record it made instead (the unique index decides, on every database)."""
    if not validated:
        validate_fields(instance, validate_unique=instance.intake_key is None)
    try:
        # A check constraint's refusal is a ValidationError (hotline.db.save_checked); the
        # intake key's unique index is an IntegrityError, after which this transaction goes on
        # (to find the record the other attempt made), so that save needs a savepoint. Without
        # a key any refusal leaves the service, whose atomic rolls back (to its own savepoint
        # when the caller holds a transaction).
        save_checked(instance, savepoint=instance.intake_key is not None)
    except IntegrityError:
        existing = _already_sent(type(instance), instance.intake_key, **same_sender)
        if existing is None:
            raise
        existing.was_repeat = True
        return existing
    instance.was_repeat = False
    return instance


def choice(choices, value, field):
    """`value` as a member of `choices`, or a ValidationError on `field` (never a ValueError)."""
    try:
        return choices(value)
    except ValueError:
        raise ValidationError({field: f"{value!r} is not one of the choices offered."}) from None


def record_update(instance, changes, allowed):
    """Apply `changes` to `instance` (only fields in `allowed`), validate, save the fields that
    changed and return their names. Services wrap this with their own rules and events."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(
            {field: "This field cannot be changed here." for field in sorted(unknown)}
        )
    changed = [field for field, value in changes.items() if getattr(instance, field) != value]
    for field in changed:
        setattr(instance, field, changes[field])
    if changed:
        update_fields = changed + (["updated_at"] if hasattr(instance, "updated_at") else [])
        save_validated(instance, update_fields=update_fields)
    return changed


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
    intake_key=None,
):
    """Record a call (a signal). With `tip` (a dict of tip_submit's arguments), the call's
    tip is recorded with it, in the same transaction.

    With `intake_key`, sending the same call again returns the first one (`was_repeat` set)
    and records nothing new."""
    call = Call(
        intake_key=intake_key,
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
    if tip is None and intake_key is None:
        # A call alone: it and its audit row in one statement where the database allows
        # (most calls logged through the API), else in a transaction as below.
        validate_fields(call)
        if insert_audited(call, object_kind="call", user=advocate):
            call.was_repeat = False
            return call
        return _call_log_in_transaction(call, advocate=advocate, tip=None, validated=True)
    return _call_log_in_transaction(call, advocate=advocate, tip=tip)


@transaction.atomic
def _call_log_in_transaction(call, *, advocate, tip, validated=False):
    existing = _already_sent(Call, call.intake_key, advocate_id=advocate.pk)
    if existing is not None:
        existing.was_repeat = True
        return existing
    call = _save_once(call, validated=validated, advocate_id=advocate.pk)
    if call.was_repeat:
        return call
    audit_record(action=AuditAction.CREATE, object_kind="call", object_id=call.pk, user=advocate)
    if tip is not None:
        tip_fields = {"urgency": call.urgency, "region": call.region, **tip}
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
    intake_key=None,
):
    """Record a tip from a call, the public web form or a partner.

    With `intake_key`, sending the same tip again returns the first one (`was_repeat` set)."""
    sender = {"submitted_by_id": getattr(submitted_by, "pk", None), "source": source}
    existing = _already_sent(Tip, intake_key, **sender)
    if existing is not None:
        existing.was_repeat = True
        return existing
    indicators = _ilo_indicators(indicators)
    if call is not None and received_at is None:
        received_at = call.started_at
    tip = _save_once(
        Tip(
            intake_key=intake_key,
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
        ),
        **sender,
    )
    if tip.was_repeat:
        return tip
    tip.indicators.set(indicators)
    audit_record(action=AuditAction.CREATE, object_kind="tip", object_id=tip.pk, user=submitted_by)
    return tip


@transaction.atomic
def call_update(*, actor, call, **changes):
    """Correct what was recorded about a call."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if record_update(call, changes, CALL_CORRECTABLE):
        audit_record(action=AuditAction.UPDATE, object_kind="call", object_id=call.pk, user=actor)
    return call


@transaction.atomic
def tip_update(*, actor, tip, indicators=None, **changes):
    """Correct what was recorded about a tip; triage has its own service."""
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    changed = record_update(tip, changes, TIP_CORRECTABLE)
    if indicators is not None:
        tip.indicators.set(_ilo_indicators(indicators))
    if changed or indicators is not None:
        audit_record(action=AuditAction.UPDATE, object_kind="tip", object_id=tip.pk, user=actor)
    return tip


def _ilo_indicators(indicators):
    indicators = list(indicators)
    if any(code.list != Code.List.ILO_INDICATORS for code in indicators):
        raise ValidationError({"indicators": "Choose indicators from the ILO list only."})
    return indicators


@transaction.atomic
def tip_triage(*, actor, tip, state, reason="", duplicate_of=None):
    """Decide what becomes of a new tip: triaged (to be worked), a duplicate, or no action.

    Linking a tip to a case is done by the cases app, which calls tip_mark_linked.
    """
    if state not in TRIAGE_DECISIONS:
        raise ValidationError({"triage_state": "Choose triaged, duplicate or no action."})
    if state == Tip.TriageState.DUPLICATE and duplicate_of is None:
        raise ValidationError({"duplicate_of": "Say which tip this one duplicates."})
    if state in CLOSED_TIP_STATES and not reason.strip():
        raise ValidationError({"triage_reason": "Give a reason, so a reviewer can follow it."})
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    if tip.triage_state == Tip.TriageState.LINKED:
        raise ValidationError(
            {"triage_state": "This tip is linked to a case already; work it in the case."}
        )
    if state == Tip.TriageState.DUPLICATE:
        # Point at the original, never at another duplicate, so duplicates never form a chain
        # or a loop. (Read from the database: the caller's copy may be out of date.)
        duplicate_of = Tip.objects.get(pk=duplicate_of.pk)
        while duplicate_of.triage_state == Tip.TriageState.DUPLICATE:
            duplicate_of = Tip.objects.get(pk=duplicate_of.duplicate_of_id)
        if duplicate_of.pk == tip.pk:
            raise ValidationError({"duplicate_of": "A tip cannot duplicate itself."})
    tip.triage_state = state
    tip.triage_reason = reason.strip()
    tip.duplicate_of = duplicate_of if state == Tip.TriageState.DUPLICATE else None
    tip.triaged_by = actor
    tip.triaged_at = timezone.now()
    tip.save()
    audit_record(action=AuditAction.UPDATE, object_kind="tip", object_id=tip.pk, user=actor)
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
    audit_record(action=AuditAction.UPDATE, object_kind="tip", object_id=tip.pk, user=actor)
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
    language="en",
    validate_password=True,
):
    """Create an account with exactly one role."""
    role = choice(Role, role, "role")
    _check_role_fits(role, team, organisation)
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        organisation=organisation,
        language=language,
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
    audit_record(action=AuditAction.CREATE, object_kind="user", object_id=user.pk)
    return user


def _check_role_fits(role, team, organisation):
    if role == Role.PARTNER and organisation is None:
        raise ValidationError({"organisation": "A partner account belongs to an organisation."})
    if role != Role.PARTNER and organisation is not None:
        raise ValidationError({"organisation": "Only partner accounts belong to an organisation."})
    if role == Role.PARTNER and team is not None:
        raise ValidationError({"team": "Partner accounts are not on a hotline team."})


@transaction.atomic
def user_role_set(*, actor, user, role, team=None, organisation=None):
    """Give an account exactly one role, with the team or organisation that goes with it.

    The only way a role changes: group membership, staff status and organisation move
    together, so an account is never half partner, half advocate.
    """
    role = choice(Role, role, "role")
    _check_role_fits(role, team, organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.team, user.organisation = team, organisation
    user.is_staff = role != Role.PARTNER
    user.full_clean(exclude=["password"])
    user.save(update_fields=["team", "organisation", "is_staff"])
    user.groups.set([Group.objects.get(name=role.value)])
    audit_record(action=AuditAction.UPDATE, object_kind="user", object_id=user.pk, user=actor)
    return User.objects.get(pk=user.pk)


@transaction.atomic
def user_password_set(*, actor, user, password):
    """Set an account's password, or, with None, disable password sign-in for it. The caller
    has checked the password against the validators (Django's password forms do)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=AuditAction.UPDATE, object_kind="user", object_id=user.pk, user=actor)
    return user


@transaction.atomic
def user_privileges_set(*, actor, user, is_superuser=None, permissions=None):
    """Grant or take away superuser status and permissions outside the roles. Only superusers
    may (the admin checks); every change is in the audit trail."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_superuser is not None and is_superuser != user.is_superuser:
        user.is_superuser = is_superuser
        user.save(update_fields=["is_superuser"])
    if permissions is not None:
        user.user_permissions.set(permissions)
    audit_record(action=AuditAction.UPDATE, object_kind="user", object_id=user.pk, user=actor)
    return user


@transaction.atomic
def user_update(*, actor, user, **changes):
    """Change an account's details; its role changes only through user_role_set."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if changes.get("team") is not None and user.organisation_id is not None:
        raise ValidationError({"team": "Partner accounts are not on a hotline team."})
    if record_update(user, changes, USER_CORRECTABLE):
        audit_record(action=AuditAction.UPDATE, object_kind="user", object_id=user.pk, user=actor)
    return user


def heartbeat_record(*, worker):
    WorkerHeartbeat.objects.update_or_create(
        worker=worker[:200], defaults={"last_seen": timezone.now()}
    )


# --- API tokens and the API's own records (hotline/models/api.py, docs/api.md) ---------------

API_TOKEN_DAYS_DEFAULT = 90
API_TOKEN_DAYS_MAX = 366


@transaction.atomic
def api_token_issue(*, actor, user, days=API_TOKEN_DAYS_DEFAULT, label=""):
    """Issue a bearer token for `user`. Returns (token record, the token itself): the token is
    shown once and stored only as its hash, so it cannot be shown again."""
    from datetime import timedelta

    from hotline.models import ApiToken
    from hotline.models.api import token_digest, token_generate

    if not 1 <= days <= API_TOKEN_DAYS_MAX:
        raise ValidationError(
            {"days": f"A token lasts from 1 to {API_TOKEN_DAYS_MAX} days, not {days}."}
        )
    if not user.is_active or user.role is None:
        raise ValidationError(
            {"user": "Only an active account with a role can be given an API token."}
        )
    token, prefix = token_generate()
    now = timezone.now()
    record = ApiToken(
        user=user,
        prefix=prefix,
        digest=token_digest(token),
        label=label[:120],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    record.full_clean()
    record.save()
    audit_record(action=AuditAction.CREATE, object_kind="apitoken", object_id=record.pk, user=actor)
    return record, token


@transaction.atomic
def api_token_revoke(*, actor, token):
    """Revoke a token: every request with it is refused from now on. Revoking twice is a
    no-op."""
    from hotline.models import ApiToken

    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.UPDATE, object_kind="apitoken", object_id=token.pk, user=actor
        )
    return token


def api_records_purge(*, now=None):
    """Forget idempotency keys older than 24 hours and rate-limit windows that ended. Returns
    how many of each were removed."""
    from datetime import timedelta

    from hotline.models import ApiRateCounter, IdempotencyRecord

    now = now or timezone.now()
    keys, _ = IdempotencyRecord.objects.filter(created_at__lt=now - timedelta(hours=24)).delete()
    counters, _ = ApiRateCounter.objects.filter(window_ends_at__lt=now).delete()
    return keys, counters
