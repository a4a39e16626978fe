"""The admin of cases: who may use it, that its lists stay cheap, and that every write goes
through the services, so the case's timeline tells what happened."""

import datetime
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.admin import ReferralForm
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    Identifier,
    Party,
    Referral,
    Venue,
)
from hotline import services as hotline_services
from hotline.models import Region, Role, Tip
from tests.admin_helpers import add_inline_row, errors_of, form_data, queries_to_show, signed_in
from tests.conftest import PASSWORD
from tests.factories import CaseFactory, PartyFactory, TipFactory, industry, region

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


def admin_url(model_name, view, *args):
    return reverse(f"admin:cases_{model_name}_{view}", args=args)


def event_kinds(case):
    return list(case.events.order_by("at", "pk").values_list("kind", flat=True))


@pytest.fixture
def case(advocate):
    return CaseFactory(actor=advocate)


@pytest.fixture
def advocates_case(advocate):
    """A case the advocate works: assigned to them."""
    return CaseFactory(actor=advocate, assignee=advocate)


@pytest.fixture
def root(django_user_model):
    """A superuser who is also an administrator: Django's superuser status grants every model
    permission, but which case rows anyone sees is the access module's, which goes by role."""
    user = hotline_services.user_create(username="root", password=PASSWORD, role=Role.ADMIN)
    django_user_model.objects.filter(pk=user.pk).update(is_superuser=True)
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def one_of_each(case, advocate, organisation):
    referral = services.referral_send(
        actor=advocate, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    return {
        "case": case,
        "casereferencecounter": CaseReferenceCounter.objects.get(),
        "party": PartyFactory(actor=advocate, case=case),
        "identifier": services.identifier_add(
            actor=advocate, case=case, kind="phone", value="(713) 555-0147"
        ),
        "venue": services.venue_add(actor=advocate, case=case, name="Sunrise Motel"),
        "referral": referral,
        "outcome": services.outcome_record(
            actor=advocate,
            case=case,
            kind="investigation_opened",
            occurred_on=timezone.localdate(),
            referral=referral,
        ),
        "note": services.note_add(actor=advocate, case=case, text="Called back, no answer."),
        "caseevent": case.events.first(),
    }


# --- Who may use which page --------------------------------------------------------------------

CASE_MODELS = [
    "case",
    "casereferencecounter",
    "party",
    "identifier",
    "venue",
    "referral",
    "outcome",
    "note",
    "caseevent",
]
# The roles that work cases add and change everything on a case but its counter and timeline.
MAY_ADD = {"case", "party", "identifier", "venue", "referral", "outcome", "note"}


@pytest.mark.parametrize("model_name", CASE_MODELS)
def test_an_administrator_reads_every_case_list_and_record_but_adds_and_changes_nothing(
    client, admin_user, one_of_each, model_name
):
    signed_in(client, admin_user)
    row = one_of_each[model_name]

    assert client.get(admin_url(model_name, "changelist")).status_code == 200
    page = client.get(admin_url(model_name, "change", row.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.get(admin_url(model_name, "add")).status_code == 403


@pytest.mark.parametrize("model_name", CASE_MODELS)
def test_a_supervisor_works_cases_but_does_not_see_the_reference_counter(
    client, supervisor, one_of_each, model_name
):
    signed_in(client, supervisor)
    row = one_of_each[model_name]
    may_view = model_name != "casereferencecounter"

    assert client.get(admin_url(model_name, "changelist")).status_code == (200 if may_view else 403)
    assert client.get(admin_url(model_name, "change", row.pk)).status_code == (
        200 if may_view else 403
    )
    expected = 200 if model_name in MAY_ADD else 403
    assert client.get(admin_url(model_name, "add")).status_code == expected


def test_nobody_deletes_a_case_in_the_admin(client, admin_user, supervisor, root, case):
    for user in (supervisor, admin_user, root):
        signed_in(client, user)
        assert client.get(admin_url("case", "delete", case.pk)).status_code == 403
        assert client.post(admin_url("case", "delete", case.pk), {"post": "yes"}).status_code == 403
        # No "delete selected" action, nor any other that could delete.
        assert client.get(admin_url("case", "changelist")).context["action_form"] is None
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_timeline_admin_has_no_add_change_or_delete(client, admin_user, root, case):
    event = case.events.get()
    for user in (admin_user, root):
        signed_in(client, user)
        assert client.get(admin_url("caseevent", "add")).status_code == 403
        assert client.get(admin_url("caseevent", "delete", event.pk)).status_code == 403
        response = client.post(admin_url("caseevent", "change", event.pk), {"kind": "viewed"})
        assert response.status_code == 403
        page = client.get(admin_url("caseevent", "change", event.pk))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]
    event.refresh_from_db()
    assert event.kind == Kind.CREATED


def test_the_case_page_shows_the_timeline_read_only(client, supervisor, case):
    signed_in(client, supervisor)
    services.case_update(actor=supervisor, case=case, priority=3)

    response = client.get(admin_url("case", "change", case.pk))

    timeline = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.model is CaseEvent
    )
    assert [form.instance.kind for form in timeline.formset.forms] == [Kind.CREATED, Kind.UPDATED]
    assert not timeline.has_add_permission
    assert not timeline.has_change_permission
    assert not timeline.has_delete_permission


# --- Finding cases ----------------------------------------------------------------------------


def test_a_supervisor_can_search_cases_by_reference(client, supervisor, advocate):
    signed_in(client, supervisor)
    wanted, _other = CaseFactory(actor=advocate), CaseFactory(actor=advocate)

    response = client.get(admin_url("case", "changelist"), {"q": wanted.reference})

    assert list(response.context["cl"].result_list) == [wanted]


def test_a_supervisor_can_filter_cases_by_status_and_census_region(client, supervisor, advocate):
    signed_in(client, supervisor)
    active_in_west = CaseFactory(actor=advocate, region=region("US-CA"))
    services.case_status_change(actor=advocate, case=active_in_west, status="active")
    active_in_south = CaseFactory(actor=advocate, region=region("US-TX"))
    services.case_status_change(actor=advocate, case=active_in_south, status="active")
    CaseFactory(actor=advocate, region=region("US-CA"))
    url = admin_url("case", "changelist")

    found = client.get(url, {"status__exact": "active"}).context["cl"].result_list
    assert set(found) == {active_in_west, active_in_south}
    filters = {"status__exact": "active", "region__census_region__exact": "west"}
    assert list(client.get(url, filters).context["cl"].result_list) == [active_in_west]


def test_an_advocate_can_list_the_cases_assigned_to_them(client, advocate, supervisor):
    signed_in(client, advocate)
    theirs = CaseFactory(actor=supervisor, assignee=advocate)
    CaseFactory(actor=supervisor, assignee=supervisor)

    response = client.get(admin_url("case", "changelist"), {"assigned": "me"})

    assert list(response.context["cl"].result_list) == [theirs]


def test_identifiers_are_found_however_the_number_is_written(client, supervisor, case):
    signed_in(client, supervisor)
    phone = services.identifier_add(actor=supervisor, case=case, kind="phone", value="713-555-0147")
    services.identifier_add(actor=supervisor, case=case, kind="email", value="boss@example.org")

    response = client.get(admin_url("identifier", "changelist"), {"q": "+1 (713) 555 0147"})

    assert list(response.context["cl"].result_list) == [phone]


def test_a_supervisor_can_find_a_case_by_an_identifier_written_any_way(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    wanted, other = CaseFactory(actor=advocate), CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=wanted, kind="phone", value="713-555-0147")
    services.identifier_add(actor=advocate, case=other, kind="email", value="boss@example.org")
    url = admin_url("case", "changelist")

    for spelling in ("+1 (713) 555 0147", "7135550147", "713.555.0147"):
        assert list(client.get(url, {"q": spelling}).context["cl"].result_list) == [wanted]
    found = client.get(url, {"q": "Boss@Example.org"}).context["cl"].result_list
    assert list(found) == [other]


def test_a_supervisor_can_find_a_case_by_a_word_of_its_summary(client, supervisor, advocate):
    signed_in(client, supervisor)
    wanted = CaseFactory(actor=advocate, summary="Nail salon workers sleep in the back room.")
    CaseFactory(actor=advocate)

    response = client.get(admin_url("case", "changelist"), {"q": "salon"})

    assert list(response.context["cl"].result_list) == [wanted]


# --- Lists that stay cheap ------------------------------------------------------------------


def test_the_case_list_runs_the_same_queries_for_3_cases_as_for_30(
    client, admin_user, advocate, supervisor, team, other_team
):
    signed_in(client, admin_user)
    url = admin_url("case", "changelist")
    for _ in range(3):
        CaseFactory(actor=advocate, assignee=advocate)
    few = queries_to_show(client, url)

    regions = list(Region.objects.filter(country_code="US", depth=1)[:9])
    for number in range(27):
        CaseFactory(
            actor=advocate,
            assignee=[advocate, supervisor, None][number % 3],
            team=[team, other_team][number % 2],
            region=regions[number % 9],
            industry=industry("domestic_work"),
        )

    assert queries_to_show(client, url) == few


def test_searching_the_case_list_runs_the_same_queries_for_3_matches_as_for_30(
    client, admin_user, advocate
):
    signed_in(client, admin_user)
    url = f"{admin_url('case', 'changelist')}?q=%2B1+713+555+0147"

    def case_with_the_number():
        case = CaseFactory(actor=advocate, assignee=advocate)
        services.identifier_add(actor=advocate, case=case, kind="phone", value="713-555-0147")
        services.identifier_add(actor=advocate, case=case, kind="email", value="a@example.org")

    for _ in range(3):
        case_with_the_number()
    few = queries_to_show(client, url)

    for _ in range(27):
        case_with_the_number()

    assert queries_to_show(client, url) == few
    assert len(client.get(url).context["cl"].result_list) == 30


def test_the_timeline_list_runs_the_same_queries_for_few_events_as_for_many(
    client, admin_user, advocate
):
    signed_in(client, admin_user)
    url = admin_url("caseevent", "changelist")
    CaseFactory(actor=advocate)
    few = queries_to_show(client, url)

    for _ in range(10):
        services.note_add(actor=advocate, case=CaseFactory(actor=advocate), text="Checked in.")

    assert queries_to_show(client, url) == few


# --- Opening a case ---------------------------------------------------------------------------


def test_a_case_created_in_the_admin_is_opened_by_case_open_with_its_created_event(
    client, advocate, other_advocate
):
    signed_in(client, advocate)
    tip = TipFactory(submitted_by=advocate)
    data = form_data(client.get(admin_url("case", "add")))
    # An advocate does not choose who works the case: it is theirs.
    assert "assignee" not in data
    data.update(
        trafficking_type="labor",
        industry=industry("agriculture_animal_husbandry").pk,
        region=region("US-CA").pk,
        summary="Crew leader holds the workers' passports.",
        victim_count="4",
        tips=[tip.pk],
    )
    add_inline_row(data, "parties", role="recruiter", name="Crew leader")

    response = client.post(admin_url("case", "add"), {**data, "assignee": other_advocate.pk})

    assert response.status_code == 302, errors_of(response)
    case = Case.objects.get()
    assert case.reference.startswith(f"HT-{timezone.localdate().year}-")
    assert (case.status, case.victim_count, case.assignee, case.team, case.created_by) == (
        "new",
        4,
        advocate,
        advocate.team,
        advocate,
    )
    assert event_kinds(case) == [Kind.CREATED, Kind.ASSIGNED, Kind.TIP_LINKED, Kind.PARTY_ADDED]
    assert case.events.get(kind=Kind.CREATED).actor == advocate
    tip.refresh_from_db()
    assert tip.triage_state == Tip.TriageState.LINKED


def test_a_refused_row_on_a_new_case_leaves_no_case_behind(client, advocate):
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("case", "add")))
    data.update(summary="Two numbers for the same man.")
    add_inline_row(data, "identifiers", kind="phone", value="713 555 0147")
    add_inline_row(data, "identifiers", kind="phone", value="+1 713-555-0147")

    response = client.post(admin_url("case", "add"), data)

    assert "This case already has this phone number." in errors_of(response)
    assert not Case.objects.exists()
    assert not CaseReferenceCounter.objects.filter(last_number__gt=0).exists()


def test_opening_a_case_from_a_closed_tip_is_refused_and_leaves_no_case_behind(client, supervisor):
    signed_in(client, supervisor)
    closed = hotline_services.tip_triage(
        actor=supervisor, tip=TipFactory(), state="no_action", reason="Not enough to act on."
    )
    data = form_data(client.get(admin_url("case", "add")))
    data.update(summary="From the motel tip.", tips=[closed.pk])

    response = client.post(admin_url("case", "add"), data)

    assert response.context["adminform"].form.errors["tips"] == [
        "This tip was closed as no action; it cannot be linked to a case."
    ]
    assert not Case.objects.exists()


# --- Changing a case ------------------------------------------------------------------------


def test_the_status_field_offers_only_the_allowed_transitions(client, supervisor, case):
    signed_in(client, supervisor)

    form = client.get(admin_url("case", "change", case.pk)).context["adminform"].form

    offered = [value for value, _label in form.fields["status"].choices]
    assert offered == ["new", "active", "referred", "closed"]


def test_changing_the_status_in_the_admin_writes_a_status_changed_event(client, supervisor, case):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="active")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.status, case.version) == ("active", 2)
    event = case.events.get(kind=Kind.STATUS_CHANGED)
    assert (event.actor, event.data["previous"], event.data["status"]) == (
        supervisor,
        "new",
        "active",
    )


def test_a_transition_the_workflow_does_not_allow_shows_an_error_and_saves_nothing(
    client, supervisor, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="closed_referred", closing_reason="referred_to_law_enforcement")
    data.update(priority="4")

    response = client.post(url, data)

    assert "A case that is new can only become active, referred or closed." in errors_of(response)
    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == ("new", 2, 1)
    assert event_kinds(case) == [Kind.CREATED]


def test_closing_a_case_asks_for_the_reason(client, supervisor, case):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="closed")

    response = client.post(url, data)

    assert response.context["adminform"].form.errors["closing_reason"] == [
        "Say why the case is being closed."
    ]
    case.refresh_from_db()
    assert case.status == "new"

    data.update(closing_reason="unable_to_contact")
    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.status, case.closing_reason) == ("closed", "unable_to_contact")
    assert case.closed_at is not None


def test_reopening_a_closed_case_clears_its_closing_reason(client, supervisor, case):
    signed_in(client, supervisor)
    services.case_status_change(
        actor=supervisor, case=case, status="closed", closing_reason="unable_to_contact"
    )
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    assert data["closing_reason"] == "unable_to_contact"
    data.update(status="active")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_at) == ("active", "", None)


def test_a_refusal_by_case_edit_is_shown_next_to_the_field_and_what_was_typed_is_kept(
    client, supervisor, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="closed", priority="4")

    response = client.post(url, data)

    form = response.context["adminform"].form
    assert form.errors["closing_reason"] == ["Say why the case is being closed."]
    assert form["priority"].value() == "4"
    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == ("new", 2, 1)
    assert event_kinds(case) == [Kind.CREATED]


def test_linking_a_closed_tip_is_refused_next_to_the_tips_and_undoes_the_rest_of_the_edit(
    client, supervisor, case
):
    signed_in(client, supervisor)
    closed = hotline_services.tip_triage(
        actor=supervisor, tip=TipFactory(), state="no_action", reason="Not enough to act on."
    )
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="active", priority="4", tips=[closed.pk])

    response = client.post(url, data)

    # case_edit saved the status and priority before case_link_tip refused: both undone.
    assert response.context["adminform"].form.errors["tips"] == [
        "This tip was closed as no action; it cannot be linked to a case."
    ]
    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == ("new", 2, 1)
    assert not case.tips.exists()
    assert event_kinds(case) == [Kind.CREATED]


def test_reassigning_a_case_in_the_admin_writes_an_assigned_event(
    client, supervisor, advocate, other_advocate, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(assignee=other_advocate.pk)

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    # The case follows its new assignee to their team.
    assert (case.assignee, case.team) == (other_advocate, other_advocate.team)
    event = case.events.get(kind=Kind.ASSIGNED)
    assert (event.actor, event.data["assignee"]) == (supervisor, other_advocate.pk)


def test_only_active_advocates_and_supervisors_are_offered_as_assignees(
    client, supervisor, advocate, partner, admin_user, case
):
    signed_in(client, supervisor)

    form = client.get(admin_url("case", "change", case.pk)).context["adminform"].form

    assert set(form.fields["assignee"].queryset) == {advocate, supervisor}


def test_a_case_whose_assignee_has_left_can_still_be_edited_and_keeps_them(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    case = CaseFactory(actor=supervisor, assignee=advocate)
    hotline_services.user_update(actor=supervisor, user=advocate, is_active=False)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    assert data["assignee"] == str(advocate.pk)
    data.update(priority="3")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.priority, case.assignee) == (3, advocate)
    assert event_kinds(case) == [Kind.CREATED, Kind.ASSIGNED, Kind.UPDATED]


def test_a_closing_reason_changed_without_closing_is_refused_rather_than_dropped(
    client, supervisor, case
):
    signed_in(client, supervisor)
    services.case_status_change(
        actor=supervisor, case=case, status="closed", closing_reason="unable_to_contact"
    )
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(closing_reason="services_provided")

    response = client.post(url, data)

    assert response.context["adminform"].form.errors["closing_reason"] == [
        "The closing reason is given when the case is closed; it cannot change on its own."
    ]
    case.refresh_from_db()
    assert case.closing_reason == "unable_to_contact"


def test_other_changes_go_through_case_update_in_one_event(client, supervisor, case):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(priority="4", victim_count="7", summary="Eleven workers, two of them minors.")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.priority, case.victim_count, case.version) == (4, 7, 2)
    event = case.events.get(kind=Kind.UPDATED)
    assert event.data["fields"] == ["priority", "summary", "victim_count"]
    # Free text never goes into the timeline.
    assert "summary" not in event.data["changes"]


def test_status_assignment_and_details_changed_together_write_one_event_each(
    client, supervisor, other_advocate, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(status="active", assignee=other_advocate.pk, priority="3")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert case.version == 4
    assert event_kinds(case)[-3:] == [Kind.STATUS_CHANGED, Kind.ASSIGNED, Kind.UPDATED]


def test_a_page_loaded_before_someone_else_moved_the_status_says_so_rather_than_blame_the_status(
    client, supervisor, advocate, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    services.case_status_change(actor=advocate, case=case, status="active")
    data.update(priority="4")

    response = client.post(url, data)

    assert any(message.startswith("Someone else changed") for message in errors_of(response))
    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == ("active", 2, 2)


def test_a_stale_edit_is_refused_by_case_edit_with_the_conflict_message_and_saves_nothing(
    client, supervisor, advocate, other_advocate, case
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    services.case_update(actor=advocate, case=case, priority=3)
    data.update(status="active", assignee=other_advocate.pk, summary="Eleven workers.")

    response = client.post(url, data)

    errors = errors_of(response)
    assert len(errors) == 1
    assert errors[0].startswith(f"Someone else changed {case.reference} while you were editing")
    case.refresh_from_db()
    assert (case.status, case.assignee, case.priority, case.version) == ("new", None, 3, 2)
    assert event_kinds(case) == [Kind.CREATED, Kind.UPDATED]


def test_linked_tips_cannot_be_unlinked_but_new_ones_are_linked_through_the_service(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    first, second = TipFactory(), TipFactory()
    case = CaseFactory(actor=advocate, tips=[first])
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))

    response = client.post(url, {**data, "tips": [second.pk]})
    assert "A linked tip stays linked to the case; it cannot be removed." in errors_of(response)

    response = client.post(url, {**data, "tips": [first.pk, second.pk]})
    assert response.status_code == 302, errors_of(response)
    assert set(case.tips.all()) == {first, second}
    assert event_kinds(case).count(Kind.TIP_LINKED) == 2


# --- Rows recorded on a case -----------------------------------------------------------------


def test_rows_added_on_the_case_page_go_through_their_services(
    client, supervisor, case, organisation
):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    add_inline_row(data, "parties", role="potential_victim", name="M.", age_band="9-17")
    add_inline_row(data, "identifiers", kind="handle", platform="instagram", value="@Boss.Jobs")
    add_inline_row(data, "venues", name="Sunrise Motel", region=region("US-TX").pk)
    add_inline_row(data, "referrals", organisation=organisation.pk, reason="LawEnforcementReport")
    add_inline_row(data, "notes", text="Victim asked to be called after 6pm.")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert event_kinds(case)[1:] == [
        Kind.PARTY_ADDED,
        Kind.IDENTIFIER_ADDED,
        Kind.VENUE_ADDED,
        Kind.REFERRAL_SENT,
        Kind.NOTE_ADDED,
    ]
    party = case.parties.get()
    assert (party.is_minor, party.created_by) == (True, supervisor)
    assert case.identifiers.get().normalised == "boss.jobs"
    assert case.referrals.get().sent_by == supervisor
    assert case.notes.get().author == supervisor


def test_a_duplicate_identifier_is_refused_on_its_row_and_nothing_else_is_saved(
    client, supervisor, case
):
    signed_in(client, supervisor)
    services.identifier_add(actor=supervisor, case=case, kind="phone", value="713 555 0147")
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    data.update(priority="4")
    add_inline_row(data, "identifiers", kind="phone", value="+1 (713) 555-0147")

    response = client.post(url, data)

    rows = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "identifiers"
    )
    assert rows.forms[-1].errors["value"] == ["This case already has this phone number."]
    case.refresh_from_db()
    assert (case.priority, case.identifiers.count()) == (2, 1)
    assert Kind.UPDATED not in event_kinds(case)


def test_an_identifier_added_in_its_admin_is_normalised_not_typed(client, advocate, advocates_case):
    case = advocates_case
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("identifier", "add")))
    data.update(case=case.pk, kind="email", value=" Boss@Example.ORG", normalised="typed@x.org")

    response = client.post(admin_url("identifier", "add"), data)

    assert response.status_code == 302, errors_of(response)
    identifier = Identifier.objects.get()
    assert (identifier.value, identifier.normalised) == ("Boss@Example.ORG", "boss@example.org")
    assert event_kinds(case)[-1] == Kind.IDENTIFIER_ADDED


def test_an_identifier_that_cannot_be_read_says_what_to_type(client, advocate, advocates_case):
    case = advocates_case
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("identifier", "add")))
    data.update(case=case.pk, kind="phone", value="call me")

    response = client.post(admin_url("identifier", "add"), data)

    assert any(message.startswith("This is not a phone number") for message in errors_of(response))
    assert not Identifier.objects.exists()


def test_staff_record_a_partners_answer_given_off_the_system(client, supervisor, one_of_each):
    signed_in(client, supervisor)
    referral = one_of_each["referral"]
    url = admin_url("referral", "change", referral.pk)
    data = form_data(client.get(url))

    response = client.post(url, {**data, "status": "accepted"})

    assert response.status_code == 302, errors_of(response)
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.responded_at is not None
    event = referral.case.events.get(kind=Kind.REFERRAL_UPDATED)
    assert (event.actor, event.data["status"]) == (supervisor, "accepted")


def test_an_administrator_cannot_answer_a_referral(client, admin_user, one_of_each):
    signed_in(client, admin_user)
    referral = one_of_each["referral"]
    url = admin_url("referral", "change", referral.pk)
    assert "status" not in form_data(client.get(url))
    client.post(url, {"status": "accepted"})
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_a_partners_answer_in_the_referral_form_goes_through_referral_respond(partner, one_of_each):
    referral = one_of_each["referral"]
    form = ReferralForm(
        instance=referral,
        data={"status": "accepted", "notes": "Detective assigned.", "due_at": ""},
    )
    assert form.is_valid(), form.errors

    form.write(partner)

    referral.refresh_from_db()
    assert (referral.status, referral.notes) == ("accepted", "Detective assigned.")
    assert referral.responded_at is not None
    event = referral.case.events.get(kind=Kind.REFERRAL_UPDATED)
    assert (event.actor, event.data["previous"], event.data["status"]) == (
        partner,
        "sent",
        "accepted",
    )


def test_a_referral_cannot_be_sent_to_an_organisation_that_stopped_taking_them(
    client, supervisor, case, organisation
):
    signed_in(client, supervisor)
    organisation.is_active = False
    organisation.save()
    data = form_data(client.get(admin_url("referral", "add")))
    data.update(case=case.pk, organisation=organisation.pk, reason="LawEnforcementReport")

    response = client.post(admin_url("referral", "add"), data)

    assert "This organisation no longer takes referrals." in errors_of(response)
    assert not Referral.objects.exists()


def test_an_outcome_recorded_in_its_admin_goes_through_outcome_record(client, supervisor, case):
    signed_in(client, supervisor)
    data = form_data(client.get(admin_url("outcome", "add")))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    data.update(case=case.pk, kind="charges_filed", occurred_on=yesterday, agency="County DA")

    response = client.post(admin_url("outcome", "add"), data)

    assert response.status_code == 302, errors_of(response)
    outcome = case.outcomes.get()
    assert (outcome.kind, outcome.recorded_by) == ("charges_filed", supervisor)
    assert event_kinds(case)[-1] == Kind.OUTCOME_RECORDED


def test_an_outcome_cannot_be_in_the_future(client, supervisor, case):
    signed_in(client, supervisor)
    data = form_data(client.get(admin_url("outcome", "add")))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data.update(case=case.pk, kind="conviction", occurred_on=tomorrow.isoformat())

    response = client.post(admin_url("outcome", "add"), data)

    assert "An outcome cannot be in the future." in errors_of(response)
    assert not case.outcomes.exists()


def test_a_note_added_in_its_admin_goes_through_note_add(client, advocate, advocates_case):
    case = advocates_case
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("note", "add")))
    data.update(case=case.pk, text="  Left a voicemail.  ")

    response = client.post(admin_url("note", "add"), data)

    assert response.status_code == 302, errors_of(response)
    note = case.notes.get()
    assert (note.text, note.author) == ("Left a voicemail.", advocate)
    assert event_kinds(case)[-1] == Kind.NOTE_ADDED


def test_correcting_a_party_goes_through_party_update(client, supervisor, one_of_each):
    signed_in(client, supervisor)
    party = one_of_each["party"]
    url = admin_url("party", "change", party.pk)
    data = form_data(client.get(url))
    data.update(name="Maria", citizenship="mx")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    party.refresh_from_db()
    assert (party.name, party.citizenship) == ("Maria", "MX")
    event = party.case.events.get(kind=Kind.PARTY_UPDATED)
    assert (event.actor, event.data) == (
        supervisor,
        {"party": party.pk, "fields": ["citizenship", "name"]},
    )


def test_a_party_that_breaks_a_rule_of_the_model_is_told_the_rule(client, supervisor, case):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    add_inline_row(data, "parties", role="potential_victim", kind="organisation", name="Acme")
    add_inline_row(data, "parties", role="survivor", age_band="9-17", is_minor="false")

    response = client.post(url, data)

    errors = errors_of(response)
    assert "A potential victim or survivor is a person, not an organisation." in errors
    assert "Someone in a child's age band is a minor." in errors
    assert not case.parties.exists()


def test_correcting_an_identifier_normalises_it_again_and_records_it(
    client, supervisor, one_of_each
):
    signed_in(client, supervisor)
    identifier = one_of_each["identifier"]
    url = admin_url("identifier", "change", identifier.pk)
    data = form_data(client.get(url))
    # identifier_update does not change what kind of identifier it is.
    assert "kind" not in data
    data.update(value="713.555.0199")

    response = client.post(url, {**data, "kind": "email"})

    assert response.status_code == 302, errors_of(response)
    identifier.refresh_from_db()
    assert (identifier.kind, identifier.value, identifier.normalised) == (
        "phone",
        "713.555.0199",
        "+17135550199",
    )
    event = identifier.case.events.get(kind=Kind.IDENTIFIER_UPDATED)
    assert (event.actor, event.data) == (
        supervisor,
        {"identifier": identifier.pk, "identifier_kind": "phone", "fields": ["value"]},
    )


def test_an_identifier_corrected_into_one_the_case_has_is_refused_on_its_row(
    client, supervisor, case
):
    signed_in(client, supervisor)
    services.identifier_add(actor=supervisor, case=case, kind="phone", value="713 555 0147")
    second = services.identifier_add(
        actor=supervisor, case=case, kind="phone", value="713 555 0199"
    )
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    assert data["identifiers-1-id"] == str(second.pk)
    data.update({"identifiers-1-value": "+1 (713) 555-0147", "priority": "4"})

    response = client.post(url, data)

    rows = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "identifiers"
    )
    assert rows.forms[1].errors["value"] == ["This case already has this phone number."]
    second.refresh_from_db()
    case.refresh_from_db()
    assert (second.value, case.priority) == ("713 555 0199", 2)
    assert Kind.IDENTIFIER_UPDATED not in event_kinds(case)


def test_sharing_identities_with_a_partner_is_recorded_in_the_timeline(
    client, supervisor, one_of_each, organisation, other_organisation
):
    signed_in(client, supervisor)
    case, referral = one_of_each["case"], one_of_each["referral"]
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    assert data["referrals-0-id"] == str(referral.pk)
    # Where the referral went is a fact of the timeline: shown, not sent.
    assert "referrals-0-organisation" not in data
    data["referrals-0-shares_identities"] = "on"

    response = client.post(url, {**data, "referrals-0-organisation": other_organisation.pk})

    assert response.status_code == 302, errors_of(response)
    referral.refresh_from_db()
    assert (referral.shares_identities, referral.organisation) == (True, organisation)
    event = case.events.get(kind=Kind.REFERRAL_UPDATED)
    assert (event.actor, event.data) == (
        supervisor,
        {"referral": referral.pk, "fields": ["shares_identities"], "shares_identities": True},
    )


def test_a_referrals_deadline_and_notes_go_through_referral_update(client, supervisor, one_of_each):
    signed_in(client, supervisor)
    referral = one_of_each["referral"]
    url = admin_url("referral", "change", referral.pk)
    data = form_data(client.get(url))
    data.update(due_at_0="2030-01-02", due_at_1="09:00:00", notes="Call the duty detective.")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    referral.refresh_from_db()
    assert referral.notes == "Call the duty detective."
    assert referral.due_at is not None
    event = referral.case.events.get(kind=Kind.REFERRAL_UPDATED)
    assert event.data == {"referral": referral.pk, "fields": ["due_at", "notes"]}


def test_corrections_to_venues_and_outcomes_are_recorded_in_the_timeline(
    client, supervisor, one_of_each
):
    signed_in(client, supervisor)
    venue, outcome = one_of_each["venue"], one_of_each["outcome"]
    url = admin_url("venue", "change", venue.pk)
    response = client.post(url, {**form_data(client.get(url)), "name": "Sunset Motel"})
    assert response.status_code == 302, errors_of(response)
    url = admin_url("outcome", "change", outcome.pk)
    response = client.post(url, {**form_data(client.get(url)), "agency": "County DA"})
    assert response.status_code == 302, errors_of(response)

    venue.refresh_from_db()
    outcome.refresh_from_db()
    assert (venue.name, outcome.agency) == ("Sunset Motel", "County DA")
    case = one_of_each["case"]
    assert case.events.get(kind=Kind.VENUE_UPDATED).data == {"venue": venue.pk, "fields": ["name"]}
    assert case.events.get(kind=Kind.OUTCOME_UPDATED).data == {
        "outcome": outcome.pk,
        "outcome_kind": "investigation_opened",
        "fields": ["agency"],
    }


def test_an_outcome_cannot_be_moved_into_the_future(client, supervisor, one_of_each):
    signed_in(client, supervisor)
    outcome = one_of_each["outcome"]
    url = admin_url("outcome", "change", outcome.pk)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = {**form_data(client.get(url)), "occurred_on": tomorrow.isoformat()}

    response = client.post(url, data)

    assert response.context["adminform"].form.errors["occurred_on"] == [
        "An outcome cannot be in the future."
    ]
    outcome.refresh_from_db()
    assert outcome.occurred_on == timezone.localdate()


def test_notes_cannot_be_edited_by_anyone(client, supervisor, admin_user, root, one_of_each):
    note, case = one_of_each["note"], one_of_each["case"]
    for user in (supervisor, admin_user, root):
        signed_in(client, user)
        url = admin_url("note", "change", note.pk)
        assert not client.get(url).context["has_change_permission"]
        assert client.post(url, {"case": case.pk, "text": "Rewritten."}).status_code == 403
        # Nor on the case page, where notes are added: a supervisor saves the page, the note
        # stays; administrators (superusers among them) do not change cases at all.
        url = admin_url("case", "change", case.pk)
        data = form_data(client.get(url))
        assert data["notes-0-id"] == str(note.pk)
        assert "notes-0-text" not in data
        response = client.post(url, {**data, "notes-0-text": "Rewritten."})
        assert response.status_code == (302 if user == supervisor else 403), errors_of(response)
    note.refresh_from_db()
    assert note.text == "Called back, no answer."
    assert event_kinds(case).count(Kind.NOTE_ADDED) == 1


def test_rows_on_a_case_cannot_be_deleted_in_the_admin(client, admin_user, one_of_each):
    signed_in(client, admin_user)

    for model_name in ("party", "identifier", "venue", "referral", "outcome", "note"):
        url = admin_url(model_name, "delete", one_of_each[model_name].pk)
        assert client.get(url).status_code == 403


def test_the_case_page_says_when_retention_erased_its_identities(client, supervisor, case):
    signed_in(client, supervisor)
    url = admin_url("case", "change", case.pk)
    assert "Identities erased at" not in client.get(url).content.decode()
    Case.objects.filter(pk=case.pk).update(identities_erased_at=timezone.now())

    assert "Identities erased at" in client.get(url).content.decode()


# --- Nothing a record holds is copied into the session or the admin's log ------------------------


def stored_text():
    """What the session table and the admin's log hold, read past the models: the session
    payloads decoded (they are only signed and encoded), the log as it is."""
    from django.contrib.sessions.backends.db import SessionStore

    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        sessions = [SessionStore().decode(data) for (data,) in cursor.fetchall()]
        cursor.execute("SELECT object_repr, change_message FROM django_admin_log")
        logged = [" ".join(row) for row in cursor.fetchall()]
    return json.dumps(sessions, ensure_ascii=False, default=str), " ".join(logged)


def test_adding_records_leaves_no_name_value_or_venue_in_the_session_or_the_admin_log(
    client, advocate, advocates_case, monkeypatch
):
    # Whatever a record's str says (an identifier's value, a venue's name, a person's name),
    # the admin names rows by their kind and id: the messages it keeps in the session until
    # the next page and its history never hold what a record holds.
    monkeypatch.setattr(Party, "__str__", lambda party: party.name)
    monkeypatch.setattr(Identifier, "__str__", lambda identifier: identifier.value)
    monkeypatch.setattr(Venue, "__str__", lambda venue: venue.name)
    case = advocates_case
    signed_in(client, advocate)
    added = [
        ("party", {"role": "potential_victim", "name": "Maria Quintero"}),
        ("identifier", {"kind": "phone", "value": "(713) 555-0147"}),
        ("venue", {"name": "Sunrise Motel", "address": "12 Harbor Road"}),
    ]
    # Each message waits in the session until the next page shows it: read after each save.
    sessions = []
    for model_name, values in added:
        data = form_data(client.get(admin_url(model_name, "add")))
        response = client.post(admin_url(model_name, "add"), {**data, "case": case.pk, **values})
        assert response.status_code == 302, errors_of(response)
        sessions.append(stored_text()[0])
    # And on the case page, as inline rows, with "Save and continue editing".
    url = admin_url("case", "change", case.pk)
    data = form_data(client.get(url))
    add_inline_row(data, "parties", role="survivor", name="Rosa Quintero")
    add_inline_row(data, "identifiers", kind="email", value="rosa.q@example.org")
    add_inline_row(data, "venues", name="Sunset Motel")
    response = client.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302, errors_of(response)
    changed, logged = stored_text()
    sessions = " ".join([*sessions, changed])

    assert sessions.count("was added successfully") == 3
    assert "was changed successfully" in changed
    for plaintext in ("Quintero", "555", "Sunrise", "Harbor", "Sunset", "rosa.q"):
        assert plaintext not in sessions
        assert plaintext not in logged
    party = case.parties.get(role="potential_victim")
    assert f"party {party.pk}" in sessions and f"party {party.pk}" in logged
    assert LogEntry.objects.count() == 4


def test_a_message_about_an_account_does_not_name_the_person(client, admin_user, advocate):
    signed_in(client, admin_user)
    url = reverse("admin:hotline_user_change", args=[advocate.pk])
    data = form_data(client.get(url))

    response = client.post(url, {**data, "first_name": "Alice", "last_name": "Ng"})

    assert response.status_code == 302, errors_of(response)
    sessions, logged = stored_text()
    assert "was changed successfully" in sessions
    for plaintext in ("alice", "Alice", "Ng"):
        assert plaintext not in sessions
        assert plaintext not in logged
