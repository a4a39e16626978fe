"""seed_demo: synthetic demo data that is the same for the same seed and obeys every rule."""

import datetime
import io
import re
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from cases import demo, demo_data, forwarding, identifiers, services, workflow
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    ClosingReason,
    Forwarding,
    Identifier,
    LinkSuggestion,
    Note,
    Outcome,
    Party,
    Referral,
    TransactionClue,
    Venue,
)
from hotline import services as hotline_services
from hotline.models import (
    Call,
    Industry,
    PartnerOrganisation,
    Region,
    Role,
    Team,
    Tip,
    TraffickingType,
    User,
)

TODAY = "2026-03-01"
MIDNIGHT = timezone.make_aware(datetime.datetime(2026, 3, 1))
SMALL = ("--calls=300", "--cases=40", f"--today={TODAY}")

# Keys of event data that hold row ids, which differ between databases; the rest are codes.
ID_KEYS = {
    "party",
    "identifier",
    "tip",
    "call",
    "venue",
    "note",
    "referral",
    "outcome",
    "organisation",
    "assignee",
    "team",
    "previous_assignee",
    "previous_team",
    "forwarding",
    "rule",
    "transaction_clue",
}


def seed_demo(*args, **options):
    out = io.StringIO()
    # Tests run with DEBUG off, like production: say this database is a throwaway.
    options = {"verbosity": 0, "allow_without_debug": True, **options}
    call_command("seed_demo", *SMALL, *args, stdout=out, **options)
    return out.getvalue()


def _at(value):
    return value.isoformat() if value else None


def ordered(rows):
    # repr, because rows mix None with strings and dates.
    return sorted(rows, key=repr)


def canonical_dump():
    """The rows seed_demo writes, by what they say rather than by id, minus auto timestamps."""
    case_ref = dict(Case.objects.values_list("pk", "reference"))
    tip_ref = dict(Tip.objects.values_list("pk", "reference"))
    return {
        "calls": ordered(
            (
                _at(call.started_at),
                _at(call.ended_at),
                call.channel,
                call.direction,
                call.caller_type,
                call.reason,
                call.language,
                call.region.code if call.region else None,
                call.urgency,
                call.advocate.username if call.advocate else None,
                call.summary,
            )
            for call in Call.objects.select_related("region", "advocate")
        ),
        "tips": ordered(
            (
                tip.reference,
                tip.source,
                _at(tip.received_at),
                tip.triage_state,
                tip.triage_reason,
                tip_ref.get(tip.duplicate_of_id),
                tip.region.code if tip.region else None,
                tip.industry.code if tip.industry else None,
                tip.trafficking_type,
                tip.observed,
                tip.address,
                tip.people_mentioned,
                tip.organisation.name if tip.organisation else None,
                tuple(sorted(code.code for code in tip.indicators.all())),
            )
            for tip in Tip.objects.select_related(
                "region", "industry", "organisation"
            ).prefetch_related("indicators")
        ),
        "cases": ordered(
            (
                case.reference,
                case.status,
                case.closing_reason,
                case.priority,
                case.trafficking_type,
                case.industry.code,
                case.region.code,
                case.victim_count,
                case.assignee.username if case.assignee else None,
                case.team.name if case.team else None,
                case.version,
                case.is_restricted,
                _at(case.opened_at),
                _at(case.closed_at),
                case.summary,
                tuple(sorted(tip.reference for tip in case.tips.all())),
                tuple(sorted(code.code for code in case.methods_of_control.all())),
                tuple(sorted(code.code for code in case.exploitation_types.all())),
            )
            for case in Case.objects.select_related(
                "industry", "region", "assignee", "team"
            ).prefetch_related("tips", "methods_of_control", "exploitation_types")
        ),
        "parties": ordered(
            Party.objects.values_list(
                "case__reference",
                "role",
                "kind",
                "name",
                "aliases",
                "age_band",
                "gender",
                "is_minor",
                "citizenship",
            )
        ),
        "identifiers": ordered(
            (case_ref.get(case_id), tip_ref.get(tip_id), *rest)
            for case_id, tip_id, *rest in Identifier.objects.values_list(
                "case", "tip", "kind", "platform", "value", "normalised", "party__role"
            )
        ),
        "venues": ordered(
            Venue.objects.values_list("case__reference", "name", "industry__code", "address")
        ),
        "referrals": ordered(
            (ref, org, reason, status, _at(sent), _at(due), _at(responded), shares)
            for ref, org, reason, status, sent, due, responded, shares in (
                Referral.objects.values_list(
                    "case__reference",
                    "organisation__name",
                    "reason",
                    "status",
                    "sent_at",
                    "due_at",
                    "responded_at",
                    "shares_identities",
                )
            )
        ),
        "outcomes": ordered(
            Outcome.objects.values_list("case__reference", "kind", "occurred_on", "agency")
        ),
        "notes": ordered(Note.objects.values_list("case__reference", "text")),
        "events": ordered(
            (
                event.case.reference,
                _at(event.at),
                event.kind,
                event.actor.username if event.actor else None,
                tuple(sorted(event.data)),
                tuple(sorted((k, repr(v)) for k, v in event.data.items() if k not in ID_KEYS)),
            )
            for event in CaseEvent.objects.select_related("case", "actor")
        ),
        "counters": ordered(CaseReferenceCounter.objects.values_list("year", "last_number")),
    }


def dump_of_a_seeding(*args):
    """Seed, dump, and roll back: the next seeding starts from the same empty database."""
    with transaction.atomic():
        seed_demo(*args)
        dump = canonical_dump()
        transaction.set_rollback(True)
    return dump


@pytest.fixture
def seeded(db):
    seed_demo()


def test_it_gives_the_same_data_for_the_same_seed(db):
    first = dump_of_a_seeding("--seed=7")
    assert not Case.objects.exists()
    second = dump_of_a_seeding("--seed=7")
    assert len(first["cases"]) == 40
    for table in first:
        assert first[table] == second[table], f"{table} differ between two runs with one seed"


def test_it_gives_different_data_for_a_different_seed(db):
    first = dump_of_a_seeding("--seed=1")
    second = dump_of_a_seeding("--seed=2")
    assert first["calls"] != second["calls"]
    assert first["cases"] != second["cases"]
    assert first["parties"] != second["parties"]


def test_it_loads_the_calls_and_cases_asked_for(seeded):
    assert Call.objects.count() == 300
    assert Case.objects.count() == 40


def test_every_call_that_is_a_tip_has_its_tip(seeded):
    tip_calls = Call.objects.filter(reason=Call.Reason.TRAFFICKING_TIP)
    assert tip_calls.exists()
    assert Tip.objects.filter(source=Tip.Source.CALL).count() == tip_calls.count()
    assert not tip_calls.filter(tip__isnull=True).exists()


def test_calls_are_mostly_from_the_community_and_mostly_by_phone(db):
    seed_demo("--calls=3000", "--cases=10")
    caller_types = Counter(Call.objects.values_list("caller_type", flat=True))
    channels = Counter(Call.objects.values_list("channel", flat=True))
    languages = Counter(Call.objects.values_list("language", flat=True))
    reasons = Counter(Call.objects.values_list("reason", flat=True))
    assert caller_types.most_common(1)[0][0] == Call.CallerType.COMMUNITY_MEMBER
    victims = caller_types[Call.CallerType.POTENTIAL_VICTIM] + caller_types["survivor"]
    assert 0.08 < victims / 3000 < 0.2
    assert channels.most_common(1)[0][0] == Call.Channel.PHONE
    assert channels[Call.Channel.PHONE] > 1500
    assert languages.most_common(2)[1][0] == "es"
    assert 0.06 < languages["es"] / 3000 < 0.16
    assert reasons[Call.Reason.NOT_RELATED] > 0
    first, last = Call.objects.order_by("started_at")[0], Call.objects.order_by("-started_at")[0]
    assert first.started_at >= MIDNIGHT - datetime.timedelta(days=3 * 366)
    assert last.started_at < MIDNIGHT


def test_cases_come_from_states_that_had_hotline_cases(seeded):
    codes = set(Case.objects.values_list("region__code", flat=True))
    assert all(re.fullmatch(r"US-[A-Z]{2}", code) for code in codes)
    # Polaris reported no cases in these in 2024.
    assert not codes & {"US-GU", "US-VI", "US-MP"}


def test_every_state_of_the_polaris_table_maps_to_a_region(db):
    codes = {row["State"]: row["code"] for row in demo.polaris_state_rows()}
    assert len(codes) == len(set(codes.values())) == 55
    assert codes["District of Columbia"] == "US-DC"
    assert codes["U.S. Virgin Islands"] == "US-VI"
    assert codes["Northern Marianas Islands"] == "US-MP"
    assert codes["Guam"] == "US-GU"
    # Guam and the two island territories had no cases, so they get none.
    assert len(demo.polaris_state_weights().values) == 52


def test_trafficking_type_fits_the_industry(seeded):
    allowed = {
        Industry.Form.SEX: {TraffickingType.SEX, TraffickingType.SEX_AND_LABOR},
        Industry.Form.LABOR: {TraffickingType.LABOR, TraffickingType.SEX_AND_LABOR},
        Industry.Form.SEX_AND_LABOR: {
            TraffickingType.SEX,
            TraffickingType.LABOR,
            TraffickingType.SEX_AND_LABOR,
        },
        Industry.Form.UNSPECIFIED: set(TraffickingType),
    }
    for case in Case.objects.select_related("industry"):
        assert case.trafficking_type in allowed[case.industry.form], case.reference


def test_every_case_has_a_created_event_and_a_well_formed_unique_reference(seeded):
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references) == 40
    for case in Case.objects.all():
        assert re.fullmatch(r"HT-\d{4}-\d{6}", case.reference)
        assert case.reference[3:7] == str(timezone.localtime(case.opened_at).year)
        created = case.events.get(kind=CaseEvent.Kind.CREATED)
        assert created.at == case.opened_at
        assert created.data == {"reference": case.reference}


def test_references_count_up_in_order_of_opening_within_each_year(seeded):
    by_year = defaultdict(list)
    for case in Case.objects.order_by("opened_at"):
        by_year[case.reference[3:7]].append(int(case.reference[-6:]))
    for year, numbers in by_year.items():
        assert numbers == list(range(1, len(numbers) + 1)), year
        assert CaseReferenceCounter.objects.get(year=int(year)).last_number == len(numbers)


def test_case_open_carries_on_counting_after_the_seed(seeded):
    last = CaseReferenceCounter.objects.get(year=2026).last_number
    case = services.case_open(actor=None, opened_at=MIDNIGHT)
    assert case.reference == f"HT-2026-{last + 1:06d}"


def test_some_identifiers_are_shared_by_cases_that_write_them_differently(seeded):
    seen = defaultdict(lambda: {"cases": set(), "values": set()})
    for case_id, kind, platform, value, normalised in Identifier.objects.values_list(
        "case", "kind", "platform", "value", "normalised"
    ):
        seen[(kind, platform, normalised)]["cases"].add(case_id)
        seen[(kind, platform, normalised)]["values"].add(value)
    shared = [key for key, found in seen.items() if len(found["cases"]) >= 2]
    assert shared
    assert any(len(seen[key]["values"]) >= 2 for key in shared)
    assert any(kind == Identifier.Kind.PHONE for kind, _platform, _normalised in shared)


def test_identifiers_are_normalised_as_the_services_normalise_them(seeded):
    rows = Identifier.objects.values_list("kind", "platform", "value", "normalised")
    assert {kind for kind, *_rest in rows} >= {"phone", "handle", "business_name"}
    for kind, platform, value, normalised in rows:
        assert identifiers.normalise(kind, value, platform) == normalised


def test_phone_numbers_are_in_the_range_kept_for_fiction(seeded):
    for normalised in Identifier.objects.filter(kind="phone").values_list("normalised", flat=True):
        assert re.fullmatch(r"\+1\d{3}55501\d\d", normalised), normalised


def test_the_demo_partners_organisation_has_referred_cases(seeded):
    partner = User.objects.get(username="partner")
    assert partner.organisation.name == demo_data.DEMO_PARTNER_ORGANISATION
    assert partner.organisation.is_law_enforcement
    assert Referral.objects.filter(organisation=partner.organisation).exists()


def test_referrals_go_to_law_enforcement_and_service_providers(db):
    seed_demo("--calls=500", "--cases=150")
    types = set(Referral.objects.values_list("organisation__type", flat=True))
    assert PartnerOrganisation.Type.LAW_ENFORCEMENT in types
    assert types - {PartnerOrganisation.Type.LAW_ENFORCEMENT}


def test_outcomes_narrow_like_a_funnel(db):
    seed_demo("--calls=500", "--cases=300")
    kinds = Counter(Outcome.objects.values_list("kind", flat=True))
    referred = Case.objects.filter(referrals__isnull=False).distinct().count()
    assert referred > kinds[Outcome.Kind.INVESTIGATION_OPENED] > kinds[Outcome.Kind.CHARGES_FILED]
    assert kinds[Outcome.Kind.CHARGES_FILED] >= kinds[Outcome.Kind.CONVICTION]
    for outcome in Outcome.objects.select_related("referral"):
        assert outcome.referral.case_id == outcome.case_id
        assert outcome.occurred_on < MIDNIGHT.date()


def test_cases_are_spread_over_the_workflow(db):
    seed_demo("--calls=2000", "--cases=600")
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(workflow.Status)


def test_closed_cases_have_a_reason_and_a_closing_time(seeded):
    closed = Case.objects.filter(status__in=workflow.CLOSED_STATUSES)
    assert closed.exists()
    for case in closed:
        assert case.closing_reason
        assert case.opened_at <= case.closed_at < MIDNIGHT
    for case in Case.objects.filter(status__in=workflow.OPEN_STATUSES):
        assert case.closing_reason == "" and case.closed_at is None


def test_status_events_walk_the_workflow_to_the_current_status(seeded):
    for case in Case.objects.all():
        status = workflow.Status.NEW
        for event in case.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED).order_by("at", "pk"):
            assert event.data["previous"] == status
            assert workflow.transition_allowed(status, event.data["status"])
            status = event.data["status"]
        assert status == case.status, case.reference


def test_the_timeline_records_what_was_generated(seeded):
    kinds = Counter(CaseEvent.objects.values_list("kind", flat=True))
    assert kinds[CaseEvent.Kind.CREATED] == Case.objects.count()
    assert kinds[CaseEvent.Kind.PARTY_ADDED] == Party.objects.count()
    assert kinds[CaseEvent.Kind.IDENTIFIER_ADDED] == Identifier.objects.count()
    assert kinds[CaseEvent.Kind.VENUE_ADDED] == Venue.objects.count()
    assert kinds[CaseEvent.Kind.NOTE_ADDED] == Note.objects.count()
    assert kinds[CaseEvent.Kind.REFERRAL_SENT] == Referral.objects.count()
    assert kinds[CaseEvent.Kind.OUTCOME_RECORDED] == Outcome.objects.count()
    assert kinds[CaseEvent.Kind.TIP_LINKED] == Case.tips.through.objects.count()
    assert kinds[CaseEvent.Kind.CALL_LINKED] == Case.calls.through.objects.count()
    assert kinds[CaseEvent.Kind.ASSIGNED] >= Case.objects.filter(assignee__isnull=False).count()
    for event in CaseEvent.objects.select_related("case"):
        assert event.case.opened_at <= event.at < MIDNIGHT


def test_nothing_is_added_to_a_case_after_it_was_closed(seeded):
    # Partners may still answer referrals and record outcomes; the hotline's work has ended.
    work = [
        CaseEvent.Kind.PARTY_ADDED,
        CaseEvent.Kind.IDENTIFIER_ADDED,
        CaseEvent.Kind.VENUE_ADDED,
        CaseEvent.Kind.NOTE_ADDED,
        CaseEvent.Kind.REFERRAL_SENT,
    ]
    for case in Case.objects.filter(status__in=workflow.CLOSED_STATUSES):
        assert not case.events.filter(kind__in=work, at__gt=case.closed_at).exists()


def test_events_carry_ids_and_codes_but_no_names(seeded):
    names = set(Party.objects.exclude(name="").values_list("name", flat=True))
    names |= set(Identifier.objects.values_list("value", flat=True))
    for data in CaseEvent.objects.values_list("data", flat=True):
        for key, value in data.items():
            if key in ID_KEYS:
                assert value is None or isinstance(value, int), (key, value)
        assert not names & set(scalars(data)), data


def scalars(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from scalars(item)
    else:
        yield value


def test_tips_that_cases_came_from_are_marked_linked(seeded):
    linked = Tip.objects.filter(cases__isnull=False)
    assert linked.exists()
    assert set(linked.values_list("triage_state", flat=True)) == {Tip.TriageState.LINKED}
    assert not Tip.objects.filter(cases__isnull=True, triage_state=Tip.TriageState.LINKED).exists()
    for case in Case.objects.prefetch_related("tips", "calls"):
        call_ids = {call.pk for call in case.calls.all()}
        for tip in case.tips.all():
            assert tip.call_id is None or tip.call_id in call_ids


def test_duplicate_tips_point_at_an_original(db):
    seed_demo("--calls=5000", "--cases=10")
    duplicates = Tip.objects.filter(triage_state=Tip.TriageState.DUPLICATE)
    assert duplicates.exists()
    assert not duplicates.filter(duplicate_of__triage_state=Tip.TriageState.DUPLICATE).exists()
    for tip in duplicates.select_related("duplicate_of"):
        assert tip.duplicate_of.received_at <= tip.received_at
        assert tip.duplicate_of.region_id == tip.region_id


def test_victims_have_demographics_and_perpetrators_have_roles(seeded):
    victims = Party.objects.filter(role__in=Party.VICTIM_ROLES)
    assert victims.exclude(age_band=Party.AgeBand.UNKNOWN).exists()
    assert victims.exclude(gender=Party.Gender.UNKNOWN).exists()
    assert victims.exclude(citizenship="").exists()
    perpetrator_roles = set(
        Party.objects.exclude(role__in=Party.VICTIM_ROLES).values_list("role", flat=True)
    )
    assert {Party.Role.EXPLOITER, Party.Role.RECRUITER} <= perpetrator_roles


def test_it_creates_the_demo_accounts_and_prints_them(db):
    out = seed_demo(verbosity=1, quiet=True)
    rows = account_rows(out)
    for account in demo_data.DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.role == Role(account.role)
        assert user.check_password(account.password)
        assert user.language == account.language
        assert rows[account.username].split() == [
            account.role,
            account.username,
            account.password,
        ]
    assert "existed already" not in out
    assert "calls:" not in out  # --quiet leaves out the progress, not the accounts
    teams = set(User.objects.filter(team__isnull=False).values_list("team__name", flat=True))
    assert len(teams) >= 2
    assert len(set(PartnerOrganisation.objects.values_list("type", flat=True))) >= 4


def test_it_reports_progress_by_stage(db):
    out = seed_demo(verbosity=1)
    assert "calls: 300/300" in out
    assert "cases: 40/40" in out


def test_it_refuses_to_run_without_debug_unless_told_the_database_is_a_throwaway(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published passwords"):
        seed_demo(allow_without_debug=False)
    assert not Call.objects.exists()
    assert not User.objects.filter(username="admin").exists()


def test_it_refuses_a_database_that_already_has_data(seeded):
    with pytest.raises(CommandError, match="already has calls or cases"):
        seed_demo()
    assert Case.objects.count() == 40


def test_with_if_empty_it_keeps_the_data_and_the_accounts_as_they_are(seeded):
    advocate = User.objects.get(username="advocate")
    advocate.set_password("someone-changed-it-99")
    advocate.save()
    User.objects.filter(username="kim").update(username="kim-who-left")
    out = seed_demo("--if-empty", verbosity=1)
    assert "demo data already present" in out
    assert Case.objects.count() == 40
    assert Call.objects.count() == 300
    assert User.objects.get(username="advocate").check_password("someone-changed-it-99")
    assert User.objects.get(username="kim").check_password("advocate-demo-2026")
    rows = account_rows(out)
    assert "advocate-demo-2026" in rows["kim"]
    assert "password was left as it was" not in rows["kim"]
    assert "existed already: its password was left as it was" in rows["advocate"]


def account_rows(out):
    """The lines of the printed account table, by username."""
    usernames = {account.username for account in demo_data.DEMO_ACCOUNTS}
    words = [(line.split()[1:2], line) for line in out.splitlines()]
    return {found[0]: line for found, line in words if found and found[0] in usernames}


def admin_of_a_real_hotline():
    """An account called admin that is not the demo's: another password, team and role."""
    team = Team.objects.create(name="Operations")
    user = hotline_services.user_create(
        username="admin",
        password="a-real-hotline-admin-31",
        role=Role.SUPERVISOR,
        team=team,
        email="it@hotline.example.net",
        first_name="Robin",
    )
    return User.objects.get(pk=user.pk)


def assert_left_as_it_was(before):
    after = User.objects.get(pk=before.pk)
    assert after.check_password("a-real-hotline-admin-31")
    assert not after.check_password("admin-demo-2026")
    assert after.password == before.password
    assert after.role == Role.SUPERVISOR
    assert set(after.groups.all()) == set(before.groups.all())
    fields = ["team_id", "organisation_id", "is_staff", "is_superuser", "is_active"]
    fields += ["email", "first_name", "last_name", "language"]
    for name in fields:
        assert getattr(after, name) == getattr(before, name), name


def test_a_fresh_seed_leaves_an_existing_account_as_it_was(db):
    before = admin_of_a_real_hotline()
    out = seed_demo(verbosity=1, quiet=True)
    assert Case.objects.count() == 40
    assert_left_as_it_was(before)
    assert "existed already: its password was left as it was" in account_rows(out)["admin"]
    assert User.objects.get(username="supervisor").check_password("supervisor-demo-2026")


def test_if_empty_leaves_an_existing_account_as_it_was(seeded):
    User.objects.get(username="admin").delete()
    before = admin_of_a_real_hotline()
    seed_demo("--if-empty", verbosity=1)
    assert_left_as_it_was(before)


def test_with_if_empty_it_seeds_an_empty_database(db):
    seed_demo("--if-empty")
    assert Case.objects.count() == 40


def test_a_seeded_case_can_be_worked_through_the_services(seeded):
    advocate = User.objects.get(username="advocate")
    case = Case.objects.filter(status=workflow.Status.CLOSED).first()
    case = services.case_status_change(actor=advocate, case=case, status=workflow.Status.ACTIVE)
    assert case.status == workflow.Status.ACTIVE


def event_shapes(events):
    """The key sets of the events' data, by kind."""
    shapes = defaultdict(set)
    for kind, data in events.values_list("kind", "data"):
        shapes[kind].add(tuple(sorted(data)))
    return shapes


def work_a_case_through_the_services(actor, colleague):
    """Everything seed_demo puts on a timeline, done once the way an advocate does it."""
    texas = Region.objects.get(code="US-TX")
    massage = Industry.objects.get(code="illicit_massage_health_beauty")
    call = hotline_services.call_log(
        advocate=actor,
        channel=Call.Channel.PHONE,
        caller_type=Call.CallerType.COMMUNITY_MEMBER,
        reason=Call.Reason.TRAFFICKING_TIP,
        started_at=MIDNIGHT - datetime.timedelta(hours=3),
        region=texas,
        tip={"observed": "Women live at a spa and never leave alone.", "industry": massage},
    )
    services.identifier_add(actor=actor, kind="phone", value="(202) 555-0143", tip=call.tip)
    case = services.case_open_from_tip(actor=actor, tip=call.tip, assignee=actor)
    case = services.case_status_change(actor=actor, case=case, status=workflow.Status.ACTIVE)
    case = services.case_assign(actor=actor, case=case, assignee=colleague)
    case = services.case_update(actor=actor, case=case, priority=case.priority + 1)
    victim = services.party_add(actor=actor, case=case, role=Party.Role.POTENTIAL_VICTIM)
    services.identifier_add(
        actor=actor, case=case, party=victim, kind="email", value="someone@example.com"
    )
    services.venue_add(actor=actor, case=case, name="Golden Lotus Spa", industry=massage)
    account = services.identifier_add(
        actor=colleague, case=case, kind="payment_account", value="$GoldenLotus7"
    )
    services.transaction_clue_add(
        actor=colleague, identifier=account, amount="120.00", currency="USD", direction="received"
    )
    # A minor among the victims: the rule for minors in commercial sex refers the case to
    # Texas law enforcement with a deadline; it passes unanswered, then the partner answers.
    case = services.case_update(actor=colleague, case=case, trafficking_type=TraffickingType.SEX)
    services.party_add(
        actor=colleague, case=case, role=Party.Role.POTENTIAL_VICTIM, age_band="9-17"
    )
    (due,) = forwarding.forwarding_evaluate(case=case)
    forwarding.deadline_notices_send(now=due.due_at + datetime.timedelta(minutes=1))
    services.referral_respond(actor=None, referral=due.referral, status=Referral.Status.ACCEPTED)
    forwarding.forwardings_complete()
    services.note_add(actor=actor, case=case, text="Safety planning discussed.")
    task_force = PartnerOrganisation.objects.get(name=demo_data.DEMO_PARTNER_ORGANISATION)
    referral = services.referral_send(
        actor=actor,
        case=case,
        organisation=task_force,
        reason=Referral.Reason.LAW_ENFORCEMENT_REPORT,
    )
    referral = services.referral_respond(
        actor=actor, referral=referral, status=Referral.Status.ACCEPTED
    )
    services.outcome_record(
        actor=actor,
        case=case,
        referral=referral,
        kind=Outcome.Kind.INVESTIGATION_OPENED,
        occurred_on=MIDNIGHT.date() - datetime.timedelta(days=1),
    )
    services.case_status_change(
        actor=actor,
        case=case,
        status=workflow.Status.CLOSED_REFERRED,
        closing_reason=ClosingReason.REFERRED_TO_LAW_ENFORCEMENT,
    )


def test_seeded_events_have_the_keys_the_services_write(seeded):
    seeded_shapes = event_shapes(CaseEvent.objects.all())
    seeded_ids = list(CaseEvent.objects.values_list("pk", flat=True))
    work_a_case_through_the_services(
        User.objects.get(username="advocate"), User.objects.get(username="kim")
    )
    service_shapes = event_shapes(CaseEvent.objects.exclude(pk__in=seeded_ids))
    # Kind by kind, the same key sets; identifier_added has two (found in a tip, or not).
    # A kind the seed starts writing needs its service call above.
    assert set(seeded_shapes) == set(service_shapes)
    for kind, shapes in seeded_shapes.items():
        assert shapes == service_shapes[kind], kind


# --- The demo operation and the forwarding deadlines (docs/demo-data.md) ------------------------


def operation_cases():
    summaries = {spec["summary"] for spec in demo_data.OPERATION_CASES}
    return list(Case.objects.filter(summary__in=summaries).order_by("opened_at"))


def test_the_demo_operation_is_four_recent_texas_cases_among_those_asked_for(seeded):
    cases = operation_cases()
    assert len(cases) == len(demo_data.OPERATION_CASES) == 4
    assert Case.objects.count() == 40
    assert {case.region.code for case in cases} == {"US-TX"}
    assert {case.trafficking_type for case in cases} == {TraffickingType.SEX}
    assert all(case.status in workflow.OPEN_STATUSES for case in cases)
    assert all(MIDNIGHT - case.opened_at < datetime.timedelta(days=80) for case in cases)
    assert {case.assignee.username for case in cases} == {"advocate"}


def test_the_operation_writes_one_phone_differently_in_three_cases(seeded):
    cases = operation_cases()
    phones = Identifier.objects.filter(case__in=cases, kind="phone")
    assert phones.count() == 3
    assert len(set(phones.values_list("value", flat=True))) == 3
    assert len(set(phones.values_list("value_hash", flat=True))) == 1


def test_the_operation_has_a_recruiter_a_driver_a_motel_and_a_minor(seeded):
    parties = Party.objects.filter(case__in=operation_cases())
    roles = set(parties.values_list("role", flat=True))
    assert {"recruiter", "transporter", "exploiter", "potential_victim"} <= roles
    assert parties.filter(is_minor=True, role="potential_victim").count() == 1
    assert Venue.objects.filter(case__in=operation_cases()).count() == 3


def test_the_operation_waits_in_the_link_suggestions_for_a_supervisor(seeded):
    ids = {case.pk for case in operation_cases()}
    suggestions = LinkSuggestion.objects.all()
    assert suggestions.exists()
    assert set(suggestions.values_list("state", flat=True)) == {"open"}
    pairs = {(a, b) for a, b in suggestions.values_list("case_a", "case_b")}
    # Every operation case is linked to another; nothing else is matched by the seed.
    assert {case for pair in pairs for case in pair} == ids
    kinds = set(suggestions.values_list("kind", flat=True))
    assert {"identifier", "party_name", "venue_name"} <= kinds


def test_the_operations_payment_account_carries_transaction_clues(seeded):
    clues = TransactionClue.objects.filter(identifier__case__in=operation_cases())
    assert clues.count() == len(demo_data.OPERATION_TRANSACTIONS)
    assert {clue.identifier.kind for clue in clues} == {"payment_account"}
    assert all(clue.amount > 0 and clue.currency == "USD" for clue in clues)


def test_the_minors_case_waits_on_an_overdue_referral_to_texas_law_enforcement(seeded):
    minors_case = operation_cases()[-1]
    (row,) = Forwarding.objects.filter(case=minors_case)
    assert row.completed_at is None and row.due_at < MIDNIGHT
    assert row.referral.organisation.name == "Texas Anti-Trafficking Unit (demo)"
    assert row.referral.due_at == row.due_at and row.referral.responded_at is None
    assert row.overdue_notified_at is not None


def test_forwardings_follow_the_rules_and_are_answered_on_time_late_or_not_yet(db):
    seed_demo("--cases=400", "--calls=400")
    rows = list(Forwarding.objects.select_related("case", "rule", "referral"))
    assert len(rows) >= 10
    for row in rows:
        # What cases/forwarding.py would have decided for the case.
        assert forwarding.rule_matches(row.rule, forwarding.case_facts(row.case))
        assert row.due_at == row.matched_at + datetime.timedelta(hours=row.rule.due_within_hours)
        assert row.case.opened_at <= row.matched_at <= (row.case.closed_at or MIDNIGHT)
        assert row.referral.sent_at == row.matched_at and row.referral.sent_by is None
        assert row.completed_at == row.referral.responded_at
    on_time = [row for row in rows if row.completed_at and row.completed_at <= row.due_at]
    late = [row for row in rows if row.completed_at and row.completed_at > row.due_at]
    waiting = [row for row in rows if row.completed_at is None]
    assert on_time and late and waiting
    # The sweep, run now, finds every rule applied already: nothing new, nothing doubled.
    for case in Case.objects.filter(forwardings__isnull=False, status__in=workflow.OPEN_STATUSES):
        assert forwarding.forwarding_evaluate(case=case, now=MIDNIGHT) == []


def test_the_statistics_chart_forwardings_after_the_rollup(db):
    from reports import charts, rollups
    from reports.models import Rollup

    seed_demo("--cases=400", "--calls=400")
    rollups.rollup_pending()
    assert Rollup.objects.filter(metric="forwardings").exists()
    chart = charts.forwarding_on_time(
        charts.Filters(date_from=datetime.date(2023, 3, 1), date_to=datetime.date(2026, 3, 1)),
        today=datetime.date(2026, 3, 1),
    )
    due = sum(row[1] for row in chart["rows"])
    on_time = sum(row[2] for row in chart["rows"])
    assert due > 0 and 0 < on_time < due
