"""The browser harness itself: Chromium reaches the live server, signed in or not."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signed_in_advocate_sees_their_name(browser_for, advocate):
    page = browser_for(advocate)
    page.goto("/")
    assert page.locator(".nav-user").inner_text() == "alice"


def test_an_anonymous_visitor_is_not_signed_in(anonymous_page):
    anonymous_page.goto("/")
    assert anonymous_page.locator(".nav-user").count() == 0
