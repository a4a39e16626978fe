"""A supervisor goes from a link suggestion to a confirmed cluster, its network picture and a
referral with a deadline, in Chromium under the strict CSP. Saves docs/screenshots/{links,
network,deadlines}.png."""

import pytest

from cases import services, tasks
from cases.models import ForwardingRule, LinkSuggestion
from tests.factories import CaseFactory, PartyFactory, region

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_suggestion_becomes_a_cluster_with_a_network_and_a_deadline(
    browser_for, screenshot, supervisor, organisation
):
    # Parties added here are matched, and the rules evaluated, when each commits.
    ForwardingRule.objects.update(is_active=False)
    ForwardingRule.objects.create(
        name="Minor in commercial sex: law enforcement within 2 hours",
        trafficking_type="sex",
        requires_minor_victim=True,
        organisation_type="LawEnforcement",
        due_within_hours=2,
    )
    first = CaseFactory(actor=supervisor, trafficking_type="sex", region=region("US-TX"))
    second = CaseFactory(actor=supervisor, trafficking_type="sex", region=region("US-TX"))
    for case, written in ((first, "+1 713 555 0147"), (second, "(713) 555-0147")):
        services.identifier_add(actor=supervisor, case=case, kind="phone", value=written)
    PartyFactory(actor=supervisor, case=first, role="recruiter", name="Rex Ramos")
    PartyFactory(actor=supervisor, case=second, role="exploiter", name="Ed Vance")
    PartyFactory(actor=supervisor, case=second, age_band="9-17", name="A. Child")
    services.venue_add(actor=supervisor, case=second, name="Harbor Motel")
    tasks.match_sweep()
    assert LinkSuggestion.objects.filter(state="open").count() == 1
    page = browser_for(supervisor)
    page.goto("/links/")
    row = page.locator("#suggestions tbody tr")
    assert row.count() == 1
    assert "+1 713 555 0147" in row.inner_text()
    screenshot(page, "links")
    row.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/links/")

    page.goto(f"/cases/{second.reference}/")
    page.locator("#cluster a").first.click()
    assert page.locator("#cluster-cases tbody tr").count() == 2
    page.get_by_role("link", name="Network view").click()
    page.wait_for_selector("#network[data-ready]")
    assert int(page.locator("#network").get_attribute("data-ready")) >= 7
    assert page.locator("#network canvas").count() >= 1
    screenshot(page, "network")

    page.goto("/deadlines/")
    soon = page.locator("#due-soon tbody tr")
    assert soon.count() == 1 and second.reference in soon.inner_text()
    assert organisation.name in soon.inner_text()
    screenshot(page, "deadlines")
