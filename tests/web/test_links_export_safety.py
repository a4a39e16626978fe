"""A cluster's exports (cases/views/links.py) survive hostile labels: CSV cells a spreadsheet
would run as a formula are neutralised, and the GraphML file parses whatever the labels hold."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from cases import services
from cases.models import Venue
from cases.views.links import _csv_safe, _graphml
from tests.factories import CaseFactory, PartyFactory
from tests.financial_helpers import cluster_of

pytestmark = pytest.mark.django_db

NS = "{http://graphml.graphdrawing.org/xmlns}"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_prefixed_with_a_quote(start):
    text = f'{start}HYPERLINK("http://evil.example")'
    assert _csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Harbor Motel", "", " =not at the start", "'quoted"])
def test_an_ordinary_cell_is_left_as_it_is(text):
    assert _csv_safe(text) == text


def test_the_graphml_of_labels_with_control_characters_still_parses():
    graph = {
        "nodes": [
            {"id": "case-1", "type": "case", "label": "HT-2026-000001", "status": "new"},
            {"id": "venue-2", "type": "venue", "label": "Bad\x00\x01\x08\x0b\x0c\x1f\x7fBar"},
            {"id": "party-3", "type": "party", "label": 'Tab\tNew\nLine\rEnd <&> "q" \ufffe'},
        ],
        "edges": [{"id": "e0", "source": "case-1", "target": "venue-2"}],
    }
    root = ET.fromstring(_graphml(graph).encode("utf-8"))
    labels = {
        node.get("id"): {data.get("key"): data.text for data in node.findall(f"{NS}data")}
        for node in root.iter(f"{NS}node")
    }
    # The forbidden characters are gone; DEL (allowed in XML 1.0), tab, newline and the
    # escaped markup characters are kept as they were.
    assert labels["venue-2"]["label"] == "Bad\x7fBar"
    assert labels["party-3"]["label"].startswith("Tab\tNew\nLine")
    assert '<&> "q"' in labels["party-3"]["label"]


def test_the_exports_of_a_cluster_with_hostile_names_are_safe_end_to_end(client, supervisor, team):
    first = CaseFactory(actor=supervisor, team=team)
    second = CaseFactory(actor=supervisor, team=team)
    PartyFactory(actor=supervisor, case=first, role="recruiter", name="Rex\x0bthe\x1bRecruiter")
    services.venue_add(actor=supervisor, case=first, name="=1+1")
    # The services strip what is typed; a name loaded another way (the admin, a bulk load)
    # may still start with a tab or a carriage return.
    Venue.objects.create(case=first, name="\tcmd|' /C calc'!A0")
    Venue.objects.create(case=second, name="\r@SUM(A1)")
    cluster = cluster_of(supervisor, [first, second])
    client.force_login(supervisor)

    graphml = client.get(reverse("links:cluster_graphml", args=[cluster.pk]))
    root = ET.fromstring(graphml.content)
    labels = [
        data.text
        for data in root.iter(f"{NS}data")
        if data.get("key") == "label" and data.text and "Rex" in data.text
    ]
    assert labels == ["Rexthe\x1bRecruiter (Recruiter)".replace("\x1b", "")]

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("links:cluster_csv", args=[cluster.pk])).content.decode()
            )
        )
    )
    venue_labels = sorted(row[3] for row in rows if row[2] == "venue")
    assert venue_labels == sorted(["'=1+1", "'\tcmd|' /C calc'!A0", "'\r@SUM(A1)"])
