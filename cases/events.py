"""The shape of each timeline event, written once.

Each builder returns (kind, data) for a CaseEvent. The services record events through these,
and so does the demo-data generator, so that a seeded timeline and a lived one read the same.
`data` holds ids, codes and field names only: never names, numbers or free text.
"""

from cases.models import CaseEvent

Kind = CaseEvent.Kind


def _pk(value):
    return getattr(value, "pk", value)


def created(*, reference):
    return Kind.CREATED, {"reference": reference}


def assigned(*, assignee, team, previous_assignee=None, previous_team=None):
    return Kind.ASSIGNED, {
        "assignee": _pk(assignee),
        "team": _pk(team),
        "previous_assignee": _pk(previous_assignee),
        "previous_team": _pk(previous_team),
    }


def status_changed(*, previous, status, closing_reason=""):
    return Kind.STATUS_CHANGED, {
        "previous": previous,
        "status": status,
        "closing_reason": closing_reason,
    }


def updated(*, fields, changes):
    """`fields`: every field that changed; `changes`: [old, new] of those safe to show."""
    return Kind.UPDATED, {"fields": sorted(fields), "changes": changes}


def tip_linked(*, tip):
    return Kind.TIP_LINKED, {"tip": _pk(tip)}


def call_linked(*, call):
    return Kind.CALL_LINKED, {"call": _pk(call)}


def party_added(*, party, role):
    return Kind.PARTY_ADDED, {"party": _pk(party), "role": role}


def party_updated(*, party, fields):
    return Kind.PARTY_UPDATED, {"party": _pk(party), "fields": sorted(fields)}


def identifier_added(*, identifier, identifier_kind, tip=None):
    data = {"identifier": _pk(identifier), "identifier_kind": identifier_kind}
    if tip is not None:
        data["tip"] = _pk(tip)
    return Kind.IDENTIFIER_ADDED, data


def identifier_updated(*, identifier, identifier_kind, fields):
    return Kind.IDENTIFIER_UPDATED, {
        "identifier": _pk(identifier),
        "identifier_kind": identifier_kind,
        "fields": sorted(fields),
    }


def venue_added(*, venue):
    return Kind.VENUE_ADDED, {"venue": _pk(venue)}


def venue_updated(*, venue, fields):
    return Kind.VENUE_UPDATED, {"venue": _pk(venue), "fields": sorted(fields)}


def referral_sent(*, referral, organisation, reason, shares_identities):
    return Kind.REFERRAL_SENT, {
        "referral": _pk(referral),
        "organisation": _pk(organisation),
        "reason": reason,
        "shares_identities": shares_identities,
    }


def referral_updated(*, referral, fields, previous=None, status=None, shares_identities=None):
    """A partner's answer (previous and new status) or a change of the referral's terms."""
    data = {"referral": _pk(referral), "fields": sorted(fields)}
    if status is not None:
        data.update(previous=previous, status=status)
    if shares_identities is not None:
        data["shares_identities"] = shares_identities
    return Kind.REFERRAL_UPDATED, data


def outcome_recorded(*, outcome, outcome_kind, referral=None):
    return Kind.OUTCOME_RECORDED, {
        "outcome": _pk(outcome),
        "outcome_kind": outcome_kind,
        "referral": _pk(referral),
    }


def outcome_updated(*, outcome, outcome_kind, fields):
    return Kind.OUTCOME_UPDATED, {
        "outcome": _pk(outcome),
        "outcome_kind": outcome_kind,
        "fields": sorted(fields),
    }


def note_added(*, note):
    return Kind.NOTE_ADDED, {"note": _pk(note)}


def identities_erased(*, cutoff, counts, identifier_kinds=None):
    """The retention policy erased the case's identities (cases/retention.py). `cutoff`: the
    day the case was closed before; `counts`: how many records of each kind had something
    erased, e.g. {"parties": 2, "identifiers": 3}; `identifier_kinds`: the identifiers deleted,
    by kind, so that statistics of them survive. Counts and a date only."""
    return Kind.IDENTITIES_ERASED, {
        "cutoff": cutoff.isoformat(),
        "counts": {kind: int(count) for kind, count in sorted(counts.items())},
        "identifier_kinds": {
            kind: int(count) for kind, count in sorted((identifier_kinds or {}).items()) if count
        },
    }


# What each kind of event is in the audit trail: the action, and which record it is about
# (the key of its id in the event's data; None: the case itself).
AUDIT = {
    Kind.CREATED: ("create", "case", None),
    Kind.UPDATED: ("update", "case", None),
    Kind.STATUS_CHANGED: ("update", "case", None),
    Kind.ASSIGNED: ("update", "case", None),
    Kind.TIP_LINKED: ("update", "case", None),
    Kind.CALL_LINKED: ("update", "case", None),
    Kind.NOTE_ADDED: ("create", "note", "note"),
    Kind.PARTY_ADDED: ("create", "party", "party"),
    Kind.PARTY_UPDATED: ("update", "party", "party"),
    Kind.IDENTIFIER_ADDED: ("create", "identifier", "identifier"),
    Kind.IDENTIFIER_UPDATED: ("update", "identifier", "identifier"),
    Kind.VENUE_ADDED: ("create", "venue", "venue"),
    Kind.VENUE_UPDATED: ("update", "venue", "venue"),
    Kind.REFERRAL_SENT: ("create", "referral", "referral"),
    Kind.REFERRAL_UPDATED: ("update", "referral", "referral"),
    Kind.OUTCOME_RECORDED: ("create", "outcome", "outcome"),
    Kind.OUTCOME_UPDATED: ("update", "outcome", "outcome"),
    # Each record it changed or deleted has its own audit row too (cases/retention.py).
    Kind.IDENTITIES_ERASED: ("update", "case", None),
}


# --- Closure requests (cases.services.case_closure_*) -----------------------------------------
# Recorded as "updated" events of the request's fields, and the approval as the status change
# it is, naming who asked: no new event kind, so the timeline's kinds (and the database's check
# of them) stay as they are.

CLOSURE_REQUEST_FIELDS = ["closure_requested_reason", "closure_requested_status"]


def closure_requested(*, status, closing_reason):
    return updated(
        fields=CLOSURE_REQUEST_FIELDS,
        changes={
            "closure_requested_status": [None, status],
            "closure_requested_reason": [None, closing_reason],
        },
    )


def closure_declined(*, status, closing_reason):
    return updated(
        fields=CLOSURE_REQUEST_FIELDS,
        changes={
            "closure_requested_status": [status, None],
            "closure_requested_reason": [closing_reason, None],
        },
    )


def closure_approved(*, previous, status, closing_reason, requested_by):
    kind, data = status_changed(previous=previous, status=status, closing_reason=closing_reason)
    return kind, {**data, "closure_requested_by": _pk(requested_by)}


# --- Links between cases and forwarding (cases/linking.py, cases/forwarding.py) ---------------
# "updated" events of pseudo-fields, like the closure requests above: no new event kind, so the
# timeline's kinds and the database's check of them stay as they are. Ids and codes only: a
# cluster's name is typed by a person and stays out of the timeline.


def cluster_joined(*, cluster, previous=None, suggestion=None):
    kind, data = updated(fields=["cluster"], changes={"cluster": [_pk(previous), _pk(cluster)]})
    return kind, {**data, "suggestion": _pk(suggestion)}


def link_dismissed(*, suggestion):
    kind, data = updated(
        fields=["link_suggestion"], changes={"link_suggestion": ["open", "dismissed"]}
    )
    return kind, {**data, "suggestion": _pk(suggestion)}


def cluster_renamed(*, cluster):
    kind, data = updated(fields=["cluster_name"], changes={})
    return kind, {**data, "cluster": _pk(cluster)}


def forwarding_due(*, forwarding, rule, due_at, referral=None):
    """A forwarding rule matched: the deadline, and the referral made (None: no partner of the
    rule's type serves the case's region, forwarding needed)."""
    kind, data = updated(
        fields=["forwarding"], changes={"forwarding": [None, "due" if referral else "needed"]}
    )
    return kind, {
        **data,
        "forwarding": _pk(forwarding),
        "rule": _pk(rule),
        "due_at": due_at.isoformat(),
        "referral": _pk(referral),
    }


def forwarding_completed(*, forwarding, completed_at, due_at):
    """The partner answered the referral: forwarded, on time or late (seconds late, 0 if not)."""
    late = max(0, int((completed_at - due_at).total_seconds()))
    kind, data = updated(
        fields=["forwarding"], changes={"forwarding": ["due", "late" if late else "on_time"]}
    )
    return kind, {
        **data,
        "forwarding": _pk(forwarding),
        "completed_at": completed_at.isoformat(),
        "late_seconds": late,
    }


def forwarding_overdue(*, forwarding, due_at):
    kind, data = updated(fields=["forwarding"], changes={"forwarding": ["due", "overdue"]})
    return kind, {**data, "forwarding": _pk(forwarding), "due_at": due_at.isoformat()}
