"""Forwarding rules, deadlines and notices (cases/forwarding.py, docs/forwarding.md)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from cases import forwarding, selectors, services, tasks
from cases.models import CaseEvent, Forwarding, ForwardingRule, Referral
from hotline.models import PartnerOrganisation, Region
from tests.factories import CaseFactory, PartyFactory, region

pytestmark = pytest.mark.django_db

MINOR_SEX = "Minor in commercial sex: law enforcement within 24 hours"


@pytest.fixture
def rules(db):
    """The seeded rules (cases/migrations/0007); created again after a flush."""
    from cases.migrations import __name__ as _  # noqa: F401

    defaults = {
        MINOR_SEX: {
            "trafficking_type": "sex",
            "requires_minor_victim": True,
            "organisation_type": "LawEnforcement",
            "due_within_hours": 24,
        },
        "Imminent danger: law enforcement immediately": {
            "requires_imminent_danger": True,
            "organisation_type": "LawEnforcement",
            "due_within_hours": 0,
        },
    }
    return {
        name: ForwardingRule.objects.get_or_create(name=name, defaults=values)[0]
        for name, values in defaults.items()
    }


@pytest.fixture
def supervisor_mail(supervisor):
    supervisor.email = "sam@hotline.example"
    supervisor.save()
    return supervisor


def minor_sex_case(actor, code="US-TX"):
    case = CaseFactory(actor=actor, trafficking_type="sex", region=region(code))
    PartyFactory(actor=actor, case=case, age_band="9-17", name="A child")
    return case


def test_the_three_rules_of_the_issue_are_seeded():
    assert ForwardingRule.objects.filter(is_active=True).count() >= 3
    assert ForwardingRule.objects.get(name__startswith="Imminent").due_within_hours == 0


def test_a_rule_creates_a_referral_with_the_right_due_time(rules, supervisor, organisation):
    case = minor_sex_case(supervisor)
    now = timezone.now()

    created = forwarding.forwarding_evaluate(case=case, now=now)

    assert [f.rule.name for f in created] == [MINOR_SEX]
    referral = Referral.objects.get(case=case)
    assert referral.organisation == organisation
    assert referral.due_at == now + datetime.timedelta(hours=24)
    assert created[0].referral == referral and created[0].due_at == referral.due_at
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert event.data["fields"] == ["forwarding"] and event.data["referral"] == referral.pk


def test_a_rule_applies_once_per_case(rules, supervisor, organisation):
    case = minor_sex_case(supervisor)
    forwarding.forwarding_evaluate(case=case)
    forwarding.forwarding_evaluate(case=case)
    tasks.forwarding_sweep()
    assert Referral.objects.filter(case=case).count() == 1


def test_adding_a_minor_victim_evaluates_the_rules_after_commit(
    rules, supervisor, organisation, django_capture_on_commit_callbacks
):
    case = CaseFactory(actor=supervisor, trafficking_type="sex", region=region("US-TX"))
    assert not Forwarding.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        PartyFactory(actor=supervisor, case=case, age_band="0-8")
    assert Forwarding.objects.get().referral.organisation == organisation


def test_a_case_that_does_not_meet_the_conditions_is_not_forwarded(rules, supervisor):
    adult = CaseFactory(actor=supervisor, trafficking_type="sex")
    PartyFactory(actor=supervisor, case=adult, age_band="24-26")
    labor = CaseFactory(actor=supervisor, trafficking_type="labor")
    PartyFactory(actor=supervisor, case=labor, age_band="9-17")
    for case in (adult, labor):
        assert forwarding.forwarding_evaluate(case=case) == []


def test_the_nearest_organisation_of_the_type_is_chosen(supervisor, organisation):
    national = PartnerOrganisation.objects.create(
        name="Federal Task Force", type="LawEnforcement", region=Region.objects.get(code="US")
    )
    texas_case = CaseFactory(actor=supervisor, region=region("US-TX"))
    california_case = CaseFactory(actor=supervisor, region=region("US-CA"))
    assert forwarding.organisation_for(texas_case, "LawEnforcement") == organisation
    assert forwarding.organisation_for(california_case, "LawEnforcement") == national
    assert forwarding.organisation_for(california_case, "NGO") is None


def test_with_no_partner_for_the_region_forwarding_is_needed_until_one_is_referred(
    rules, supervisor, organisation
):
    case = minor_sex_case(supervisor, code="US-CA")
    (needed,) = forwarding.forwarding_evaluate(case=case)
    assert needed.referral is None
    rows = selectors.deadline_queue(supervisor, now=needed.due_at - datetime.timedelta(hours=1))
    assert [row.pk for row in rows["due_soon"]] == [needed.pk]

    referral = services.referral_send(
        actor=supervisor, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    tasks.forwarding_sweep()
    needed.refresh_from_db()
    assert needed.referral == referral


def test_an_overdue_referral_is_in_the_queue_and_notified_once(
    rules, supervisor_mail, organisation
):
    case = minor_sex_case(supervisor_mail)
    long_ago = timezone.now() - datetime.timedelta(hours=30)
    (late,) = forwarding.forwarding_evaluate(case=case, now=long_ago)

    rows = selectors.deadline_queue(supervisor_mail)
    assert [row.pk for row in rows["overdue"]] == [late.pk]
    for _ in range(3):
        tasks.forwarding_sweep()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert case.reference in message.subject and "overdue" in message.subject.lower()
    assert message.to == ["sam@hotline.example"]
    assert "A child" not in message.body
    assert CaseEvent.objects.filter(case=case, data__changes__forwarding=["due", "overdue"])


def test_a_deadline_near_is_warned_once_and_once_more_when_it_passes(
    rules, supervisor_mail, organisation, settings
):
    settings.HOTLINE_DEADLINE_WARNING_HOURS = 4
    case = minor_sex_case(supervisor_mail)
    matched = timezone.now() - datetime.timedelta(hours=21)
    (soon,) = forwarding.forwarding_evaluate(case=case, now=matched)
    forwarding.deadline_notices_send()
    forwarding.deadline_notices_send()
    assert [m.subject for m in mail.outbox] == [f"Forwarding due soon: {case.reference}"]
    forwarding.deadline_notices_send(now=soon.due_at + datetime.timedelta(minutes=1))
    forwarding.deadline_notices_send(now=soon.due_at + datetime.timedelta(hours=2))
    assert len(mail.outbox) == 2 and "overdue" in mail.outbox[1].subject


def test_an_answer_completes_the_forwarding_with_its_lateness(
    rules, supervisor, organisation, partner
):
    case = minor_sex_case(supervisor)
    start = timezone.now() - datetime.timedelta(hours=30)
    (late,) = forwarding.forwarding_evaluate(case=case, now=start)
    services.referral_respond(actor=partner, referral=late.referral, status="accepted")
    tasks.forwarding_sweep()
    tasks.forwarding_sweep()
    late.refresh_from_db()
    assert late.completed_at is not None and late.is_late
    (event,) = CaseEvent.objects.filter(
        case=case, data__fields=["forwarding"], data__late_seconds__gt=0
    )
    assert event.data["late_seconds"] >= 6 * 3600 - 60
    assert selectors.deadline_queue(supervisor)["overdue"] == []


def test_on_time_forwarding_by_month_counts_each_forwarding(rules, supervisor, organisation):
    on_time = minor_sex_case(supervisor)
    (first,) = forwarding.forwarding_evaluate(case=on_time)
    services.referral_respond(actor=supervisor, referral=first.referral, status="accepted")
    forwarding.forwardings_complete()
    overdue = minor_sex_case(supervisor)
    forwarding.forwarding_evaluate(case=overdue, now=timezone.now() - datetime.timedelta(days=2))

    rows = selectors.forwarding_on_time_by_month()
    assert sum(row["total"] for row in rows) == 2
    assert sum(row["on_time"] for row in rows) == 1
    assert sum(row["late"] for row in rows) == 1


def test_consent_makes_an_adult_labor_case_meet_its_rule(supervisor, organisation):
    rule = ForwardingRule.objects.get(name__startswith="Adult labor")
    case = CaseFactory(actor=supervisor, trafficking_type="labor", region=region("US-TX"))
    PartyFactory(actor=supervisor, case=case, age_band="30-38")
    assert forwarding.forwarding_evaluate(case=case) == []
    forwarding.forwarding_consent_record(actor=supervisor, case=case)
    assert Forwarding.objects.get(case=case).rule == rule


def test_administrators_edit_the_rules_and_supervisors_only_read_them(
    client, admin_user, supervisor
):
    from django.urls import reverse

    from tests.admin_helpers import signed_in

    rule = ForwardingRule.objects.first()
    change = reverse("admin:cases_forwardingrule_change", args=[rule.pk])
    add = reverse("admin:cases_forwardingrule_add")
    signed_in(client, admin_user)
    assert client.get(change).context["has_change_permission"]
    response = client.post(
        add,
        {
            "name": "Minor in labor: services within 48 hours",
            "trafficking_type": "labor",
            "requires_minor_victim": "on",
            "organisation_type": "NGO",
            "reason": "AdditionalServicesRequired",
            "due_within_hours": "48",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ForwardingRule.objects.get(name__startswith="Minor in labor").due_within_hours == 48
    client.logout()
    signed_in(client, supervisor)
    assert not client.get(change).context["has_change_permission"]
    assert client.get(add).status_code == 403


def test_an_unreachable_mail_server_leaves_the_notice_for_the_next_sweep(
    rules, supervisor_mail, organisation, settings
):
    case = minor_sex_case(supervisor_mail)
    (late,) = forwarding.forwarding_evaluate(
        case=case, now=timezone.now() - datetime.timedelta(hours=30)
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert tasks.forwarding_sweep()["overdue"] == 0
    late.refresh_from_db()
    assert late.overdue_notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.forwarding_sweep()["overdue"] == 1
    assert len(mail.outbox) == 1


def test_two_rules_for_one_organisation_make_one_referral_with_the_earliest_deadline(
    rules, supervisor, organisation
):
    case = minor_sex_case(supervisor)
    case.priority = 4
    case.save(update_fields=["priority"])
    now = timezone.now()

    created = forwarding.forwarding_evaluate(case=case, now=now)

    referral = Referral.objects.get(case=case)
    assert referral.organisation == organisation and referral.due_at == now
    assert len(created) == 2
    assert {f.referral_id for f in Forwarding.objects.filter(case=case)} == {referral.pk}
    assert sorted(f.due_at - now for f in created) == [
        datetime.timedelta(0),
        datetime.timedelta(hours=24),
    ]


def test_an_open_manual_referral_to_the_organisation_is_reused(rules, supervisor, organisation):
    case = minor_sex_case(supervisor)
    manual = services.referral_send(
        actor=supervisor, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    now = timezone.now()

    (created,) = forwarding.forwarding_evaluate(case=case, now=now)

    assert list(Referral.objects.filter(case=case)) == [manual]
    assert created.referral == manual
    manual.refresh_from_db()
    assert manual.due_at == now + datetime.timedelta(hours=24)
    event = CaseEvent.objects.filter(case=case, data__referral=manual.pk).latest("pk")
    assert event.data["fields"] == ["forwarding"]
    assert CaseEvent.objects.filter(case=case, data__fields=["due_at"]).exists()
