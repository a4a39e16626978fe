"""Link review (/links/), clusters and their network, the deadlines queue (/deadlines/)."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import forwarding, linking, selectors, services, tasks
from cases.models import ForwardingRule, LinkSuggestion
from hotline import access
from hotline.access import Permission
from hotline.models import AuditEntry
from tests.factories import CaseFactory, PartyFactory, region
from tests.web.conftest import PHONE_TYPED, case_with_phone

pytestmark = pytest.mark.django_db


def suggest(actor, *cases_kw):
    """Cases holding the same phone, matched: the suggestions between them."""
    cases = [case_with_phone(actor=actor, **kw) for kw in cases_kw]
    for case in cases:
        tasks.match_record("identifier", case.identifiers.get().pk)
    return cases


def test_only_supervisors_may_review_links_and_deadlines(
    supervisor, advocate, partner, admin_user, outsider
):
    for permission in (Permission.REVIEW_LINKS, Permission.REVIEW_DEADLINES):
        assert access.may(supervisor, permission)
        for user in (advocate, partner, admin_user, outsider):
            assert not access.may(user, permission)


@pytest.mark.parametrize("who", ["advocate", "partner", "outsider", "admin_user"])
@pytest.mark.parametrize("page", ["links:links", "links:deadlines"])
def test_the_queues_are_refused_to_everyone_but_supervisors(client, request, who, page):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(page)).status_code == 403


def test_the_queues_ask_anonymous_visitors_to_sign_in(client):
    for page in ("links:links", "links:deadlines"):
        response = client.get(reverse(page))
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_supervisor_sees_open_suggestions_strongest_first_with_the_value(
    client, supervisor, team
):
    first, second = suggest(supervisor, {"team": team}, {"team": team, "phone": PHONE_TYPED})
    client.force_login(supervisor)
    response = client.get(reverse("links:links"))
    assert response.status_code == 200
    body = response.content.decode()
    assert first.reference in body and second.reference in body
    (row,) = response.context["suggestions"]
    assert row.shown_value == "+1 713 555 0199"
    assert AuditEntry.objects.filter(action="list", object_kind="case").latest("pk").object_ids == [
        first.pk,
        second.pk,
    ]


def test_suggestions_naming_a_case_outside_the_scope_are_not_listed(
    supervisor, advocate, team, other_team
):
    suggest(supervisor, {"team": team}, {"team": team}, {"team": other_team})
    assert selectors.link_suggestions_for(supervisor).count() == 3
    # The advocate's scope: their team's cases only. One pair of the three is inside it.
    assert selectors.link_suggestions_for(advocate).count() == 1


def test_the_links_page_makes_the_same_queries_for_many_suggestions(
    client, supervisor, django_assert_num_queries
):
    suggest(supervisor, {}, {})
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("links:links"))
    suggest(supervisor, {}, {}, {}, {})
    assert LinkSuggestion.objects.count() > 3
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("links:links"))
    assert len(response.context["suggestions"]) == LinkSuggestion.objects.count()


def test_confirming_from_the_page_makes_a_cluster_shown_on_the_case_page(client, supervisor):
    first, second = suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client.force_login(supervisor)
    response = client.post(
        reverse("links:link_decide", args=[suggestion.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 302
    cluster = first.cluster_membership.cluster
    case_page = client.get(reverse("casework:case", args=[second.reference]))
    assert reverse("links:cluster", args=[cluster.pk]) in case_page.content.decode()
    cluster_page = client.get(reverse("links:cluster", args=[cluster.pk]))
    assert [case.pk for case in cluster_page.context["cases"]] == [first.pk, second.pk]


def test_a_second_decision_on_the_same_suggestion_is_refused_with_a_message(client, supervisor):
    suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client.force_login(supervisor)
    url = reverse("links:link_decide", args=[suggestion.pk])
    client.post(url, {"decision": "dismiss"})
    response = client.post(url, {"decision": "confirm"}, follow=True)
    # Decided suggestions leave the open list: deciding again is "not found".
    assert response.status_code == 404
    assert client.post(url, {"decision": "nonsense"}).status_code == 404


def test_a_bad_decision_or_an_empty_name_gets_a_message_not_a_500(client, supervisor):
    suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client.force_login(supervisor)
    response = client.post(
        reverse("links:link_decide", args=[suggestion.pk]), {"decision": "maybe"}, follow=True
    )
    assert response.status_code == 200 and "Choose confirm or dismiss" in response.content.decode()
    cluster = linking.link_confirm(actor=supervisor, suggestion=suggestion)
    response = client.post(reverse("links:cluster", args=[cluster.pk]), {"name": "   "})
    assert response.status_code == 400 and "Give the cluster a name" in response.content.decode()


def test_a_cluster_of_cases_outside_the_scope_is_not_found(
    client, supervisor, advocate, other_team
):
    suggest(supervisor, {"team": other_team}, {"team": other_team})
    cluster = linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())
    client.force_login(advocate)
    for name in ("links:cluster", "links:cluster_network", "links:cluster_csv"):
        assert client.get(reverse(name, args=[cluster.pk])).status_code == 404


def test_the_network_page_passes_its_graph_as_json_and_exports_it(
    client, supervisor, advocate, team
):
    first, second = suggest(supervisor, {"team": team}, {"team": team})
    PartyFactory(actor=supervisor, case=first, role="recruiter", name="Rex Recruiter")
    PartyFactory(actor=supervisor, case=second, name="Vera Victim")
    services.venue_add(actor=supervisor, case=second, name="Harbor Motel")
    cluster = linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())
    client.force_login(advocate)
    response = client.get(reverse("links:cluster_network", args=[cluster.pk]))
    body = response.content.decode()
    assert 'id="network-data" type="application/json"' in body
    assert "<script>" not in body and "vendor/cytoscape" in body
    graph = response.context["graph"]
    identifiers = [n for n in graph["nodes"] if n["type"] == "identifier"]
    # One node for the number both cases hold: it is what joins them.
    assert len(identifiers) == 1
    assert sum(1 for e in graph["edges"] if e["target"] == identifiers[0]["id"]) == 2
    roles = {n["role"]: n["colour"] for n in graph["nodes"] if n["type"] == "party"}
    assert roles["recruiter"] != roles["potential_victim"]

    graphml = client.get(reverse("links:cluster_graphml", args=[cluster.pk]))
    root = ET.fromstring(graphml.content)
    ns = "{http://graphml.graphdrawing.org/xmlns}"
    assert len(root.findall(f"{ns}graph/{ns}node")) == len(graph["nodes"])
    csv_text = client.get(reverse("links:cluster_csv", args=[cluster.pk])).content.decode()
    assert "Rex Recruiter" in csv_text and "Harbor Motel" in csv_text
    assert AuditEntry.objects.filter(action="export", object_kind="case").count() == 2


def test_the_network_redacts_what_a_partner_may_not_see(supervisor, partner, organisation):
    first, second = suggest(supervisor, {}, {})
    PartyFactory(actor=supervisor, case=first, name="Vera Victim")
    PartyFactory(actor=supervisor, case=first, role="exploiter", name="Ed Exploiter")
    services.referral_send(actor=supervisor, case=first, organisation=organisation, reason="Other")
    from cases.views.links import network_graph

    graph = network_graph(partner, list(selectors.cluster_cases(partner, _cluster(supervisor))))
    labels = " ".join(node["label"] for node in graph["nodes"])
    assert "Ed Exploiter" in labels and "Vera Victim" not in labels
    assert second.reference not in labels
    # The victim's phone number on the case is a contact: hidden from a partner.
    assert not [n for n in graph["nodes"] if n["type"] == "identifier"]


def _cluster(supervisor):
    return linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())


@pytest.fixture
def rule(db):
    return ForwardingRule.objects.get_or_create(
        name="Minor in commercial sex: law enforcement within 24 hours",
        defaults={
            "trafficking_type": "sex",
            "requires_minor_victim": True,
            "organisation_type": "LawEnforcement",
            "due_within_hours": 24,
        },
    )[0]


def overdue_case(supervisor, code="US-TX", hours_ago=30):
    case = CaseFactory(actor=supervisor, trafficking_type="sex", region=region(code))
    PartyFactory(actor=supervisor, case=case, age_band="9-17")
    forwarding.forwarding_evaluate(
        case=case, now=timezone.now() - datetime.timedelta(hours=hours_ago)
    )
    return case


def test_the_deadlines_queue_shows_overdue_and_forwarding_needed(
    client, supervisor, organisation, rule
):
    late = overdue_case(supervisor)
    needed = overdue_case(supervisor, code="US-CA", hours_ago=22)
    client.force_login(supervisor)
    response = client.get(reverse("links:deadlines"))
    assert [row.case for row in response.context["queue"]["overdue"]] == [late]
    assert [row.case for row in response.context["queue"]["due_soon"]] == [needed]
    body = response.content.decode()
    assert "forwarding needed" in body and organisation.name in body


def test_the_deadlines_page_makes_the_same_queries_for_many_rows(
    client, supervisor, organisation, rule, django_assert_num_queries
):
    overdue_case(supervisor)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("links:deadlines"))
    for hours in (26, 28, 22):
        overdue_case(supervisor, hours_ago=hours)
    overdue_case(supervisor, code="US-CA")
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("links:deadlines"))
    queue = response.context["queue"]
    assert len(queue["overdue"]) + len(queue["due_soon"]) == 5


def test_the_case_page_shows_its_forwardings_and_records_consent(
    client, advocate, other_advocate, supervisor, team, organisation
):
    needed = overdue_case(supervisor, code="US-CA", hours_ago=1)
    client.force_login(supervisor)
    page = client.get(reverse("casework:case", args=[needed.reference])).content.decode()
    assert 'id="forwarding"' in page and "forwarding needed" in page

    labor = CaseFactory(actor=supervisor, team=team, region=region("US-TX"))
    PartyFactory(actor=supervisor, case=labor, age_band="30-38")
    url = reverse("links:case_forwarding_consent", args=[labor.reference])
    client.force_login(other_advocate)
    assert client.post(url).status_code == 404
    client.force_login(advocate)
    response = client.post(url)
    assert response.status_code == 302
    labor.refresh_from_db()
    assert labor.forwarding_consent.recorded_by == advocate
    # The seeded rule for adult labor cases with consent applied at once.
    assert labor.forwardings.get().referral.organisation == organisation


def test_a_cluster_name_with_a_null_character_is_refused_on_any_database(client, supervisor):
    # PostgreSQL cannot store NUL: unchecked, the rename was a 500 there.
    client.force_login(supervisor)
    suggest(supervisor, {}, {})
    cluster = _cluster(supervisor)
    response = client.post(reverse("links:cluster", args=[cluster.pk]), {"name": "Ring\x00 A"})
    assert response.status_code == 400
    assert "cannot contain null characters" in response.content.decode()
    cluster.refresh_from_db()
    assert "\x00" not in cluster.name
