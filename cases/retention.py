"""Retention: erase the identities in cases closed long ago, keep the statistics.

The policy (docs/retention.md): when a case has been closed (closed or closed-referred) for more
than HOTLINE_RETENTION_YEARS years (0: never), whatever says who the people in it are, and how
to reach or find them, is erased; what the statistics count is kept.

Erased, for each such case:

- every party's name, aliases, date of birth and description (emptied; role, kind, age band,
  gender, minor and citizenship stay);
- every identifier of the case: the row is deleted, its keyed hash with it, so the case no
  longer matches anything. An identifier that is also the record of a tip linked to a case
  that is kept is detached from the erased case instead (it stays the kept tip's);
- free text, replaced by MARKER when it held anything: the case summary, notes, the notes of
  referrals and outcomes; venues' names (MARKER) and addresses (emptied);
- tips linked only to erased cases: what was observed and the triage reason (MARKER), the
  address and the people mentioned (emptied), and the identifiers only the tip holds (deleted);
- calls linked only to erased cases: the summary (MARKER).

Kept: statuses, dates, references, priorities, types, industries, regions, victim counts,
methods of control and types of exploitation, demographics, referrals and outcomes (partner,
reason, status, dates, agency), the links between cases, tips and calls, the timeline
(CaseEvent) and the audit trail, which hold no personal data.

`retention_erase` is the one function that erases. It is safe to run twice and in parallel:
cases are taken in batches locked with SELECT ... FOR UPDATE SKIP LOCKED, and a case whose
identities were erased since it was last closed is not taken again. A case reopened after it
was erased stays erased; what is recorded after it was reopened is erased in its turn once
the case has been closed again for the retention period.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from cases import events
from cases.models import Case, Identifier, Note, Outcome, Party, Referral, Venue
from cases.services import event_record
from cases.workflow import CLOSED_STATUSES
from hotline.audit import audit_record
from hotline.models import AuditAction, Call, Tip

# What erased free text says instead, so that a reader knows it was erased, not never written.
# Notes and what a tip observed cannot be empty, so they need a text anyway.
MARKER = "[erased under the retention policy]"

# What the report counts, in the order the command prints them. `cases`: cases erased;
# the others: records that had something erased (identifiers: rows deleted).
COUNT_KINDS = (
    "cases",
    "parties",
    "identifiers",
    "notes",
    "venues",
    "referrals",
    "outcomes",
    "tips",
    "calls",
)

BATCH_SIZE = 100

_CLOSED = sorted(CLOSED_STATUSES)
# Erased since it was last closed: such a case holds no identity the policy must erase. A case
# erased and then reopened is not: whatever is recorded after it reopened is still there.
ERASED = Q(
    status__in=_CLOSED,
    identities_erased_at__isnull=False,
    identities_erased_at__gte=F("closed_at"),
)


@dataclass
class RetentionReport:
    """What retention_erase erased (or, in a dry run, would erase)."""

    cutoff: datetime.date | None  # cases closed before this day; None: the policy is off
    dry_run: bool
    cases: list = field(default_factory=list)  # references of the cases erased
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        for kind in COUNT_KINDS:
            self.counts.setdefault(kind, 0)


def retention_cutoff(*, today=None):
    """The first day whose closed cases are kept: the policy erases cases closed before it.
    None when HOTLINE_RETENTION_YEARS is 0 (keep forever)."""
    years = settings.HOTLINE_RETENTION_YEARS
    if not years:
        return None
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February, in a year without one
        return today.replace(year=today.year - years, day=28)


def cases_due(cutoff):
    """Cases closed before `cutoff` (a date, in the site's time zone) whose identities have not
    been erased since they were last closed."""
    return Case.objects.filter(
        Q(identities_erased_at__isnull=True) | Q(identities_erased_at__lt=F("closed_at")),
        status__in=_CLOSED,
        closed_at__lt=_start_of(cutoff),
    )


def retention_erase(*, actor=None, before=None, dry_run=True, batch_size=BATCH_SIZE):
    """Erase the identities of the cases closed before `before` (a date; default: the policy's
    cut-off, retention_cutoff()), and of the tips and calls linked only to erased cases.

    With dry_run (the default) nothing is written: the report says what would be erased. Each
    batch of cases is one transaction, with its timeline events (one `identities_erased` per
    case, counts only) and audit rows (one per record changed or deleted). Returns a
    RetentionReport.
    """
    if before is not None:
        if isinstance(before, datetime.datetime) or not isinstance(before, datetime.date):
            raise ValidationError({"before": "Give a date, such as 2019-01-31."})
        if before > timezone.localdate():
            raise ValidationError(
                {"before": "The cut-off cannot be in the future. Give a day up to today."}
            )
    cutoff = before or retention_cutoff()
    report = RetentionReport(cutoff=cutoff, dry_run=dry_run)
    if cutoff is None:
        return report
    if batch_size < 1:
        raise ValidationError({"batch_size": "A batch holds at least one case."})
    run = _Run(actor=actor, cutoff=cutoff, dry_run=dry_run, report=report)
    if dry_run:
        ids = list(cases_due(cutoff).order_by("pk").values_list("pk", flat=True))
        run.going = frozenset(ids)
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            run.erase_cases(list(Case.objects.filter(pk__in=chunk).order_by("pk")))
        run.erase_leftovers()
        return report
    last = 0
    while True:
        with transaction.atomic():
            # Another run's locked cases are skipped, not waited for: it erases them. Rows it
            # erased and committed no longer match the filter, which the lock re-checks.
            batch = list(
                cases_due(cutoff)
                .filter(pk__gt=last)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last = batch[-1].pk
            run.going = frozenset(case.pk for case in batch)
            run.erase_cases(batch)
    with transaction.atomic():
        run.going = frozenset()
        run.erase_leftovers()
    return report


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _grouped(queryset, key):
    groups = defaultdict(list)
    for row in queryset:
        groups[getattr(row, key)].append(row)
    return groups


def _text_to_erase(value):
    return value not in ("", MARKER)


def _party_holds_identity(party):
    return bool(party.name or party.aliases or party.date_of_birth or party.description)


def _tip_holds_identity(tip, tip_only_identifiers):
    return bool(
        _text_to_erase(tip.observed)
        or tip.address
        or tip.people_mentioned
        or _text_to_erase(tip.triage_reason)
        or tip_only_identifiers
    )


class _Run:
    """One run of retention_erase: the report it fills, and what it has already handled."""

    def __init__(self, *, actor, cutoff, dry_run, report):
        self.actor = actor
        self.cutoff = cutoff
        self.dry_run = dry_run
        self.report = report
        self.now = timezone.now()
        # Cases being erased by this run (dry run: all of them; otherwise: this batch), counted
        # as erased when deciding whether a tip or call is linked only to erased cases.
        self.going = frozenset()
        self.tips_done = set()
        self.calls_done = set()

    # --- which tips and calls go --------------------------------------------------------

    def _linked_only_to_erased(self, through, column, ids):
        """Of the tips (or calls) `ids`, those every one of whose cases is erased or going."""
        links = list(through.objects.filter(**{f"{column}__in": ids}).values_list(column, "case"))
        linked = {case_id for _, case_id in links}
        gone = set(self.going) | set(
            Case.objects.filter(ERASED, pk__in=linked).values_list("pk", flat=True)
        )
        kept = {record for record, case_id in links if case_id not in gone}
        return {record for record, _ in links} - kept

    def _lock(self, model, ids):
        if not self.dry_run and ids:
            list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))

    # --- writing ------------------------------------------------------------------------

    def _audit(self, action, kind, ids, case_id):
        for pk in ids:
            audit_record(
                action=action, object_kind=kind, object_id=pk, case_id=case_id, user=self.actor
            )

    def _update(self, queryset, kind, ids, case_id, **values):
        if self.dry_run or not ids:
            return
        if hasattr(queryset.model, "updated_at"):
            values["updated_at"] = self.now
        queryset.filter(pk__in=ids).update(**values)
        self._audit(AuditAction.UPDATE, kind, ids, case_id)

    def _delete_identifiers(self, ids, case_id):
        if self.dry_run or not ids:
            return
        Identifier.objects.filter(pk__in=ids).delete()
        self._audit(AuditAction.DELETE, "identifier", ids, case_id)

    # --- cases --------------------------------------------------------------------------

    def erase_cases(self, cases):
        ids = [case.pk for case in cases]
        tip_links = _grouped(Case.tips.through.objects.filter(case__in=ids), "case_id")
        call_links = _grouped(Case.calls.through.objects.filter(case__in=ids), "case_id")
        tip_ids = sorted({link.tip_id for links in tip_links.values() for link in links})
        call_ids = sorted({link.call_id for links in call_links.values() for link in links})
        # Locked before deciding, so that nobody links them to another case meanwhile.
        self._lock(Tip, tip_ids)
        self._lock(Call, call_ids)
        tips_going = self._linked_only_to_erased(Case.tips.through, "tip", tip_ids)
        calls_going = self._linked_only_to_erased(Case.calls.through, "call", call_ids)
        tips = Tip.objects.in_bulk(sorted(tips_going))
        tip_identifiers = _grouped(
            Identifier.objects.filter(tip__in=tips_going, case__isnull=True), "tip_id"
        )
        calls = Call.objects.in_bulk(sorted(calls_going))
        parties = _grouped(Party.objects.filter(case__in=ids).order_by("pk"), "case_id")
        identifiers = _grouped(Identifier.objects.filter(case__in=ids).order_by("pk"), "case_id")
        notes = _grouped(Note.objects.filter(case__in=ids).exclude(text=MARKER), "case_id")
        venues = _grouped(Venue.objects.filter(case__in=ids).order_by("pk"), "case_id")
        referrals = _grouped(
            Referral.objects.filter(case__in=ids).exclude(notes="").exclude(notes=MARKER),
            "case_id",
        )
        outcomes = _grouped(
            Outcome.objects.filter(case__in=ids).exclude(notes="").exclude(notes=MARKER),
            "case_id",
        )
        for case in cases:
            counts = Counter()
            identifier_kinds = Counter()
            self._erase_parties(case, parties[case.pk], counts)
            self._erase_identifiers(
                case, identifiers[case.pk], tips_going, counts, identifier_kinds
            )
            note_ids = [note.pk for note in notes[case.pk]]
            self._update(Note.objects, "note", note_ids, case.pk, text=MARKER)
            counts["notes"] = len(note_ids)
            venue_ids = [
                venue.pk for venue in venues[case.pk] if venue.address or _text_to_erase(venue.name)
            ]
            self._update(Venue.objects, "venue", venue_ids, case.pk, name=MARKER, address="")
            counts["venues"] = len(venue_ids)
            referral_ids = [referral.pk for referral in referrals[case.pk]]
            self._update(Referral.objects, "referral", referral_ids, case.pk, notes=MARKER)
            counts["referrals"] = len(referral_ids)
            outcome_ids = [outcome.pk for outcome in outcomes[case.pk]]
            self._update(Outcome.objects, "outcome", outcome_ids, case.pk, notes=MARKER)
            counts["outcomes"] = len(outcome_ids)
            for link in tip_links[case.pk]:
                tip = tips.get(link.tip_id)
                if tip is not None:
                    self._erase_tip(tip, tip_identifiers[tip.pk], case.pk, counts, identifier_kinds)
            for link in call_links[case.pk]:
                call = calls.get(link.call_id)
                if call is not None:
                    self._erase_call(call, case.pk, counts)
            self._erase_case(case, counts, identifier_kinds)

    def _erase_parties(self, case, parties, counts):
        for party in parties:
            if not _party_holds_identity(party):
                continue
            counts["parties"] += 1
            if self.dry_run:
                continue
            party.name = party.aliases = party.description = ""
            party.date_of_birth = None
            party.save(update_fields=["name", "aliases", "date_of_birth", "description"])
            self._audit(AuditAction.UPDATE, "party", [party.pk], case.pk)

    def _erase_identifiers(self, case, identifiers, tips_going, counts, identifier_kinds):
        deleted, detached = [], []
        for identifier in identifiers:
            if identifier.tip_id is not None and identifier.tip_id not in tips_going:
                # It is also the record of a tip linked to a case that is kept: it stays the
                # tip's, and is deleted with the tip's identities when the tip goes.
                detached.append(identifier.pk)
                continue
            deleted.append(identifier.pk)
            identifier_kinds[identifier.kind] += 1
        counts["identifiers"] += len(deleted)
        self._delete_identifiers(deleted, case.pk)
        self._update(Identifier.objects, "identifier", detached, case.pk, case=None, party=None)

    def _erase_tip(self, tip, tip_only_identifiers, case_id, counts, identifier_kinds):
        if tip.pk in self.tips_done:
            return
        self.tips_done.add(tip.pk)
        if not _tip_holds_identity(tip, tip_only_identifiers):
            return
        counts["tips"] += 1
        counts["identifiers"] += len(tip_only_identifiers)
        identifier_kinds.update(identifier.kind for identifier in tip_only_identifiers)
        self._delete_identifiers([identifier.pk for identifier in tip_only_identifiers], case_id)
        self._update(
            Tip.objects,
            "tip",
            [tip.pk],
            case_id,
            observed=MARKER if tip.observed else "",
            triage_reason=MARKER if tip.triage_reason else "",
            address="",
            people_mentioned="",
        )

    def _erase_call(self, call, case_id, counts):
        if call.pk in self.calls_done:
            return
        self.calls_done.add(call.pk)
        if not _text_to_erase(call.summary):
            return
        counts["calls"] += 1
        self._update(Call.objects, "call", [call.pk], case_id, summary=MARKER)

    def _erase_case(self, case, counts, identifier_kinds):
        self.report.cases.append(case.reference)
        self.report.counts["cases"] += 1
        self.report.counts.update(counts)
        if self.dry_run:
            return
        if _text_to_erase(case.summary):
            case.summary = MARKER
        case.identities_erased_at = self.now
        case.version += 1
        case.save(update_fields=["summary", "identities_erased_at", "version", "updated_at"])
        event_record(
            case=case,
            actor=self.actor,
            event=events.identities_erased(
                cutoff=self.cutoff,
                counts={kind: counts[kind] for kind in COUNT_KINDS if kind != "cases"},
                identifier_kinds=identifier_kinds,
            ),
        )

    # --- tips and calls left behind ---------------------------------------------------

    def erase_leftovers(self):
        """Tips and calls whose cases are all erased but which still hold identities: left by
        two runs in parallel, each erasing one of a tip's cases without seeing the other's."""
        erased = Case.objects.filter(ERASED).values("pk")
        for model, through, column, holds in (
            (Tip, Case.tips.through, "tip", _tip_filter()),
            (Call, Case.calls.through, "call", _call_filter()),
        ):
            links = through.objects.filter(**{column: OuterRef("pk")})
            done = self.tips_done if model is Tip else self.calls_done
            ids = list(
                model.objects.filter(Exists(links), holds)
                .exclude(Exists(links.exclude(case__in=erased)))
                .exclude(pk__in=sorted(done))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            self._lock(model, ids)
            ids = sorted(self._linked_only_to_erased(through, column, ids))
            counts = Counter()
            if model is Tip:
                tip_identifiers = _grouped(
                    Identifier.objects.filter(tip__in=ids, case__isnull=True), "tip_id"
                )
                for tip in Tip.objects.filter(pk__in=ids).order_by("pk"):
                    self._erase_tip(tip, tip_identifiers[tip.pk], None, counts, Counter())
            else:
                for call in Call.objects.filter(pk__in=ids).order_by("pk"):
                    self._erase_call(call, None, counts)
            self.report.counts.update(counts)


def _tip_filter():
    return (
        ~Q(address="")
        | ~Q(people_mentioned="")
        | (~Q(observed="") & ~Q(observed=MARKER))
        | (~Q(triage_reason="") & ~Q(triage_reason=MARKER))
        | Exists(Identifier.objects.filter(tip=OuterRef("pk"), case__isnull=True))
    )


def _call_filter():
    return ~Q(summary="") & ~Q(summary=MARKER)
