"""The demo, end to end: on seed_demo's data the demo supervisor goes from a link suggestion
of the demo operation to a confirmed cluster, its network picture, and the referral with a
deadline that the forwarding rule for minors made, in Chromium under the strict CSP. Saves
docs/screenshots/demo-{links,network,deadlines}.png (docs/demo-data.md)."""

import io

import pytest
from django.core.management import call_command

from cases import demo_data
from cases.models import Case, Forwarding, LinkSuggestion
from hotline.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def seed_demo():
    # Tests run with DEBUG off, like production: say this database is a throwaway.
    call_command(
        "seed_demo",
        "--calls=300",
        "--cases=60",
        allow_without_debug=True,
        verbosity=0,
        stdout=io.StringIO(),
    )


def test_a_supervisor_walks_the_demo_operation_from_suggestion_to_deadline(browser_for, screenshot):
    seed_demo()
    summaries = [spec["summary"] for spec in demo_data.OPERATION_CASES]
    first, *_middle, minors = Case.objects.filter(summary__in=summaries).order_by("opened_at")
    assert LinkSuggestion.objects.filter(state="open").count() >= 4
    supervisor = User.objects.get(username="supervisor")

    page = browser_for(supervisor)
    page.goto("/links/")
    # The first case and the minor's share the phone, written differently by two advocates.
    phone = (
        page.locator("#suggestions tbody tr")
        .filter(has_text=first.reference)
        .filter(has_text=minors.reference)
        .filter(has_text="phone")
    )
    assert phone.count() == 1
    screenshot(page, "demo-links")
    phone.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/links/")
    assert LinkSuggestion.objects.filter(state="confirmed").count() == 1

    page.goto(f"/cases/{minors.reference}/")
    page.locator("#cluster a").first.click()
    cluster_cases = page.locator("#cluster-cases tbody tr")
    assert cluster_cases.count() == 2
    assert first.reference in " ".join(cluster_cases.all_inner_texts())
    page.get_by_role("link", name="Network view").click()
    page.wait_for_selector("#network[data-ready]")
    # Two cases, their parties, identifiers and venues: well over a handful of nodes.
    assert int(page.locator("#network").get_attribute("data-ready")) >= 8
    assert page.locator("#network canvas").count() >= 1
    screenshot(page, "demo-network")

    # The rule for a minor in commercial sex referred the case to Texas law enforcement within
    # 24 hours; the partner has not answered, so it waits among the overdue.
    (deadline,) = Forwarding.objects.filter(case=minors, completed_at__isnull=True)
    page.goto("/deadlines/")
    overdue = page.locator(f"#overdue tbody tr[data-forwarding='{deadline.pk}']")
    assert overdue.count() == 1
    assert minors.reference in overdue.inner_text()
    assert "Texas Anti-Trafficking Unit (demo)" in overdue.inner_text()
    screenshot(page, "demo-deadlines")
