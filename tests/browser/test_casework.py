"""Case work end to end in Chromium: a tip becomes a case, is assigned and worked to referred;
two people edit one case and the second save is refused. Saves the screenshots of the tip
queue, the case queue and a case page (docs/screenshots/{tips,cases,case}.png)."""

import datetime

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, Party
from hotline.models import Urgency
from tests.factories import CaseFactory, PartyFactory, TipFactory, industry, region

pytestmark = pytest.mark.django_db(transaction=True)


def a_few_dozen_cases(supervisor, advocate, other_advocate):
    places = ["US-TX", "US-CA", "US-FL", "US-NY", "US-GA", "MX-JAL"]
    trades = ["construction", "domestic_work", "escort_services", "agriculture_animal_husbandry"]
    for number in range(36):
        case = CaseFactory(
            actor=supervisor,
            assignee=[advocate, other_advocate, None][number % 3],
            region=region(places[number % len(places)]),
            industry=industry(trades[number % len(trades)]),
            priority=1 + number % 4,
            trafficking_type=["labor", "sex", "sex_and_labor"][number % 3],
            is_restricted=number % 11 == 0,
        )
        if number % 4 == 1:
            services.case_status_change(actor=supervisor, case=case, status="active")
        elif number % 4 == 2:
            services.case_status_change(actor=supervisor, case=case, status="referred")


def test_a_tip_becomes_a_case_that_an_advocate_works_to_referred(
    browser_for, screenshot, supervisor, advocate, other_advocate, organisation
):
    tip = TipFactory(
        urgency=Urgency.IMMINENT_DANGER,
        observed="A girl of about fifteen answers the door of a house on Elm Street; "
        "a man takes her phone.",
    )
    services.identifier_add(actor=None, tip=tip, kind="phone", value="(713) 555-0147")
    TipFactory(urgency=Urgency.URGENT, region=region("US-CA"))
    TipFactory(received_at=timezone.now() - datetime.timedelta(days=2))
    older = CaseFactory(actor=supervisor, assignee=advocate, region=region("US-CA"))
    services.identifier_add(actor=supervisor, case=older, kind="phone", value="+1 713 555 0147")

    boss = browser_for(supervisor)
    boss.goto("/tips/")
    rows = boss.locator("table.cw-table tbody tr")
    assert rows.count() == 3
    assert tip.reference in rows.first.inner_text()
    screenshot(boss, "tips")

    boss.get_by_role("link", name=tip.reference).click()
    assert older.reference in boss.locator(".cw-suggestions").inner_text()
    boss.get_by_label("Assign to").select_option(label="alice")
    boss.get_by_role("button", name="Open a case").click()
    boss.wait_for_url("**/cases/HT-*/")
    case = Case.objects.exclude(pk=older.pk).get()
    assert case.assignee == advocate
    assert "alice" in boss.locator("#case-assignee").inner_text()

    worker = browser_for(advocate)
    worker.goto(f"/cases/{case.reference}/")
    worker.get_by_text("Send a referral").click()
    worker.get_by_label("Organisation").select_option(label=organisation.name)
    worker.get_by_label("Reason").first.select_option("LawEnforcementReport")
    worker.get_by_role("button", name="Send referral").click()
    worker.wait_for_url(f"**/cases/{case.reference}/**")
    assert organisation.name in worker.locator("#referrals").inner_text()

    worker.get_by_label("New status").select_option("referred")
    worker.get_by_role("button", name="Change status").click()
    worker.locator("#case-status", has_text="Referred").wait_for()
    assert Case.objects.get(pk=case.pk).status == "referred"
    assert "Referral sent" in worker.locator("#timeline").inner_text()

    worker.locator("#note-text").fill("Detective Ruiz has the file.")
    worker.get_by_role("button", name="Add note").click()
    worker.locator("#notes", has_text="Detective Ruiz has the file.").wait_for()
    assert "Note added" in worker.locator("#timeline").inner_text()


def test_two_people_edit_one_case_and_the_second_save_is_refused(
    browser_for, screenshot, supervisor, advocate, other_advocate, organisation
):
    case = CaseFactory(actor=supervisor, assignee=advocate, summary="Workers housed on site.")
    PartyFactory(actor=supervisor, case=case, name="Ana Lopez", role=Party.Role.POTENTIAL_VICTIM)
    PartyFactory(actor=supervisor, case=case, name="Big Joe", role=Party.Role.EXPLOITER)
    services.identifier_add(actor=supervisor, case=case, kind="phone", value="(202) 555-0143")
    services.identifier_add(
        actor=supervisor, case=case, kind="handle", platform="instagram", value="@farmjobs"
    )
    services.venue_add(actor=supervisor, case=case, name="Sunny Ridge Farm")
    services.referral_send(
        actor=supervisor, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    services.note_add(actor=advocate, case=case, text="Spoke with the caller's sister.")
    a_few_dozen_cases(supervisor, advocate, other_advocate)

    first = browser_for(supervisor)
    second = browser_for(advocate)
    for page in (first, second):
        page.goto(f"/cases/{case.reference}/")
        page.get_by_text("Edit details").click()

    first.locator("#details-priority").select_option("4")
    first.get_by_role("button", name="Save details").click()
    first.locator(".message", has_text="saved").wait_for()

    second.locator("#details-summary").fill("Workers housed in a locked barn.")
    second.get_by_role("button", name="Save details").click()

    conflict = second.locator("#conflict")
    conflict.wait_for()
    assert "changed by someone else" in conflict.inner_text()
    assert "sam" in conflict.inner_text()
    assert second.locator("#details-summary").input_value() == "Workers housed in a locked barn."
    case.refresh_from_db()
    assert (case.priority, case.summary) == (4, "Workers housed on site.")

    # Having seen what changed, they save again: their change goes in, the other one stays.
    assert second.locator("#details-priority").input_value() == "4"
    second.get_by_role("button", name="Save details").click()
    second.locator(".message", has_text="saved").wait_for()
    case.refresh_from_db()
    assert (case.priority, case.summary) == (4, "Workers housed in a locked barn.")

    first.goto(f"/cases/{case.reference}/")
    screenshot(first, "case")
    first.goto("/cases/?sort=priority")
    assert first.locator("table.cw-queue tbody tr").count() == 37
    screenshot(first, "cases")
