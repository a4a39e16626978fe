"""Reads of the cases app that need more than one line of ORM."""

import datetime
import decimal

from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, Max, OuterRef, Q, When
from django.utils import timezone

from cases import identifiers, workflow
from cases.models import Case, CaseEvent, Identifier, Party, Referral, TransactionClue
from hotline import access
from hotline.crypto import keyed_hash
from hotline.models import Tip


def identifier_term_filter(term):
    """A filter on Identifier for `term` written any way: for each kind (and platform) of
    identifier that can read it, the keyed hash of what it would be stored as, so that a number
    searched as (555) 123-4567 finds +15551234567 without decrypting anything. Each alternative
    names kind, platform and hash, the columns of identifier_match_idx. None when no kind can
    read the term."""
    term, match = term.strip(), None
    for kind in Identifier.Kind if term else ():
        platforms = Identifier.Platform.values if kind == Identifier.Kind.HANDLE else [""]
        for platform in platforms:
            try:
                normalised = identifiers.normalise(kind, term, platform)
            except ValidationError:
                continue
            alternative = Q(kind=kind, platform=platform, value_hash=keyed_hash(normalised))
            match = alternative if match is None else match | alternative
    return match


# --- Case work in the browser (cases/views/casework.py) ---------------------------------------
# Each takes the user and narrows through hotline.access, so a page cannot forget to.

# How far back "recent cases in the same region and industry" reaches when suggesting the
# cases a tip may belong to.
SUGGEST_RECENT_DAYS = 90
SUGGESTIONS_SHOWN = 10
TIMELINE_SHOWN = 200


def overdue_cases():
    """Open cases with a forwarding deadline missed: a referral still waiting for the partner's
    answer (sent) whose due time has passed. Those are the tips that "reached law enforcement
    late or not at all"; a case is no longer overdue once the partner answers or it closes."""
    late = Referral.objects.filter(status=Referral.Status.SENT, due_at__lt=timezone.now()).values(
        "case"
    )
    return Q(status__in=sorted(workflow.OPEN_STATUSES), pk__in=late)


def with_overdue(cases):
    """`cases` with is_overdue (see overdue_cases) worked out in the same query."""
    late = Referral.objects.filter(
        case=OuterRef("pk"),
        status=Referral.Status.SENT,
        due_at__lt=timezone.now(),
        case__status__in=sorted(workflow.OPEN_STATUSES),
    )
    return cases.annotate(is_overdue=Exists(late))


def case_queue_rows(ids):
    """The cases with these ids, with what a list row or an export line shows joined in (the
    ids came through case_queue, so through the access rules)."""
    return Case.objects.filter(pk__in=ids).select_related("industry", "region", "assignee", "team")


def closure_pending_cases():
    return Q(closure_requested_at__isnull=False, status__in=sorted(workflow.OPEN_STATUSES))


def case_queue(user):
    """The cases `user` sees, with what a list row shows joined in."""
    # The summary (free text, sometimes long) is not shown in a list.
    cases = Case.objects.select_related("industry", "region", "assignee", "team").defer("summary")
    return access.cases_for(user, cases)


def case_status_counts(cases):
    """{status: count} of `cases`, in one GROUP BY query."""
    rows = cases.order_by().values("status").annotate(count=Count("pk"))
    return {row["status"]: row["count"] for row in rows}


def case_by_reference(user, reference):
    """The case with this reference if `user` sees it; Case.DoesNotExist otherwise (not found
    and not allowed answer alike)."""
    cases = Case.objects.select_related(
        "industry", "region", "assignee", "team", "created_by", "closure_requested_by"
    )
    return access.cases_for(user, cases).get(reference=reference)


def cases_sharing_identifiers(user, case, identifiers):
    """Other cases `user` sees that hold one of `identifiers` (those of `case` the page shows):
    the same kind, platform and keyed hash of the normalised value, however it was written."""
    return _cases_holding(user, identifiers).exclude(pk=case.pk)


def _cases_holding(user, identifiers):
    """Cases `user` sees holding one of `identifiers` (Identifier rows, already fetched)."""
    # One alternative per identifier on kind, platform and hash, the columns of
    # identifier_match_idx. With none, a condition that matches nothing (a hash is 64 hex
    # digits) keeps the query, so a page makes the same queries whatever it holds.
    match = Q(value_hash="")
    for identifier in identifiers:
        match |= Q(
            kind=identifier.kind, platform=identifier.platform, value_hash=identifier.value_hash
        )
    holders = Identifier.objects.filter(match, case__isnull=False).values("case")
    return case_queue(user).filter(pk__in=holders).order_by("-opened_at")


def tip_queue(user, state=None):
    """Tips `user` sees, new ones first, then the most urgent, then the oldest."""
    tips = access.tips_for(user, Tip.objects.select_related("region", "industry", "call"))
    if state:
        tips = tips.filter(triage_state=state)
    new_first = DbCase(When(triage_state=Tip.TriageState.NEW, then=0), default=1)
    return tips.order_by(new_first, "-urgency", "received_at", "pk")


def tip_state_counts(user):
    rows = access.tips_for(user, Tip.objects.all()).order_by().values("triage_state")
    return {row["triage_state"]: row["count"] for row in rows.annotate(count=Count("pk"))}


def tip_suggested_cases(user, tip, identifiers):
    """The cases `tip` may belong to: those holding one of its `identifiers` (as the page shows
    them), then open cases in its region and industry opened recently; each once, at most
    SUGGESTIONS_SHOWN."""
    by_identifier = list(_cases_holding(user, identifiers).exclude(tips=tip)[:SUGGESTIONS_SHOWN])
    nearby = []
    if tip.region_id and tip.industry_id:
        since = timezone.now() - datetime.timedelta(days=SUGGEST_RECENT_DAYS)
        # Fetched whether or not there is room for them, so that the page's queries do not
        # depend on how many cases match.
        nearby = list(
            case_queue(user)
            .filter(
                region=tip.region_id,
                industry=tip.industry_id,
                opened_at__gte=since,
                status__in=sorted(workflow.OPEN_STATUSES),
            )
            .exclude(tips=tip)
            .order_by("-opened_at")[:SUGGESTIONS_SHOWN]
        )
    held = {case.pk for case in by_identifier}
    nearby = [case for case in nearby if case.pk not in held]
    nearby = nearby[: max(0, SUGGESTIONS_SHOWN - len(by_identifier))]
    return [(case, "identifier") for case in by_identifier] + [(case, "nearby") for case in nearby]


def case_timeline(case, *, after=None):
    """The case's events, newest first (at most TIMELINE_SHOWN); with `after` (an event id),
    only those recorded since."""
    events = CaseEvent.objects.filter(case=case).select_related("actor")
    if after is not None:
        events = events.filter(pk__gt=after)
    return list(events.order_by("-at", "-pk")[:TIMELINE_SHOWN])


def case_last_event_id(case):
    return CaseEvent.objects.filter(case=case).aggregate(last=Max("pk"))["last"] or 0


# --- Links between cases and forwarding deadlines (docs/linking.md, docs/forwarding.md) -------


def link_suggestions_for(user, state="open"):
    """Suggestions between two cases `user` may both see, strongest first: a suggestion that
    names a case outside their scope does not exist for them."""
    from cases.models import LinkSuggestion

    visible = access.cases_for(user, Case.objects.all()).values("pk")
    return (
        LinkSuggestion.objects.filter(state=state, case_a__in=visible, case_b__in=visible)
        .select_related("case_a", "case_b", "identifier_a", "party_a", "party_b", "decided_by")
        .order_by("-score", "created_at", "pk")
    )


def cluster_cases(user, cluster):
    """The cases of `cluster` that `user` may see, oldest first."""
    return (
        access.cases_for(user, Case.objects.filter(cluster_membership__cluster=cluster))
        .select_related("region", "industry")
        .order_by("opened_at", "pk")
    )


def deadline_queue(user, *, now=None):
    """Forwardings not done, of cases `user` sees: "overdue" (deadline passed), "due_soon"
    (within HOTLINE_DEADLINE_WARNING_HOURS), and how many are due later."""
    from django.conf import settings

    from cases.models import Forwarding

    now = now or timezone.now()
    warn_until = now + datetime.timedelta(hours=settings.HOTLINE_DEADLINE_WARNING_HOURS)
    pending = access.case_records_for(
        user, Forwarding.objects.filter(completed_at__isnull=True)
    ).select_related("case", "rule", "referral__organisation")
    near = list(pending.filter(due_at__lte=warn_until).order_by("due_at", "pk"))
    return {
        "overdue": [row for row in near if row.due_at <= now],
        "due_soon": [row for row in near if row.due_at > now],
        "later": pending.filter(due_at__gt=warn_until).count(),
    }


def forwarding_on_time_by_month(*, since=None, now=None):
    """Per month of the deadline: forwardings due, done on time, late (done after the deadline,
    or not done and past it), and still open before their deadline. For the statistics
    (reports): [{"month": date, "total", "on_time", "late", "pending"}], oldest first."""
    from django.db.models import F
    from django.db.models.functions import TruncMonth

    from cases.models import Forwarding

    now = now or timezone.now()
    rows = Forwarding.objects.all()
    if since is not None:
        rows = rows.filter(due_at__gte=since)
    late = Q(completed_at__gt=F("due_at")) | Q(completed_at__isnull=True, due_at__lt=now)
    return list(
        rows.annotate(month=TruncMonth("due_at"))
        .values("month")
        .annotate(
            total=Count("pk"),
            on_time=Count("pk", filter=Q(completed_at__lte=F("due_at"))),
            late=Count("pk", filter=late),
            pending=Count("pk", filter=Q(completed_at__isnull=True, due_at__gte=now)),
        )
        .order_by("month")
    )


# --- Financial leads (docs/linking.md, "Financial leads") -------------------------------------


def financial_summary(case_ids, *, reveal):
    """The payment accounts of the cases `case_ids` and what their transaction clues add up to:
    per account (one per normalised value, however often it was recorded), the cases holding
    it, the roles of the people it belongs to, the clues, the total per currency, the first
    and last day of a payment seen. Two queries whatever the number of accounts and clues.

    `reveal(rows)` gets the account's Identifier rows (with their party) and says whether its
    value may be shown; an account it refuses is masked: listed, counted and added up, but
    with no value. Amounts are added as recorded: a payment noted in two cases counts twice."""
    case_ids = sorted(set(case_ids))
    rows = list(
        Identifier.objects.filter(case__in=case_ids, kind=Identifier.Kind.PAYMENT_ACCOUNT)
        .select_related("party")
        .order_by("pk")
    )
    by_account = {}
    for row in rows:
        by_account.setdefault(row.value_hash, []).append(row)
    # The amounts are added here, as Decimals, rather than by the database: SQLite's SUM
    # works in floating point (15 significant digits), PostgreSQL's is exact. One query.
    clue_rows = TransactionClue.objects.filter(
        identifier__case__in=case_ids, identifier__kind=Identifier.Kind.PAYMENT_ACCOUNT
    ).values_list("identifier__value_hash", "currency", "amount", "occurred_on", "occurred_until")
    groups = {}
    for value_hash, currency, amount, occurred_on, occurred_until in clue_rows.order_by():
        group = groups.setdefault(
            (value_hash, currency),
            {"currency": currency, "clues": 0, "total": None, "first": None, "last": None},
        )
        group["clues"] += 1
        if amount is not None:
            group["total"] = (group["total"] or 0) + amount
        last = occurred_until or occurred_on
        if occurred_on is not None and (group["first"] is None or occurred_on < group["first"]):
            group["first"] = occurred_on
        if last is not None and (group["last"] is None or last > group["last"]):
            group["last"] = last
    clues = {}
    for (value_hash, _currency), group in groups.items():
        clues.setdefault(value_hash, []).append(group)
    accounts = []
    grand = {}
    for value_hash, account_rows in by_account.items():
        found = clues.get(value_hash, [])
        totals = {}
        for group in found:
            if group["currency"] and group["total"] is not None:
                totals[group["currency"]] = totals.get(group["currency"], 0) + group["total"]
                grand[group["currency"]] = grand.get(group["currency"], 0) + group["total"]
        firsts = [group["first"] for group in found if group["first"] is not None]
        lasts = [group["last"] for group in found if group["last"] is not None]
        shown = reveal(account_rows)
        accounts.append(
            {
                "value": account_rows[0].value if shown else None,
                "masked": not shown,
                "case_ids": sorted({row.case_id for row in account_rows}),
                "roles": sorted({row.party.role for row in account_rows if row.party_id}),
                "clues": sum(group["clues"] for group in found),
                "totals": [
                    {"currency": currency, "amount": _money(amount)}
                    for currency, amount in sorted(totals.items())
                ],
                "first_seen": min(firsts) if firsts else None,
                "last_seen": max(lasts) if lasts else None,
                "_first_pk": account_rows[0].pk,
            }
        )
    accounts.sort(key=lambda a: (-len(a["case_ids"]), -a["clues"], a["_first_pk"]))
    for number, account in enumerate(accounts, start=1):
        del account["_first_pk"]
        account["label"] = f"Account {number}"
        account["cases"] = len(account["case_ids"])
        account["role_labels"] = [str(Party.Role(role).label) for role in account["roles"]]
    return {
        "cases": len(case_ids),
        "case_ids": case_ids,
        "accounts": accounts,
        "totals": [
            {"currency": currency, "amount": _money(amount)}
            for currency, amount in sorted(grand.items())
        ],
        "clues": sum(account["clues"] for account in accounts),
    }


def _money(amount):
    """A sum as a Decimal with two places."""
    return decimal.Decimal(amount).quantize(decimal.Decimal("0.01"))


def cluster_financial_summary(user, cluster, *, case_ids=None):
    """The financial summary of `cluster` for hotline staff: over the cluster's cases `user`
    sees (`case_ids` when the caller has them from cluster_cases), each account's value shown
    when the access rules show the user one of its rows (identifiers_for), masked otherwise."""
    if case_ids is None:
        case_ids = list(cluster_cases(user, cluster).values_list("pk", flat=True))

    def reveal(rows):
        return any(row.pk in visible for row in rows)

    ids = Identifier.objects.filter(case__in=case_ids, kind=Identifier.Kind.PAYMENT_ACCOUNT)
    visible = set(access.identifiers_for(user, ids).values_list("pk", flat=True))
    return financial_summary(case_ids, reveal=reveal)


def financial_referrals_for(user, referrals):
    """Of `referrals`, those that deliver a cluster's financial summary to `user`: referrals
    to their organisation, when it is a financial institution, not declined, of a case in a
    cluster. Anyone else (staff, other partners, accounts with no role) gets none."""
    from hotline.models import PartnerOrganisation, Role

    if access.role_of(user) != Role.PARTNER or user.organisation_id is None:
        return referrals.none()
    return referrals.filter(
        organisation=user.organisation_id,
        organisation__type=PartnerOrganisation.Type.FINANCIAL_INSTITUTION,
        status__in=access.GRANTING_REFERRAL_STATUSES,
        case__cluster_membership__isnull=False,
    )


def referral_financial_summary(user, referral):
    """The financial summary of the cluster of `referral`'s case, for the partner it was sent
    to (a referral from financial_referrals_for). It covers the cluster's cases but for the
    restricted ones not referred to the partner's organisation. Values are masked unless the
    partner sees the referred case's identities (a referral sharing them); then an account is
    shown where the partner's access rules would show it: any account of a case whose
    identities are shared with them, and elsewhere in the cluster those of perpetrators and of
    nobody named, never a victim's: an account any record of which belongs to someone but a
    perpetrator in a case not shared with them stays masked, wherever else it was recorded."""
    organisation = user.organisation_id
    referred = Case.objects.filter(
        referrals__organisation=organisation,
        referrals__status__in=access.GRANTING_REFERRAL_STATUSES,
    ).values("pk")
    cluster_id = referral.case.cluster_membership.cluster_id
    case_ids = list(
        Case.objects.filter(cluster_membership__cluster=cluster_id)
        .filter(Q(is_restricted=False) | Q(pk__in=referred))
        .values_list("pk", flat=True)
    )
    shared = set(
        Case.objects.filter(access.identities_shared_rule(user), pk__in=case_ids).values_list(
            "pk", flat=True
        )
    )
    identities = referral.case_id in shared

    def reveal(rows):
        if not identities:
            return False
        # A victim's (anyone's but a perpetrator's) account in a case whose identities are
        # not shared stays withheld, however it was recorded elsewhere in the cluster.
        if any(
            row.case_id not in shared
            and row.party_id is not None
            and row.party.role not in access.PERPETRATOR_ROLES
            for row in rows
        ):
            return False
        return any(
            row.case_id in shared
            or row.party_id is None
            or row.party.role in access.PERPETRATOR_ROLES
            for row in rows
        )

    return {**financial_summary(case_ids, reveal=reveal), "identities_shared": identities}
