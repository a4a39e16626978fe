"""Writes that race each other on PostgreSQL, as several web processes would: the row locks in
the services keep the data right."""

import threading
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases import services
from cases.models import Case
from tests.factories import CaseFactory, TipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*actions):
    """Run each action in its own thread and database connection, all released at once;
    return what each returned or raised."""
    start = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            start.wait()
            results[index] = action()
        except Exception as error:  # the caller inspects what was raised
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_cases_opened_at_the_same_moment_get_distinct_consecutive_references(advocate):
    results = race(*[lambda: CaseFactory(actor=advocate) for _ in range(8)])
    assert all(isinstance(result, Case) for result in results), results
    numbers = sorted(int(case.reference.rsplit("-", 1)[1]) for case in results)
    assert numbers == list(range(1, 9))


def test_of_two_edits_of_the_same_version_exactly_one_wins(advocate, supervisor):
    case = CaseFactory(actor=advocate)
    results = race(
        lambda: services.case_update(actor=advocate, case=case, expected_version=1, priority=3),
        lambda: services.case_update(actor=supervisor, case=case, expected_version=1, priority=4),
    )
    winners = [result for result in results if isinstance(result, Case)]
    losers = [result for result in results if isinstance(result, services.CaseChanged)]
    assert (len(winners), len(losers)) == (1, 1), results
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.priority, fresh.version) == (winners[0].priority, 2)
    assert fresh.events.filter(kind="updated").count() == 1


def test_a_tip_opened_twice_at_the_same_moment_gives_one_case(advocate, supervisor):
    tip = TipFactory()
    results = race(
        lambda: services.case_open_from_tip(actor=advocate, tip=tip),
        lambda: services.case_open_from_tip(actor=supervisor, tip=tip),
    )
    assert sorted(type(result).__name__ for result in results) == ["Case", "ValidationError"]
    refusal = next(result for result in results if isinstance(result, ValidationError))
    assert Case.objects.get().reference in str(refusal)


def test_two_links_of_one_case_confirmed_at_the_same_moment_give_one_cluster(supervisor, team):
    # A, B and C share a phone and none is in a cluster. Confirming (A, B) and (A, C) at once:
    # both would make a cluster and put A in it; the locks on the cases make the second wait
    # and join the first's cluster. Through the API, as two supervisors would: never a 500.
    from rest_framework.test import APIClient

    from cases import tasks
    from cases.models import ClusterMembership, LinkSuggestion
    from hotline.models import Role
    from hotline.services import api_token_issue, user_create
    from tests.web.conftest import case_with_phone

    second_supervisor = user_create(
        username="sid", password="a-long-test-password-1", role=Role.SUPERVISOR, team=team
    )
    clients = []
    for user in (supervisor, second_supervisor):
        client = APIClient()
        token = api_token_issue(actor=None, user=user)[1]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.get("/api/v1/industries/")  # the token's first use is recorded beforehand
        clients.append(client)
    for number in range(3):
        # A phone of each round's own, so that a round's cases match only one another.
        phone = f"+1 713 555 02{number:02d}"
        a, b, c = (case_with_phone(actor=supervisor, team=team, phone=phone) for _ in range(3))
        for case in (a, b, c):
            tasks.match_record("identifier", case.identifiers.get().pk)
        ab = LinkSuggestion.objects.get(case_a=a, case_b=b)
        ac = LinkSuggestion.objects.get(case_a=a, case_b=c)
        results = race(
            *(
                partial(client.post, f"/api/v1/links/{suggestion.pk}/confirm/", {}, format="json")
                for client, suggestion in zip(clients, (ab, ac), strict=True)
            )
        )
        assert [getattr(result, "status_code", result) for result in results] == [200, 200]
        clusters = set(
            ClusterMembership.objects.filter(case__in=[a, b, c]).values_list("cluster", flat=True)
        )
        assert len(clusters) == 1
        assert ClusterMembership.objects.filter(case__in=[a, b, c]).count() == 3
