"""A member of the public sends the Spanish tip form in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from hotline.models import Tip

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_of_the_public_sends_the_spanish_form_and_gets_a_reference(
    anonymous_page, screenshot
):
    page = anonymous_page
    page.goto("/tip/?lang=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.fill("#id_observed", "Una camioneta deja a cuatro chicas en el motel cada noche.")
    page.fill("#id_region_search", "Texas (US-TX)")
    page.fill("#id_address", "Motel Starlight, Ruta 9")
    screenshot(page, "public-tip-es")
    page.click("#tip-send")

    reference = page.locator(".reference-code strong")
    expect(reference).to_have_text(re.compile(r"^T-[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    tip = Tip.objects.get()
    assert reference.inner_text() == tip.reference
    assert (tip.source, tip.region.code) == ("web_form", "US-TX")
    assert "camioneta" not in page.content()
