"""Validation against published figures: the cases the US National Human Trafficking Hotline
identified per state in 2024 (Polaris), loaded as cases, come back per state and in total from
the statistics API and from the dashboard's state table."""

import csv
import datetime
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from hotline.models import Region
from reports import rollups

pytestmark = pytest.mark.django_db

TABLE = (
    Path(__file__).resolve().parents[2]
    / "hotline/reference/polaris_hotline_state_statistics_2024.csv"
)
# Where the published table's names differ from ISO 3166-2's.
NAMES = {
    "Northern Marianas Islands": "US-MP",
    "U.S. Virgin Islands": "US-VI",
    "District of Columbia": "US-DC",
}


def published():
    with TABLE.open(newline="") as f:
        rows = list(csv.DictReader(f))
    codes = dict(Region.objects.filter(country_code="US", depth=1).values_list("name", "code"))
    return {
        NAMES.get(row["State"]) or codes[row["State"]]: int(row["Cases identified"]) for row in rows
    }


@pytest.fixture
def polaris_2024():
    figures = published()
    regions = dict(Region.objects.filter(code__in=figures).values_list("code", "pk"))
    start = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)
    number = 0
    batch = []
    for code, n in figures.items():
        for _ in range(n):
            number += 1
            batch.append(
                Case(
                    reference=f"HT-2024-{number:06d}",
                    region_id=regions[code],
                    # Spread over the year, so the counts cross many days.
                    opened_at=start + datetime.timedelta(days=number % 366),
                )
            )
    # One bulk insert: the triggers mark the days like any other write.
    Case.objects.bulk_create(batch, batch_size=2000)
    rollups.rollup_pending()
    return figures


def test_the_published_state_figures_come_back_from_the_api_and_the_dashboard(
    polaris_2024, supervisor, client
):
    assert sum(polaris_2024.values()) == 11_188

    api = APIClient()
    api.force_login(supervisor)
    body = api.get(
        "/api/v1/stats/",
        {
            "metric": "cases",
            "group_by": "region",
            "region_level": "state",
            "region": "US",
            "from": "2024-01-01",
            "to": "2024-12-31",
        },
    ).json()
    from_api = {row["region"]: row["count"] for row in body["results"]}
    assert from_api == {code: n for code, n in polaris_2024.items() if n}
    assert body["totals"] == [{"region": "all", "count": 11_188}]

    client.force_login(supervisor)
    html = client.get(
        "/dashboard/", {"date_from": "2024-01-01", "date_to": "2024-12-31"}
    ).content.decode()
    table = html[html.index('id="state-table"') :]
    rows = re.findall(
        r'<tr data-region="([A-Z-]+)"><td>[A-Z-]+</td><th scope="row">[^<]+</th>'
        r'<td class="num">(\d+)</td></tr>',
        table,
    )
    assert {code: int(n) for code, n in rows} == {code: n for code, n in polaris_2024.items() if n}
    assert "(total 11188)" in table
