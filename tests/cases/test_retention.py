"""The retention policy erases the identities in cases closed long ago, and nothing else."""

import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    Identifier,
    Note,
    Outcome,
    Party,
    Referral,
    Venue,
)
from cases.retention import COUNT_KINDS, MARKER, retention_cutoff, retention_erase
from cases.tasks import retention_apply
from hotline.crypto import keyed_hash
from hotline.models import AuditEntry, Call, Tip
from hotline.services import call_log, tip_submit
from tests.factories import CaseFactory, code, industry, region

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind
NOW = timezone.now()

# Every table retention could touch, and the links between them.
SNAPSHOT_MODELS = [
    Case,
    Party,
    Identifier,
    Venue,
    Referral,
    Outcome,
    Note,
    Tip,
    Call,
    CaseEvent,
    AuditEntry,
    Case.tips.through,
    Case.calls.through,
    Case.methods_of_control.through,
    Case.exploitation_types.through,
    Tip.indicators.through,
]


def snapshot():
    """Every row of every table above, field by field (decrypted), keyed by (model, pk).
    `updated_at` is left out: it follows every save."""
    return {
        (model._meta.label, row.pk): {
            field.attname: getattr(row, field.attname)
            for field in model._meta.concrete_fields
            if field.attname != "updated_at"
        }
        for model in SNAPSHOT_MODELS
        for row in model.objects.all()
    }


def changes(before, after):
    """What changed between two snapshots: {key: "deleted" or {field: new value}}, and the keys
    of the rows added."""
    changed = {}
    for key, row in before.items():
        if key not in after:
            changed[key] = "deleted"
            continue
        diff = {name: after[key][name] for name in row if after[key][name] != row[name]}
        if diff:
            changed[key] = diff
    return changed, set(after) - set(before)


class AnyTime:
    def __eq__(self, other):
        return isinstance(other, datetime.datetime)

    def __repr__(self):
        return "<any time>"


def years_ago(years, days=0):
    return NOW - datetime.timedelta(days=round(365.25 * years) + days)


def close(case, *, years, status=Case.Status.CLOSED, actor=None):
    """Close a case, as if `years` years ago."""
    if status == Case.Status.CLOSED_REFERRED:
        services.case_status_change(actor=actor, case=case, status=Case.Status.ACTIVE)
    case = services.case_status_change(
        actor=actor, case=case, status=status, closing_reason="services_provided"
    )
    closed_at = years_ago(years)
    opened_at = min(case.opened_at, closed_at - datetime.timedelta(days=30))
    Case.objects.filter(pk=case.pk).update(opened_at=opened_at, closed_at=closed_at)
    return Case.objects.get(pk=case.pk)


def tip_from_call(advocate, observed, **tip_fields):
    call = call_log(
        advocate=advocate,
        channel="phone",
        caller_type="family_or_friend",
        reason="trafficking_tip",
        region=region("US-TX"),
        summary=f"Caller said: {observed}",
        tip={"observed": observed, "industry": industry("residential"), **tip_fields},
    )
    return call.tip


def raw_dump(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return str(cursor.fetchall())


@pytest.fixture
def world(advocate, organisation):
    """An old closed case with everything, and what must survive around it."""
    w = {}
    # The old case: opened from a tip from a call, closed nine years ago.
    tip = tip_from_call(
        advocate,
        "Marisol Quintero seen locked in the back of Lucky Star Nails",
        address="1200 Elm Street, Houston",
        people_mentioned="Marisol Quintero; a man called Rafa Ibarguen",
    )
    services.identifier_add(actor=advocate, kind="phone", value="(713) 555-0101", tip=tip)
    old = services.case_open_from_tip(
        actor=advocate,
        tip=tip,
        opened_at=years_ago(10),
        summary="Marisol Quintero, 19, held at Lucky Star Nails by Rafa Ibarguen.",
        victim_count=2,
        methods_of_control=[code("vic_MethodsOfControl", "DebtBondage")],
    )
    # Mentioned in the tip after the case was opened: the tip's own identifier.
    services.identifier_add(
        actor=advocate, kind="email", value="rafa.ibarguen@example.com", tip=tip
    )
    victim = services.party_add(
        actor=advocate,
        case=old,
        role=Party.Role.POTENTIAL_VICTIM,
        name="Marisol Quintero",
        aliases="Mari",
        date_of_birth=datetime.date(2000, 4, 2),
        description="Scar on the left hand",
        age_band=Party.AgeBand.AGE_18_20,
        gender=Party.Gender.FEMININE,
        is_minor=False,
        citizenship="MX",
    )
    recruiter = services.party_add(
        actor=advocate, case=old, role=Party.Role.RECRUITER, name="Rafa Ibarguen"
    )
    unnamed = services.party_add(
        actor=advocate,
        case=old,
        role=Party.Role.POTENTIAL_VICTIM,
        age_band=Party.AgeBand.AGE_9_17,
        gender=Party.Gender.FEMININE,
    )
    services.identifier_add(
        actor=advocate, case=old, party=victim, kind="handle", platform="instagram",
        value="@marisol.q.2000",
    )  # fmt: skip
    services.identifier_add(actor=advocate, case=old, kind="phone", value="(713) 555-0199")
    services.note_add(actor=advocate, case=old, text="Spoke with Marisol at the shelter.")
    services.note_add(actor=advocate, case=old, text="Rafa Ibarguen drives a white van.")
    services.venue_add(
        actor=advocate,
        case=old,
        name="Lucky Star Nails",
        industry=industry("illicit_massage_health_beauty"),
        region=region("US-TX"),
        address="1200 Elm Street, Houston",
    )
    referral = services.referral_send(
        actor=advocate,
        case=old,
        organisation=organisation,
        reason="LawEnforcementReport",
        notes="Detective Ana Sorel has the file on Ibarguen.",
        sent_at=years_ago(9, days=30),
    )
    services.referral_respond(
        actor=advocate, referral=referral, status="accepted", responded_at=years_ago(9, days=29)
    )
    services.outcome_record(
        actor=advocate,
        case=old,
        kind="charges_filed",
        occurred_on=years_ago(9, days=20).date(),
        agency="Harris County DA",
        referral=referral,
        notes="Ibarguen charged on two counts.",
    )
    w["old"] = close(old, years=9, actor=advocate)
    w["victim"], w["recruiter"], w["unnamed"], w["referral"] = victim, recruiter, unnamed, referral
    w["tip"], w["call"] = tip, tip.call

    # An old case that shares a tip (and its call) with a case that is kept, open.
    shared_tip = tip_from_call(
        advocate, "Workers from Dalia Renfro's crew sleep in the barn", people_mentioned="Renfro"
    )
    services.identifier_add(
        actor=advocate, kind="handle", platform="facebook", value="dalia.renfro.crew",
        tip=shared_tip,
    )  # fmt: skip
    shared_old = services.case_open_from_tip(
        actor=advocate, tip=shared_tip, opened_at=years_ago(12), summary="Renfro crew, barn."
    )
    services.party_add(
        actor=advocate, case=shared_old, role=Party.Role.EXPLOITER, name="Dalia Renfro"
    )
    w["shared_old"] = close(shared_old, years=8, status=Case.Status.CLOSED_REFERRED, actor=advocate)
    kept = CaseFactory(actor=advocate, summary="Renfro crew again, new farm.")
    services.case_link_tip(actor=advocate, case=kept, tip=shared_tip)
    services.party_add(actor=advocate, case=kept, role=Party.Role.EXPLOITER, name="Dalia Renfro")
    # The same phone as the old case: after erasure only the kept case matches it.
    services.identifier_add(actor=advocate, case=kept, kind="phone", value="+1 713 555 0101")
    w["shared_tip"], w["shared_call"], w["kept"] = shared_tip, shared_tip.call, kept

    # Closed a year ago: kept.
    recent = CaseFactory(actor=advocate, summary="Recent: Joaquin Pell at a car wash.")
    services.party_add(actor=advocate, case=recent, role=Party.Role.SURVIVOR, name="Joaquin Pell")
    services.identifier_add(actor=advocate, case=recent, kind="email", value="jpell@example.com")
    services.note_add(actor=advocate, case=recent, text="Joaquin called back.")
    w["recent"] = close(recent, years=1, actor=advocate)

    # Opened ten years ago and still open: kept.
    old_open = CaseFactory(
        actor=advocate, opened_at=years_ago(10), summary="Long-running: Teodora Vask."
    )
    services.party_add(actor=advocate, case=old_open, role=Party.Role.SURVIVOR, name="Teodora Vask")
    services.note_add(actor=advocate, case=old_open, text="Teodora moved to Dallas.")
    w["old_open"] = old_open
    # A tip from the web form, never linked to a case: outside the policy.
    w["loose_tip"] = tip_submit(
        source=Tip.Source.WEB_FORM, observed="Loose tip about Ines Marr", address="9 Oak Lane"
    )
    return w


def test_the_policy_cut_off_is_the_same_day_seven_years_ago_and_none_when_off(settings):
    assert retention_cutoff(today=datetime.date(2026, 3, 4)) == datetime.date(2019, 3, 4)
    assert retention_cutoff(today=datetime.date(2028, 2, 29)) == datetime.date(2021, 2, 28)
    settings.HOTLINE_RETENTION_YEARS = 0
    assert retention_cutoff() is None
    assert retention_erase(dry_run=False).cutoff is None


def test_retention_erases_the_identities_of_old_closed_cases_and_nothing_else(world):
    old, shared_old = world["old"], world["shared_old"]
    victim, recruiter = world["victim"], world["recruiter"]
    tip, call = world["tip"], world["call"]
    old_identifiers = list(old.identifiers.order_by("pk"))
    tip_only = Identifier.objects.get(tip=tip, case__isnull=True)
    detached = Identifier.objects.get(case=shared_old)
    kept_copy = Identifier.objects.get(case=world["kept"], kind="handle")
    before = snapshot()

    report = retention_erase(dry_run=False)

    changed, added = changes(before, snapshot())
    erased_at = AnyTime()

    def key(obj):
        return (obj._meta.label, obj.pk)

    expected = {
        key(old): {
            "summary": MARKER,
            "version": old.version + 1,
            "identities_erased_at": erased_at,
        },
        key(shared_old): {
            "summary": MARKER,
            "version": shared_old.version + 1,
            "identities_erased_at": erased_at,
        },
        key(victim): {"name": "", "aliases": "", "date_of_birth": None, "description": ""},
        key(recruiter): {"name": ""},
        key(shared_old.parties.get()): {"name": ""},
        key(tip_only): "deleted",
        # The shared tip's identifier stays the tip's: the tip is kept, with its other case.
        key(detached): {"case_id": None},
        key(tip): {"observed": MARKER, "address": "", "people_mentioned": ""},
        key(call): {"summary": MARKER},
        key(old.venues.get()): {"name": MARKER, "address": ""},
        key(world["referral"]): {"notes": MARKER},
        key(old.outcomes.get()): {"notes": MARKER},
        **{key(identifier): "deleted" for identifier in old_identifiers},
        **{key(note): {"text": MARKER} for note in old.notes.all()},
    }
    assert changed == expected
    # Added: one timeline event per erased case, and audit rows; nothing else.
    assert {label for label, _ in added} == {"cases.CaseEvent", "hotline.AuditEntry"}

    events = CaseEvent.objects.filter(pk__in=[pk for label, pk in added if "Event" in label])
    assert sorted(events.values_list("case", "kind")) == sorted(
        [(old.pk, Kind.IDENTITIES_ERASED), (shared_old.pk, Kind.IDENTITIES_ERASED)]
    )
    event = events.get(case=old)
    assert event.actor is None
    assert event.data == {
        "cutoff": retention_cutoff().isoformat(),
        "counts": {
            "parties": 2,
            "identifiers": 4,
            "notes": 2,
            "venues": 1,
            "referrals": 1,
            "outcomes": 1,
            "tips": 1,
            "calls": 1,
        },
        "identifier_kinds": {"email": 1, "handle": 1, "phone": 2},
    }
    audit = AuditEntry.objects.filter(pk__in=[pk for label, pk in added if "Audit" in label])
    rows = Counter(audit.values_list("action", "object_kind", "object_id", "case_id", "user"))
    assert rows == Counter(
        [
            ("update", "case", old.pk, old.pk, None),
            ("update", "party", victim.pk, old.pk, None),
            ("update", "party", recruiter.pk, old.pk, None),
            *[("delete", "identifier", i.pk, old.pk, None) for i in [*old_identifiers, tip_only]],
            *[("update", "note", note.pk, old.pk, None) for note in old.notes.all()],
            ("update", "venue", old.venues.get().pk, old.pk, None),
            ("update", "referral", world["referral"].pk, old.pk, None),
            ("update", "outcome", old.outcomes.get().pk, old.pk, None),
            ("update", "tip", tip.pk, old.pk, None),
            ("update", "call", call.pk, old.pk, None),
            ("update", "case", shared_old.pk, shared_old.pk, None),
            ("update", "party", shared_old.parties.get().pk, shared_old.pk, None),
            ("update", "identifier", detached.pk, shared_old.pk, None),
        ]
    )

    assert report.cases == [old.reference, shared_old.reference]
    assert dict(report.counts) == {
        "cases": 2,
        "parties": 3,
        "identifiers": 4,
        "notes": 2,
        "venues": 1,
        "referrals": 1,
        "outcomes": 1,
        "tips": 1,
        "calls": 1,
    }
    # An erased case matches nothing any more; the kept case still matches its own.
    phone = keyed_hash("+17135550101")
    assert list(Identifier.objects.filter(value_hash=phone).values_list("case", flat=True)) == [
        world["kept"].pk
    ]
    assert Identifier.objects.filter(pk=kept_copy.pk).exists()
    assert Identifier.objects.get(pk=detached.pk).tip == world["shared_tip"]


def test_erased_values_are_gone_from_a_raw_sql_read(world):
    retention_erase(dry_run=False)
    dump = " ".join(
        raw_dump(table)
        for table in (
            "cases_case",
            "cases_party",
            "cases_identifier",
            "cases_note",
            "cases_venue",
            "cases_referral",
            "cases_outcome",
            "hotline_tip",
            "hotline_call",
            "cases_caseevent",
            "hotline_auditentry",
        )
    )
    for erased in (
        "Marisol",
        "Quintero",
        "Ibarguen",
        "Lucky Star",
        "1200 Elm",
        "Ana Sorel",
        "charged on two counts",
        "Renfro crew, barn",
        keyed_hash("+17135550199"),
        keyed_hash("rafa.ibarguen@example.com"),
    ):
        assert erased not in dump, erased
    # The encrypted identity columns of erased parties hold nothing, not even ciphertext.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, aliases, date_of_birth, description FROM cases_party WHERE id = %s",
            [world["victim"].pk],
        )
        assert cursor.fetchone() in {("", "", None, ""), ("", "", "", "")}
    # The plain text of what is kept is still there (the check above can see plain text).
    for kept in ("Renfro crew again", "Teodora moved", "Joaquin called back", "Ines Marr"):
        assert kept in dump, kept


def test_kept_cases_tips_and_calls_keep_everything(world):
    kept_cases = [world["kept"], world["recent"], world["old_open"]]
    before = {case.pk: snapshot_of(case) for case in kept_cases}
    shared_tip = Tip.objects.values().get(pk=world["shared_tip"].pk)
    shared_call = Call.objects.values().get(pk=world["shared_call"].pk)

    retention_erase(dry_run=False)

    assert {case.pk: snapshot_of(case) for case in kept_cases} == before
    assert Tip.objects.values().get(pk=world["shared_tip"].pk) == shared_tip
    assert Call.objects.values().get(pk=world["shared_call"].pk) == shared_call
    assert Party.objects.get(case=world["kept"]).name == "Dalia Renfro"
    assert Tip.objects.get(pk=world["loose_tip"].pk).observed == "Loose tip about Ines Marr"


def snapshot_of(case):
    return {
        "case": Case.objects.values().get(pk=case.pk),
        "parties": [
            (p.name, p.aliases, p.date_of_birth, p.description, p.age_band)
            for p in case.parties.all()
        ],
        "identifiers": list(case.identifiers.values_list("kind", "value_hash")),
        "notes": list(case.notes.values_list("text", flat=True)),
        "events": list(case.events.values_list("kind", flat=True)),
    }


def test_statistics_dimensions_survive_erasure(world):
    old = world["old"]

    def dimensions():
        case = Case.objects.get(pk=old.pk)
        return {
            "case": (
                case.reference,
                case.status,
                case.closing_reason,
                case.priority,
                case.trafficking_type,
                case.industry_id,
                case.region_id,
                case.victim_count,
                case.opened_at,
                case.closed_at,
                case.assignee_id,
                case.team_id,
                case.is_restricted,
            ),
            "methods": list(case.methods_of_control.values_list("code", flat=True)),
            "parties": list(
                case.parties.values_list(
                    "role", "kind", "age_band", "gender", "is_minor", "citizenship"
                )
            ),
            "venues": list(case.venues.values_list("industry", "region")),
            "referrals": list(
                case.referrals.values_list(
                    "organisation",
                    "reason",
                    "status",
                    "sent_at",
                    "responded_at",
                    "shares_identities",
                )
            ),
            "outcomes": list(
                case.outcomes.values_list("kind", "occurred_on", "agency", "referral")
            ),
            "tips": list(case.tips.values_list("pk", "region", "industry", "triage_state")),
            "calls": list(case.calls.values_list("pk", "channel", "caller_type", "started_at")),
            "events": list(case.events.values_list("pk", "kind", "data")),
            "audit": list(AuditEntry.objects.filter(case_id=case.pk).values_list("pk", "action")),
        }

    before = dimensions()
    retention_erase(dry_run=False)
    after = dimensions()
    for name in ("case", "methods", "parties", "venues", "referrals", "outcomes", "tips", "calls"):
        assert after[name] == before[name], name
    assert ("potential_victim", "person", "18-20", "Feminine", False, "MX") in after["parties"]
    # The timeline and the audit trail only grew.
    assert after["events"][: len(before["events"])] == before["events"]
    assert [kind for _, kind, _ in after["events"][len(before["events"]) :]] == [
        Kind.IDENTITIES_ERASED
    ]
    assert set(before["audit"]) < set(after["audit"])


def test_a_dry_run_changes_nothing_and_reports_what_apply_erases(world):
    before = snapshot()
    dry = retention_erase()
    assert dry.dry_run and snapshot() == before
    applied = retention_erase(dry_run=False)
    assert (dry.cases, dict(dry.counts)) == (applied.cases, dict(applied.counts))
    assert dry.cutoff == applied.cutoff == retention_cutoff()


def test_dry_run_and_apply_agree_on_tips_shared_by_old_cases_in_different_batches(advocate):
    tip = tip_from_call(advocate, "Two old cases from one tip: Lena Voss", address="4 Pier Rd")
    first = services.case_open_from_tip(actor=advocate, tip=tip, opened_at=years_ago(11))
    second = CaseFactory(actor=advocate, opened_at=years_ago(11))
    services.case_link_tip(actor=advocate, case=second, tip=tip)
    services.identifier_add(actor=advocate, tip=tip, kind="phone", value="+1 415 555 0100")
    close(first, years=9)
    close(second, years=8)

    dry = retention_erase(batch_size=1)
    applied = retention_erase(dry_run=False, batch_size=1)

    assert dict(dry.counts) == dict(applied.counts)
    assert (applied.counts["tips"], applied.counts["calls"], applied.counts["identifiers"]) == (
        1,
        1,
        1,
    )
    tip.refresh_from_db()
    assert (tip.observed, tip.address) == (MARKER, "")
    assert not Identifier.objects.filter(tip=tip).exists()
    assert Call.objects.get(pk=tip.call_id).summary == MARKER


def test_running_twice_erases_nothing_more_and_writes_no_second_event(world):
    retention_erase(dry_run=False)
    before = snapshot()
    again = retention_erase(dry_run=False)
    assert again.cases == [] and sum(again.counts.values()) == 0
    assert snapshot() == before
    assert world["old"].events.filter(kind=Kind.IDENTITIES_ERASED).count() == 1


def test_a_case_reopened_after_erasure_stays_erased_and_is_erased_again_once_closed_long_enough(
    world, advocate
):
    retention_erase(dry_run=False)
    old = services.case_status_change(actor=advocate, case=world["old"], status="active")
    assert Party.objects.get(pk=world["victim"].pk).name == ""
    assert Case.objects.get(pk=old.pk).summary == MARKER
    services.note_add(actor=advocate, case=old, text="Marisol called again.")
    services.party_update(actor=advocate, party=world["victim"], name="Marisol Q.")

    # Open, or closed recently: what was recorded since it reopened is kept.
    assert retention_erase(dry_run=False).cases == []
    old = close(old, years=0)
    assert retention_erase(dry_run=False).cases == []
    assert Party.objects.get(pk=world["victim"].pk).name == "Marisol Q."

    # Closed long enough again: erased again, with a second event. (The clock moves: closed
    # nine years ago, erased eight years ago, reopened, closed again seven years ago.)
    Case.objects.filter(pk=old.pk).update(
        identities_erased_at=years_ago(8), closed_at=years_ago(7, days=2)
    )
    report = retention_erase(dry_run=False)
    assert report.cases == [old.reference]
    assert (report.counts["parties"], report.counts["notes"]) == (1, 1)
    assert Party.objects.get(pk=world["victim"].pk).name == ""
    assert old.events.filter(kind=Kind.IDENTITIES_ERASED).count() == 2


def test_before_overrides_the_cut_off_and_refuses_a_future_day(world):
    assert retention_erase(before=years_ago(10).date()).cases == []
    report = retention_erase(before=timezone.localdate())
    assert set(report.cases) == {
        world["old"].reference,
        world["shared_old"].reference,
        world["recent"].reference,
    }
    with pytest.raises(Exception, match="future"):
        retention_erase(before=timezone.localdate() + datetime.timedelta(days=1))


def test_the_task_erases_what_is_due(world):
    counts = retention_apply.apply().get()
    assert counts["cases"] == 2
    assert Case.objects.get(pk=world["old"].pk).identities_erased_at is not None
    assert retention_apply.apply().get()["cases"] == 0


def test_the_task_does_nothing_when_the_policy_keeps_everything(world, settings):
    settings.HOTLINE_RETENTION_YEARS = 0
    before = snapshot()
    assert retention_apply.apply().get() == {}
    assert snapshot() == before


def test_the_task_runs_daily_from_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["retention-apply"]
    assert entry["task"] == retention_apply.name == "cases.tasks.retention_apply"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})


def run_command(*args):
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_dry_run_by_default(world):
    before = snapshot()
    output = run_command()
    assert snapshot() == before
    assert "HOTLINE_RETENTION_YEARS=7" in output
    assert f"Cut-off: cases closed before {retention_cutoff().isoformat()}." in output
    assert "Dry run: nothing was changed. Would erase:" in output
    counts = dict(re.findall(r"^  (\S.*?) +([0-9,]+)$", output, re.MULTILINE))
    assert counts == {
        "cases": "2",
        "parties (name, aliases, date of birth, description)": "3",
        "identifiers (deleted)": "4",
        "notes": "2",
        "venues (name, address)": "1",
        "referrals (notes)": "1",
        "outcomes (notes)": "1",
        "tips linked only to erased cases": "1",
        "calls linked only to erased cases (summary)": "1",
    }
    assert f"Cases: {world['old'].reference}, {world['shared_old'].reference}" in output
    assert "Run again with --apply to erase." in output


def test_the_command_erases_with_apply(world):
    output = run_command("--apply")
    assert "Erased:" in output and "Done: identities in 2 cases erased." in output
    assert Case.objects.get(pk=world["old"].pk).identities_erased_at is not None
    assert "Done: identities in 0 cases erased." in run_command("--apply")


def test_the_command_takes_a_one_off_cut_off(world):
    output = run_command("--before", timezone.localdate().isoformat())
    assert "One-off cut-off given with --before" in output
    assert world["recent"].reference in output
    assert not Case.objects.filter(identities_erased_at__isnull=False).exists()


@pytest.mark.parametrize(
    "value", ["2019-13-01", "31/01/2019", "2019-1-31", "yesterday", "", "2019-02-30"]
)
def test_the_command_refuses_a_malformed_cut_off(world, value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_command("--before", value)
    assert not Case.objects.filter(identities_erased_at__isnull=False).exists()


def test_the_command_refuses_a_cut_off_in_the_future(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="cannot be in the future"):
        run_command("--before", tomorrow.isoformat(), "--apply")
    assert not Case.objects.filter(identities_erased_at__isnull=False).exists()


def test_the_command_says_the_policy_is_off(world, settings):
    settings.HOTLINE_RETENTION_YEARS = 0
    assert "The retention policy is off" in run_command("--apply")
    assert not Case.objects.filter(identities_erased_at__isnull=False).exists()


def test_every_count_kind_has_a_label_in_the_command():
    from cases.management.commands.retention import LABELS

    assert set(LABELS) == set(COUNT_KINDS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_erase_each_case_once(advocate):
    from tests.cases.test_concurrency import race

    tips = []
    for number in range(6):
        tip = tip_from_call(advocate, f"Parallel tip {number}", address=f"{number} Mill Rd")
        tips.append(tip)
    cases = []
    for number in range(12):
        case = CaseFactory(actor=advocate, opened_at=years_ago(11), summary=f"Parallel {number}")
        # Every tip is shared by two cases that different workers may take.
        services.case_link_tip(actor=advocate, case=case, tip=tips[number % 6])
        services.party_add(actor=advocate, case=case, role="witness", name=f"Witness {number}")
        cases.append(close(case, years=9))

    results = race(*[lambda: retention_erase(dry_run=False, batch_size=1) for _ in range(4)])

    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(result.counts["cases"] for result in results) == 12
    assert sorted(ref for result in results for ref in result.cases) == sorted(
        case.reference for case in cases
    )
    events = CaseEvent.objects.filter(kind=Kind.IDENTITIES_ERASED)
    assert sorted(events.values_list("case", flat=True)) == sorted(case.pk for case in cases)
    assert not Party.objects.exclude(name="").exists()
    assert set(Tip.objects.values_list("observed", "address")) == {(MARKER, "")}
    assert set(Call.objects.values_list("summary", flat=True)) == {MARKER}
    assert sum(result.counts["tips"] for result in results) == 6
