"""Partners read a fixed set of one-dimensional tables of whole calendar years, so that no two
answers can be differenced into a withheld count (docs/statistics.md)."""

import datetime
import itertools
import random
from fractions import Fraction

import pytest
from rest_framework.test import APIClient

from hotline.models import AuditEntry
from tests.reports.helpers import cases, rolled_up

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/"
YEAR = 2025


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    rates = {"user": "100000/minute", "anon": "100000/minute", "public_tips": "100000/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.HOTLINE_API_THROTTLE_REDIS_URL = None


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def at(month, day=14):
    return datetime.datetime(YEAR, month, day, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def repro(db):
    cases(199, where="US-TX", opened_at=at(5))
    cases(1, where="US-TX", opened_at=at(11, 25))
    rolled_up()


def test_the_differencing_repro_is_refused(partner, repro):
    client = client_for(partner)
    whole = client.get(URL, {"metric": "cases", "year": YEAR})
    assert whole.status_code == 200
    assert whole.json()["totals"] == [{"count": 200}]
    for params, field in [
        ({"to": f"{YEAR}-11-20"}, "from"),
        ({"from": f"{YEAR}-11-21"}, "from"),
        ({"from": f"{YEAR}-01-01", "to": f"{YEAR}-11-20"}, "from"),
        ({"from": f"{YEAR}-01-01", "to": f"{YEAR + 1}-12-31"}, "from"),
        ({"year": YEAR, "to": f"{YEAR}-12-31"}, "year"),
    ]:
        response = client.get(URL, {"metric": "cases", **params})
        assert response.status_code == 400, params
        assert field in response.json()["error"]["fields"], params


def test_staff_can_still_difference_freely(advocate, repro):
    body = client_for(advocate).get(URL, {"metric": "cases", "to": f"{YEAR}-11-20"}).json()
    assert body["totals"] == [{"count": 199}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "region,industry"}, "group_by"),
        ({"group_by": "region", "period": "month"}, "group_by"),
        ({"period": "week"}, "period"),
        ({"period": "day"}, "period"),
        ({"group_by": "region", "region_level": "country"}, "region_level"),
        ({"group_by": "region", "region_level": "region"}, "region_level"),
        ({"region": "US-TX"}, "region"),
        ({"census_region": "south"}, "census_region"),
        ({"industry": "escort_services"}, "industry"),
        ({"type": "sex"}, "type"),
        ({"metric": "referrals_services"}, "metric"),
        ({"metric": "calls_from_victims"}, "metric"),
        ({"year": "1999"}, "year"),
        ({"year": "twenty"}, "year"),
    ],
)
def test_partners_get_a_400_naming_the_rule_they_broke(partner, repro, params, field):
    response = client_for(partner).get(URL, {"metric": "cases", "year": YEAR, **params})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_partners_default_to_the_last_complete_year(partner, repro):
    body = client_for(partner).get(URL, {"metric": "cases"}).json()
    assert (body["from"], body["to"]) == ("2025-01-01", "2025-12-31")
    assert body["totals"] == [{"count": 200}]
    spelled_out = client_for(partner).get(
        URL, {"metric": "cases", "from": "2025-01-01", "to": "2025-12-31"}
    )
    assert spelled_out.json() == body


def test_each_partner_request_is_audited(partner, advocate, repro):
    before = AuditEntry.objects.filter(object_kind="stats").count()
    client_for(partner).get(URL, {"metric": "cases", "group_by": "region", "year": YEAR})
    client_for(advocate).get(URL, {"metric": "cases"})
    entries = list(AuditEntry.objects.filter(object_kind="stats"))
    assert len(entries) == before + 1
    assert entries[-1].user == partner
    assert entries[-1].action == AuditEntry.Action.LIST
    assert entries[-1].request_id
    asked = entries[-1].query
    assert (asked["metric"], asked["group_by"]) == ("cases", ["region"])
    assert (asked["date_from"], asked["date_to"]) == (f"{YEAR}-01-01", f"{YEAR}-12-31")


# --- No withheld cell follows from the union of every table a partner may read ---

REGIONS = ["US-TX", "US-CA", "US-NY", "US-FL", "MX"]
INDUSTRIES = ["agriculture_animal_husbandry", "escort_services", "construction"]
TYPES = ["labor", "sex"]


def _rank(rows):
    """Rank of a list of {variable: Fraction} rows, exactly."""
    rows = [dict(row) for row in rows if row]
    rank = 0
    pivots = []
    for row in rows:
        for column, pivot in pivots:
            if column in row:
                factor = row[column]
                for k, v in pivot.items():
                    row[k] = row.get(k, 0) - factor * v
                row = {k: v for k, v in row.items() if v}
        if row:
            column = min(row)
            scale = row[column]
            pivots.append((column, {k: Fraction(v) / scale for k, v in row.items()}))
            rank += 1
    return rank


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_withheld_cell_follows_from_all_the_tables_of_a_year(partner, seed):
    rng = random.Random(seed)
    for _ in range(rng.randint(8, 14)):
        cases(
            rng.choice([1, 1, 2, 3, 5, 8, 13, 20]),
            where=rng.choice(REGIONS),
            what=rng.choice(INDUSTRIES),
            type=rng.choice(TYPES),
            opened_at=at(rng.randint(1, 12), rng.randint(1, 28)),
        )
    cases(3, where="US-TX", opened_at=at(3), what="construction")
    cases(1, where="US-TX", opened_at=datetime.datetime(YEAR + 1, 1, 3, tzinfo=datetime.UTC))
    rolled_up()
    client = client_for(partner)
    tables = {}
    for dimension in [None, "region", "industry", "type", "period"]:
        params = {"metric": "cases", "year": YEAR}
        if dimension == "period":
            params["period"] = "month"
        elif dimension:
            params["group_by"] = dimension
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        tables[dimension] = response.json()
    months = [f"{YEAR}-{m:02d}-01" for m in range(1, 13)]
    values = {"region": REGIONS, "industry": INDUSTRIES, "type": TYPES, "period": months}
    dims = list(values)
    # The attacker's unknowns: every combination of the dimensions' values.
    cells = {combo: i for i, combo in enumerate(itertools.product(*values.values()))}

    def functional(dimension, value):
        if dimension is None or value == "all":
            return {i: Fraction(1) for i in cells.values()}
        position = dims.index(dimension)
        return {i: Fraction(1) for combo, i in cells.items() if combo[position] == value}

    published, withheld, totals = [], [], set()
    for dimension, body in tables.items():
        key = dimension or "count"
        for row in body["results"] + body["totals"]:
            value = row.get(key) if dimension else None
            if row.get("suppressed"):
                withheld.append(((dimension, value), functional(dimension, value)))
            else:
                published.append(functional(dimension, value))
                if dimension is None or value == "all":
                    totals.add(row["count"])
        if dimension:
            shown = {row[dimension] for row in body["results"]}
            # A value a table leaves out is known to be zero: publish that too.
            published += [functional(dimension, v) for v in values[dimension] if v not in shown]
    assert len(totals) == 1  # every table has the same grand total, and nothing else in common
    assert withheld, "the data should have small cells"
    base = _rank(published)
    for name, row in withheld:
        assert _rank([*published, row]) == base + 1, f"{name} is determined by the tables"


def test_the_rank_check_catches_a_difference_of_two_tables():
    # The old flexible cube: the whole range (a + b) and the range without the last days (a)
    # are both published; b is then determined, and the check must say so.
    one = Fraction(1)
    published = [{0: one, 1: one}, {0: one}]
    assert _rank([*published, {1: one}]) == _rank(published)
    assert _rank([{0: one, 1: one}, {1: one}]) == _rank([{0: one, 1: one}]) + 1
