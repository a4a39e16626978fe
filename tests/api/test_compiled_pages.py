"""A case list's first page is run from what was built for the same query before
(hotline.db.CompiledPages): it must answer exactly what building it afresh answers, for
every user by their own rule, with rows added since, and never be used for what it may not
be kept for (a later page, a code looked up in the database)."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cases.api.views import CaseViewSet
from cases.models import Case, Priority
from hotline import access
from hotline.db import CompiledPages
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

QUERIES = [
    {},
    {"status": "active"},
    {"status": ["new", "active"], "page_size": "2"},
    {"priority": str(Priority.HIGH)},
    {"q": "harbor"},
    {"ordering": "reference", "page_size": "3"},
    {"ordering": "-priority"},
    {"opened_at_after": "2020-01-01", "is_restricted": "false"},
    {"assignee": "1"},
]


@pytest.fixture
def cases(advocate, other_advocate, supervisor):
    made = []
    for number in range(6):
        made.append(
            CaseFactory(
                actor=advocate,
                team=advocate.team,
                priority=[Priority.HIGH, Priority.NORMAL][number % 2],
                summary="Seen at the harbor" if number % 3 == 0 else "A farm",
            )
        )
    made.append(CaseFactory(actor=other_advocate, team=other_advocate.team))
    Case.objects.filter(pk=made[0].pk).update(status="active")
    return made


def _afresh(client, query, monkeypatch):
    with monkeypatch.context() as change:
        change.setattr(CaseViewSet, "pages_kept_for", None)
        return client.get("/api/v1/cases/", query)


@pytest.mark.parametrize("who", ["advocate", "other_advocate", "supervisor", "partner"])
@pytest.mark.parametrize("query", QUERIES)
def test_a_kept_page_answers_what_building_it_afresh_answers(
    request, api, cases, referred_case, who, query, monkeypatch
):
    client = api(request.getfixturevalue(who))
    first, again = client.get("/api/v1/cases/", query), client.get("/api/v1/cases/", query)
    afresh = _afresh(client, query, monkeypatch)
    assert first.status_code == again.status_code == afresh.status_code == 200
    assert first.json() == again.json() == afresh.json()


def test_a_kept_page_shows_rows_added_and_changed_since(api, advocate, cases, monkeypatch):
    client = api(advocate)
    before = client.get("/api/v1/cases/", {"ordering": "-opened_at"}).json()["results"]
    added = CaseFactory(actor=advocate, team=advocate.team)
    Case.objects.filter(pk=cases[1].pk).update(summary="Changed")
    after = client.get("/api/v1/cases/", {"ordering": "-opened_at"}).json()
    assert after == _afresh(client, {"ordering": "-opened_at"}, monkeypatch).json()
    references = [row["reference"] for row in after["results"]]
    assert added.reference in references and added.reference not in [
        row["reference"] for row in before
    ]


def test_each_user_keeps_their_own_page(api, advocate, other_advocate, cases):
    mine = {case.reference for case in cases if case.team_id == advocate.team_id}
    for _ in range(2):
        alice = api(advocate).get("/api/v1/cases/").json()["results"]
        wes = api(other_advocate).get("/api/v1/cases/").json()["results"]
        assert {row["reference"] for row in alice} == mine
        assert not {row["reference"] for row in wes} & mine


def test_later_pages_and_looked_up_codes_are_built_every_time(api, advocate, cases):
    client = api(advocate)
    first = client.get("/api/v1/cases/", {"page_size": "2"}).json()
    second = client.get(first["next"]).json()
    assert second["results"] and not {row["reference"] for row in second["results"]} & {
        row["reference"] for row in first["results"]
    }
    assert _page_key(advocate, industry="x") is None
    assert _page_key(advocate, cursor="abc") is None
    assert _page_key(advocate, status="active") is not None


def test_a_refused_filter_is_refused_every_time(api, advocate, cases):
    client = api(advocate)
    for _ in range(2):
        response = client.get("/api/v1/cases/", {"status": "nonsense"})
        assert response.status_code == 400


def _page_key(user, **params):
    view = CaseViewSet()
    view.request = Request(APIRequestFactory().get("/api/v1/cases/", params))
    view.request.user = user
    return view.page_key()


def test_a_page_is_built_and_compiled_once_per_shape(advocate, cases):
    pages = CompiledPages()
    built = []

    def build():
        built.append(1)
        return access.cases_for(advocate, Case.objects.all()).values("pk").order_by("-pk")

    first = list(pages.queryset("shape", Case, build)[:3])
    (entry,) = pages._entries.values()
    kept = entry.compiler
    newer = CaseFactory(actor=advocate, team=advocate.team)
    again = list(pages.queryset("shape", Case, build)[:3])
    assert built == [1] and kept is not None and entry.compiler is kept
    assert again[0] == {"pk": newer.pk} and again[1:] == first[:2]
