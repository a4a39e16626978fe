"""The dashboard in a real browser, with demo data: every chart draws under the strict
Content-Security-Policy (no console errors), and a screenshot for the README."""

import pytest
from django.core.management import call_command

from reports import rollups

pytestmark = pytest.mark.django_db(transaction=True)

CANVASES = ["chart-time", "chart-industry", "chart-funnel", "chart-type", "chart-caller_type",
            "chart-age", "chart-gender", "chart-minor", "chart-forwarding"]  # fmt: skip


def test_the_dashboard_draws_every_chart_with_demo_data(browser_for, screenshot, supervisor):
    call_command(
        "seed_demo", calls=3000, cases=600, quiet=True, allow_without_debug=True, stdout=None
    )
    rollups.rollup_pending()
    page = browser_for(supervisor)
    # Console and script errors fail the test (tests/browser/conftest.py); so does any file
    # the page asks for and does not get.
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto("/dashboard/")
    page.wait_for_function("window.Chart && Chart.getChart('chart-minor') !== undefined")
    for canvas in CANVASES:
        assert page.evaluate(f"Chart.getChart('{canvas}') !== undefined"), canvas
    assert page.locator(".state-map .tile").count() == 51
    assert int(page.locator(".headline-figures .figure").first.inner_text()) > 0
    assert missing == []
    screenshot(page, "dashboard")
