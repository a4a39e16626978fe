"""Triggers mark every change, whatever path made it; the rollup recomputes exactly what the
source tables say; rerunning it changes nothing."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Outcome, Party, Referral
from hotline import services as hotline_services
from hotline.models import Call, Tip
from reports import rollups, triggers
from reports.models import DirtyDay, Rollup
from tests.factories import CallFactory, CaseFactory, industry, region
from tests.reports.source import actual, expected, monthly, monthly_from_daily, snapshot

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LAST_WEEK = NOW - datetime.timedelta(days=7)


def marks():
    return set(DirtyDay.objects.values_list("metric", "day"))


def utc_day(moment):
    return moment.astimezone(datetime.UTC).date()


def test_every_trigger_exists_after_migrate():
    assert set(triggers.trigger_names()[connection.vendor]) <= triggers.installed()


def test_a_migrate_puts_back_a_trigger_a_table_rebuild_dropped():
    triggers.uninstall()
    assert not triggers.installed()
    call_command("migrate", verbosity=0)
    assert set(triggers.trigger_names()[connection.vendor]) <= triggers.installed()


def test_a_call_logged_through_the_service_marks_its_day(advocate):
    call = CallFactory(advocate=advocate, started_at=LAST_WEEK)
    assert marks() == {("calls", utc_day(call.started_at))}


def test_bulk_create_and_queryset_update_mark_the_old_and_the_new_day(advocate):
    Call.objects.bulk_create(
        [Call(channel="sms", caller_type="anonymous", reason="crisis", started_at=LAST_WEEK)]
    )
    DirtyDay.objects.all().delete()
    Call.objects.update(started_at=NOW)
    assert marks() == {("calls", utc_day(LAST_WEEK)), ("calls", utc_day(NOW))}


def test_a_deleted_case_marks_the_days_of_its_parties_referrals_and_outcomes(organisation):
    (case,) = Case.objects.bulk_create(
        [Case(reference="HT-2026-900001", region=region("US-TX"), opened_at=LAST_WEEK)]
    )
    Party.objects.create(case=case, role="potential_victim")
    Referral.objects.create(
        case=case, organisation=organisation, reason="LawEnforcementReport", sent_at=NOW
    )
    Outcome.objects.create(case=case, kind="conviction", occurred_on=NOW.date())
    rollups.rollup_pending()
    assert Rollup.objects.filter(metric="victims").exists()
    case.delete()
    assert {metric for metric, _ in marks()} >= {
        "cases_opened",
        "victims",
        "referrals",
        "outcomes",
    }
    rollups.rollup_pending()
    assert not Rollup.objects.exists()


def test_a_change_that_rolls_back_leaves_no_mark(advocate):
    with pytest.raises(RuntimeError), transaction.atomic():
        CallFactory(advocate=advocate)
        raise RuntimeError
    assert not DirtyDay.objects.exists()


def test_moving_a_case_moves_its_victims_referrals_and_outcomes(supervisor, organisation):
    case = CaseFactory(actor=supervisor, opened_at=LAST_WEEK, victim_count=4)
    case_services.party_add(
        actor=supervisor, case=case, role="potential_victim", age_band="9-17", gender="Feminine"
    )
    case_services.referral_send(
        actor=supervisor, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    case_services.outcome_record(
        actor=supervisor, case=case, kind="investigation_opened", occurred_on=NOW.date()
    )
    rollups.rollup_pending()
    assert actual() == expected()
    case_services.case_update(
        actor=supervisor,
        case=case,
        region=region("US-NY"),
        industry=industry("escort_services"),
        trafficking_type="sex",
    )
    rollups.rollup_pending()
    assert actual() == expected()
    assert monthly() == monthly_from_daily()
    texas_rows = Rollup.objects.filter(region=region("US-CA"))
    assert not texas_rows.exists()
    assert set(Rollup.objects.values_list("metric", flat=True)) == {
        "cases_opened",
        "victims",
        "referrals",
        "outcomes",
    }
    assert Rollup.objects.get(metric="outcomes").trafficking_type == "sex"


def test_closing_and_reopening_a_case_counts_its_closing_day_then_forgets_it(supervisor):
    case = CaseFactory(actor=supervisor)
    case_services.case_status_change(actor=supervisor, case=case, status="active")
    case_services.case_status_change(
        actor=supervisor, case=case, status="closed", closing_reason="unable_to_contact"
    )
    rollups.rollup_pending()
    assert Rollup.objects.filter(metric="cases_closed").count() == 1
    case_services.case_status_change(actor=supervisor, case=Case.objects.get(), status="active")
    rollups.rollup_pending()
    assert not Rollup.objects.filter(metric="cases_closed").exists()
    assert actual() == expected()


def test_a_rerun_changes_nothing_and_the_full_rebuild_agrees(advocate, supervisor):
    CallFactory(advocate=advocate, caller_type="potential_victim", region=region("US-TX"))
    hotline_services.tip_submit(
        source=Tip.Source.WEB_FORM, observed="Workers locked in a warehouse at night."
    )
    CaseFactory(actor=supervisor, victim_count=2)
    rollups.rollup_pending()
    before = snapshot()
    assert actual() == expected()
    DirtyDay.objects.bulk_create(DirtyDay(metric=m, day=NOW.date()) for m in ("calls", "tips"))
    rollups.rollup_pending()
    assert snapshot() == before
    rollups.rollup_rebuild()
    assert snapshot() == before
    assert not DirtyDay.objects.exists()
    assert monthly() == monthly_from_daily()


def test_the_rollup_command_runs_the_same_code(advocate, capsys):
    CallFactory(advocate=advocate)
    call_command("rollup")
    assert Rollup.objects.get(metric="calls").count == 1
    call_command("rollup", "--full")
    assert Rollup.objects.get(metric="calls").count == 1
    assert "Reconciled" in capsys.readouterr().out
    call_command("rollup", "--full", "--rewrite")
    assert Rollup.objects.get(metric="calls").count == 1
    assert "Rebuilt" in capsys.readouterr().out


def test_days_follow_the_configured_time_zone(settings, advocate):
    settings.TIME_ZONE = "America/Los_Angeles"
    # 03:00 UTC on the 10th is the evening of the 9th in California.
    started = datetime.datetime(2026, 3, 10, 3, 0, tzinfo=datetime.UTC)
    CallFactory(advocate=advocate, started_at=started)
    rollups.rollup_pending()
    assert Rollup.objects.get().day == datetime.date(2026, 3, 9)
    assert actual() == expected()


def test_the_rollup_tasks_retry_after_a_deadlock_or_lock_timeout():
    from django.db import OperationalError

    from reports import tasks

    for task in (tasks.rollup_sweep, tasks.rollup_rebuild, tasks.rollup_rewrite):
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff and task.max_retries
