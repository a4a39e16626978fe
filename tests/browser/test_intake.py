"""Logging a call in Chromium, as an advocate does it: a tip with a phone number that an
existing case holds (written differently), and a reload in the middle of typing."""

import re

import pytest
from playwright.sync_api import expect

from hotline.models import Call, Tip
from tests.web.conftest import PHONE_TYPED, case_with_phone

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_advocate_logs_a_tip_and_sees_the_case_that_holds_the_number(
    browser_for, advocate, supervisor, team, screenshot
):
    case = case_with_phone(actor=supervisor, team=team)  # holds +1 713 555 0199
    page = browser_for(advocate)
    page.goto("/calls/new/")
    expect(page.locator("#call-timer")).to_have_text(re.compile(r"^00:0\d$"))

    page.select_option("#id_channel", "phone")
    page.select_option("#id_caller_type", "community_member")
    page.select_option("#id_reason", "trafficking_tip")
    page.fill("#id_region_search", "Texas (US-TX)")
    page.fill("#id_summary", "Caller's neighbour works at a warehouse and is not paid.")
    expect(page.locator("#tip-fields")).to_be_hidden()
    page.check("#id_is_tip")
    expect(page.locator("#tip-fields")).to_be_visible()
    page.fill("#id_observed", "Men sleep in the warehouse; the foreman keeps their passports.")
    page.fill("#id_identifiers-0-value", PHONE_TYPED)

    match = page.locator("#matches .match a")
    expect(match).to_have_text(case.reference)
    expect(match).to_have_attribute("href", f"/cases/{case.reference}/")
    screenshot(page, "call-log")

    page.click("#call-save")
    expect(page.locator("h1")).to_have_text("Call saved")
    tip = Tip.objects.get()
    expect(page.locator("#tip-reference")).to_have_text(tip.reference)
    call = Call.objects.get()
    assert (call.advocate, call.region.code, tip.call) == (advocate, "US-TX", call)
    assert tip.identifiers.get().normalised == "+17135550199"
    # The draft is gone: the next call starts empty.
    page.click("text=Log another call")
    expect(page.locator("#draft-notice")).to_be_hidden()
    expect(page.locator("#id_summary")).to_have_value("")


def test_a_reload_in_the_middle_keeps_the_draft_and_saving_records_one_call(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/calls/new/")
    key = page.locator('input[name="intake_key"]').input_value()
    page.select_option("#id_caller_type", "potential_victim")
    page.select_option("#id_reason", "crisis")
    page.fill("#id_summary", "Caller is at a truck stop and wants to leave her employer.")
    page.check("#id_imminent_danger")

    page.reload()

    expect(page.locator("#draft-notice")).to_be_visible()
    expect(page.locator("#draft-discard")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_value(
        "Caller is at a truck stop and wants to leave her employer."
    )
    expect(page.locator("#id_caller_type")).to_have_value("potential_victim")
    expect(page.locator("#id_imminent_danger")).to_be_checked()
    assert page.locator('input[name="intake_key"]').input_value() == key

    page.click("#call-save")
    expect(page.locator("h1")).to_have_text("Call saved")
    call = Call.objects.get()
    assert str(call.intake_key) == key
    assert call.urgency == 2


def test_the_form_works_by_keyboard_alone(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/calls/new/")
    page.focus("#id_channel")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_caller_type"
    page.keyboard.type("Comm")  # a select picks the option that starts with what is typed
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_language"
    page.keyboard.press("Tab")
    page.keyboard.type("Cri")
    page.focus("#id_summary")
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Shift+Tab")
    page.focus("#call-save")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Call saved")
    call = Call.objects.get()
    assert (call.caller_type, call.reason) == ("community_member", "crisis")


def test_the_advocates_home(browser_for, advocate, screenshot):
    from tests.factories import CallFactory

    CallFactory(advocate=advocate)
    page = browser_for(advocate)
    page.goto("/")
    expect(page.locator("a.button-primary", has_text="Log a call")).to_be_visible()
    screenshot(page, "home")


def test_on_a_tablet_the_form_fits_and_the_matches_come_first(browser_for, advocate):
    page = browser_for(advocate, viewport={"width": 768, "height": 1024})
    page.goto("/calls/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    aside = page.locator(".call-log-aside").bounding_box()
    form = page.locator(".call-log-main").bounding_box()
    assert aside["y"] < form["y"]
    assert form["width"] > 600


def test_discarding_the_draft_starts_a_new_call(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/calls/new/")
    key = page.locator('input[name="intake_key"]').input_value()
    page.fill("#id_summary", "A call that went nowhere.")
    page.reload()
    expect(page.locator("#id_summary")).to_have_value("A call that went nowhere.")

    page.click("#draft-discard")

    expect(page.locator("#id_summary")).to_have_value("")
    expect(page.locator("#draft-notice")).to_be_hidden()
    assert page.locator('input[name="intake_key"]').input_value() != key
    page.reload()
    expect(page.locator("#draft-notice")).to_be_hidden()


DRAFT_KEYS = "() => Object.keys(localStorage).filter((name) => name.startsWith('hotline:draft:'))"


def test_a_draft_older_than_twelve_hours_is_not_restored(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/calls/new/")
    page.fill("#id_summary", "Left on a shared computer yesterday.")
    page.goto("/")  # leaving the form saves the draft
    assert len(page.evaluate(DRAFT_KEYS)) == 1
    page.evaluate(
        """() => {
          const name = Object.keys(localStorage).find((n) => n.startsWith('hotline:draft:'));
          const draft = JSON.parse(localStorage.getItem(name));
          draft.savedAt = new Date(Date.now() - 13 * 3600 * 1000).toISOString();
          localStorage.setItem(name, JSON.stringify(draft));
        }"""
    )

    page.goto("/calls/new/")

    expect(page.locator("#draft-notice")).to_be_hidden()
    expect(page.locator("#id_summary")).to_have_value("")
    assert page.evaluate(DRAFT_KEYS) == []


def test_signing_out_removes_the_drafts(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/calls/new/")
    page.fill("#id_summary", "The victim's name and where she is.")
    page.reload()
    expect(page.locator("#draft-notice")).to_be_visible()

    page.click(".sign-out-form button")
    page.wait_for_load_state()

    assert "/calls/new/" not in page.url
    assert page.evaluate(DRAFT_KEYS) == []


def test_when_the_session_ends_the_draft_is_removed_and_not_saved_again(
    browser_for, advocate, settings
):
    page = browser_for(advocate)
    page.clock.install()
    page.goto("/calls/new/")
    page.fill("#id_summary", "Typed, then the advocate was called away.")
    assert len(page.evaluate(DRAFT_KEYS)) == 1

    page.clock.fast_forward(settings.SESSION_COOKIE_AGE * 1000 + 5000)

    expect(page.locator(".session-timeout.is-ended")).to_be_visible()
    assert page.evaluate(DRAFT_KEYS) == []
    page.fill("#id_summary", "Typed after the end: not kept while nobody is here.")
    assert page.evaluate(DRAFT_KEYS) == []
