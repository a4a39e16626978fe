"""The case page (/cases/<reference>/): who sees it, what each role may do, closures asked for and
approved, the forms that add to a case, and two people editing at once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, Identifier, Note, Party, Referral
from hotline.models import AuditAction, AuditEntry, Role
from hotline.services import user_create
from tests.factories import CaseFactory, PartyFactory, industry, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(supervisor, advocate):
    return CaseFactory(actor=supervisor, assignee=advocate)


def url(case, action=""):
    return f"/cases/{case.reference}/{action + '/' if action else ''}"


def offered(response):
    form = response.context["status_form"]
    return [] if form is None else [value for value, _label in form.fields["status"].choices]


def fresh(case):
    return Case.objects.get(pk=case.pk)


# --- Who sees what ----------------------------------------------------------------------------


def test_the_case_page_shows_the_case_to_those_who_may_see_it(
    client, case, advocate, supervisor, admin_user
):
    for user in (advocate, supervisor, admin_user):
        client.force_login(user)
        response = client.get(url(case))
        assert response.status_code == 200
        assert case.reference in response.content.decode()


def test_a_case_out_of_scope_is_not_found_like_one_that_does_not_exist(
    client, case, other_advocate, supervisor, team
):
    restricted = CaseFactory(actor=supervisor, team=team, is_restricted=True)
    client.force_login(other_advocate)
    assert client.get(url(case)).status_code == 404
    assert client.post(url(case, "notes"), {"text": "hello"}).status_code == 404
    assert client.get("/cases/HT-2026-999999/").status_code == 404
    assert client.get("/cases/not-a-reference/").status_code == 404
    assert not Note.objects.exists()
    teammate = user_create(
        username="tia",
        password="x-very-long-pw-1234",
        role=Role.ADVOCATE,
        team=team,
        validate_password=False,
    )
    client.force_login(teammate)
    assert client.get(url(restricted)).status_code == 404
    assert client.get(url(case)).status_code == 200


@pytest.mark.parametrize("role", ["partner", "outsider"])
def test_partners_and_accounts_without_a_role_get_no_case_page(
    client, request, role, case, organisation, supervisor
):
    services.referral_send(actor=supervisor, case=case, organisation=organisation, reason="Other")
    client.force_login(request.getfixturevalue(role))
    assert client.get(url(case)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, case):
    response = client.get(url(case))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_every_view_of_the_case_page_is_audited(client, case, advocate):
    client.force_login(advocate)
    client.get(url(case))
    client.get(url(case))
    views = AuditEntry.objects.filter(action=AuditAction.VIEW, object_kind="case", case_id=case.pk)
    assert views.count() == 2
    assert {entry.user for entry in views} == {advocate}


def test_an_administrator_reads_the_case_but_gets_no_forms_and_cannot_post(
    client, case, admin_user
):
    client.force_login(admin_user)
    response = client.get(url(case))
    for name in ("status_form", "assign_form", "details_form", "note_form", "party_form"):
        assert response.context.get(name) is None
    assert b'<form method="post" action="/cases/' not in response.content
    assert client.post(url(case, "notes"), {"text": "x"}).status_code == 403
    assert client.post(url(case, "status"), {"status": "active", "version": 1}).status_code == 403
    assert fresh(case).version == case.version


def test_the_page_shows_parties_identifiers_venues_referrals_timeline_and_shared_cases(
    client, case, supervisor, advocate, organisation
):
    PartyFactory(actor=supervisor, case=case, name="Rosa Diaz", role=Party.Role.POTENTIAL_VICTIM)
    services.identifier_add(actor=supervisor, case=case, kind="phone", value="(202) 555-0143")
    services.venue_add(actor=supervisor, case=case, name="Green Acres Farm")
    services.referral_send(actor=supervisor, case=case, organisation=organisation, reason="Other")
    other = CaseFactory(actor=supervisor, assignee=advocate)
    services.identifier_add(actor=supervisor, case=other, kind="phone", value="+12025550143")
    hidden = CaseFactory(actor=supervisor)  # not the advocate's team: they must not see it
    services.identifier_add(actor=supervisor, case=hidden, kind="phone", value="2025550143")
    client.force_login(advocate)

    response = client.get(url(case))

    html = response.content.decode()
    for text in ("Rosa Diaz", "(202) 555-0143", "Green Acres Farm", organisation.name):
        assert text in html
    assert [shared.reference for shared in response.context["shared"]] == [other.reference]
    listed = AuditEntry.objects.get(action=AuditAction.LIST, object_kind="case")
    assert (listed.user, listed.object_ids) == (advocate, [other.pk])
    kinds = [event.kind for event, _text in response.context["timeline"]]
    assert {"created", "assigned", "party_added", "identifier_added", "referral_sent"} <= set(kinds)


# --- Status and closure -----------------------------------------------------------------------


def test_an_advocate_is_offered_only_the_transitions_they_may_make(client, case, advocate):
    client.force_login(advocate)
    response = client.get(url(case))
    assert offered(response) == ["active", "referred"]
    closure = response.context["closure_form"]
    assert [value for value, _label in closure.fields["status"].choices] == ["closed"]


def test_a_supervisor_is_offered_closing_too(client, case, supervisor):
    client.force_login(supervisor)
    response = client.get(url(case))
    assert offered(response) == ["active", "referred", "closed"]
    assert response.context["closure_form"] is None


def test_an_advocate_moves_a_case_along_the_workflow(client, case, advocate):
    client.force_login(advocate)
    response = client.post(url(case, "status"), {"status": "active", "version": case.version})
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == "active"
    assert case.events.filter(kind="status_changed", actor=advocate).exists()
    assert offered(client.get(url(case))) == ["follow_up", "referred"]


def test_an_advocate_cannot_close_a_case_even_with_a_crafted_post(client, case, advocate):
    client.force_login(advocate)
    response = client.post(
        url(case, "status"),
        {"status": "closed", "closing_reason": "other", "version": case.version},
    )
    assert response.status_code == 200
    assert "can become: active, referred" in str(response.context["status_form"].errors["status"])
    assert fresh(case).status == "new"


def test_closing_asks_for_a_reason(client, case, supervisor):
    client.force_login(supervisor)
    response = client.post(url(case, "status"), {"status": "closed", "version": case.version})
    assert response.context["status_form"].errors["closing_reason"] == [
        "Say why the case is being closed."
    ]
    assert fresh(case).status == "new"
    client.post(
        url(case, "status"),
        {"status": "closed", "closing_reason": "services_provided", "version": case.version},
    )
    case = fresh(case)
    assert (case.status, case.closing_reason) == ("closed", "services_provided")


def test_an_advocate_requests_closure_and_a_supervisor_approves_it(
    client, case, advocate, supervisor
):
    client.force_login(advocate)
    response = client.post(
        url(case, "closure"),
        {"status": "closed", "closing_reason": "unable_to_contact", "version": case.version},
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.closure_requested_by, case.closure_requested_reason) == (
        "new",
        advocate,
        "unable_to_contact",
    )
    page = client.get(url(case))
    assert page.context["closure_form"] is None
    assert b"waiting for a supervisor" in page.content
    assert (
        client.post(
            url(case, "closure/decide"), {"decision": "approve", "version": case.version}
        ).status_code
        == 403
    )

    client.force_login(supervisor)
    page = client.get(url(case))
    assert page.context["decision_form"] is not None
    assert b"asks to close this case" in page.content
    response = client.post(
        url(case, "closure/decide"), {"decision": "approve", "version": case.version}
    )

    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.closing_reason, case.closure_requested_at) == (
        "closed",
        "unable_to_contact",
        None,
    )
    approval = case.events.get(kind="status_changed")
    assert (approval.actor, approval.data["closure_requested_by"]) == (supervisor, advocate.pk)
    timeline = dict(client.get(url(case)).context["timeline"])
    assert "closure requested by alice" in timeline[approval]


def test_a_supervisor_declines_a_closure_request_and_the_case_stays_open(
    client, case, advocate, supervisor
):
    services.case_closure_request(actor=advocate, case=case, closing_reason="other")
    case = fresh(case)
    client.force_login(supervisor)
    assert case.reference in {
        c.reference for c in client.get("/cases/?closure=on").context["cases"]
    }
    client.post(url(case, "closure/decide"), {"decision": "decline", "version": case.version})
    case = fresh(case)
    assert (case.status, case.closure_requested_at) == ("new", None)
    assert not client.get("/cases/?closure=on").context["cases"]
    texts = [text for _event, text in client.get(url(case)).context["timeline"]]
    assert any("closure request declined" in text for text in texts)


def test_a_second_closure_request_is_refused_with_a_message(client, case, advocate):
    services.case_closure_request(actor=advocate, case=case, closing_reason="other")
    case = fresh(case)
    client.force_login(advocate)
    response = client.post(
        url(case, "closure"),
        {"status": "closed", "closing_reason": "other", "version": case.version},
    )
    assert response.status_code == 200
    assert fresh(case).version == case.version


def test_a_supervisor_assigns_a_case_and_an_advocate_cannot(
    client, case, supervisor, advocate, other_advocate
):
    client.force_login(advocate)
    assert client.get(url(case)).context["assign_form"] is None
    assert (
        client.post(
            url(case, "assign"), {"assignee": other_advocate.pk, "version": case.version}
        ).status_code
        == 403
    )
    client.force_login(supervisor)
    response = client.post(
        url(case, "assign"), {"assignee": other_advocate.pk, "version": case.version}
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.assignee, case.team) == (other_advocate, other_advocate.team)


# --- Two people editing at once ---------------------------------------------------------------


def details_post(form, **typed):
    """What the browser sends for the details form: every field as shown (and its hidden
    initial), with `typed` changed."""
    data = {}
    for field in form:
        value = field.value()
        data[field.html_name] = "" if value is None else value
        if field.field.show_hidden_initial:
            # What the page renders in the hidden input: the value shown, or for a form that
            # came back, the one it propagates.
            shown = form.data.get(field.html_initial_name, value) if form.is_bound else value
            data[field.html_initial_name] = "" if shown is None else shown
    data = {name: value for name, value in data.items() if value is not False}
    data.update(typed)
    return data


def test_a_stale_save_is_refused_with_what_changed_and_what_was_typed_kept(
    client, case, supervisor, advocate
):
    client.force_login(advocate)
    form = client.get(url(case)).context["details_form"]
    services.case_update(
        actor=supervisor, case=case, expected_version=case.version, priority=4, victim_count=9
    )

    response = client.post(
        url(case, "details"),
        details_post(form, priority="1", summary="My own words about the farm."),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by someone else while you were editing it" in html
    assert "Nothing you typed was saved" in html
    conflict = response.context["conflict"]
    assert [event.actor for event, _text in conflict["events"]] == [supervisor]
    assert "priority: Normal → Critical" in conflict["events"][0][1]
    assert conflict["differences"] == [
        ("Priority", "Low", "Critical"),
        ("Summary", "My own words about the farm.", case.summary),
    ]
    current = fresh(case)
    assert (current.priority, current.victim_count, current.version) == (4, 9, case.version + 1)
    assert current.summary == case.summary
    # What the person typed is kept; what they left alone shows the case as it is now; the
    # form carries the current version, so saving again is a deliberate choice.
    again = response.context["details_form"]
    assert again["summary"].value() == "My own words about the farm."
    assert again["priority"].value() == "1"
    assert again["victim_count"].value() == "9"
    assert again["version"].value() == str(current.version)

    client.post(url(case, "details"), details_post(again))
    current = fresh(case)
    assert (current.priority, current.victim_count, current.summary) == (
        1,
        9,
        "My own words about the farm.",
    )


def test_a_save_changes_only_the_fields_the_person_changed(client, case, advocate):
    client.force_login(advocate)
    form = client.get(url(case)).context["details_form"]
    client.post(url(case, "details"), details_post(form, victim_count="5"))
    event = fresh(case).events.filter(kind="updated").get()
    assert event.data["fields"] == ["victim_count"]
    assert fresh(case).victim_count == 5


def test_a_stale_status_change_is_refused_and_nothing_changes(client, case, supervisor, advocate):
    client.force_login(advocate)
    services.case_status_change(actor=supervisor, case=case, status="active")
    response = client.post(url(case, "status"), {"status": "referred", "version": case.version})
    assert response.status_code == 200
    assert response.context["conflict"] is not None
    assert fresh(case).status == "active"


def test_a_garbled_version_is_an_error_not_a_500(client, case, supervisor):
    client.force_login(supervisor)
    for version in ("", "abc", "-4", "99999999999999999999"):
        response = client.post(url(case, "status"), {"status": "active", "version": version})
        assert response.status_code == 200
    assert fresh(case).status == "new"


# --- Adding to a case -------------------------------------------------------------------------


def test_an_advocate_adds_a_note_with_a_plain_post(client, case, advocate):
    client.force_login(advocate)
    response = client.post(url(case, "notes"), {"text": "Called the shelter."})
    assert response.status_code == 302
    assert Note.objects.get().text == "Called the shelter."
    assert client.post(url(case, "notes"), {"text": "   "}).context["note_form"].errors["text"]


def test_a_note_added_through_htmx_returns_the_notes_and_the_timeline(client, case, advocate):
    client.force_login(advocate)
    response = client.post(
        url(case, "notes"), {"text": "Caller will ring back."}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<section class="cw-card" id="notes"' in html
    assert 'id="timeline"' in html and 'hx-swap-oob="true"' in html
    assert "Caller will ring back." in html
    assert "<html" not in html
    empty = client.post(url(case, "notes"), {"text": ""}, HTTP_HX_REQUEST="true")
    assert "errorlist" in empty.content.decode()


def test_adding_parties_identifiers_venues_referrals_and_outcomes(
    client, case, advocate, organisation
):
    client.force_login(advocate)
    posts = {
        "parties": {
            "role": "recruiter",
            "kind": "person",
            "name": "El Jefe",
            "age_band": "unknown",
            "gender": "Masculine",
            "citizenship": "mx",
        },
        "identifiers": {"kind": "phone", "value": "(713) 555-0147"},
        "venues": {
            "name": "Motel 9",
            "industry": industry("hotels_hospitality").pk,
            "region": "US-TX",
        },
        "referrals": {
            "organisation": organisation.pk,
            "reason": "LawEnforcementReport",
            "due_at": "2026-12-01T09:00",
        },
        "outcomes": {"kind": "investigation_opened", "occurred_on": "2026-11-20", "agency": "HSI"},
    }
    for action, data in posts.items():
        response = client.post(url(case, action), data)
        assert response.status_code == 302, (
            action,
            response.context
            and [
                form.errors
                for name, form in response.context.flatten().items()
                if name.endswith("_form") and form
            ],
        )
    party = Party.objects.get()
    assert (party.name, party.citizenship) == ("El Jefe", "MX")
    assert Identifier.objects.get().normalised == "+17135550147"
    assert Referral.objects.get().due_at is not None
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {
        "party_added",
        "identifier_added",
        "venue_added",
        "referral_sent",
        "outcome_recorded",
    } <= kinds


def test_bad_input_in_the_add_forms_is_shown_next_to_the_field(
    client, case, advocate, organisation
):
    client.force_login(advocate)
    cases = [
        ("identifiers", {"kind": "phone", "value": "not a phone"}, "identifier_form", "value"),
        ("identifiers", {"kind": "handle", "value": "@x"}, "identifier_form", "platform"),
        ("venues", {"name": "Somewhere", "region": "XX-99"}, "venue_form", "region"),
        (
            "outcomes",
            {"kind": "conviction", "occurred_on": "2999-01-01"},
            "outcome_form",
            "occurred_on",
        ),
        (
            "outcomes",
            {"kind": "conviction", "occurred_on": "yesterday"},
            "outcome_form",
            "occurred_on",
        ),
        (
            "parties",
            {
                "role": "potential_victim",
                "kind": "organisation",
                "age_band": "unknown",
                "gender": "Masculine",
            },
            "party_form",
            None,
        ),
        (
            "parties",
            {
                "role": "survivor",
                "kind": "person",
                "age_band": "9-17",
                "gender": "Masculine",
                "citizenship": "M1",
            },
            "party_form",
            "citizenship",
        ),
        ("referrals", {"organisation": "999", "reason": "Other"}, "referral_form", "organisation"),
    ]
    for action, data, form_name, field in cases:
        response = client.post(url(case, action), data)
        assert response.status_code == 200, (action, data)
        errors = response.context[form_name].errors
        assert (field or "__all__") in errors, (action, data, errors)
        assert "errorlist" in response.content.decode()
    assert not (Party.objects.exists() or Identifier.objects.exists())


def test_the_case_page_runs_the_same_queries_for_a_small_case_as_for_a_big_one(
    client, case, supervisor, organisation, django_assert_num_queries
):
    client.force_login(supervisor)

    def grow():
        PartyFactory(actor=supervisor, case=case)
        services.identifier_add(
            actor=supervisor, case=case, kind="email", value=f"x{Note.objects.count()}@example.org"
        )
        services.note_add(actor=supervisor, case=case, text="More news.")
        services.venue_add(actor=supervisor, case=case, name="A place", region=region("US-TX"))
        services.referral_send(
            actor=supervisor, case=case, organisation=organisation, reason="Other"
        )
        other = CaseFactory(actor=supervisor)
        services.identifier_add(
            actor=supervisor,
            case=other,
            kind="email",
            value=f"x{Note.objects.count() - 1}@example.org",
        )

    grow()
    with CaptureQueriesContext(connection) as few:
        client.get(url(case))
    for _ in range(8):
        grow()
    services.case_update(actor=supervisor, case=case, priority=3, industry=industry("construction"))
    with django_assert_num_queries(len(few)):
        response = client.get(url(case))
    assert len(response.context["parties"]) == 9
    assert len(response.context["shared"]) == 9


def test_times_in_the_future_and_past_of_a_referral_are_shown_as_overdue(
    client, case, supervisor, organisation
):
    services.referral_send(
        actor=supervisor,
        case=case,
        organisation=organisation,
        reason="Other",
        sent_at=timezone.now() - datetime.timedelta(days=2),
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    client.force_login(supervisor)
    response = client.get(url(case))
    assert [referral.overdue for referral in response.context["referrals"]] == [True]


def test_a_closure_approved_meanwhile_by_another_supervisor_is_not_approved_twice(
    client, case, advocate, supervisor
):
    services.case_closure_request(actor=advocate, case=case, closing_reason="other")
    client.force_login(supervisor)
    form = client.get(url(case)).context["decision_form"]
    services.case_closure_approve(actor=supervisor, case=case)

    response = client.post(
        url(case, "closure/decide"),
        {
            "decision": "decline",
            "version": form["version"].value(),
            "seen_event": form["seen_event"].value(),
        },
    )

    assert response.status_code == 200
    assert response.context["conflict"] is not None
    assert response.context["decision_form"] is None
    assert "closure requested by alice" in response.context["conflict"]["events"][0][1]
    assert fresh(case).status == "closed"
    assert case.events.filter(kind="status_changed").count() == 1
