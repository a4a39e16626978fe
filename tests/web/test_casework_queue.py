"""The case queue (/cases/): scope per role, filters, sorting, paging, counts per status, bulk
actions, the CSV export, and queries that do not grow with the rows."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case
from hotline.models import AuditAction, AuditEntry, Region
from tests.factories import CaseFactory, industry, region

pytestmark = pytest.mark.django_db


def listed(response):
    return {case.reference for case in response.context["cases"]}


@pytest.fixture
def cases(advocate, other_advocate, supervisor, team, other_team):
    """One case of each kind a scope rule tells apart."""
    return {
        "alices": CaseFactory(actor=supervisor, assignee=advocate),
        "team": CaseFactory(actor=supervisor, team=team),
        "restricted": CaseFactory(actor=supervisor, team=team, is_restricted=True),
        "other_team": CaseFactory(actor=supervisor, assignee=other_advocate),
        "nobodys": CaseFactory(actor=supervisor),
    }


def test_each_role_lists_exactly_the_cases_it_may_see(
    client, cases, advocate, other_advocate, supervisor, admin_user
):
    refs = {name: case.reference for name, case in cases.items()}
    client.force_login(advocate)
    assert listed(client.get("/cases/")) == {refs["alices"], refs["team"]}
    client.force_login(other_advocate)
    assert listed(client.get("/cases/")) == {refs["other_team"]}
    client.force_login(supervisor)
    assert listed(client.get("/cases/")) == set(refs.values())
    client.force_login(admin_user)
    assert listed(client.get("/cases/")) == set(refs.values())


@pytest.mark.parametrize("role", ["partner", "outsider"])
def test_partners_and_accounts_without_a_role_do_not_get_the_queue(client, request, role, cases):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/cases/").status_code == 403
    assert client.get("/cases/export.csv").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_rows_shown_are_audited(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get("/cases/")
    entry = AuditEntry.objects.get(action=AuditAction.LIST, object_kind="case")
    assert sorted(entry.object_ids) == sorted(case.pk for case in response.context["cases"])


def test_filters_narrow_the_list(client, supervisor, advocate, team, other_team, organisation):
    texas = CaseFactory(
        actor=supervisor,
        region=region("US-TX"),
        industry=industry("construction"),
        priority=4,
        trafficking_type="sex",
        assignee=advocate,
    )
    mexico = CaseFactory(actor=supervisor, region=region("MX-JAL"), team=other_team)
    closed = CaseFactory(actor=supervisor)
    services.case_status_change(
        actor=supervisor, case=closed, status="closed", closing_reason="other"
    )
    late = CaseFactory(actor=supervisor, is_restricted=True)
    services.referral_send(
        actor=supervisor,
        case=late,
        organisation=organisation,
        reason="LawEnforcementReport",
        due_at=timezone.now() - datetime.timedelta(hours=2),
        sent_at=timezone.now() - datetime.timedelta(days=1),
    )
    services.identifier_add(actor=supervisor, case=mexico, kind="phone", value="+1 713 555 0147")
    client.force_login(advocate)
    mine = listed(client.get("/cases/?mine=on"))
    client.force_login(supervisor)

    def found(query):
        response = client.get(f"/cases/?{query}")
        assert response.status_code == 200
        assert not response.context["filters"].form.errors
        return listed(response)

    assert mine == {texas.reference}
    assert found("status=closed") == {closed.reference}
    assert found("status=closed_any") == {closed.reference}
    assert closed.reference not in found("status=open")
    assert found("priority=4") == {texas.reference}
    assert found("trafficking_type=sex") == {texas.reference}
    assert found("industry=construction") == {texas.reference}
    assert found("region=us-tx") == {texas.reference}
    assert found("region=MX") == {mexico.reference}
    assert found(f"assignee={advocate.username}") == {texas.reference}
    assert texas.reference not in found("assignee=none")
    assert found(f"team={other_team.pk}") == {mexico.reference}
    assert found("overdue=on") == {late.reference}
    assert found("restricted=yes") == {late.reference}
    assert late.reference not in found("restricted=no")
    assert found("q=(713) 555-0147") == {mexico.reference}
    assert found(f"q={texas.reference[-6:]}") == {texas.reference}


def test_a_case_is_no_longer_overdue_once_the_partner_answers(client, supervisor, organisation):
    case = CaseFactory(actor=supervisor)
    referral = services.referral_send(
        actor=supervisor,
        case=case,
        organisation=organisation,
        reason="LawEnforcementReport",
        due_at=timezone.now() - datetime.timedelta(minutes=5),
        sent_at=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(supervisor)
    response = client.get("/cases/")
    assert [row.is_overdue for row in response.context["cases"]] == [True]
    services.referral_respond(actor=supervisor, referral=referral, status="accepted")
    assert listed(client.get("/cases/?overdue=on")) == set()


def test_bad_filters_are_shown_next_to_the_field_and_the_rest_still_applies(
    client, supervisor, cases
):
    client.force_login(supervisor)
    response = client.get("/cases/?region=ZZ-NOPE&priority=99&sort=password&status=open&page=x")
    assert response.status_code == 200
    errors = response.context["filters"].form.errors
    assert set(errors) == {"region", "priority", "sort"}
    assert "No region has the code ZZ-NOPE" in errors["region"][0]
    assert listed(response) == {case.reference for case in cases.values()}
    assert b"No region has the code ZZ-NOPE" in response.content


def test_sorting_uses_only_the_offered_columns_and_toggles(client, supervisor, advocate):
    low = CaseFactory(actor=supervisor, priority=1, region=region("US-WA"))
    high = CaseFactory(actor=supervisor, priority=4, region=region("US-AK"), assignee=advocate)
    client.force_login(supervisor)

    def order(sort):
        response = client.get(f"/cases/?sort={sort}")
        return [case.reference for case in response.context["cases"]], response

    assert order("priority")[0] == [high.reference, low.reference]
    assert order("-priority")[0] == [low.reference, high.reference]
    assert order("region")[0] == [high.reference, low.reference]
    assert order("-region")[0] == [low.reference, high.reference]
    refs, response = order("reference")
    assert refs == sorted(refs)
    assert response.context["sort_links"]["reference"]["url"].endswith("sort=-reference")
    assert b'aria-sort="ascending"' in response.content
    refs, response = order("-opened")
    assert refs == [high.reference, low.reference]


def test_counts_per_status_come_from_one_query_and_follow_the_other_filters(
    client, supervisor, advocate
):
    for _ in range(2):
        CaseFactory(actor=supervisor, priority=4)
    active = CaseFactory(actor=supervisor, priority=4)
    services.case_status_change(actor=supervisor, case=active, status="active")
    CaseFactory(actor=supervisor, priority=1)
    client.force_login(supervisor)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/?priority=4&status=active")

    counts = {value: count for value, _label, count in response.context["status_counts"]}
    assert (counts["new"], counts["active"], counts["closed"]) == (2, 1, 0)
    assert response.context["total"] == 3
    assert listed(response) == {active.reference}
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 1


def test_the_list_shows_fifty_cases_a_page(client, supervisor):
    for _ in range(51):
        CaseFactory(actor=supervisor)
    client.force_login(supervisor)
    first = client.get("/cases/")
    assert len(first.context["cases"]) == 50
    second = client.get("/cases/?page=2")
    assert len(second.context["cases"]) == 1
    assert not (
        {case.pk for case in first.context["cases"]} & {case.pk for case in second.context["cases"]}
    )
    assert client.get("/cases/?page=99").status_code == 200


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["advocate", "supervisor"])
def test_the_queue_runs_the_same_queries_for_3_cases_as_for_30(
    client, request, role, advocate, supervisor, team, other_team, django_assert_num_queries
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = "/cases/?status=open&region=US&sort=assignee"
    for _ in range(3):
        CaseFactory(actor=supervisor, assignee=advocate, region=region("US-TX"))
    few = count_queries(client, url)
    regions = list(Region.objects.filter(country_code="US", depth=1)[:9])
    for number in range(27):
        CaseFactory(
            actor=supervisor,
            assignee=[advocate, supervisor, None][number % 3],
            team=[team, other_team][number % 2],
            region=regions[number % 9],
            industry=industry(["domestic_work", "construction"][number % 2]),
        )
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(response.context["cases"]) > 3


# --- Bulk actions -----------------------------------------------------------------------------


def selected(*cases):
    return [f"{case.pk}:{case.version}" for case in cases]


def test_a_supervisor_assigns_the_selected_cases(client, supervisor, advocate, cases):
    chosen = [cases["nobodys"], cases["other_team"]]
    client.force_login(supervisor)

    response = client.post(
        "/cases/bulk/",
        {
            "selected": selected(*chosen),
            "action": "assign",
            "assignee": advocate.pk,
            "next": "/cases/?status=new",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/cases/?status=new"
    for case in chosen:
        case.refresh_from_db()
        assert case.assignee == advocate
        assert case.events.filter(kind="assigned", actor=supervisor).exists()


def test_a_bulk_change_reports_each_case_refused_and_changes_the_rest(client, supervisor, cases):
    stale = cases["team"]
    listed_version = selected(stale)[0]
    services.case_update(actor=supervisor, case=stale, priority=3)
    closed = cases["nobodys"]
    services.case_status_change(
        actor=supervisor, case=closed, status="closed", closing_reason="other"
    )
    closed.refresh_from_db()
    fine = cases["alices"]
    client.force_login(supervisor)

    response = client.post(
        "/cases/bulk/",
        {
            "selected": [listed_version, *selected(closed, fine)],
            "action": "status",
            "status": "referred",
        },
        follow=True,
    )

    text = [str(message) for message in response.context["messages"]]
    assert any(fine.reference in line and "Changed 1" in line for line in text)
    assert any(stale.reference in line and "someone else" in line for line in text)
    assert any(closed.reference in line and "cannot become referred" in line for line in text)
    for case, status in ((stale, "new"), (closed, "closed"), (fine, "referred")):
        case.refresh_from_db()
        assert case.status == status


def test_bulk_closing_needs_a_reason(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.post(
        "/cases/bulk/",
        {"selected": selected(cases["alices"]), "action": "status", "status": "closed"},
        follow=True,
    )
    assert any("Say why" in str(message) for message in response.context["messages"])
    cases["alices"].refresh_from_db()
    assert cases["alices"].status == "new"


def test_bulk_actions_never_reach_cases_out_of_sight_nor_take_garbage(
    client, supervisor, advocate, cases
):
    client.force_login(advocate)
    assert (
        client.post(
            "/cases/bulk/", {"selected": selected(cases["team"]), "action": "assign"}
        ).status_code
        == 403
    )
    client.force_login(supervisor)
    response = client.post(
        "/cases/bulk/", {"selected": ["1:x", "drop table"], "action": "assign"}, follow=True
    )
    assert response.status_code == 200
    assert any("Select cases from the list" in str(m) for m in response.context["messages"])
    response = client.post(
        "/cases/bulk/",
        {"selected": ["999999:1"], "action": "assign", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/cases/"


def test_the_queue_offers_bulk_actions_to_supervisors_only(client, supervisor, advocate, cases):
    client.force_login(advocate)
    assert b'name="selected"' not in client.get("/cases/").content
    client.force_login(supervisor)
    assert b'name="selected"' in client.get("/cases/").content


# --- CSV export -------------------------------------------------------------------------------


def exported(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_writes_the_filtered_list_and_is_audited(client, supervisor, advocate, cases):
    services.case_update(actor=supervisor, case=cases["alices"], summary="=HYPERLINK(evil)")
    client.force_login(advocate)

    response = client.get("/cases/export.csv?sort=reference")

    rows = exported(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["reference"] for row in rows] == sorted(
        [cases["alices"].reference, cases["team"].reference]
    )
    assert "summary" not in rows[0]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.user, entry.object_kind) == (advocate, "case")
    assert sorted(entry.object_ids) == sorted([cases["alices"].pk, cases["team"].pk])

    client.force_login(supervisor)
    rows = exported(client.get(f"/cases/export.csv?assignee={advocate.username}"))
    assert [row["reference"] for row in rows] == [cases["alices"].reference]
    assert rows[0]["assignee"] == "alice"


def test_an_export_with_a_mistyped_filter_writes_nothing_and_goes_back_to_the_list(
    client, advocate, cases
):
    client.force_login(advocate)

    response = client.get("/cases/export.csv?region=zz&sort=reference")

    assert response.status_code == 302
    assert response["Location"] == "/cases/?region=zz&sort=reference"
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    page = client.get(response["Location"])
    assert "Correct the filters before exporting." in page.content.decode()


def test_administrators_read_the_queue_but_do_not_export_it(client, admin_user, cases):
    client.force_login(admin_user)
    response = client.get("/cases/")
    assert response.status_code == 200
    assert b"export.csv" not in response.content
    assert client.get("/cases/export.csv").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
    assert Case.objects.count() == 5


def test_a_supervisor_closes_the_selected_cases_with_a_reason(client, supervisor, cases):
    chosen = [cases["alices"], cases["team"]]
    client.force_login(supervisor)
    client.post(
        "/cases/bulk/",
        {
            "selected": selected(*chosen),
            "action": "status",
            "status": "closed",
            "closing_reason": "no_trafficking_indicated",
        },
    )
    for case in chosen:
        case.refresh_from_db()
        assert (case.status, case.closing_reason) == ("closed", "no_trafficking_indicated")
    assert {case.reference for case in client.get("/cases/?status=closed").context["cases"]} == {
        case.reference for case in chosen
    }
