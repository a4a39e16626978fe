"""Property: after any sequence of creates, updates and deletes of calls, tips, cases, parties,
referrals, outcomes and forwarding deadlines, through every write path (the services, save(),
QuerySet.update(), bulk_create(), delete()), with rollups run at any points in between, every
rollup figure equals the same figure computed row by row from the source tables; rerunning
changes nothing, and the full rebuild agrees."""

import datetime
import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from cases.models import Case, Forwarding, ForwardingRule, Outcome, Party, Referral
from hotline import services as hotline_services
from hotline.models import Call, Industry, Region, Tip
from reports import rollups
from reports.models import DirtyDay
from tests.reports.source import (
    actual,
    expected,
    margins,
    margins_from_daily,
    monthly,
    monthly_from_daily,
    snapshot,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

DAYS = [datetime.date(2026, 3, 1), datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)]
# Hours in UTC: 03:00 UTC is the evening before in Chicago, where the test's days are counted.
HOURS = [0, 3, 12, 23]
REGIONS = ["US-TX", "US-CA", "MX", None]
INDUSTRIES = ["agriculture_animal_husbandry", "escort_services", None]
TYPES = ["sex", "labor", "unknown"]
CALLER_TYPES = ["potential_victim", "survivor", "community_member"]
ROLES = ["potential_victim", "survivor", "recruiter"]
AGE_BANDS = ["9-17", "24-26", "unknown"]
GENDERS = ["Feminine", "Masculine", "NonSpecifiedUnknown"]
REASONS = ["LawEnforcementReport", "AdditionalServicesRequired"]
OUTCOMES = ["investigation_opened", "charges_filed", "conviction"]
# A forwarding's answer, in hours from its deadline: None (not yet), before, on it, after.
ANSWERS = [None, -5, 0, 7]

i = st.integers(min_value=0, max_value=9)
day = st.integers(0, len(DAYS) - 1)
hour = st.sampled_from(HOURS)
reg = st.integers(0, len(REGIONS) - 1)
ind = st.integers(0, len(INDUSTRIES) - 1)
typ = st.sampled_from(TYPES)

OPERATIONS = st.one_of(
    st.tuples(st.just("call"), st.sampled_from(["service", "create", "bulk"]), day, hour, reg,
              st.sampled_from(CALLER_TYPES)),
    st.tuples(st.just("call_update"), i, st.sampled_from(["save", "update"]), day, hour, reg),
    st.tuples(st.just("call_delete"), i),
    st.tuples(st.just("tip"), st.sampled_from(["service", "bulk"]), day, hour, reg, ind, typ),
    st.tuples(st.just("tip_update"), i, day, hour, reg, ind, typ),
    st.tuples(st.just("tip_delete"), i),
    st.tuples(st.just("case"), st.sampled_from(["service", "bulk"]), day, hour, reg, ind, typ,
              st.integers(0, 3)),
    st.tuples(st.just("case_move"), i, st.sampled_from(["service", "update", "save"]), reg, ind,
              typ, st.integers(0, 3)),
    st.tuples(st.just("case_status"), i, st.sampled_from(["service", "update"]), hour),
    st.tuples(st.just("case_delete"), i),
    st.tuples(st.just("party"), i, st.sampled_from(["service", "bulk"]),
              st.sampled_from(ROLES), st.sampled_from(AGE_BANDS), st.sampled_from(GENDERS)),
    st.tuples(st.just("party_update"), i, st.sampled_from(ROLES), st.sampled_from(AGE_BANDS)),
    st.tuples(st.just("party_delete"), i),
    st.tuples(st.just("referral"), i, st.sampled_from(["service", "create"]), day, hour,
              st.sampled_from(REASONS)),
    st.tuples(st.just("referral_update"), i, day, hour, st.sampled_from(REASONS)),
    st.tuples(st.just("referral_delete"), i),
    st.tuples(st.just("outcome"), i, st.sampled_from(["service", "create"]), day,
              st.sampled_from(OUTCOMES)),
    st.tuples(st.just("outcome_update"), i, day, st.sampled_from(OUTCOMES)),
    st.tuples(st.just("outcome_delete"), i),
    st.tuples(st.just("forwarding"), i, st.integers(0, 2), day, hour, st.sampled_from(ANSWERS)),
    st.tuples(st.just("forwarding_update"), i, st.sampled_from(["update", "save"]), day, hour,
              st.sampled_from(ANSWERS)),
    st.tuples(st.just("forwarding_delete"), i),
    st.tuples(st.just("rollup")),
)  # fmt: skip


def at(d, h):
    return datetime.datetime.combine(DAYS[d], datetime.time(h), tzinfo=datetime.UTC)


def answered(due, hours):
    return None if hours is None else due + datetime.timedelta(hours=hours)


def pick(model, index):
    rows = list(model.objects.order_by("pk"))
    return rows[index % len(rows)] if rows else None


class World:
    def __init__(self, advocate, supervisor, organisation):
        self.advocate, self.supervisor, self.organisation = advocate, supervisor, organisation
        self.regions = [Region.objects.get(code=c) if c else None for c in REGIONS]
        self.industries = [Industry.objects.get(code=c) if c else None for c in INDUSTRIES]
        self.numbers = itertools.count(900_000)
        self.rules = list(ForwardingRule.objects.order_by("pk")[:3])

    def apply(self, op):
        kind, *a = op
        if kind == "call":
            path, d, h, r, caller = a
            fields = dict(channel="phone", caller_type=caller, reason="trafficking_tip",
                          started_at=at(d, h), region=self.regions[r])  # fmt: skip
            if path == "service":
                hotline_services.call_log(advocate=self.advocate, **fields)
            elif path == "create":
                Call.objects.create(**fields)
            else:
                Call.objects.bulk_create([Call(**fields), Call(**fields)])
        elif kind == "call_update" and (call := pick(Call, a[0])):
            _, path, d, h, r = a
            if path == "save":
                call.started_at, call.region, call.ended_at = at(d, h), self.regions[r], None
                call.save()
            else:
                Call.objects.filter(pk=call.pk).update(
                    started_at=at(d, h), region=self.regions[r], ended_at=None
                )
        elif kind == "call_delete" and (call := pick(Call, a[0])):
            if not hasattr(call, "tip"):
                call.delete()
        elif kind == "tip":
            path, d, h, r, n, t = a
            fields = dict(observed="Seen at the truck stop.", received_at=at(d, h),
                          region=self.regions[r], industry=self.industries[n],
                          trafficking_type=t)  # fmt: skip
            if path == "service":
                hotline_services.tip_submit(source="web_form", **fields)
            else:
                Tip.objects.bulk_create([Tip(source="web_form", **fields)])
        elif kind == "tip_update" and (tip := pick(Tip, a[0])):
            _, d, h, r, n, t = a
            Tip.objects.filter(pk=tip.pk).update(
                received_at=at(d, h),
                region=self.regions[r],
                industry=self.industries[n],
                trafficking_type=t,
            )
        elif kind == "tip_delete" and (tip := pick(Tip, a[0])):
            tip.delete()
        elif kind == "case":
            path, d, h, r, n, t, victims = a
            fields = dict(opened_at=at(d, h), region=self.regions[r],
                          industry=self.industries[n], trafficking_type=t,
                          victim_count=victims)  # fmt: skip
            if path == "service":
                case_services.case_open(actor=self.supervisor, **fields)
            else:
                reference = f"HT-2026-{next(self.numbers)}"
                Case.objects.bulk_create([Case(reference=reference, **fields)])
        elif kind == "case_move" and (case := pick(Case, a[0])):
            _, path, r, n, t, victims = a
            changes = dict(region=self.regions[r], industry=self.industries[n],
                           trafficking_type=t, victim_count=victims)  # fmt: skip
            if path == "service":
                case_services.case_update(actor=self.supervisor, case=case, **changes)
            elif path == "save":
                for name, value in changes.items():
                    setattr(case, name, value)
                case.save()
            else:
                Case.objects.filter(pk=case.pk).update(**changes)
        elif kind == "case_status" and (case := pick(Case, a[0])):
            _, path, h = a
            closing = case.closed_at is None
            if path == "service":
                status, reason = ("closed", "other") if closing else ("active", "")
                case_services.case_status_change(
                    actor=self.supervisor, case=case, status=status, closing_reason=reason
                )
            elif closing:
                Case.objects.filter(pk=case.pk).update(
                    status="closed",
                    closing_reason="other",
                    closed_at=case.opened_at + datetime.timedelta(hours=h + 1),
                )
            else:
                Case.objects.filter(pk=case.pk).update(
                    status="active", closing_reason="", closed_at=None
                )
        elif kind == "case_delete" and (case := pick(Case, a[0])):
            if not case.events.exists():
                Outcome.objects.filter(case=case).delete()
                case.delete()
        elif kind == "party" and (case := pick(Case, a[0])):
            _, path, role, age_band, gender = a
            if path == "service" and case.identities_erased_at is None:
                case_services.party_add(
                    actor=self.supervisor, case=case, role=role, age_band=age_band, gender=gender
                )
            else:
                Party.objects.bulk_create(
                    [Party(case=case, role=role, age_band=age_band, gender=gender)]
                )
        elif kind == "party_update" and (party := pick(Party, a[0])):
            _, role, age_band = a
            Party.objects.filter(pk=party.pk).update(role=role, age_band=age_band, is_minor=None)
        elif kind == "party_delete" and (party := pick(Party, a[0])):
            party.delete()
        elif kind == "referral" and (case := pick(Case, a[0])):
            _, path, d, h, reason = a
            if path == "service":
                case_services.referral_send(
                    actor=self.supervisor,
                    case=case,
                    organisation=self.organisation,
                    reason=reason,
                    sent_at=at(d, h),
                )
            else:
                Referral.objects.create(
                    case=case, organisation=self.organisation, reason=reason, sent_at=at(d, h)
                )
        elif kind == "referral_update" and (referral := pick(Referral, a[0])):
            _, d, h, reason = a
            Referral.objects.filter(pk=referral.pk).update(sent_at=at(d, h), reason=reason)
        elif kind == "referral_delete" and (referral := pick(Referral, a[0])):
            if not referral.outcomes.exists():
                referral.delete()
        elif kind == "outcome" and (case := pick(Case, a[0])):
            _, path, d, outcome_kind = a
            if path == "service":
                case_services.outcome_record(
                    actor=self.supervisor, case=case, kind=outcome_kind, occurred_on=DAYS[d]
                )
            else:
                Outcome.objects.create(case=case, kind=outcome_kind, occurred_on=DAYS[d])
        elif kind == "outcome_update" and (outcome := pick(Outcome, a[0])):
            _, d, outcome_kind = a
            outcome.occurred_on, outcome.kind = DAYS[d], outcome_kind
            outcome.save()
        elif kind == "outcome_delete" and (outcome := pick(Outcome, a[0])):
            outcome.delete()
        elif kind == "forwarding" and (case := pick(Case, a[0])):
            _, r, d, h, hours = a
            rule = self.rules[r % len(self.rules)]
            if not Forwarding.objects.filter(case=case, rule=rule).exists():
                due = at(d, h)
                Forwarding.objects.create(
                    case=case,
                    rule=rule,
                    organisation_type=rule.organisation_type,
                    matched_at=due - datetime.timedelta(hours=24),
                    due_at=due,
                    completed_at=answered(due, hours),
                )
        elif kind == "forwarding_update" and (row := pick(Forwarding, a[0])):
            _, path, d, h, hours = a
            due = at(d, h)
            changes = dict(matched_at=due - datetime.timedelta(hours=24), due_at=due,
                           completed_at=answered(due, hours))  # fmt: skip
            if path == "save":
                for name, value in changes.items():
                    setattr(row, name, value)
                row.save()
            else:
                Forwarding.objects.filter(pk=row.pk).update(**changes)
        elif kind == "forwarding_delete" and (row := pick(Forwarding, a[0])):
            row.delete()
        elif kind == "rollup":
            rollups.rollup_pending()


@pytest.fixture
def chicago(settings):
    settings.TIME_ZONE = "America/Chicago"


@settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=5, max_size=40))
# The interleavings that matter most, always tried: a case moved (by each path) after its
# victims, referrals and outcomes were rolled up; a party moved between cases' days.
@example(
    operations=[
        ("case", "service", 0, 3, 0, 0, "labor", 2),
        ("party", 0, "service", "potential_victim", "9-17", "Feminine"),
        ("referral", 0, "service", 1, 12, "LawEnforcementReport"),
        ("outcome", 0, "create", 2, "conviction"),
        ("rollup",),
        ("case_move", 0, "update", 1, 1, "sex", 0),
        ("rollup",),
        ("case_move", 0, "service", 2, 2, "labor", 3),
        ("case_status", 0, "update", 23),
    ]
)
@example(
    operations=[
        ("case", "bulk", 0, 0, 0, 0, "labor", 0),
        ("case", "bulk", 2, 23, 1, 1, "sex", 1),
        ("party", 0, "bulk", "survivor", "24-26", "Masculine"),
        ("rollup",),
        ("party_update", 0, "recruiter", "unknown"),
        ("case_delete", 1),
        ("call", "bulk", 0, 3, 3, "survivor"),
        ("rollup",),
        ("call_update", 0, "update", 2, 0, 0),
        ("tip", "bulk", 1, 23, 0, 0, "sex"),
        ("rollup",),
        ("tip_update", 0, 0, 0, 1, 1, "labor"),
        ("referral", 0, "create", 0, 0, "AdditionalServicesRequired"),
        ("rollup",),
        ("referral_update", 0, 2, 12, "LawEnforcementReport"),
        ("outcome", 0, "service", 0, "charges_filed"),
        ("rollup",),
        ("outcome_update", 0, 1, "conviction"),
    ]
)
@example(
    operations=[
        ("case", "service", 0, 3, 0, 0, "sex", 1),
        ("forwarding", 0, 0, 0, 3, None),
        ("forwarding", 0, 1, 1, 23, 7),
        ("rollup",),
        ("forwarding_update", 0, "update", 2, 0, -5),
        ("rollup",),
        ("case_move", 0, "update", 2, 1, "labor", 1),
        ("rollup",),
        ("forwarding_delete", 1),
    ]
)
def test_every_rollup_figure_equals_the_figure_computed_from_the_source_tables(
    chicago, advocate, supervisor, organisation, operations
):
    world = World(advocate, supervisor, organisation)
    with transaction.atomic():
        for op in operations:
            world.apply(op)
        rollups.rollup_pending()
        assert not DirtyDay.objects.exists()
        assert actual() == expected()
        assert monthly() == monthly_from_daily()
        assert margins() == margins_from_daily()
        after = snapshot()
        # Again, with nothing marked, and with every day marked: nothing changes.
        rollups.rollup_pending()
        assert snapshot() == after
        DirtyDay.objects.bulk_create(
            DirtyDay(metric=metric, day=d)
            for metric in rollups.Metric.values
            for d in [*DAYS, *(d + datetime.timedelta(days=1) for d in DAYS)]
        )
        rollups.rollup_pending()
        assert snapshot() == after
        # The nightly reconciliation finds nothing to write after the sweeps; writing every
        # table anew gives the same figures.
        assert rollups.rollup_rebuild() == 0
        assert snapshot() == after
        rollups.rollup_rebuild(rewrite=True)
        assert actual() == expected()
        assert monthly() == monthly_from_daily()
        assert margins() == margins_from_daily()
        transaction.set_rollback(True)
