"""Who may see and change what: the one place these rules live (docs/access-control.md).

Views, the admin, the API and exports all ask here. Two kinds of question:

- which rows: `cases_for`, `case_records_for`, `identifiers_for`, `calls_for`, `tips_for`
  narrow a queryset to what the user may see. A record outside it does not exist for them:
  fetch through these and "not allowed" answers exactly like "not found".
- what they may do: `can(user, action, case)` for actions on a case the user can see, and
  `may(user, permission)` for actions that are not about one case.

The hotline app sits below the cases app, so these rules name the case's fields (assignee,
team, is_restricted, referrals) rather than import its models; tests/hotline/test_access.py
holds them to the cases app's own constants.
"""

from django.db.models import Q

from hotline.models import Role

# The party roles whose identities a partner always sees: the people an investigation is
# about (cases.models.Party.Role). Everyone else in a case (victims, survivors, the person who
# called, witnesses) is shown to a partner by role and demographics only, unless a referral
# to them shares identities. Listing who may be seen, rather than who is hidden, keeps a role
# added later hidden until someone decides otherwise.
PERPETRATOR_ROLES = frozenset(
    {
        "recruiter",
        "transporter",
        "document_forger",
        "exploiter",
        "controller",
        "buyer",
        "facilitator",
    }
)
# Identifier kinds that reach a person: shown to a partner only when they belong to a
# perpetrator, or when identities are shared.
CONTACT_KINDS = frozenset({"phone", "email", "handle", "address"})
# The fields of a party that say who they are.
IDENTITY_FIELDS = ("name", "aliases", "date_of_birth", "description")
# A referral the partner declined gives them nothing; one they accepted, or closed after
# working it, keeps the case theirs (outcomes are reported years later).
GRANTING_REFERRAL_STATUSES = ("sent", "accepted", "closed")
# Roles of the people who work cases; admins read them, audited, but do not work them.
CASE_WORKERS = frozenset({Role.ADVOCATE, Role.SUPERVISOR})
STAFF = frozenset({Role.ADVOCATE, Role.SUPERVISOR, Role.ADMIN})


class Action:
    """What a user may do to a case they can see."""

    VIEW = "view"
    CHANGE = "change"  # fields, status, parties, identifiers, venues, referrals, notes
    ASSIGN = "assign"
    RESTRICT = "restrict"
    APPROVE_CLOSURE = "approve_closure"
    # Recording a partner's answer to a referral: the partner itself, or hotline staff writing
    # down an answer given by telephone or e-mail.
    RESPOND_TO_REFERRAL = "respond_to_referral"
    RECORD_OUTCOME = "record_outcome"
    DELETE = "delete"


class Permission:
    """What a user may do that is not about one case."""

    LOG_INTAKE = "log_intake"  # log calls, submit tips
    TRIAGE_TIPS = "triage_tips"
    OPEN_CASE = "open_case"
    VIEW_AUDIT = "view_audit"
    # Who looked at a case, on the case's own page: for supervisors, who answer for the cases
    # their people work (the whole trail is VIEW_AUDIT).
    SEE_CASE_READS = "see_case_reads"
    EXPORT = "export"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    # Confirm or dismiss link suggestions between cases, name clusters (docs/linking.md).
    REVIEW_LINKS = "review_links"
    # The forwarding deadlines queue and its notices (docs/forwarding.md).
    REVIEW_DEADLINES = "review_deadlines"


PERMISSIONS = {
    Permission.LOG_INTAKE: CASE_WORKERS,
    Permission.TRIAGE_TIPS: {Role.SUPERVISOR},
    Permission.OPEN_CASE: CASE_WORKERS,
    Permission.VIEW_AUDIT: {Role.SUPERVISOR, Role.ADMIN},
    Permission.SEE_CASE_READS: {Role.SUPERVISOR},
    Permission.EXPORT: CASE_WORKERS,
    Permission.MANAGE_ACCOUNTS: {Role.ADMIN},
    Permission.MANAGE_REFERENCE_DATA: {Role.ADMIN},
    Permission.REVIEW_LINKS: {Role.SUPERVISOR},
    Permission.REVIEW_DEADLINES: {Role.SUPERVISOR},
}


def role_of(user):
    """The user's role, or None for anyone who may do nothing (signed out, inactive, no role)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.role


def may(user, permission):
    return role_of(user) in PERMISSIONS[permission]


# --- Which rows -------------------------------------------------------------------------------


def rule_key(user):
    """Everything about `user` that the rules below read: users with the same key are
    given the same conditions (hotline.db.CompiledLookups keeps statements by it)."""
    return (
        role_of(user),
        user.pk,
        getattr(user, "team_id", None),
        getattr(user, "organisation_id", None),
    )


_NOTHING = Q(pk__in=[])


def case_rule(user):
    """The condition on a case's own fields that makes it visible to `user`."""
    role = role_of(user)
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return Q()
    if role == Role.ADVOCATE:
        # Their team's cases and any case assigned to them; a restricted case only when it is
        # theirs.
        mine = Q(assignee=user)
        if user.team_id is None:
            return mine
        return mine | Q(team=user.team_id, is_restricted=False)
    if role == Role.PARTNER and user.organisation_id is not None:
        # Only cases referred to their organisation, restricted or not: a referral is a
        # deliberate decision to share.
        # One Q, so both conditions hold for the same referral.
        return Q(
            referrals__organisation=user.organisation_id,
            referrals__status__in=GRANTING_REFERRAL_STATUSES,
        )
    return _NOTHING


def cases_for(user, cases):
    """`cases` (a Case queryset) narrowed to those `user` may see."""
    rule = case_rule(user)
    if rule == Q():
        return cases
    if role_of(user) == Role.PARTNER:
        # A partner's rule goes through the referrals: a subquery rather than a join, so that
        # a case referred twice is listed once.
        return cases.filter(pk__in=cases.model.objects.filter(rule).values("pk"))
    # Everyone else's rule names the case's own columns (or nothing): filtered directly, no
    # join and no subquery to build or run.
    return cases.filter(rule)


def case_records_for(user, records, case_field="case"):
    """Rows that belong to a case (parties, venues, referrals, outcomes, notes, events),
    narrowed to those of cases `user` may see."""
    if case_rule(user) == Q():
        return records
    case_model = records.model._meta.get_field(case_field).related_model
    return records.filter(**{f"{case_field}__in": cases_for(user, case_model.objects.all())})


def identities_shared_rule(user, prefix=""):
    """For a partner: the cases whose referral to their organisation shares identities."""
    return Q(
        **{
            f"{prefix}referrals__organisation": user.organisation_id,
            f"{prefix}referrals__status__in": GRANTING_REFERRAL_STATUSES,
            f"{prefix}referrals__shares_identities": True,
        }
    )


def identifiers_for(user, identifiers):
    """Identifiers `user` may see: those of visible cases, and, for staff, those of tips. A
    partner sees, unless a referral shares identities, only those of perpetrators and those
    that reach nobody (vehicles, businesses, payment accounts belonging to no one named)."""
    role = role_of(user)
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return identifiers
    if role == Role.ADVOCATE:
        case_model = identifiers.model._meta.get_field("case").related_model
        visible = cases_for(user, case_model.objects.all())
        return identifiers.filter(
            Q(case__in=visible) | Q(case__isnull=True, tip__in=tips_for(user, _tips(identifiers)))
        )
    if role != Role.PARTNER:
        return identifiers.none()
    identifiers = case_records_for(user, identifiers.filter(case__isnull=False))
    case_model = identifiers.model._meta.get_field("case").related_model
    shared = case_model.objects.filter(identities_shared_rule(user)).values("pk")
    of_perpetrator = Q(party__role__in=sorted(PERPETRATOR_ROLES))
    impersonal = Q(party__isnull=True) & ~Q(kind__in=sorted(CONTACT_KINDS))
    return identifiers.filter(Q(case__in=shared) | of_perpetrator | impersonal)


def _tips(identifiers):
    return identifiers.model._meta.get_field("tip").related_model.objects.all()


def calls_for(user, calls):
    """Calls: every call for supervisors and admins; for an advocate, the calls they took and
    those of cases they can see; none for partners."""
    role = role_of(user)
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return calls
    if role == Role.ADVOCATE:
        return calls.filter(Q(advocate=user) | Q(cases__in=_visible_cases(user, calls))).distinct()
    return calls.none()


def tips_for(user, tips):
    """Tips: every tip for supervisors and admins; for an advocate, the tips they recorded and
    those of cases they can see; for a partner, the tips their organisation sent."""
    role = role_of(user)
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return tips
    if role == Role.ADVOCATE:
        return tips.filter(
            Q(submitted_by=user) | Q(call__advocate=user) | Q(cases__in=_visible_cases(user, tips))
        ).distinct()
    if role == Role.PARTNER and user.organisation_id is not None:
        return tips.filter(organisation=user.organisation_id)
    return tips.none()


def _visible_cases(user, intake):
    case_model = intake.model._meta.get_field("cases").related_model
    return cases_for(user, case_model.objects.all())


# --- What they may do -------------------------------------------------------------------------


def can_see(user, case):
    return cases_for(user, type(case).objects.filter(pk=case.pk)).exists()


def can(user, action, case):
    """Whether `user` may do `action` to `case`. Asks the database whether the case is visible
    (one query); callers that already fetched it through cases_for may pass `visible=True`."""
    return _can(user, action, case, visible=None)


def can_on_visible(user, action, case):
    """`can` for a case fetched through cases_for, without asking again whether it is visible."""
    return _can(user, action, case, visible=True)


def _can(user, action, case, visible):
    role = role_of(user)
    if role is None or action == Action.DELETE:
        return False
    if visible is None:
        visible = can_see(user, case)
    if not visible:
        return False
    if action == Action.VIEW:
        return True
    if role == Role.PARTNER:
        return action in (Action.RESPOND_TO_REFERRAL, Action.RECORD_OUTCOME)
    if role == Role.SUPERVISOR:
        return True
    if role == Role.ADVOCATE:
        return action in (Action.CHANGE, Action.RESPOND_TO_REFERRAL, Action.RECORD_OUTCOME)
    # Admins configure the system and manage accounts; they read cases but do not work them.
    return False


def identities_visible(user, case):
    """Whether `user` sees victims' identities on `case` (a case they can see)."""
    role = role_of(user)
    if role in STAFF:
        return True
    if role == Role.PARTNER:
        return type(case).objects.filter(identities_shared_rule(user), pk=case.pk).exists()
    return False


def hidden_party_fields(user, party, *, identities=None):
    """The fields of `party` that `user` must not be shown: for a partner without shared
    identities, who anyone but a perpetrator is (their role and demographics stay).
    `identities` saves a query when the caller knows identities_visible for the party's
    case."""
    if party.role in PERPETRATOR_ROLES:
        return frozenset()
    if identities is None:
        identities = identities_visible(user, party.case)
    return frozenset() if identities else frozenset(IDENTITY_FIELDS)
