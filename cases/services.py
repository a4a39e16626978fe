"""Every write to a case, and the timeline event that records it, in one transaction.

Functions are keyword-only and named <thing>_<verb>. They validate and raise ValidationError
(keyed by field where possible) for anything a person can get wrong, and CaseChanged when the
caller edited a version of the case that someone else has changed since.
"""

import datetime
import decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import events, identifiers, workflow
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
    TransactionClue,
    Venue,
    validate_currency_code,
)
from hotline import access
from hotline.audit import audit_record
from hotline.models import AuditAction, Code, Tip, TraffickingType, Urgency
from hotline.queue import enqueue_on_commit
from hotline.selectors import is_assignable
from hotline.services import CLOSED_TIP_STATES, choice, record_update, tip_mark_linked

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
PARTY_CORRECTABLE = {
    "kind", "role", "name", "aliases", "date_of_birth", "age_band", "gender", "is_minor",
    "citizenship", "description",
}  # fmt: skip
VENUE_CORRECTABLE = {"name", "industry", "region", "address"}
REFERRAL_TERMS = {"due_at", "shares_identities", "notes"}
OUTCOME_CORRECTABLE = {"kind", "occurred_on", "agency", "notes"}
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


def event_record(*, case, actor, event):
    """Append `event`, a (kind, data) pair from cases/events.py, to the case's timeline, and
    the write it records to the audit trail."""
    kind, data = event
    action, object_kind, id_key = events.AUDIT[kind]
    audit_record(
        action=action,
        object_kind=object_kind,
        object_id=case.pk if id_key is None else data[id_key],
        case_id=case.pk,
        user=actor,
    )
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data)


def reference_format(year, number):
    return f"HT-{year}-{number:06d}"


def _reference_next(opened_at):
    year = timezone.localtime(opened_at).year
    # get_or_create then lock: two first cases of a year may both try to create the counter,
    # and the loser must read the winner's row rather than fail.
    CaseReferenceCounter.objects.get_or_create(year=year)
    counter = CaseReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return reference_format(year, counter.last_number)


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


def _check_assignable(user, field):
    if user is not None and not is_assignable(user):
        raise ValidationError(
            {field: "Cases can only be assigned to active advocates and supervisors."}
        )


def _check_not_erased(case):
    """Refuse new personal data on a closed case whose identities the retention policy erased:
    it would stay until the case is reopened and closed again for the whole period."""
    if case is not None and case.identities_erased_at and case.status in workflow.CLOSED_STATUSES:
        raise ValidationError(
            "This case is closed and its identities were erased under the retention policy; "
            "reopen it to record more about it."
        )


def _check_same_case(case, related, field):
    if related is not None and related.case_id != case.pk:
        raise ValidationError({field: "This belongs to another case."})


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


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
    _check_assignable(assignee, "assignee")
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now:
        raise ValidationError({"opened_at": "A case cannot be opened in the future."})
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
    methods_of_control = _check_codes(
        methods_of_control, Code.List.METHODS_OF_CONTROL, "methods_of_control"
    )
    exploitation_types = _check_codes(
        exploitation_types, Code.List.TYPES_OF_EXPLOITATION, "exploitation_types"
    )
    case.reference = _reference_next(opened_at)
    case.save()
    case.methods_of_control.set(methods_of_control)
    case.exploitation_types.set(exploitation_types)
    event_record(case=case, actor=actor, event=events.created(reference=case.reference))
    if case.assignee_id or case.team_id:
        event_record(
            case=case,
            actor=actor,
            event=events.assigned(assignee=case.assignee_id, team=case.team_id),
        )
    for tip in tips:
        case_link_tip(actor=actor, case=case, tip=tip)
    for call in calls:
        case_link_call(actor=actor, case=case, call=call)
    return case


@transaction.atomic
def case_open_from_tip(*, actor, tip, **fields):
    """Open a case from a tip: the case takes the tip's place, industry, type and urgency
    (unless given), and the tip's call and identifiers.

    A tip opens one case: a second attempt (a double click, a retry, a colleague at the same
    moment) is refused and names the case that exists; link the tip to more cases instead.
    """
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    existing = list(tip.cases.values_list("reference", flat=True))
    if existing:
        raise ValidationError(
            {"tip": f"A case was already opened from this tip: {', '.join(sorted(existing))}."},
            code="already_opened",
        )
    defaults = {
        "region": tip.region,
        "industry": tip.industry,
        "trafficking_type": tip.trafficking_type,
        "priority": PRIORITY_FOR_URGENCY[Urgency(tip.urgency)],
    }
    return case_open(actor=actor, tips=[tip], **{**defaults, **fields})


@transaction.atomic
def case_link_tip(*, actor, case, tip):
    """Link a tip (and the call it came from) to a case; the tip's identifiers join the case.

    An identifier first mentioned in the tip moves onto the case; when the tip is already linked
    to another case, the case gets its own copy, so each case holds all its identifiers.
    """
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    if tip.triage_state in CLOSED_TIP_STATES:
        state = tip.get_triage_state_display().lower()
        raise ValidationError(
            {"tip": f"This tip was closed as {state}; it cannot be linked to a case."}
        )
    if case.tips.filter(pk=tip.pk).exists():
        return case
    case.tips.add(tip)
    event_record(case=case, actor=actor, event=events.tip_linked(tip=tip))
    on_case = set(case.identifiers.values_list("kind", "platform", "value_hash"))
    for mentioned in tip.identifiers.order_by("pk"):
        key = (mentioned.kind, mentioned.platform, mentioned.value_hash)
        if key in on_case:
            continue
        if mentioned.case_id is None:
            mentioned.case = case
            mentioned.save(update_fields=["case"])
            identifier = mentioned
        else:
            identifier = Identifier.objects.create(
                case=case,
                kind=mentioned.kind,
                platform=mentioned.platform,
                value=mentioned.value,
                normalised=mentioned.normalised,
                value_hash=mentioned.value_hash,
                created_by=actor,
            )
        on_case.add(key)
        event_record(
            case=case,
            actor=actor,
            event=events.identifier_added(
                identifier=identifier, identifier_kind=identifier.kind, tip=tip
            ),
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
    event_record(case=case, actor=actor, event=events.call_linked(call=call))
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
        actor=actor,
        event=events.updated(
            fields=[*changed, *m2m_changed],
            changes={
                field: [_plain(old), _plain(new)]
                for field, (old, new) in changed.items()
                if UPDATABLE_FIELDS[field]
            },
        ),
    )
    return case


@transaction.atomic
def case_status_change(*, actor, case, status, closing_reason="", expected_version=None):
    """Move a case along the workflow (cases/workflow.py); closing needs a reason."""
    status = choice(workflow.Status, status, "status")
    case = _lock(case, expected_version)
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
        case.closed_at = max(timezone.now(), case.opened_at)
    else:
        case.closing_reason = ""
        case.closed_at = None
    previous = case.status
    case.status = status
    # A direct change settles any pending closure request: left in place, it would come back
    # as "pending" if the case were reopened later.
    _clear_closure_request(case)
    _save_bumped(case, ["status", "closing_reason", "closed_at", *_CLOSURE_REQUEST_COLUMNS])
    event_record(
        case=case,
        actor=actor,
        event=events.status_changed(
            previous=previous, status=status.value, closing_reason=case.closing_reason
        ),
    )
    return case


_UNCHANGED = object()


@transaction.atomic
def case_assign(*, actor, case, assignee, team=_UNCHANGED, expected_version=None):
    """Give a case to an advocate (None to unassign); the team follows the assignee's unless
    given."""
    _check_assignable(assignee, "assignee")
    case = _lock(case, expected_version)
    if team is _UNCHANGED:
        team = assignee.team if assignee is not None and assignee.team_id else case.team
    previous_assignee, previous_team = case.assignee_id, case.team_id
    new_assignee_id = assignee.pk if assignee is not None else None
    new_team_id = team.pk if team is not None else None
    if (previous_assignee, previous_team) == (new_assignee_id, new_team_id):
        return case
    case.assignee, case.team = assignee, team
    _save_bumped(case, ["assignee", "team"])
    event_record(
        case=case,
        actor=actor,
        event=events.assigned(
            assignee=new_assignee_id,
            team=new_team_id,
            previous_assignee=previous_assignee,
            previous_team=previous_team,
        ),
    )
    return case


@transaction.atomic
def case_edit(
    *,
    actor,
    case,
    expected_version,
    status=None,
    closing_reason="",
    assignee=_UNCHANGED,
    team=_UNCHANGED,
    **changes,
):
    """One edit of a case from a form: status, assignment and descriptive fields together.

    The caller's version is checked once, against the case as it was loaded; each step then
    works on the version the step before saved, and a refusal of any step undoes them all.
    """
    case = _lock(case, expected_version)
    if status is not None:
        case = case_status_change(
            actor=actor, case=case, status=status, closing_reason=closing_reason
        )
    if assignee is not _UNCHANGED or team is not _UNCHANGED:
        case = case_assign(
            actor=actor,
            case=case,
            assignee=case.assignee if assignee is _UNCHANGED else assignee,
            team=team,
        )
    if changes:
        case = case_update(actor=actor, case=case, **changes)
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
    _check_not_erased(case)
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
    event_record(case=case, actor=actor, event=events.party_added(party=party, role=party.role))
    enqueue_on_commit(_tasks().match_record, "party", party.pk)  # docs/linking.md
    return party


@transaction.atomic
def party_update(*, actor, party, **changes):
    party = Party.objects.select_for_update().get(pk=party.pk)
    _check_not_erased(party.case)
    if "citizenship" in changes:
        changes["citizenship"] = (changes["citizenship"] or "").strip().upper()
    changed = record_update(party, changes, PARTY_CORRECTABLE)
    if changed:
        event_record(
            case=party.case, actor=actor, event=events.party_updated(party=party, fields=changed)
        )
    return party


def _normalised_or_error(kind, value, platform):
    try:
        return identifiers.normalise(kind, value, platform)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from None


def _check_identifier_free(identifier, owners):
    """Refuse a second identifier with the same normalised value on one case or tip."""
    for owner, field in owners:
        if owner is None:
            continue
        clash = Identifier.objects.filter(
            **{field: owner},
            kind=identifier.kind,
            platform=identifier.platform,
            value_hash=identifier.value_hash,
        ).exclude(pk=identifier.pk)
        if clash.exists():
            raise ValidationError(
                {
                    "value": f"This {field} already has this "
                    f"{Identifier.Kind(identifier.kind).label.lower()}."
                },
                code="duplicate",
            )


def _save_identifier(identifier, owners):
    _check_identifier_free(identifier, owners)
    identifier.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            identifier.save()
    except IntegrityError:
        # Only a race with another request adding the same identifier gets here; anything
        # else the database refuses is a bug and must not be reported as something else.
        _check_identifier_free(identifier, owners)
        raise


@transaction.atomic
def identifier_add(*, actor, kind, value, platform="", case=None, tip=None, party=None):
    """Record an identifier on a case or a tip (or both), normalised for matching."""
    if case is None and tip is None:
        raise ValidationError("An identifier belongs to a case or a tip.")
    _check_not_erased(case)
    if party is not None and (case is None or party.case_id != case.pk):
        raise ValidationError({"party": "This person is not in this case."})
    if case is not None and tip is not None and not case.tips.filter(pk=tip.pk).exists():
        raise ValidationError({"tip": "This tip is not linked to this case."})
    kind = choice(Identifier.Kind, kind, "kind")
    platform = platform if kind == Identifier.Kind.HANDLE else ""
    identifier = Identifier(
        case=case,
        tip=tip,
        party=party,
        kind=kind,
        platform=platform,
        value=str(value).strip(),
        created_by=actor,
    )
    identifier.set_normalised(_normalised_or_error(kind, value, platform))
    _save_identifier(identifier, [(case, "case"), (tip, "tip")])
    if case is not None:
        event_record(
            case=case,
            actor=actor,
            event=events.identifier_added(identifier=identifier, identifier_kind=kind),
        )
    enqueue_on_commit(_tasks().match_record, "identifier", identifier.pk)  # docs/linking.md
    return identifier


@transaction.atomic
def identifier_update(*, actor, identifier, value=None, platform=None, party=_UNCHANGED):
    """Correct an identifier's value, platform or the person it belongs to; it is normalised
    again, as when it was added."""
    identifier = Identifier.objects.select_for_update().get(pk=identifier.pk)
    _check_not_erased(identifier.case)
    changed = []
    if value is not None and value.strip() != identifier.value:
        identifier.value = value.strip()
        changed.append("value")
    if platform is not None and platform != identifier.platform:
        identifier.platform = platform
        changed.append("platform")
    if party is not _UNCHANGED and _plain(party) != identifier.party_id:
        if party is not None and party.case_id != identifier.case_id:
            raise ValidationError({"party": "This person is not in this case."})
        identifier.party = party
        changed.append("party")
    if not changed:
        return identifier
    identifier.set_normalised(
        _normalised_or_error(identifier.kind, identifier.value, identifier.platform)
    )
    _save_identifier(identifier, [(identifier.case, "case"), (identifier.tip, "tip")])
    if identifier.case_id is not None:
        event_record(
            case=identifier.case,
            actor=actor,
            event=events.identifier_updated(
                identifier=identifier, identifier_kind=identifier.kind, fields=changed
            ),
        )
    return identifier


# --- Financial leads: transaction clues on payment accounts (docs/linking.md) ----------------


# ISO 4217 codes pycountry lists that are not money a payment is made in: precious metals,
# testing, "no currency", and units of account (bond-market units, the IMF's SDR, the Sucre,
# the ADB's and the Arab Accounting Dinar). The X codes of real currencies (XAF, XOF, XCD,
# XCG, XPF) stay.
NOT_MONEY_CURRENCIES = frozenset(
    [
        "XAU",
        "XAG",
        "XPT",
        "XPD",
        "XTS",
        "XXX",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XDR",
        "XSU",
        "XUA",
        "XAD",
    ]
)
# The earliest day of a payment a clue may hold: earlier is a typing mistake.
CLUE_EARLIEST_DAY = datetime.date(1970, 1, 1)


def _clue_amount(amount, currency):
    """The amount as a Decimal and the currency as its upper-case code, or field errors."""
    errors = {}
    currency = (currency or "").strip().upper()
    if amount is not None and amount != "":
        try:
            amount = decimal.Decimal(str(amount).strip())
        except decimal.InvalidOperation:
            errors["amount"] = "Write the amount as a number, such as 250 or 1200.50."
        else:
            if not amount.is_finite():
                errors["amount"] = "Write the amount as a number, such as 250 or 1200.50."
            elif amount <= 0:
                errors["amount"] = "An amount is more than zero."
            elif amount >= decimal.Decimal("1e12"):
                errors["amount"] = "This amount is too large to be a payment."
            elif amount != amount.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_DOWN):
                errors["amount"] = "An amount has at most two decimal places."
        if not currency and "amount" not in errors:
            errors["currency"] = "Say which currency the amount is in (e.g. USD)."
    else:
        amount = None
        if currency:
            errors["amount"] = "A currency goes with an amount: give the amount too."
    if currency:
        try:
            validate_currency_code(currency)
        except ValidationError as error:
            errors["currency"] = error.messages
        else:
            if currency in NOT_MONEY_CURRENCIES:
                errors["currency"] = (
                    f"{currency} is not money a payment is made in (a precious metal, a test "
                    "code or a unit of account): give the currency of the payment."
                )
    if errors:
        raise ValidationError(errors)
    return amount, currency


def _clue_day(value, field):
    """A date, from a date or its ISO text (2026-03-02); a field error otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: "Give a date such as 2026-03-02."}) from None


def _clue_dates(occurred_on, occurred_until):
    occurred_on = _clue_day(occurred_on, "occurred_on")
    occurred_until = _clue_day(occurred_until, "occurred_until")
    today = timezone.localdate()
    if occurred_until is not None and occurred_on is None:
        raise ValidationError(
            {"occurred_on": "Give the first day too: a range of dates has a start."}
        )
    for field, day in (("occurred_on", occurred_on), ("occurred_until", occurred_until)):
        if day is not None and day > today:
            raise ValidationError({field: "A payment that was seen cannot be in the future."})
        if day is not None and day < CLUE_EARLIEST_DAY:
            raise ValidationError({field: "Give a day in 1970 or later."})
    if occurred_until is not None and occurred_until < occurred_on:
        raise ValidationError({"occurred_until": "The last day comes on or after the first."})
    return occurred_on, occurred_until


@transaction.atomic
def transaction_clue_add(
    *,
    actor,
    identifier,
    amount=None,
    currency="",
    occurred_on=None,
    occurred_until=None,
    direction="",
    note="",
):
    """Record a payment seen on a payment account of a case: an amount in a currency, the day
    (or the first and last day of several payments), paid in or out, a note. Whoever may
    change the case may (hotline.access, Action.CHANGE); the timeline records it on the
    identifier, without the amount, and the audit trail names the clue."""
    identifier = Identifier.objects.select_related("case").get(pk=identifier.pk)
    case = identifier.case
    if identifier.kind != Identifier.Kind.PAYMENT_ACCOUNT:
        raise ValidationError(
            {
                "identifier": "Transaction clues go on payment accounts; this is a "
                f"{identifier.get_kind_display().lower()}."
            },
            code="not_a_payment_account",
        )
    if case is None:
        raise ValidationError(
            {"identifier": "This account is only on a tip: open or link a case for it first."}
        )
    if actor is not None and not access.can(actor, access.Action.CHANGE, case):
        raise PermissionDenied("You may not change this case.")
    _check_not_erased(case)
    amount, currency = _clue_amount(amount, currency)
    occurred_on, occurred_until = _clue_dates(occurred_on, occurred_until)
    if amount is None and occurred_on is None:
        raise ValidationError("Give an amount, a date or both: a clue says what was seen.")
    clue = TransactionClue(
        identifier=identifier,
        direction=choice(TransactionClue.Direction, direction, "direction") if direction else "",
        amount=amount,
        currency=currency,
        occurred_on=occurred_on,
        occurred_until=occurred_until,
        note=(note or "").strip(),
        created_by=actor,
    )
    clue.full_clean()
    clue.save()
    kind, data = events.identifier_updated(
        identifier=identifier, identifier_kind=identifier.kind, fields=["transaction_clue"]
    )
    event_record(case=case, actor=actor, event=(kind, {**data, "transaction_clue": clue.pk}))
    audit_record(
        action=AuditAction.CREATE,
        object_kind="transactionclue",
        object_id=clue.pk,
        case_id=case.pk,
        user=actor,
    )
    return clue


@transaction.atomic
def venue_add(*, actor, case, name, industry=None, region=None, address=""):
    _check_not_erased(case)
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
    event_record(case=case, actor=actor, event=events.venue_added(venue=venue))
    enqueue_on_commit(_tasks().match_record, "venue", venue.pk)  # docs/linking.md
    return venue


@transaction.atomic
def venue_update(*, actor, venue, **changes):
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    _check_not_erased(venue.case)
    changed = record_update(venue, changes, VENUE_CORRECTABLE)
    if changed:
        event_record(
            case=venue.case, actor=actor, event=events.venue_updated(venue=venue, fields=changed)
        )
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
        actor=actor,
        event=events.referral_sent(
            referral=referral,
            organisation=organisation,
            reason=reason,
            shares_identities=shares_identities,
        ),
    )
    return referral


@transaction.atomic
def referral_respond(*, actor, referral, status, notes=None, responded_at=None):
    """Record the partner's answer to a referral: accepted, declined or closed."""
    status = choice(Referral.Status, status, "status")
    if status == Referral.Status.SENT:
        raise ValidationError({"status": "Choose accepted, declined or closed."})
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    previous = referral.status
    referral.status = status
    referral.responded_at = responded_at or referral.responded_at or timezone.now()
    fields = ["status"]
    if notes is not None and notes != referral.notes:
        referral.notes = notes
        fields.append("notes")
    referral.full_clean()
    referral.save()
    event_record(
        case=referral.case,
        actor=actor,
        event=events.referral_updated(
            referral=referral, fields=fields, previous=previous, status=status.value
        ),
    )
    return referral


@transaction.atomic
def referral_update(*, actor, referral, **changes):
    """Change a referral's terms: its deadline, its notes, whether identities are shared.

    Sharing identities exposes victims to a partner, so the timeline records the new value.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    changed = record_update(referral, changes, REFERRAL_TERMS)
    if changed:
        event_record(
            case=referral.case,
            actor=actor,
            event=events.referral_updated(
                referral=referral,
                fields=changed,
                shares_identities=(
                    referral.shares_identities if "shares_identities" in changed else None
                ),
            ),
        )
    return referral


def _check_outcome_date(occurred_on):
    if occurred_on is not None and occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": "An outcome cannot be in the future."})


@transaction.atomic
def outcome_record(*, actor, case, kind, occurred_on, agency="", referral=None, notes=""):
    """Record an investigation, charges or a conviction on a case."""
    _check_same_case(case, referral, "referral")
    _check_outcome_date(occurred_on)
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
        actor=actor,
        event=events.outcome_recorded(outcome=outcome, outcome_kind=kind, referral=referral),
    )
    return outcome


@transaction.atomic
def outcome_update(*, actor, outcome, **changes):
    outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
    _check_outcome_date(changes.get("occurred_on"))
    changed = record_update(outcome, changes, OUTCOME_CORRECTABLE)
    if changed:
        event_record(
            case=outcome.case,
            actor=actor,
            event=events.outcome_updated(
                outcome=outcome, outcome_kind=outcome.kind, fields=changed
            ),
        )
    return outcome


@transaction.atomic
def note_add(*, actor, case, text):
    """Add a note. Notes are never edited: a correction is a new note."""
    _check_not_erased(case)
    if not text or not text.strip():
        raise ValidationError({"text": "A note cannot be empty."})
    note = Note.objects.create(case=case, author=actor, text=text.strip())
    event_record(case=case, actor=actor, event=events.note_added(note=note))
    return note


# --- Closure requests: an advocate asks, a supervisor approves --------------------------------
# Who may ask and who may approve is the access module's (Action.CHANGE, APPROVE_CLOSURE); the
# views check it. A request is pending while closure_requested_at is set and the case is open.


def closure_pending(case):
    return case.closure_requested_at is not None and case.status in workflow.OPEN_STATUSES


def _clear_closure_request(case):
    case.closure_requested_at = None
    case.closure_requested_by = None
    case.closure_requested_status = None
    case.closure_requested_reason = None


_CLOSURE_REQUEST_COLUMNS = [
    "closure_requested_at",
    "closure_requested_by",
    "closure_requested_status",
    "closure_requested_reason",
]


@transaction.atomic
def case_closure_request(
    *, actor, case, closing_reason, status=workflow.Status.CLOSED, expected_version=None
):
    """Ask a supervisor to close the case (as closed, or closed-referred) for a reason."""
    status = choice(workflow.Status, status, "status")
    if status not in workflow.CLOSED_STATUSES:
        raise ValidationError({"status": "Choose closed or closed (referred)."})
    if closing_reason not in ClosingReason.values:
        raise ValidationError({"closing_reason": "Say why the case should be closed."})
    case = _lock(case, expected_version)
    if not workflow.transition_allowed(case.status, status):
        raise ValidationError(
            {
                "status": f"A case that is {case.get_status_display().lower()} cannot become "
                f"{status.label.lower()}."
            }
        )
    if closure_pending(case):
        raise ValidationError(
            {"closing_reason": "A closure was already requested; a supervisor will decide."}
        )
    case.closure_requested_at = timezone.now()
    case.closure_requested_by = actor
    case.closure_requested_status = status.value
    case.closure_requested_reason = closing_reason
    _save_bumped(case, _CLOSURE_REQUEST_COLUMNS)
    event_record(
        case=case,
        actor=actor,
        event=events.closure_requested(status=status.value, closing_reason=closing_reason),
    )
    return case


@transaction.atomic
def case_closure_approve(*, actor, case, expected_version=None):
    """Close the case as the pending request asked."""
    case = _lock(case, expected_version)
    if not closure_pending(case):
        raise ValidationError({"closure": "No closure is waiting for approval on this case."})
    status = workflow.Status(case.closure_requested_status)
    if not workflow.transition_allowed(case.status, status):
        raise ValidationError(
            {
                "closure": f"A case that is {case.get_status_display().lower()} cannot become "
                f"{status.label.lower()}; decline the request."
            }
        )
    previous, requested_by = case.status, case.closure_requested_by_id
    case.status = status
    case.closing_reason = case.closure_requested_reason
    case.closed_at = max(timezone.now(), case.opened_at)
    _clear_closure_request(case)
    _save_bumped(case, ["status", "closing_reason", "closed_at", *_CLOSURE_REQUEST_COLUMNS])
    event_record(
        case=case,
        actor=actor,
        event=events.closure_approved(
            previous=previous,
            status=status.value,
            closing_reason=case.closing_reason,
            requested_by=requested_by,
        ),
    )
    return case


@transaction.atomic
def case_closure_decline(*, actor, case, expected_version=None):
    """Turn down a pending closure request: the case stays open, as it is."""
    case = _lock(case, expected_version)
    if not closure_pending(case):
        raise ValidationError({"closure": "No closure is waiting for approval on this case."})
    status, reason = case.closure_requested_status, case.closure_requested_reason
    _clear_closure_request(case)
    _save_bumped(case, _CLOSURE_REQUEST_COLUMNS)
    event_record(
        case=case,
        actor=actor,
        event=events.closure_declined(status=status, closing_reason=reason),
    )
    return case


@transaction.atomic
def call_log_with_identifiers(*, advocate, identifiers=(), **call_fields):
    """Log a call (hotline.services.call_log, with its tip) and the identifiers the caller
    mentioned, on the call's tip, in one transaction: the "Log a call" page. `identifiers` are
    dicts of kind, value and platform. A repeat with the same intake key returns the first call
    (`was_repeat`) and adds nothing."""
    from hotline.services import call_log

    call = call_log(advocate=advocate, **call_fields)
    if call.was_repeat or not identifiers:
        return call
    tip = getattr(call, "tip", None)
    if tip is None:
        raise ValidationError({"identifiers": "Identifiers are kept with a tip."})
    for row in identifiers:
        identifier_add(actor=advocate, tip=tip, **row)
    return call


def _tasks():
    """cases.tasks, imported when first needed: its tasks import this module."""
    from cases import tasks

    return tasks
