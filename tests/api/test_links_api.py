"""Link review in the API: /api/v1/links/ (suggestions, confirm, dismiss) and /api/v1/clusters/
(cases/api/links.py, docs/api.md "Link review")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import linking, selectors, tasks
from cases.api.links import between_visible_cases, suggestions_for
from cases.models import CaseEvent, Cluster, ClusterMembership, LinkSuggestion
from hotline.models import AuditEntry, IdempotencyRecord
from tests.factories import CaseFactory, PartyFactory
from tests.web.conftest import PHONE, PHONE_TYPED, case_with_phone

pytestmark = pytest.mark.django_db

LINKS = "/api/v1/links/"


def suggest(actor, *cases_kw):
    """Cases holding the same phone (written in turn two ways), matched."""
    cases = [
        case_with_phone(actor=actor, phone=(PHONE, PHONE_TYPED)[number % 2], **kw)
        for number, kw in enumerate(cases_kw)
    ]
    for case in cases:
        tasks.match_record("identifier", case.identifiers.get().pk)
    return cases


def pair(first, second):
    """The suggestion of the phone both cases hold."""
    low, high = sorted((first, second), key=lambda case: case.pk)
    return LinkSuggestion.objects.get(case_a=low, case_b=high, kind="identifier")


def events_about(case, field):
    """The case's timeline events about `field` (cluster, link_suggestion: cases/events.py)."""
    return [event for event in case.events.all() if field in event.data.get("fields", [])]


def post(client, path, body=None, **headers):
    return client.post(path, body if body is not None else {}, format="json", **headers)


# --- Reading ----------------------------------------------------------------------------------


def test_a_supervisor_lists_suggestions_with_what_the_review_page_shows(api, supervisor, team):
    first, second = suggest(supervisor, {"team": team}, {"team": team})
    response = api(supervisor).get(LINKS)
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    suggestion = LinkSuggestion.objects.get()
    assert row["id"] == suggestion.pk
    assert (row["state"], row["kind"], row["detail"], row["score"]) == (
        "open", "identifier", "phone", 1.0,
    )  # fmt: skip
    assert row["case_a"] == {"reference": first.reference, "status": first.status, "cluster": None}
    assert row["case_b"]["reference"] == second.reference
    # The value as written on the first case, as the review page shows it; never the hash.
    assert row["value"] == "+1 713 555 0199"
    assert suggestion.match_key not in response.content.decode()
    assert row["names"] is None and row["decided_by"] is None
    # One audit row for the page's suggestions, one for the cases they name.
    listed = AuditEntry.objects.filter(action="list").order_by("pk")
    assert [(entry.object_kind, entry.object_ids) for entry in listed] == [
        ("linksuggestion", [suggestion.pk]),
        ("case", [first.pk, second.pk]),
    ]


def test_a_name_match_shows_the_two_names(api, supervisor, settings):
    settings.HOTLINE_MATCH_THRESHOLD = 85
    first, second = CaseFactory(actor=supervisor), CaseFactory(actor=supervisor)
    one = PartyFactory(actor=supervisor, case=first, role="recruiter", name="Juan Carlos Pérez")
    two = PartyFactory(actor=supervisor, case=second, role="exploiter", name="Juan Carlos Perez")
    for party in (one, two):
        tasks.match_record("party", party.pk)
    (row,) = api(supervisor).get(LINKS).json()["results"]
    assert row["kind"] == "party_name" and row["value"] is None
    assert row["names"] == ["Juan Carlos Pérez", "Juan Carlos Perez"]


def test_a_supervisor_reads_one_suggestion_and_the_read_is_audited(api, supervisor):
    first, second = suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    response = api(supervisor).get(f"{LINKS}{suggestion.pk}/")
    assert response.status_code == 200
    assert response.json()["case_b"]["reference"] == second.reference
    view = AuditEntry.objects.get(action="view", object_kind="linksuggestion")
    assert (view.object_id, view.case_id) == (suggestion.pk, first.pk)
    cases = AuditEntry.objects.filter(action="list", object_kind="case").latest("pk")
    assert cases.object_ids == [first.pk, second.pk]


def test_the_list_filters_by_state_and_case_reference(api, supervisor):
    first, second, third = suggest(supervisor, {}, {}, {})
    assert LinkSuggestion.objects.count() == 3
    linking.link_dismiss(actor=supervisor, suggestion=pair(first, second))
    client = api(supervisor)

    def ids(**query):
        response = client.get(LINKS, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(state="dismissed") == {pair(first, second).pk}
    assert ids(state="open") == {pair(first, third).pk, pair(second, third).pk}
    assert ids(state="confirmed") == set()
    assert ids() == set(LinkSuggestion.objects.values_list("pk", flat=True))
    assert ids(case=first.reference) == {pair(first, second).pk, pair(first, third).pk}
    assert ids(case=third.reference, state="open") == {
        pair(first, third).pk, pair(second, third).pk,
    }  # fmt: skip
    assert ids(case="HT-1999-999999") == set()


def test_the_list_pages_by_cursor_and_covers_every_suggestion_once(api, supervisor):
    suggest(supervisor, {}, {}, {}, {})
    client = api(supervisor)
    seen, response = [], client.get(LINKS, {"page_size": 4, "ordering": "-score"})
    while True:
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert sorted(seen) == sorted(LinkSuggestion.objects.values_list("pk", flat=True))
    assert len(seen) == 6


# --- Deciding ---------------------------------------------------------------------------------


def test_confirming_creates_a_named_cluster_and_a_third_case_joins_it(api, supervisor):
    first, second, third = suggest(supervisor, {}, {}, {})
    client = api(supervisor)
    response = post(
        client, f"{LINKS}{pair(first, second).pk}/confirm/", {"cluster_name": "Operation Harbor"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    cluster = Cluster.objects.get()
    assert cluster.name == "Operation Harbor" and cluster.created_by == supervisor
    assert body["state"] == "confirmed" and body["decided_by"] == supervisor.pk
    assert body["case_a"]["cluster"] == body["case_b"]["cluster"] == {
        "id": cluster.pk, "name": "Operation Harbor",
    }  # fmt: skip
    assert events_about(first, "cluster") and events_about(second, "cluster")

    # Without a name, the third case joins the cluster, which keeps its name.
    response = post(client, f"{LINKS}{pair(second, third).pk}/confirm/")
    assert response.status_code == 200, response.content
    assert Cluster.objects.get() == cluster and cluster.name == "Operation Harbor"
    assert set(ClusterMembership.objects.values_list("case", flat=True)) == {
        first.pk, second.pk, third.pk,
    }  # fmt: skip
    assert response.json()["case_b"]["cluster"]["id"] == cluster.pk
    decided = AuditEntry.objects.filter(action="update", object_kind="linksuggestion")
    assert decided.count() == 2


def test_confirming_without_a_name_names_the_new_cluster_after_itself_not_a_case(api, supervisor):
    # A case's reference in the name would tell whoever sees the cluster of a case (perhaps
    # restricted) they may not see.
    first, second = suggest(supervisor, {}, {})
    response = post(api(supervisor), f"{LINKS}{LinkSuggestion.objects.get().pk}/confirm/")
    assert response.status_code == 200
    cluster = Cluster.objects.get()
    assert cluster.name == f"Operation {cluster.pk}"
    assert first.reference not in cluster.name and second.reference not in cluster.name


def test_a_dismissed_pair_stays_dismissed_when_matched_again(api, supervisor):
    first, second = suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client = api(supervisor)
    response = post(client, f"{LINKS}{suggestion.pk}/dismiss/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dismissed"
    assert not Cluster.objects.exists()
    assert events_about(first, "link_suggestion") and events_about(second, "link_suggestion")

    for case in (first, second):
        tasks.match_record("identifier", case.identifiers.get().pk)
    tasks.match_sweep()
    assert LinkSuggestion.objects.get().state == "dismissed"
    assert client.get(LINKS, {"state": "open"}).json()["results"] == []


def snapshot():
    return (LinkSuggestion.objects.get().state, Cluster.objects.count(), CaseEvent.objects.count())


@pytest.mark.parametrize(("first", "then"), [("confirm", "dismiss"), ("dismiss", "confirm"),
                                             ("confirm", "confirm")])  # fmt: skip
def test_a_decision_on_a_decided_suggestion_is_a_409_that_changes_nothing(
    api, supervisor, first, then
):
    suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client = api(supervisor)
    assert post(client, f"{LINKS}{suggestion.pk}/{first}/").status_code == 200
    before = snapshot()
    response = post(client, f"{LINKS}{suggestion.pk}/{then}/", {"cluster_name": "Other"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_decided" and "already" in error["message"]
    assert snapshot() == before
    assert not Cluster.objects.filter(name="Other").exists()


def test_a_retried_confirmation_with_its_idempotency_key_gets_the_first_answer(api, supervisor):
    suggest(supervisor, {}, {})
    path = f"{LINKS}{LinkSuggestion.objects.get().pk}/confirm/"
    client = api(supervisor)
    body = {"cluster_name": "Operation Harbor"}
    first = post(client, path, body, HTTP_IDEMPOTENCY_KEY="confirm-1")
    again = post(client, path, body, HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Cluster.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    # The same key for another request is refused; a new key meets the decision made.
    other = post(client, path, {"cluster_name": "Other"}, HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    fresh = post(client, path, body, HTTP_IDEMPOTENCY_KEY="confirm-2")
    assert fresh.status_code == 409
    # A refused request keeps no key: it may be corrected and sent again with it.
    assert not IdempotencyRecord.objects.filter(key="confirm-2").exists()


# --- Who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["advocate", "partner", "admin_user", "outsider"])
def test_everyone_but_a_supervisor_is_refused_with_a_403(api, request, supervisor, who):
    suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    client = api(request.getfixturevalue(who), how="session" if who == "outsider" else "token")
    for response in (
        client.get(LINKS),
        client.get(f"{LINKS}{suggestion.pk}/"),
        client.get(f"{LINKS}{suggestion.pk + 1000}/"),
        post(client, f"{LINKS}{suggestion.pk}/confirm/"),
        post(client, f"{LINKS}{suggestion.pk}/dismiss/"),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"
    assert LinkSuggestion.objects.get().state == "open"
    assert not Cluster.objects.exists()


def test_an_anonymous_caller_is_asked_to_sign_in(api, supervisor):
    suggest(supervisor, {}, {})
    response = api().get(LINKS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_suggestion_is_not_found(api, supervisor):
    suggest(supervisor, {}, {})
    client = api(supervisor)
    missing = LinkSuggestion.objects.get().pk + 1000
    for path in (f"{LINKS}{missing}/", f"{LINKS}{2**70}/", f"{LINKS}abc/"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.content)
        assert response.json()["error"]["code"] == "not_found"
    response = post(client, f"{LINKS}{missing}/confirm/")
    assert response.status_code == 404


def test_a_suggestion_naming_a_case_outside_the_scope_does_not_exist_for_the_caller(
    supervisor, advocate, team, other_team
):
    # Supervisors see every case, restricted ones too (hotline.access.case_rule), so no one
    # who may review links has a narrower scope today; the scope's case condition is checked
    # with an advocate, whose scope is their team's unrestricted cases.
    mine, also_mine, restricted, elsewhere = suggest(
        supervisor, {"team": team}, {"team": team}, {"team": team, "is_restricted": True},
        {"team": other_team},
    )  # fmt: skip
    everything = LinkSuggestion.objects.all()
    assert everything.count() == 6
    assert list(between_visible_cases(advocate, everything)) == [pair(mine, also_mine)]
    assert set(between_visible_cases(supervisor, everything)) == set(everything)
    # The API's scope is the review page's, in every state; nothing for an advocate.
    linking.link_dismiss(actor=supervisor, suggestion=pair(mine, restricted))
    linking.link_confirm(actor=supervisor, suggestion=pair(mine, elsewhere))
    page = {row for state in ("open", "confirmed", "dismissed")
            for row in selectors.link_suggestions_for(supervisor, state)}  # fmt: skip
    assert set(suggestions_for(supervisor, everything)) == page == set(everything)
    assert not suggestions_for(advocate, everything).exists()


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "maybe"}, "state"),
        ({"kind": "telepathy"}, "kind"),
        ({"case": "HT-26-1"}, "case"),
        ({"case": "x" * 500}, "case"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, supervisor, query, field):
    response = api(supervisor).get(LINKS, query)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]


def test_a_tampered_cursor_is_the_apis_invalid_cursor_404(api, supervisor):
    suggest(supervisor, {}, {})
    response = api(supervisor).get(LINKS, {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid cursor"


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        ('{"cluster_name": ', "application/json", None),
        ("cluster_name=Harbor", "application/x-www-form-urlencoded", None),
        ('{"cluster_name": "' + "x" * 121 + '"}', "application/json", "cluster_name"),
        ('{"cluster_name": "   "}', "application/json", "cluster_name"),
        ('{"cluster_name": "a\\u0000b"}', "application/json", "cluster_name"),
        ('{"cluster_name": "a\\u0007b"}', "application/json", "cluster_name"),
        ('{"cluster_name": "Harbor\\nHT-2026-000001"}', "application/json", "cluster_name"),
        ('{"cluster_name": "a\\tb"}', "application/json", "cluster_name"),
        ('{"cluster_name": "a\\u001bb"}', "application/json", "cluster_name"),
        ('{"cluster_name": "a\\u007fb"}', "application/json", "cluster_name"),
        ('["Harbor"]', "application/json", None),
    ],
)
def test_a_bad_confirmation_body_is_a_400_and_decides_nothing(
    api, supervisor, body, content_type, field
):
    suggest(supervisor, {}, {})
    suggestion = LinkSuggestion.objects.get()
    response = api(supervisor).post(
        f"{LINKS}{suggestion.pk}/confirm/", body, content_type=content_type
    )
    assert response.status_code in (400, 415), response.content
    error = response.json()["error"]
    if field is not None:
        assert response.status_code == 400 and field in error["fields"], error
    assert LinkSuggestion.objects.get().state == "open"
    assert not Cluster.objects.exists()


def test_a_name_of_120_characters_is_accepted(api, supervisor):
    suggest(supervisor, {}, {})
    path = f"{LINKS}{LinkSuggestion.objects.get().pk}/confirm/"
    response = post(api(supervisor), path, {"cluster_name": "x" * 120})
    assert response.status_code == 200
    assert Cluster.objects.get().name == "x" * 120


def test_a_non_json_dismissal_is_a_400(api, supervisor):
    suggest(supervisor, {}, {})
    path = f"{LINKS}{LinkSuggestion.objects.get().pk}/dismiss/"
    response = api(supervisor).post(path, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert LinkSuggestion.objects.get().state == "open"


# --- Query counts -----------------------------------------------------------------------------


def _queries(client, path, page_size):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": page_size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) >= min(page_size, 2)
    return len(queries)


def test_the_list_costs_the_same_queries_whatever_the_page_size(api, supervisor, settings):
    settings.HOTLINE_MATCH_THRESHOLD = 85
    cases = suggest(supervisor, {}, {}, {}, {})
    for case in cases[:2]:
        party = PartyFactory(actor=supervisor, case=case, role="recruiter", name="Rex Stone")
        tasks.match_record("party", party.pk)
    linking.link_confirm(actor=supervisor, suggestion=pair(cases[0], cases[1]))
    assert LinkSuggestion.objects.count() == 7
    client = api(supervisor)
    client.get("/api/v1/industries/")  # the token's first use is recorded once
    assert _queries(client, LINKS, 2) == _queries(client, LINKS, 50) <= 10


def test_the_clusters_list_costs_the_same_queries_whatever_the_page_size(api, supervisor):
    cases = suggest(supervisor, *({} for _ in range(6)))
    for first, second in ((0, 1), (2, 3), (4, 5)):
        linking.link_confirm(actor=supervisor, suggestion=pair(cases[first], cases[second]))
    client = api(supervisor)
    client.get("/api/v1/industries/")  # the token's first use is recorded once
    assert _queries(client, "/api/v1/clusters/", 2) == _queries(client, "/api/v1/clusters/", 50)
    assert _queries(client, "/api/v1/clusters/", 2) <= 10


# --- Clusters -------------------------------------------------------------------------------


def test_staff_read_clusters_with_the_member_cases_they_may_see(
    api, supervisor, advocate, team, other_team
):
    mine, restricted, elsewhere = suggest(
        supervisor, {"team": team}, {"team": team, "is_restricted": True}, {"team": other_team}
    )
    post(api(supervisor), f"{LINKS}{pair(mine, restricted).pk}/confirm/",
         {"cluster_name": "Operation Harbor"})  # fmt: skip
    post(api(supervisor), f"{LINKS}{pair(mine, elsewhere).pk}/confirm/")
    cluster = Cluster.objects.get()

    response = api(supervisor).get(f"/api/v1/clusters/{cluster.pk}/")
    assert response.status_code == 200
    assert response.json()["cases"] == [mine.reference, restricted.reference, elsewhere.reference]
    assert AuditEntry.objects.filter(action="view", object_kind="cluster").exists()

    (row,) = api(advocate).get("/api/v1/clusters/", {"case": mine.reference}).json()["results"]
    assert row == {
        "id": cluster.pk, "name": "Operation Harbor", "created_at": row["created_at"],
        "cases": [mine.reference],
    }  # fmt: skip
    listed = AuditEntry.objects.filter(action="list", object_kind="case").latest("pk")
    assert listed.object_ids == [mine.pk]


def test_a_cluster_of_no_case_the_caller_may_see_is_not_found(
    api, supervisor, advocate, partner, other_team
):
    suggest(supervisor, {"team": other_team}, {"team": other_team})
    cluster = linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())
    client = api(advocate)
    assert client.get("/api/v1/clusters/").json()["results"] == []
    assert client.get(f"/api/v1/clusters/{cluster.pk}/").status_code == 404
    response = api(partner).get("/api/v1/clusters/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_filtering_clusters_by_a_case_the_caller_may_not_see_finds_none(
    api, supervisor, advocate, team
):
    # The advocate sees the cluster through their case, not the restricted one in it: asking
    # by the restricted case's reference answers as for a case that does not exist.
    mine, restricted = suggest(supervisor, {"team": team}, {"team": team, "is_restricted": True})
    linking.link_confirm(actor=supervisor, suggestion=pair(mine, restricted))
    client = api(advocate)
    assert len(client.get("/api/v1/clusters/", {"case": mine.reference}).json()["results"]) == 1
    for reference in (restricted.reference, "HT-2020-999999"):
        response = client.get("/api/v1/clusters/", {"case": reference})
        assert response.status_code == 200 and response.json()["results"] == []
        assert restricted.reference not in response.content.decode()
    # The supervisor, who sees it, finds the cluster by it.
    (row,) = (
        api(supervisor).get("/api/v1/clusters/", {"case": restricted.reference}).json()["results"]
    )
    assert row["cases"] == [mine.reference, restricted.reference]


def test_the_migration_renames_the_clusters_named_after_a_case_and_keeps_given_names(supervisor):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0010_cluster_default_names")
    first, second = CaseFactory(actor=supervisor), CaseFactory(actor=supervisor)
    old = Cluster.objects.create(name=f"Operation {first.reference}", created_by=supervisor)
    given = Cluster.objects.create(name="Operation Harbor", created_by=supervisor)
    about = Cluster.objects.create(name=f"Operation {second.reference} and more")
    migration.rename_case_named_clusters(apps, None)
    names = dict(Cluster.objects.values_list("pk", "name"))
    assert names == {
        old.pk: f"Operation {old.pk}",
        given.pk: "Operation Harbor",
        about.pk: f"Operation {second.reference} and more",
    }
