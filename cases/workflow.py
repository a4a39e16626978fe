"""The case status workflow, written down once.

Services check transitions against TRANSITIONS; a database trigger (created by migration from
this table, and tested against it pair by pair) refuses any other change of status, whatever
path the write takes.
"""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    FOLLOW_UP = "follow_up", "Follow-up"
    REFERRED = "referred", "Referred"
    CLOSED = "closed", "Closed"
    CLOSED_REFERRED = "closed_referred", "Closed (referred)"


OPEN_STATUSES = frozenset({Status.NEW, Status.ACTIVE, Status.FOLLOW_UP, Status.REFERRED})
CLOSED_STATUSES = frozenset({Status.CLOSED, Status.CLOSED_REFERRED})

TRANSITIONS = {
    Status.NEW: {Status.ACTIVE, Status.REFERRED, Status.CLOSED},
    Status.ACTIVE: {Status.FOLLOW_UP, Status.REFERRED, Status.CLOSED, Status.CLOSED_REFERRED},
    Status.FOLLOW_UP: {Status.ACTIVE, Status.REFERRED, Status.CLOSED, Status.CLOSED_REFERRED},
    Status.REFERRED: {Status.ACTIVE, Status.FOLLOW_UP, Status.CLOSED, Status.CLOSED_REFERRED},
    # A closed case can be reopened; it goes back to work, not straight to another closure.
    Status.CLOSED: {Status.ACTIVE},
    Status.CLOSED_REFERRED: {Status.ACTIVE},
}

# The HTCDS 2.0 case status (cas_Status) each status is exported as; the standard has no
# "new" or "referred", which are open cases to it.
HTCDS_STATUS = {
    Status.NEW: "Active",
    Status.ACTIVE: "Active",
    Status.FOLLOW_UP: "FollowUp",
    Status.REFERRED: "Active",
    Status.CLOSED: "Closed",
    Status.CLOSED_REFERRED: "ClosedReferred",
}


def allowed_transitions(status):
    return TRANSITIONS[Status(status)]


def transition_allowed(old, new):
    return Status(new) in TRANSITIONS[Status(old)]


def transition_pairs():
    return sorted((old.value, new.value) for old, targets in TRANSITIONS.items() for new in targets)
