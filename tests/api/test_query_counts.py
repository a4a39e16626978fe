"""Every list costs the same number of queries whatever its page size: nothing is fetched row
by row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from hotline.models import PartnerOrganisation, Tip
from tests.factories import CallFactory, CaseFactory, PartyFactory, TipFactory
from tests.sql_helpers import statement_of

pytestmark = pytest.mark.django_db

ROWS = 6


@pytest.fixture
def many(advocate, organisation, partner):
    cases = []
    for number in range(ROWS):
        case = CaseFactory(actor=advocate, team=advocate.team)
        case_services.referral_send(
            actor=advocate, case=case, organisation=organisation, reason="Other",
            shares_identities=number % 2 == 0,
        )  # fmt: skip
        cases.append(case)
    first = cases[0]
    for number in range(ROWS):
        party = PartyFactory(actor=advocate, case=first)
        case_services.identifier_add(
            actor=advocate, case=first, party=party, kind="email", value=f"p{number}@example.org"
        )
        case_services.venue_add(actor=advocate, case=first, name=f"Venue {number}")
        case_services.outcome_record(
            actor=advocate, case=first, kind="conviction", occurred_on=first.opened_at.date()
        )
        CallFactory(advocate=advocate)
        TipFactory(source=Tip.Source.PARTNER, organisation=organisation, submitted_by=partner)
        PartnerOrganisation.objects.create(name=f"Org {number}", type="NGO")
    for number in range(ROWS - 1):
        case_services.referral_send(
            actor=advocate, case=first,
            organisation=PartnerOrganisation.objects.get(name=f"Org {number}"), reason="Other",
        )  # fmt: skip
    return first


LISTS = [
    "/api/v1/calls/",
    "/api/v1/tips/",
    "/api/v1/cases/",
    "/api/v1/cases/{case}/parties/",
    "/api/v1/cases/{case}/identifiers/",
    "/api/v1/cases/{case}/venues/",
    "/api/v1/cases/{case}/referrals/",
    "/api/v1/cases/{case}/outcomes/",
    "/api/v1/cases/{case}/events/",
    "/api/v1/industries/",
    "/api/v1/regions/",
    "/api/v1/organisations/",
]


def _queries(client, path, page_size):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": page_size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) >= min(page_size, 2)
    # Not the rate limit's: it counts in the database here (in Redis in production), and a
    # new minute's window costs it one more statement, whenever the clock turns.
    # Nor the PREPAREs of a statement's first use on a connection (the EXECUTE is the query).
    return sum(
        "hotline_apiratecounter" not in query["sql"] and not query["sql"].startswith("PREPARE ")
        for query in queries
    )


CASES = [("supervisor", path) for path in LISTS] + [
    ("partner", "/api/v1/cases/"),
    ("partner", "/api/v1/tips/"),
    ("partner", "/api/v1/cases/{case}/parties/"),
    ("partner", "/api/v1/cases/{case}/identifiers/"),
    ("advocate", "/api/v1/calls/"),
    ("advocate", "/api/v1/cases/"),
]


# What each list costs, in queries, on every database: the token with its account and role
# (1), the rows, what a page needs besides (the case codes in one query; for a
# partner, which cases share identities), the audit row. Lower them when a query goes; raising
# one needs a reason in the commit.
COSTS = {
    ("supervisor", "/api/v1/calls/"): 3,
    ("supervisor", "/api/v1/tips/"): 4,
    ("supervisor", "/api/v1/cases/"): 4,
    ("supervisor", "/api/v1/cases/{case}/parties/"): 5,
    ("supervisor", "/api/v1/cases/{case}/identifiers/"): 5,
    ("supervisor", "/api/v1/cases/{case}/venues/"): 5,
    ("supervisor", "/api/v1/cases/{case}/referrals/"): 5,
    ("supervisor", "/api/v1/cases/{case}/outcomes/"): 5,
    ("supervisor", "/api/v1/cases/{case}/events/"): 4,
    ("supervisor", "/api/v1/industries/"): 3,
    ("supervisor", "/api/v1/regions/"): 3,
    ("supervisor", "/api/v1/organisations/"): 3,
    ("partner", "/api/v1/cases/"): 5,
    ("partner", "/api/v1/tips/"): 4,
    ("partner", "/api/v1/cases/{case}/parties/"): 6,
    ("partner", "/api/v1/cases/{case}/identifiers/"): 6,
    ("advocate", "/api/v1/calls/"): 3,
    ("advocate", "/api/v1/cases/"): 4,
}
# On PostgreSQL a case list's audit row is written by the statement that reads the page's code
# lists (hotline.audit.execute_listed): one query less there.
AUDITED_WITH_THE_CODES = {(who, "/api/v1/cases/") for who in ("supervisor", "partner", "advocate")}


def _cost(who, template):
    one_less = connection.vendor == "postgresql" and (who, template) in AUDITED_WITH_THE_CODES
    return COSTS[who, template] - one_less


@pytest.mark.parametrize(("who", "template"), CASES)
def test_a_list_costs_the_same_whatever_its_page_size(request, api, many, who, template):
    client = api(request.getfixturevalue(who))
    path = template.format(case=many.reference)
    client.get("/api/v1/industries/")  # the token's first use is recorded once
    small, large = _queries(client, path, 2), _queries(client, path, ROWS)
    assert small == large
    assert large == _cost(who, template)


def test_every_list_s_cost_is_written_down():
    assert set(COSTS) == set(CASES)


def _one(client, method, path, **kwargs):
    """The statements of one request, but for the rate limit's (in the database in tests, in
    Redis in production), savepoints and the PREPAREs of a statement's first use on a
    connection."""
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code < 300, response.content
    return [
        query["sql"]
        for query in queries.captured_queries
        if "hotline_apiratecounter" not in query["sql"]
        and "SAVEPOINT" not in query["sql"]
        and not query["sql"].startswith("PREPARE ")
    ]


def test_reading_a_case_costs_four_queries(api, advocate, many):
    client = api(advocate)
    client.get("/api/v1/industries/")
    # The token with account and role, the case, its code lists, the audit row.
    assert len(_one(client, "get", f"/api/v1/cases/{many.reference}/")) == 4


def test_logging_a_call_checks_its_rules_in_the_insert(api, advocate):
    client = api(advocate)
    client.get("/api/v1/industries/")
    call = {"channel": "phone", "caller_type": "anonymous", "reason": "not_related"}
    statements = _one(client, "post", "/api/v1/calls/", data=call, format="json")
    # The token with account and role, the call, its audit row; no SELECT per constraint,
    # no reading the new call back.
    verbs = [statement_of(sql).split()[0].upper() for sql in statements]
    assert verbs == ["SELECT", "INSERT", "INSERT"]
