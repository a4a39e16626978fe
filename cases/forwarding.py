"""Forwarding rules and deadlines (docs/forwarding.md).

A rule (ForwardingRule, edited by admins) names the conditions a case must meet, the type of
partner it goes to and how soon. `forwarding_evaluate` runs after a case or its parties change
(cases.tasks.match_record for parties, cases.tasks.forwarding_sweep for everything else): for
each active rule the case newly meets, once per rule per case, it records a Forwarding with its
deadline and refers the case to the organisation of that type nearest to the case's region; if
none serves it, the Forwarding has no referral yet ("forwarding needed") and shows as such in
the deadlines queue until a supervisor refers the case by hand.

A forwarding is done when the partner answered the referral (through the API, or staff recorded
their answer): that moment against the deadline says whether it was on time. The sweep sends
supervisors one e-mail when a deadline is near and one when it has passed, each recorded on the
Forwarding so a sweep never sends it twice.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events, workflow
from cases.models import (
    Case,
    Forwarding,
    ForwardingConsent,
    ForwardingRule,
    Party,
    Priority,
    Referral,
)
from cases.services import event_record, referral_send, referral_update
from hotline.audit import audit_record
from hotline.models import AuditAction, PartnerOrganisation, Role, TraffickingType, Urgency, User

logger = logging.getLogger(__name__)

# A rule for "sex" or "labor" also covers a case of both.
COVERED_TYPES = {
    TraffickingType.SEX: {TraffickingType.SEX, TraffickingType.SEX_AND_LABOR},
    TraffickingType.LABOR: {TraffickingType.LABOR, TraffickingType.SEX_AND_LABOR},
}


def case_facts(case):
    """What the rules' conditions ask about a case, in a few queries."""
    victims = list(
        Party.objects.filter(case=case, role__in=sorted(Party.VICTIM_ROLES)).values_list(
            "is_minor", flat=True
        )
    )
    return {
        "trafficking_type": case.trafficking_type,
        "minor_victim": any(is_minor is True for is_minor in victims),
        "adult_victims": bool(victims) and not any(is_minor is True for is_minor in victims),
        "imminent_danger": case.priority == Priority.CRITICAL
        or case.tips.filter(urgency=Urgency.IMMINENT_DANGER).exists(),
        "consent": ForwardingConsent.objects.filter(case=case).exists(),
    }


def rule_matches(rule, facts):
    if rule.trafficking_type and facts["trafficking_type"] not in COVERED_TYPES.get(
        rule.trafficking_type, {rule.trafficking_type}
    ):
        return False
    return all(
        facts[fact]
        for required, fact in (
            (rule.requires_minor_victim, "minor_victim"),
            (rule.requires_adult_victims, "adult_victims"),
            (rule.requires_imminent_danger, "imminent_danger"),
            (rule.requires_consent, "consent"),
        )
        if required
    )


def organisation_for(case, organisation_type):
    """The active organisation of the type whose region is the case's region or the nearest
    one above it (the deepest such region; by name among equals). One with no region serves
    everywhere and is taken only when no regional one does. None when there is none."""
    organisations = PartnerOrganisation.objects.filter(type=organisation_type, is_active=True)
    if case.region_id is not None:
        parts = case.region.path.split("/")
        ancestors = ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
        regional = (
            organisations.filter(region__path__in=ancestors)
            .order_by("-region__depth", "name")
            .first()
        )
        if regional is not None:
            return regional
    return organisations.filter(region__isnull=True).order_by("name").first()


@transaction.atomic
def forwarding_evaluate(*, case, actor=None, now=None):
    """Apply every active rule the open `case` meets and has not met before. Returns the
    Forwardings created. Safe to run twice: the case is locked, and a rule applies once."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=case.pk)
    if case.status not in workflow.OPEN_STATUSES:
        return []
    applied = set(case.forwardings.values_list("rule_id", flat=True))
    rules = [
        rule for rule in ForwardingRule.objects.filter(is_active=True) if rule.pk not in applied
    ]
    if not rules:
        return []
    facts = case_facts(case)
    now = now or timezone.now()
    matched = [rule for rule in rules if rule_matches(rule, facts)]
    organisations = {
        kind: organisation_for(case, kind) for kind in {rule.organisation_type for rule in matched}
    }
    # Rules that pick the same organisation make one referral, due at the earliest of their
    # deadlines: a partner must not get the same case twice at the same time.
    referrals = {}
    for organisation in {org for org in organisations.values() if org is not None}:
        group = [r for r in matched if organisations[r.organisation_type] == organisation]
        first = min(group, key=lambda rule: (rule.due_within_hours, rule.pk))
        referrals[organisation.pk] = _referral_for(
            case=case,
            organisation=organisation,
            reason=first.reason,
            due_at=now + datetime.timedelta(hours=first.due_within_hours),
            actor=actor,
            now=now,
        )
    created = []
    for rule in matched:
        due_at = now + datetime.timedelta(hours=rule.due_within_hours)
        organisation = organisations[rule.organisation_type]
        referral = referrals[organisation.pk] if organisation is not None else None
        forwarding = Forwarding.objects.create(
            case=case,
            rule=rule,
            organisation_type=rule.organisation_type,
            matched_at=now,
            due_at=due_at,
            referral=referral,
        )
        event_record(
            case=case,
            actor=actor,
            event=events.forwarding_due(
                forwarding=forwarding, rule=rule, due_at=due_at, referral=referral
            ),
        )
        created.append(forwarding)
    return created


def _referral_for(*, case, organisation, reason, due_at, actor, now):
    """The case's open (sent or accepted) referral to the organisation, its deadline tightened
    to `due_at` if later or unset (recorded on the timeline); a new referral when none is open,
    so an earlier referral by hand is not doubled."""
    referral = (
        Referral.objects.filter(
            case=case,
            organisation=organisation,
            status__in=[Referral.Status.SENT, Referral.Status.ACCEPTED],
        )
        .order_by("sent_at", "pk")
        .first()
    )
    if referral is None:
        return referral_send(
            actor=actor,
            case=case,
            organisation=organisation,
            reason=reason,
            due_at=due_at,
            sent_at=now,
        )
    if referral.due_at is None or referral.due_at > due_at:
        referral = referral_update(actor=actor, referral=referral, due_at=due_at)
    return referral


def forwardings_attach():
    """A referral sent by hand, after a rule matched, to an organisation of the rule's type
    completes a "forwarding needed". Returns how many were attached."""
    attached = 0
    for forwarding in Forwarding.objects.filter(referral__isnull=True, completed_at__isnull=True):
        referral = (
            Referral.objects.filter(
                case=forwarding.case_id,
                organisation__type=forwarding.organisation_type,
                sent_at__gte=forwarding.matched_at,
                forwardings__isnull=True,
            )
            .order_by("sent_at", "pk")
            .first()
        )
        if referral is not None:
            attached += Forwarding.objects.filter(pk=forwarding.pk, referral__isnull=True).update(
                referral=referral
            )
    return attached


def forwardings_complete():
    """Record, once, each forwarding whose referral the partner answered: when, and how late.
    Returns how many."""
    done = 0
    answered = Forwarding.objects.filter(
        completed_at__isnull=True, referral__responded_at__isnull=False
    ).select_related("case", "referral")
    for forwarding in answered:
        with transaction.atomic():
            completed_at = forwarding.referral.responded_at
            claimed = Forwarding.objects.filter(pk=forwarding.pk, completed_at__isnull=True).update(
                completed_at=completed_at
            )
            if claimed:
                event_record(
                    case=forwarding.case,
                    actor=None,
                    event=events.forwarding_completed(
                        forwarding=forwarding, completed_at=completed_at, due_at=forwarding.due_at
                    ),
                )
                done += 1
    return done


def _recipients():
    return sorted(
        User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def _notify(forwarding, *, overdue):
    """One e-mail to the supervisors: the case's reference, the rule and the deadline; never a
    name or an identifier, which e-mail must not carry."""
    recipients = _recipients()
    if not recipients:
        logger.warning("forwarding %s: no supervisor has an e-mail address", forwarding.pk)
        return
    reference = forwarding.case.reference
    due = timezone.localtime(forwarding.due_at).strftime("%Y-%m-%d %H:%M %Z")
    if overdue:
        subject = _("Forwarding overdue: %(reference)s") % {"reference": reference}
        lead = _("The forwarding deadline of %(reference)s passed at %(due)s.")
    else:
        subject = _("Forwarding due soon: %(reference)s") % {"reference": reference}
        lead = _("The forwarding deadline of %(reference)s is %(due)s.")
    state = (
        _("Forwarding needed: no partner of this type serves the case's region.")
        if forwarding.referral_id is None
        else _("Referred; waiting for the partner to answer.")
    )
    body = "\n\n".join(
        [
            lead % {"reference": reference, "due": due},
            _("Rule: %(rule)s") % {"rule": forwarding.rule.name},
            state,
            _("Deadlines queue: %(path)s") % {"path": reverse("links:deadlines")},
        ]
    )
    send_mail(subject, body, None, recipients)


def deadline_notices_send(*, now=None):
    """Warn supervisors of each deadline near (within HOTLINE_DEADLINE_WARNING_HOURS) and of
    each passed, once each: the notice is claimed on its row and sent in the same transaction,
    so a failed e-mail is tried again at the next sweep and a sent one never is. When the mail
    server cannot be reached, the rest wait for the next sweep too."""
    now = now or timezone.now()
    warn_until = now + datetime.timedelta(hours=settings.HOTLINE_DEADLINE_WARNING_HOURS)
    pending = Forwarding.objects.filter(completed_at__isnull=True).select_related("case", "rule")
    due_soon = pending.filter(
        overdue_notified_at__isnull=True, soon_notified_at__isnull=True,
        due_at__gt=now, due_at__lte=warn_until,
    )  # fmt: skip
    overdue = pending.filter(overdue_notified_at__isnull=True, due_at__lte=now)
    sent = {"soon": 0, "overdue": 0}
    try:
        for forwarding in due_soon:
            with transaction.atomic():
                claimed = Forwarding.objects.filter(
                    pk=forwarding.pk, soon_notified_at__isnull=True
                ).update(soon_notified_at=now)
                if claimed:
                    _notify(forwarding, overdue=False)
                    sent["soon"] += 1
        for forwarding in overdue:
            with transaction.atomic():
                claimed = Forwarding.objects.filter(
                    pk=forwarding.pk, overdue_notified_at__isnull=True
                ).update(overdue_notified_at=now)
                if claimed:
                    event_record(
                        case=forwarding.case,
                        actor=None,
                        event=events.forwarding_overdue(
                            forwarding=forwarding, due_at=forwarding.due_at
                        ),
                    )
                    _notify(forwarding, overdue=True)
                    sent["overdue"] += 1
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("deadline notices: mail not sent (%s); the next sweep tries again", error)
    return sent


@transaction.atomic
def forwarding_consent_record(*, actor, case):
    """Record the victim's consent to forward the case; the rules are evaluated again."""
    consent, created = ForwardingConsent.objects.get_or_create(
        case=case, defaults={"recorded_by": actor}
    )
    if created:
        audit_record(
            action=AuditAction.CREATE,
            object_kind="forwardingconsent",
            object_id=consent.pk,
            case_id=case.pk,
            user=actor,
        )
    forwarding_evaluate(case=case, actor=actor)
    return consent
