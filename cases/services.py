"""Every write to a case, and the timeline event that records it, in one transaction.

Functions are keyword-only and named <thing>_<verb>. They validate and raise ValidationError
(keyed by field where possible) for anything a person can get wrong, and CaseChanged when the
caller edited a version of the case that someone else has changed since.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import identifiers, workflow
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    ClosingReason,
    Identifier,
    Note,
    Outcome,
    Party,
    Priority,
    Referral,
    Venue,
)
from hotline.models import Code, Role, Tip, TraffickingType, Urgency
from hotline.services import tip_mark_linked

Kind = CaseEvent.Kind

# Fields case_update may change, and whether their values may be written into the timeline
# (statistics dimensions may; free text may not, it can hold names).
UPDATABLE_FIELDS = {
    "priority": True,
    "trafficking_type": True,
    "industry": True,
    "region": True,
    "victim_count": True,
    "is_restricted": True,
    "summary": False,
}
PRIORITY_FOR_URGENCY = {
    Urgency.ROUTINE: Priority.NORMAL,
    Urgency.URGENT: Priority.HIGH,
    Urgency.IMMINENT_DANGER: Priority.CRITICAL,
}


class CaseChanged(Exception):
    """The case was changed by someone else after the caller read it."""

    def __init__(self, case, expected_version):
        self.case = case
        self.expected_version = expected_version
        super().__init__(
            f"{case.reference} was changed by someone else (version {case.version}, "
            f"you edited version {expected_version}). Reload it to see what changed."
        )


def event_record(*, case, kind, actor, **data):
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data)


def _reference_next(opened_at):
    year = timezone.localtime(opened_at).year
    counter, _created = CaseReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"HT-{year}-{counter.last_number:06d}"


def _lock(case, expected_version):
    """The case's current row, locked for this transaction; CaseChanged if it moved on."""
    current = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and current.version != expected_version:
        raise CaseChanged(current, expected_version)
    return current


def _save_bumped(case, fields):
    case.version += 1
    case.full_clean(exclude=["reference"])
    case.save(update_fields=[*fields, "version", "updated_at"])
    return case


def _check_codes(values, code_list, field):
    values = list(values)
    if any(code.list != code_list for code in values):
        raise ValidationError({field: "Choose values from the list offered."})
    return values


def _check_staff(user, field):
    if user is None:
        return
    if not user.is_active or user.role not in (Role.ADVOCATE, Role.SUPERVISOR):
        raise ValidationError(
            {field: "Cases can only be assigned to active advocates and supervisors."}
        )


def _check_same_case(case, related, field):
    if related is not None and related.case_id != case.pk:
        raise ValidationError({field: "This belongs to another case."})


@transaction.atomic
def case_open(
    *,
    actor,
    trafficking_type=TraffickingType.UNKNOWN,
    industry=None,
    region=None,
    summary="",
    priority=Priority.NORMAL,
    victim_count=0,
    is_restricted=False,
    assignee=None,
    team=None,
    methods_of_control=(),
    exploitation_types=(),
    opened_at=None,
    tips=(),
    calls=(),
):
    """Open a case. Its tips and calls are linked to it, each with its own timeline event."""
    _check_staff(assignee, "assignee")
    opened_at = opened_at or timezone.now()
    case = Case(
        trafficking_type=trafficking_type,
        industry=industry,
        region=region,
        summary=summary,
        priority=priority,
        victim_count=victim_count,
        is_restricted=is_restricted,
        assignee=assignee,
        team=team if team is not None else getattr(assignee, "team", None),
        opened_at=opened_at,
        created_by=actor,
    )
    case.full_clean(exclude=["reference"])
    case.reference = _reference_next(opened_at)
    case.save()
    case.methods_of_control.set(
        _check_codes(methods_of_control, Code.List.METHODS_OF_CONTROL, "methods_of_control")
    )
    case.exploitation_types.set(
        _check_codes(exploitation_types, Code.List.TYPES_OF_EXPLOITATION, "exploitation_types")
    )
    event_record(case=case, kind=Kind.CREATED, actor=actor, reference=case.reference)
    if case.assignee_id or case.team_id:
        event_record(
            case=case,
            kind=Kind.ASSIGNED,
            actor=actor,
            assignee=case.assignee_id,
            team=case.team_id,
            previous_assignee=None,
            previous_team=None,
        )
    for tip in tips:
        case_link_tip(actor=actor, case=case, tip=tip)
    for call in calls:
        case_link_call(actor=actor, case=case, call=call)
    return case


@transaction.atomic
def case_open_from_tip(*, actor, tip, **fields):
    """Open a case from a tip: the case takes the tip's place, industry, type and urgency
    (unless given), and the tip's call and identifiers."""
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    if tip.triage_state in (Tip.TriageState.DUPLICATE, Tip.TriageState.NO_ACTION):
        raise ValidationError(
            "This tip was closed as %(state)s; reopen it before opening a case.",
            params={"state": tip.get_triage_state_display().lower()},
        )
    defaults = {
        "region": tip.region,
        "industry": tip.industry,
        "trafficking_type": tip.trafficking_type,
        "priority": PRIORITY_FOR_URGENCY[Urgency(tip.urgency)],
        "opened_at": timezone.now(),
    }
    case = case_open(actor=actor, **{**defaults, **fields})
    case_link_tip(actor=actor, case=case, tip=tip)
    return case


@transaction.atomic
def case_link_tip(*, actor, case, tip):
    """Link a tip (and the call it came from) to a case; the tip's identifiers join the case."""
    if case.tips.filter(pk=tip.pk).exists():
        return case
    case.tips.add(tip)
    event_record(case=case, kind=Kind.TIP_LINKED, actor=actor, tip=tip.pk)
    on_case = set(case.identifiers.values_list("kind", "platform", "normalised"))
    for identifier in tip.identifiers.filter(case__isnull=True):
        key = (identifier.kind, identifier.platform, identifier.normalised)
        if key in on_case:
            continue
        identifier.case = case
        identifier.save(update_fields=["case"])
        on_case.add(key)
        event_record(
            case=case,
            kind=Kind.IDENTIFIER_ADDED,
            actor=actor,
            identifier=identifier.pk,
            identifier_kind=identifier.kind,
            tip=tip.pk,
        )
    tip_mark_linked(actor=actor, tip=tip)
    if tip.call_id is not None:
        case_link_call(actor=actor, case=case, call=tip.call)
    return case


@transaction.atomic
def case_link_call(*, actor, case, call):
    if case.calls.filter(pk=call.pk).exists():
        return case
    case.calls.add(call)
    event_record(case=case, kind=Kind.CALL_LINKED, actor=actor, call=call.pk)
    return case


@transaction.atomic
def case_update(
    *,
    actor,
    case,
    expected_version=None,
    methods_of_control=None,
    exploitation_types=None,
    **changes,
):
    """Change a case's descriptive fields. Status and assignment have their own services."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {field: "This field cannot be changed here." for field in sorted(unknown)}
        )
    case = _lock(case, expected_version)
    changed = {}
    for field, value in changes.items():
        old = getattr(case, field)
        if old != value:
            changed[field] = (old, value)
            setattr(case, field, value)
    m2m_changed = []
    for field, values, code_list in (
        ("methods_of_control", methods_of_control, Code.List.METHODS_OF_CONTROL),
        ("exploitation_types", exploitation_types, Code.List.TYPES_OF_EXPLOITATION),
    ):
        if values is None:
            continue
        values = _check_codes(values, code_list, field)
        if {code.pk for code in values} != set(getattr(case, field).values_list("pk", flat=True)):
            getattr(case, field).set(values)
            m2m_changed.append(field)
    if not changed and not m2m_changed:
        return case
    _save_bumped(case, list(changed))
    event_record(
        case=case,
        kind=Kind.UPDATED,
        actor=actor,
        fields=sorted([*changed, *m2m_changed]),
        changes={
            field: [_plain(old), _plain(new)]
            for field, (old, new) in changed.items()
            if UPDATABLE_FIELDS[field]
        },
    )
    return case


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


@transaction.atomic
def case_status_change(*, actor, case, status, closing_reason="", expected_version=None):
    """Move a case along the workflow (cases/workflow.py); closing needs a reason."""
    case = _lock(case, expected_version)
    status = workflow.Status(status)
    if status == case.status:
        return case
    if not workflow.transition_allowed(case.status, status):
        allowed = ", ".join(
            sorted(s.label.lower() for s in workflow.allowed_transitions(case.status))
        )
        raise ValidationError(
            {
                "status": f"A case that is {case.get_status_display().lower()} cannot become "
                f"{status.label.lower()}; it can become: {allowed}."
            }
        )
    if status in workflow.CLOSED_STATUSES:
        if closing_reason not in ClosingReason.values:
            raise ValidationError({"closing_reason": "Say why the case is being closed."})
        case.closing_reason = closing_reason
        case.closed_at = timezone.now()
    else:
        case.closing_reason = ""
        case.closed_at = None
    previous = case.status
    case.status = status
    _save_bumped(case, ["status", "closing_reason", "closed_at"])
    event_record(
        case=case,
        kind=Kind.STATUS_CHANGED,
        actor=actor,
        previous=previous,
        status=status.value,
        closing_reason=case.closing_reason,
    )
    return case


_UNCHANGED = object()


@transaction.atomic
def case_assign(*, actor, case, assignee, team=_UNCHANGED, expected_version=None):
    """Give a case to an advocate (None to unassign); the team follows the assignee's unless
    given."""
    _check_staff(assignee, "assignee")
    case = _lock(case, expected_version)
    if team is _UNCHANGED:
        team = assignee.team if assignee is not None and assignee.team_id else case.team
    previous_assignee, previous_team = case.assignee_id, case.team_id
    new_team_id = team.pk if team is not None else None
    new_assignee_id = assignee.pk if assignee is not None else None
    if (previous_assignee, previous_team) == (new_assignee_id, new_team_id):
        return case
    case.assignee, case.team = assignee, team
    _save_bumped(case, ["assignee", "team"])
    event_record(
        case=case,
        kind=Kind.ASSIGNED,
        actor=actor,
        assignee=new_assignee_id,
        team=new_team_id,
        previous_assignee=previous_assignee,
        previous_team=previous_team,
    )
    return case


@transaction.atomic
def party_add(
    *,
    actor,
    case,
    role,
    kind=Party.Kind.PERSON,
    name="",
    aliases="",
    date_of_birth=None,
    age_band=Party.AgeBand.UNKNOWN,
    gender=Party.Gender.UNKNOWN,
    is_minor=None,
    citizenship="",
    description="",
):
    if is_minor is None and age_band in Party.MINOR_AGE_BANDS:
        is_minor = True
    party = Party(
        case=case,
        role=role,
        kind=kind,
        name=name.strip(),
        aliases=aliases.strip(),
        date_of_birth=date_of_birth,
        age_band=age_band,
        gender=gender,
        is_minor=is_minor,
        citizenship=citizenship.strip().upper(),
        description=description,
        created_by=actor,
    )
    party.full_clean()
    party.save()
    event_record(case=case, kind=Kind.PARTY_ADDED, actor=actor, party=party.pk, role=party.role)
    return party


@transaction.atomic
def identifier_add(*, actor, kind, value, platform="", case=None, tip=None, party=None):
    """Record an identifier on a case or a tip (or both), normalised for matching."""
    if case is None and tip is None:
        raise ValidationError("An identifier belongs to a case or a tip.")
    if party is not None and (case is None or party.case_id != case.pk):
        raise ValidationError({"party": "This person is not in this case."})
    if kind not in Identifier.Kind.values:
        raise ValidationError({"kind": "Choose what kind of identifier this is."})
    platform = platform if kind == Identifier.Kind.HANDLE else ""
    try:
        normalised = identifiers.normalise(kind, value, platform)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None
    for owner, field in ((case, "case"), (tip, "tip")):
        if (
            owner is not None
            and Identifier.objects.filter(
                **{field: owner}, kind=kind, platform=platform, normalised=normalised
            ).exists()
        ):
            raise ValidationError(
                {"value": f"This {field} already has this {Identifier.Kind(kind).label.lower()}."},
                code="duplicate",
            )
    identifier = Identifier(
        case=case,
        tip=tip,
        party=party,
        kind=kind,
        platform=platform,
        value=str(value).strip(),
        normalised=normalised,
        created_by=actor,
    )
    identifier.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            identifier.save()
    except IntegrityError:
        # Another request added the same identifier at the same moment.
        raise ValidationError(
            {"value": "This identifier was just added by someone else."}
        ) from None
    if case is not None:
        event_record(
            case=case,
            kind=Kind.IDENTIFIER_ADDED,
            actor=actor,
            identifier=identifier.pk,
            identifier_kind=kind,
        )
    return identifier


@transaction.atomic
def venue_add(*, actor, case, name, industry=None, region=None, address=""):
    venue = Venue(
        case=case,
        name=name.strip(),
        industry=industry,
        region=region,
        address=address.strip(),
        created_by=actor,
    )
    venue.full_clean()
    venue.save()
    event_record(case=case, kind=Kind.VENUE_ADDED, actor=actor, venue=venue.pk)
    return venue


@transaction.atomic
def referral_send(
    *,
    actor,
    case,
    organisation,
    reason,
    due_at=None,
    shares_identities=False,
    notes="",
    sent_at=None,
):
    """Refer a case to a partner organisation."""
    if not organisation.is_active:
        raise ValidationError({"organisation": "This organisation no longer takes referrals."})
    referral = Referral(
        case=case,
        organisation=organisation,
        reason=reason,
        due_at=due_at,
        shares_identities=shares_identities,
        notes=notes,
        sent_at=sent_at or timezone.now(),
        sent_by=actor,
    )
    referral.full_clean()
    referral.save()
    event_record(
        case=case,
        kind=Kind.REFERRAL_SENT,
        actor=actor,
        referral=referral.pk,
        organisation=organisation.pk,
        reason=reason,
        shares_identities=shares_identities,
    )
    return referral


@transaction.atomic
def referral_respond(*, actor, referral, status, notes=None, responded_at=None):
    """Record the partner's answer to a referral: accepted, declined or closed."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    status = Referral.Status(status)
    if status == Referral.Status.SENT:
        raise ValidationError({"status": "Choose accepted, declined or closed."})
    previous = referral.status
    referral.status = status
    referral.responded_at = responded_at or referral.responded_at or timezone.now()
    if notes is not None:
        referral.notes = notes
    referral.full_clean()
    referral.save()
    event_record(
        case=referral.case,
        kind=Kind.REFERRAL_UPDATED,
        actor=actor,
        referral=referral.pk,
        previous=previous,
        status=status.value,
    )
    return referral


@transaction.atomic
def outcome_record(*, actor, case, kind, occurred_on, agency="", referral=None, notes=""):
    """Record an investigation, charges or a conviction on a case."""
    _check_same_case(case, referral, "referral")
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": "An outcome cannot be in the future."})
    outcome = Outcome(
        case=case,
        referral=referral,
        kind=kind,
        occurred_on=occurred_on,
        agency=agency.strip(),
        notes=notes,
        recorded_by=actor,
    )
    outcome.full_clean()
    outcome.save()
    event_record(
        case=case,
        kind=Kind.OUTCOME_RECORDED,
        actor=actor,
        outcome=outcome.pk,
        outcome_kind=kind,
        referral=referral.pk if referral else None,
    )
    return outcome


@transaction.atomic
def note_add(*, actor, case, text):
    if not text or not text.strip():
        raise ValidationError({"text": "A note cannot be empty."})
    note = Note.objects.create(case=case, author=actor, text=text.strip())
    event_record(case=case, kind=Kind.NOTE_ADDED, actor=actor, note=note.pk)
    return note
