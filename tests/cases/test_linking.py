"""Cross-case matching, link suggestions and clusters (cases/linking.py, docs/linking.md)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import linking, services, tasks
from cases.models import CaseEvent, Cluster, ClusterMembership, LinkSuggestion
from hotline.models import AuditEntry
from tests.factories import CaseFactory, PartyFactory

pytestmark = pytest.mark.django_db


def case_with(actor, kind="phone", value="+1 713 555 0147"):
    case = CaseFactory(actor=actor)
    identifier = services.identifier_add(actor=actor, case=case, kind=kind, value=value)
    return case, identifier


def test_the_same_number_written_two_ways_produces_one_suggestion(supervisor):
    first, _ = case_with(supervisor, value="+1 713 555 0147")
    second, identifier = case_with(supervisor, value="(713) 555-0147")

    tasks.match_record("identifier", identifier.pk)
    tasks.match_record("identifier", identifier.pk)

    suggestion = LinkSuggestion.objects.get()
    assert (suggestion.case_a, suggestion.case_b) == (first, second)
    assert suggestion.kind == "identifier" and suggestion.detail == "phone"
    assert suggestion.score == 1.0 and suggestion.state == "open"
    assert suggestion.match_key == identifier.value_hash


def test_matching_runs_after_the_service_commits(supervisor, django_capture_on_commit_callbacks):
    case_with(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        case_with(supervisor, value="713.555.0147")
    assert LinkSuggestion.objects.count() == 1


def test_a_third_case_with_the_number_joins_the_set_without_duplicates(supervisor):
    first, one = case_with(supervisor)
    second, two = case_with(supervisor, value="713-555-0147")
    third, three = case_with(supervisor, value="+17135550147")

    for identifier in (one, two, three, one, two, three):
        tasks.match_record("identifier", identifier.pk)

    pairs = set(LinkSuggestion.objects.values_list("case_a", "case_b"))
    assert pairs == {(first.pk, second.pk), (first.pk, third.pk), (second.pk, third.pk)}
    assert LinkSuggestion.objects.count() == 3


def test_a_dismissed_pair_stays_dismissed_after_the_task_and_the_sweep(supervisor):
    _, one = case_with(supervisor)
    _, two = case_with(supervisor, value="713 555 0147")
    tasks.match_record("identifier", two.pk)
    suggestion = LinkSuggestion.objects.get()

    linking.link_dismiss(actor=supervisor, suggestion=suggestion)
    tasks.match_record("identifier", one.pk)
    tasks.match_record("identifier", two.pk)
    tasks.match_sweep()
    tasks.match_sweep()

    suggestion = LinkSuggestion.objects.get()
    assert suggestion.state == "dismissed" and suggestion.decided_by == supervisor
    with pytest.raises(ValidationError):
        linking.link_dismiss(actor=supervisor, suggestion=suggestion)


def test_matching_compares_the_keyed_hash_and_never_an_encrypted_column(supervisor):
    case_with(supervisor)
    _, two = case_with(supervisor, value="713 555 0147")
    with CaptureQueriesContext(connection) as queries:
        linking.match_identifier(two.pk)
    identifier_queries = [q["sql"] for q in queries if '"cases_identifier"' in q["sql"]]
    assert identifier_queries
    for sql in identifier_queries:
        assert '"value_hash"' in sql
        assert '"normalised"' not in sql and '"value"' not in sql
    # What is stored is not what was typed: the match could only come from the hash.
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, normalised FROM cases_identifier WHERE id = %s", [two.pk])
        stored = cursor.fetchone()
    assert "713" not in stored[0] and "713" not in stored[1]
    assert LinkSuggestion.objects.count() == 1


def test_different_numbers_and_different_kinds_do_not_match(supervisor):
    case_with(supervisor, value="+1 713 555 0147")
    _, other = case_with(supervisor, value="+1 713 555 0148")
    _, email = case_with(supervisor, kind="email", value="boss@example.org")
    tasks.match_record("identifier", other.pk)
    tasks.match_record("identifier", email.pk)
    assert not LinkSuggestion.objects.exists()


def test_an_identifier_on_a_tip_matches_once_the_tip_is_linked_to_a_case(supervisor):
    from tests.factories import TipFactory

    case, _ = case_with(supervisor)
    tip = TipFactory()
    mentioned = services.identifier_add(actor=None, tip=tip, kind="phone", value="7135550147")
    tasks.match_record("identifier", mentioned.pk)
    assert not LinkSuggestion.objects.exists()

    other = CaseFactory(actor=supervisor)
    services.case_link_tip(actor=supervisor, case=other, tip=tip)
    tasks.match_sweep()
    suggestion = LinkSuggestion.objects.get()
    assert {suggestion.case_a, suggestion.case_b} == {case, other}


def test_close_names_of_perpetrators_are_suggested_with_their_score(supervisor, settings):
    settings.HOTLINE_MATCH_THRESHOLD = 85
    first, second, third = (CaseFactory(actor=supervisor) for _ in range(3))
    PartyFactory(actor=supervisor, case=first, role="recruiter", name="Juan Carlos Pérez")
    PartyFactory(actor=supervisor, case=third, role="recruiter", name="Maria Gomez")
    # A victim with the same name is never matched: only perpetrator roles are.
    PartyFactory(actor=supervisor, case=third, name="Juan Carlos Perez")
    party = PartyFactory(actor=supervisor, case=second, role="exploiter", name="Perez, Juan Carlos")

    for pk in (party.pk, *first.parties.values_list("pk", flat=True)):
        tasks.match_record("party", pk)

    suggestion = LinkSuggestion.objects.get()
    assert (suggestion.case_a, suggestion.case_b, suggestion.kind) == (first, second, "party_name")
    assert 0.85 <= suggestion.score <= 1.0


def test_close_venue_names_are_suggested(supervisor):
    first, second = CaseFactory(actor=supervisor), CaseFactory(actor=supervisor)
    services.venue_add(actor=supervisor, case=first, name="Golden Lotus Spa")
    venue = services.venue_add(actor=supervisor, case=second, name="Golden Lotos Spa")
    tasks.match_record("venue", venue.pk)
    services.venue_add(actor=supervisor, case=second, name="Harbor Farms")
    tasks.match_sweep()
    assert list(LinkSuggestion.objects.values_list("kind", flat=True)) == ["venue_name"]


def test_confirming_joins_the_cases_into_one_named_cluster_with_events(supervisor):
    first, _ = case_with(supervisor)
    second, two = case_with(supervisor, value="713 555 0147")
    tasks.match_record("identifier", two.pk)
    suggestion = LinkSuggestion.objects.get()

    cluster = linking.link_confirm(actor=supervisor, suggestion=suggestion)

    assert cluster.name == f"Operation {cluster.pk}"
    assert set(cluster.memberships.values_list("case", flat=True)) == {first.pk, second.pk}
    for case in (first, second):
        event = CaseEvent.objects.filter(case=case).latest("pk")
        assert event.data["fields"] == ["cluster"] and event.data["suggestion"] == suggestion.pk
    assert AuditEntry.objects.filter(object_kind="linksuggestion", object_id=suggestion.pk)


def test_confirming_a_link_between_two_clusters_merges_them(supervisor):
    cases = [case_with(supervisor, value=f"+1 713 555 01{n}0")[0] for n in range(2)]
    for n, case in enumerate(cases):
        services.identifier_add(actor=supervisor, case=case, kind="email", value=f"a{n}@x.org")
    c, d = CaseFactory(actor=supervisor), CaseFactory(actor=supervisor)
    services.identifier_add(actor=supervisor, case=c, kind="email", value="a0@x.org")
    e = services.identifier_add(actor=supervisor, case=d, kind="email", value="a1@x.org")
    tasks.match_sweep()
    links = {frozenset((s.case_a_id, s.case_b_id)): s for s in LinkSuggestion.objects.all()}
    big = linking.link_confirm(actor=supervisor, suggestion=links[frozenset((cases[0].pk, c.pk))])
    small = linking.link_confirm(actor=supervisor, suggestion=links[frozenset((cases[1].pk, d.pk))])
    assert big.pk != small.pk and e.case_id == d.pk
    services.identifier_add(actor=supervisor, case=c, kind="email", value="a1@x.org")
    tasks.match_sweep()
    bridge = LinkSuggestion.objects.filter(state="open").order_by("pk").first()
    merged = linking.link_confirm(actor=supervisor, suggestion=bridge)
    assert Cluster.objects.count() == 1
    assert ClusterMembership.objects.filter(cluster=merged).count() == 4


def test_cases_already_in_one_cluster_are_not_suggested_again(supervisor):
    _, one = case_with(supervisor)
    second, two = case_with(supervisor, value="713 555 0147")
    tasks.match_record("identifier", two.pk)
    linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())
    services.identifier_add(actor=supervisor, case=second, kind="email", value="x@y.org")
    first = one.case
    services.identifier_add(actor=supervisor, case=first, kind="email", value="x@y.org")
    tasks.match_sweep()
    assert LinkSuggestion.objects.count() == 1


def test_renaming_a_cluster_needs_a_name_and_leaves_it_out_of_the_timeline(supervisor):
    first, _ = case_with(supervisor)
    _, two = case_with(supervisor, value="713 555 0147")
    tasks.match_record("identifier", two.pk)
    cluster = linking.link_confirm(actor=supervisor, suggestion=LinkSuggestion.objects.get())
    with pytest.raises(ValidationError):
        linking.cluster_rename(actor=supervisor, cluster=cluster, name="  ")
    linking.cluster_rename(actor=supervisor, cluster=cluster, name="Lotus ring")
    cluster.refresh_from_db()
    assert cluster.name == "Lotus ring"
    event = CaseEvent.objects.filter(case=first).latest("pk")
    assert event.data["fields"] == ["cluster_name"] and "Lotus" not in str(event.data)


def test_the_sweep_moves_its_watermark_only_past_settled_events(supervisor, monkeypatch):
    from cases.models import SweepWatermark

    case_with(supervisor)
    tasks.match_sweep()
    # Fresh events may have neighbours still uncommitted: they are read again next time.
    assert SweepWatermark.objects.get(name="match").position == 0
    monkeypatch.setattr(linking, "SETTLE_MINUTES", -120)  # as if two hours had passed
    tasks.match_sweep()
    last = CaseEvent.objects.filter(kind="identifier_added").latest("pk").pk
    assert SweepWatermark.objects.get(name="match").position == last


def test_the_sweep_command_matches_what_was_recorded(supervisor):
    from io import StringIO

    from django.core.management import call_command

    case_with(supervisor)
    case_with(supervisor, value="713 555 0147")
    out = StringIO()
    call_command("links_sweep", stdout=out)
    assert "matched 2 records" in out.getvalue()
    assert LinkSuggestion.objects.count() == 1


def test_retention_erasure_drops_the_name_keys_and_hashes_of_the_erased_case(supervisor):
    from cases.models import MatchKey
    from cases.retention import retention_erase
    from tests.cases.test_retention import close

    old, _ = case_with(supervisor)
    _, two = case_with(supervisor, value="713 555 0147")
    PartyFactory(actor=supervisor, case=old, role="recruiter", name="Rex Ramos")
    tasks.match_sweep()
    suggestion = LinkSuggestion.objects.get(kind="identifier")
    linking.link_dismiss(actor=supervisor, suggestion=suggestion)
    assert MatchKey.objects.filter(party__case=old).exists()

    close(old, years=8)
    retention_erase(dry_run=False)
    tasks.match_sweep()

    assert not MatchKey.objects.filter(party__case=old).exists()
    suggestion.refresh_from_db()
    assert suggestion.state == "dismissed"
    assert suggestion.match_key == f"erased:{suggestion.pk}" != two.value_hash
