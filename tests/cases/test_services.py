"""Each case service changes the data and writes its timeline event in the same transaction."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    Identifier,
    Party,
    Priority,
    Referral,
)
from hotline.models import Code, Tip, Urgency
from hotline.services import call_log, tip_submit
from tests.factories import CaseFactory, TipFactory, code, industry, region

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


def kinds(case):
    return list(case.events.order_by("pk").values_list("kind", flat=True))


def last_event(case):
    return case.events.order_by("-pk").first()


def test_opening_a_case_writes_a_created_event_and_numbers_it_by_year(advocate):
    opened = datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)
    first = CaseFactory(actor=advocate, opened_at=opened)
    second = CaseFactory(actor=advocate, opened_at=opened)
    this_year = CaseFactory(actor=advocate)
    assert (first.reference, second.reference) == ("HT-2025-000001", "HT-2025-000002")
    assert this_year.reference == f"HT-{timezone.now().year}-000001"
    assert CaseReferenceCounter.objects.get(year=2025).last_number == 2
    assert kinds(first) == [Kind.CREATED]
    event = first.events.get()
    assert (event.actor, event.data) == (advocate, {"reference": "HT-2025-000001"})


def test_opening_an_assigned_case_also_records_the_assignment(supervisor, advocate, team):
    case = CaseFactory(actor=supervisor, assignee=advocate)
    assert case.team == team
    assert kinds(case) == [Kind.CREATED, Kind.ASSIGNED]
    assert last_event(case).data["assignee"] == advocate.pk


def test_opening_a_case_from_a_tip_takes_its_facts_call_and_identifiers(advocate):
    call = call_log(
        advocate=advocate,
        channel="phone",
        caller_type="family_or_friend",
        reason="trafficking_tip",
        region=region("US-FL"),
        urgency=Urgency.IMMINENT_DANGER,
        tip={"observed": "My niece is kept in a house", "industry": industry("residential")},
    )
    services.identifier_add(actor=advocate, kind="phone", value="(305) 555-0110", tip=call.tip)
    case = services.case_open_from_tip(actor=advocate, tip=call.tip)

    assert (case.region.code, case.industry.code, case.priority) == ("US-FL", "residential", 4)
    assert list(case.tips.all()) == [call.tip] and list(case.calls.all()) == [call]
    assert case.identifiers.get().normalised == "+13055550110"
    assert Tip.objects.get(pk=call.tip.pk).triage_state == Tip.TriageState.LINKED
    assert kinds(case) == [Kind.CREATED, Kind.TIP_LINKED, Kind.IDENTIFIER_ADDED, Kind.CALL_LINKED]
    assert case.events.get(kind=Kind.TIP_LINKED).data == {"tip": call.tip.pk}


def test_linking_a_second_tip_skips_identifiers_the_case_already_has(advocate):
    case = CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=case, kind="phone", value="202.555.0143")
    tip = TipFactory()
    services.identifier_add(actor=advocate, tip=tip, kind="phone", value="+1 202 555 0143")
    services.identifier_add(actor=advocate, tip=tip, kind="email", value="Boss@Example.org")
    services.case_link_tip(actor=advocate, case=case, tip=tip)
    assert sorted(case.identifiers.values_list("normalised", flat=True)) == [
        "+12025550143",
        "boss@example.org",
    ]
    services.case_link_tip(actor=advocate, case=case, tip=tip)  # again: nothing new
    assert kinds(case).count(Kind.TIP_LINKED) == 1


def test_a_tip_closed_as_no_action_cannot_open_a_case(advocate):
    from hotline.services import tip_triage

    tip = tip_triage(actor=advocate, tip=TipFactory(), state="no_action", reason="A prank")
    with pytest.raises(ValidationError, match="closed as no action"):
        services.case_open_from_tip(actor=advocate, tip=tip)
    assert not Case.objects.exists()


def test_changing_status_records_from_and_to_and_bumps_the_version(advocate):
    case = CaseFactory(actor=advocate)
    case = services.case_status_change(actor=advocate, case=case, status="active")
    assert (case.status, case.version) == ("active", 2)
    event = last_event(case)
    assert (event.kind, event.data) == (
        Kind.STATUS_CHANGED,
        {"previous": "new", "status": "active", "closing_reason": ""},
    )


def test_closing_needs_a_reason_and_reopening_clears_it(advocate):
    case = services.case_status_change(
        actor=advocate, case=CaseFactory(actor=advocate), status="active"
    )
    with pytest.raises(ValidationError) as error:
        services.case_status_change(actor=advocate, case=case, status="closed")
    assert "closing_reason" in error.value.message_dict
    case = services.case_status_change(
        actor=advocate, case=case, status="closed", closing_reason="services_provided"
    )
    assert case.closed_at is not None and case.closing_reason == "services_provided"
    case = services.case_status_change(actor=advocate, case=case, status="active")
    assert (case.closed_at, case.closing_reason) == (None, "")
    assert kinds(case).count(Kind.STATUS_CHANGED) == 3


def test_a_transition_outside_the_workflow_is_refused_with_the_allowed_ones(advocate):
    case = CaseFactory(actor=advocate)
    with pytest.raises(ValidationError) as error:
        services.case_status_change(actor=advocate, case=case, status="follow_up")
    assert "can become: active, closed, referred" in error.value.message_dict["status"][0]
    assert kinds(Case.objects.get(pk=case.pk)) == [Kind.CREATED]


def test_a_stale_version_is_refused_and_changes_nothing(advocate, supervisor):
    case = CaseFactory(actor=advocate)
    services.case_update(actor=supervisor, case=case, expected_version=1, priority=3)
    with pytest.raises(services.CaseChanged) as error:
        services.case_status_change(actor=advocate, case=case, status="active", expected_version=1)
    assert error.value.case.version == 2
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.priority, fresh.version) == ("new", 3, 2)


def test_assigning_records_the_previous_and_new_assignee_and_team(
    supervisor, advocate, other_advocate
):
    case = CaseFactory(actor=supervisor, assignee=advocate)
    case = services.case_assign(actor=supervisor, case=case, assignee=other_advocate)
    assert (case.assignee, case.team) == (other_advocate, other_advocate.team)
    assert last_event(case).data == {
        "assignee": other_advocate.pk,
        "team": other_advocate.team_id,
        "previous_assignee": advocate.pk,
        "previous_team": advocate.team_id,
    }


def test_a_case_cannot_be_assigned_to_a_partner(supervisor, partner):
    with pytest.raises(ValidationError, match="active advocates and supervisors"):
        services.case_assign(actor=supervisor, case=CaseFactory(actor=supervisor), assignee=partner)


def test_updating_records_field_names_and_only_non_identifying_values(advocate):
    case = CaseFactory(actor=advocate)
    control = Code.objects.get(list="vic_MethodsOfControl", code="DebtBondage")
    case = services.case_update(
        actor=advocate,
        case=case,
        summary="Maria said the boss keeps her passport",
        industry=industry("construction"),
        methods_of_control=[control],
    )
    event = last_event(case)
    assert event.kind == Kind.UPDATED
    assert event.data["fields"] == ["industry", "methods_of_control", "summary"]
    assert "summary" not in event.data["changes"]
    assert "Maria" not in str(event.data)
    assert list(case.methods_of_control.all()) == [control]


def test_updating_refuses_fields_that_have_their_own_service(advocate):
    with pytest.raises(ValidationError) as error:
        services.case_update(actor=advocate, case=CaseFactory(actor=advocate), status="closed")
    assert "status" in error.value.message_dict


def test_an_update_that_changes_nothing_writes_nothing(advocate):
    case = CaseFactory(actor=advocate)
    services.case_update(actor=advocate, case=case, victim_count=case.victim_count)
    assert kinds(case) == [Kind.CREATED] and Case.objects.get(pk=case.pk).version == 1


def test_adding_a_party_records_its_role_but_not_its_name(advocate):
    case = CaseFactory(actor=advocate)
    party = services.party_add(
        actor=advocate, case=case, role="recruiter", name="Juan Pérez", citizenship="mx"
    )
    assert party.citizenship == "MX"
    event = last_event(case)
    assert (event.kind, event.data) == (Kind.PARTY_ADDED, {"party": party.pk, "role": "recruiter"})


def test_a_child_age_band_makes_a_party_a_minor(advocate):
    party = services.party_add(
        actor=advocate, case=CaseFactory(actor=advocate), role="potential_victim", age_band="9-17"
    )
    assert party.is_minor is True


def test_a_party_with_an_unknown_country_is_refused_with_a_message(advocate):
    with pytest.raises(ValidationError) as error:
        services.party_add(
            actor=advocate, case=CaseFactory(actor=advocate), role="survivor", citizenship="XX"
        )
    assert "ISO 3166-1" in error.value.message_dict["citizenship"][0]


def test_adding_an_identifier_normalises_it_and_records_its_kind_only(advocate):
    case = CaseFactory(actor=advocate)
    identifier = services.identifier_add(
        actor=advocate, case=case, kind="handle", platform="telegram", value="@Boss_Man"
    )
    assert (identifier.value, identifier.normalised) == ("@Boss_Man", "boss_man")
    assert last_event(case).data == {"identifier": identifier.pk, "identifier_kind": "handle"}


def test_the_same_identifier_written_differently_is_refused_on_one_case(advocate):
    case = CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=case, kind="phone", value="(202) 555-0143")
    with pytest.raises(ValidationError, match="already has this phone number"):
        services.identifier_add(actor=advocate, case=case, kind="phone", value="202.555.0143")
    assert case.identifiers.count() == 1


def test_a_malformed_identifier_is_refused_with_the_reason(advocate):
    with pytest.raises(ValidationError) as error:
        services.identifier_add(
            actor=advocate, case=CaseFactory(actor=advocate), kind="email", value="nobody@"
        )
    assert "name@example.org" in error.value.message_dict["value"][0]
    assert not Identifier.objects.exists()


def test_an_identifier_cannot_belong_to_a_person_in_another_case(advocate):
    party = services.party_add(actor=advocate, case=CaseFactory(actor=advocate), role="exploiter")
    with pytest.raises(ValidationError, match="not in this case"):
        services.identifier_add(
            actor=advocate,
            case=CaseFactory(actor=advocate),
            party=party,
            kind="phone",
            value="2025550143",
        )


def test_adding_a_venue_records_it(advocate):
    case = CaseFactory(actor=advocate)
    venue = services.venue_add(
        actor=advocate, case=case, name="Lucky Nails", industry=industry("health_beauty_services")
    )
    assert last_event(case).data == {"venue": venue.pk}


def test_referring_records_the_organisation_and_whether_identities_are_shared(
    advocate, organisation
):
    case = CaseFactory(actor=advocate)
    due = timezone.now() + datetime.timedelta(hours=24)
    referral = services.referral_send(
        actor=advocate,
        case=case,
        organisation=organisation,
        reason="LawEnforcementReport",
        due_at=due,
    )
    assert (referral.status, referral.due_at) == ("sent", due)
    assert last_event(case).data == {
        "referral": referral.pk,
        "organisation": organisation.pk,
        "reason": "LawEnforcementReport",
        "shares_identities": False,
    }


def test_a_referral_to_an_inactive_organisation_is_refused(advocate, organisation):
    organisation.is_active = False
    organisation.save()
    with pytest.raises(ValidationError, match="no longer takes referrals"):
        services.referral_send(
            actor=advocate,
            case=CaseFactory(actor=advocate),
            organisation=organisation,
            reason="Other",
        )


def test_a_partner_s_answer_to_a_referral_is_recorded(advocate, partner, organisation):
    case = CaseFactory(actor=advocate)
    referral = services.referral_send(
        actor=advocate, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    referral = services.referral_respond(actor=partner, referral=referral, status="accepted")
    assert referral.status == Referral.Status.ACCEPTED and referral.responded_at is not None
    event = last_event(case)
    assert (event.kind, event.actor, event.data["previous"], event.data["status"]) == (
        Kind.REFERRAL_UPDATED,
        partner,
        "sent",
        "accepted",
    )


def test_recording_an_outcome_on_a_referral_of_the_same_case(advocate, organisation):
    case = CaseFactory(actor=advocate)
    referral = services.referral_send(
        actor=advocate, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    outcome = services.outcome_record(
        actor=advocate,
        case=case,
        referral=referral,
        kind="conviction",
        occurred_on=datetime.date(2026, 1, 5),
        agency="District Court",
    )
    assert last_event(case).data == {
        "outcome": outcome.pk,
        "outcome_kind": "conviction",
        "referral": referral.pk,
    }
    with pytest.raises(ValidationError, match="another case"):
        services.outcome_record(
            actor=advocate,
            case=CaseFactory(actor=advocate),
            referral=referral,
            kind="charges_filed",
            occurred_on=datetime.date(2026, 1, 5),
        )


def test_an_outcome_cannot_be_in_the_future(advocate):
    with pytest.raises(ValidationError, match="future"):
        services.outcome_record(
            actor=advocate,
            case=CaseFactory(actor=advocate),
            kind="charges_filed",
            occurred_on=timezone.localdate() + datetime.timedelta(days=2),
        )


def test_adding_a_note_records_its_id_but_not_its_text(advocate):
    case = CaseFactory(actor=advocate)
    note = services.note_add(actor=advocate, case=case, text="  Victim moved to shelter  ")
    assert note.text == "Victim moved to shelter"
    assert last_event(case).data == {"note": note.pk}
    with pytest.raises(ValidationError):
        services.note_add(actor=advocate, case=case, text="   ")


def test_a_failing_service_leaves_no_half_written_case(advocate):
    with pytest.raises(ValidationError):
        services.case_open(
            actor=advocate,
            methods_of_control=[code("vic_TypeOfExploitation", "ForcedLabour")],
        )
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_parties_of_a_case_keep_their_roles(advocate):
    case = CaseFactory(actor=advocate)
    for role in ("potential_victim", "recruiter", "transporter", "document_forger", "exploiter"):
        services.party_add(actor=advocate, case=case, role=role)
    assert set(Party.objects.filter(case=case).values_list("role", flat=True)) == {
        "potential_victim",
        "recruiter",
        "transporter",
        "document_forger",
        "exploiter",
    }


def test_a_tip_submitted_by_a_partner_names_its_organisation(partner, organisation):
    tip = tip_submit(
        source="partner", organisation=organisation, submitted_by=partner, observed="Labour camp"
    )
    assert tip.organisation == organisation and tip.triage_state == Tip.TriageState.NEW


def test_a_tip_opens_one_case_and_a_second_attempt_names_it(advocate):
    tip = TipFactory()
    case = services.case_open_from_tip(actor=advocate, tip=tip)
    with pytest.raises(ValidationError, match=case.reference):
        services.case_open_from_tip(actor=advocate, tip=tip)
    assert Case.objects.count() == 1


def test_a_tip_linked_to_a_second_case_gives_it_a_copy_of_its_identifiers(advocate):
    tip = TipFactory()
    services.identifier_add(actor=advocate, tip=tip, kind="phone", value="(202) 555-0143")
    first = services.case_open_from_tip(actor=advocate, tip=tip)
    second = CaseFactory(actor=advocate)
    services.case_link_tip(actor=advocate, case=second, tip=tip)
    for case in (first, second):
        assert list(case.identifiers.values_list("normalised", flat=True)) == ["+12025550143"]
    moved, copied = first.identifiers.get(), second.identifiers.get()
    assert (moved.tip, copied.tip) == (tip, None)
    assert second.events.get(kind=Kind.IDENTIFIER_ADDED).data["identifier"] == copied.pk


@pytest.mark.parametrize("state", ["duplicate", "no_action"])
def test_a_closed_tip_cannot_be_linked_to_a_case(advocate, state):
    from hotline.services import tip_triage

    tip = tip_triage(
        actor=advocate,
        tip=TipFactory(),
        state=state,
        reason="Seen before",
        duplicate_of=TipFactory() if state == "duplicate" else None,
    )
    case = CaseFactory(actor=advocate)
    with pytest.raises(ValidationError, match="cannot be linked"):
        services.case_link_tip(actor=advocate, case=case, tip=tip)
    with pytest.raises(ValidationError, match="cannot be linked"):
        services.case_open(actor=advocate, tips=[tip])
    assert Tip.objects.get(pk=tip.pk).triage_state == state
    assert not case.tips.exists() and Case.objects.count() == 1


def test_a_case_cannot_be_opened_in_the_future(advocate):
    with pytest.raises(ValidationError) as error:
        CaseFactory(actor=advocate, opened_at=timezone.now() + datetime.timedelta(days=1))
    assert "opened_at" in error.value.message_dict
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("service", "arguments", "field"),
    [
        ("case_status_change", {"status": "pending"}, "status"),
        ("identifier_add", {"kind": "fax", "value": "1"}, "kind"),
    ],
)
def test_a_value_outside_the_choices_is_a_validation_error_not_a_crash(
    advocate, service, arguments, field
):
    case = CaseFactory(actor=advocate)
    with pytest.raises(ValidationError) as error:
        getattr(services, service)(actor=advocate, case=case, **arguments)
    assert field in error.value.message_dict


def test_a_referral_answer_outside_the_choices_is_a_validation_error(advocate, organisation):
    referral = services.referral_send(
        actor=advocate, case=CaseFactory(actor=advocate), organisation=organisation, reason="Other"
    )
    for status in ("sent", "lost"):
        with pytest.raises(ValidationError) as error:
            services.referral_respond(actor=advocate, referral=referral, status=status)
        assert "status" in error.value.message_dict


def test_an_identifier_can_name_a_tip_only_if_the_tip_is_linked_to_the_case(advocate):
    case, tip = CaseFactory(actor=advocate), TipFactory()
    with pytest.raises(ValidationError, match="not linked to this case"):
        services.identifier_add(actor=advocate, case=case, tip=tip, kind="vehicle", value="ABC1")


def test_one_edit_changes_status_assignment_and_fields_with_one_version_check(supervisor, advocate):
    case = CaseFactory(actor=supervisor)
    case = services.case_edit(
        actor=supervisor,
        case=case,
        expected_version=1,
        status="active",
        assignee=advocate,
        priority=Priority.HIGH,
    )
    assert (case.status, case.assignee, case.priority, case.version) == (
        "active",
        advocate,
        Priority.HIGH,
        4,
    )
    assert kinds(case)[-3:] == [Kind.STATUS_CHANGED, Kind.ASSIGNED, Kind.UPDATED]


def test_an_edit_of_a_stale_version_changes_nothing(supervisor, advocate):
    case = CaseFactory(actor=supervisor)
    services.case_update(actor=advocate, case=case, summary="Updated by a colleague")
    with pytest.raises(services.CaseChanged):
        services.case_edit(
            actor=supervisor, case=case, expected_version=1, status="active", priority=4
        )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.priority, fresh.version) == ("new", Priority.NORMAL, 2)


def test_an_edit_refused_half_way_undoes_its_earlier_steps(supervisor, partner):
    case = CaseFactory(actor=supervisor)
    with pytest.raises(ValidationError):
        services.case_edit(
            actor=supervisor, case=case, expected_version=1, status="active", assignee=partner
        )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version) == ("new", 1)
    assert kinds(fresh) == [Kind.CREATED]


def test_correcting_a_party_records_which_fields_changed_but_not_their_values(advocate):
    party = services.party_add(
        actor=advocate, case=CaseFactory(actor=advocate), role="recruiter", name="Juan"
    )
    party = services.party_update(actor=advocate, party=party, name="Juan Pérez", citizenship="mx")
    assert (party.name, party.citizenship) == ("Juan Pérez", "MX")
    event = last_event(party.case)
    assert (event.kind, event.data) == (
        Kind.PARTY_UPDATED,
        {"party": party.pk, "fields": ["citizenship", "name"]},
    )
    assert "Juan" not in str(event.data)


def test_correcting_an_identifier_normalises_it_again(advocate):
    case = CaseFactory(actor=advocate)
    identifier = services.identifier_add(
        actor=advocate, case=case, kind="phone", value="2025550143"
    )
    identifier = services.identifier_update(
        actor=advocate, identifier=identifier, value="+52 55 1234 5678"
    )
    assert identifier.normalised == "+525512345678"
    assert last_event(case).data == {
        "identifier": identifier.pk,
        "identifier_kind": "phone",
        "fields": ["value"],
    }


def test_correcting_an_identifier_into_one_the_case_has_is_refused(advocate):
    case = CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=case, kind="phone", value="2025550143")
    other = services.identifier_add(actor=advocate, case=case, kind="phone", value="2025550199")
    with pytest.raises(ValidationError, match="already has this phone number"):
        services.identifier_update(actor=advocate, identifier=other, value="(202) 555-0143")
    assert Identifier.objects.get(pk=other.pk).normalised == "+12025550199"


def test_correcting_a_venue_records_the_fields(advocate):
    case = CaseFactory(actor=advocate)
    venue = services.venue_add(actor=advocate, case=case, name="Lucky Nails")
    services.venue_update(actor=advocate, venue=venue, region=region("US-NV"))
    assert last_event(case).data == {"venue": venue.pk, "fields": ["region"]}


def test_sharing_identities_with_a_partner_is_in_the_timeline(advocate, organisation):
    case = CaseFactory(actor=advocate)
    referral = services.referral_send(
        actor=advocate, case=case, organisation=organisation, reason="LawEnforcementReport"
    )
    services.referral_update(actor=advocate, referral=referral, shares_identities=True)
    event = last_event(case)
    assert (event.kind, event.data) == (
        Kind.REFERRAL_UPDATED,
        {"referral": referral.pk, "fields": ["shares_identities"], "shares_identities": True},
    )
    with pytest.raises(ValidationError):
        services.referral_update(actor=advocate, referral=referral, organisation=None)


def test_correcting_an_outcome_keeps_it_in_the_past(advocate):
    case = CaseFactory(actor=advocate)
    outcome = services.outcome_record(
        actor=advocate,
        case=case,
        kind="investigation_opened",
        occurred_on=datetime.date(2026, 2, 1),
    )
    services.outcome_update(actor=advocate, outcome=outcome, kind="charges_filed")
    assert last_event(case).data == {
        "outcome": outcome.pk,
        "outcome_kind": "charges_filed",
        "fields": ["kind"],
    }
    with pytest.raises(ValidationError, match="future"):
        services.outcome_update(
            actor=advocate,
            outcome=outcome,
            occurred_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_a_closed_case_whose_identities_were_erased_takes_no_new_personal_data(advocate):
    case = services.case_status_change(
        actor=advocate,
        case=services.case_status_change(
            actor=advocate, case=CaseFactory(actor=advocate), status="active"
        ),
        status="closed",
        closing_reason="services_provided",
    )
    Case.objects.filter(pk=case.pk).update(identities_erased_at=timezone.now())
    case.refresh_from_db()
    for add in (
        lambda: services.party_add(actor=advocate, case=case, role="survivor", name="Ana"),
        lambda: services.identifier_add(
            actor=advocate, case=case, kind="phone", value="2025550143"
        ),
        lambda: services.venue_add(actor=advocate, case=case, name="Motel"),
        lambda: services.note_add(actor=advocate, case=case, text="Ana called back"),
    ):
        with pytest.raises(ValidationError, match="reopen it"):
            add()
    reopened = services.case_status_change(actor=advocate, case=case, status="active")
    assert services.note_add(actor=advocate, case=reopened, text="Ana called back").pk


def test_a_direct_closure_settles_a_pending_closure_request(advocate, supervisor):
    case = CaseFactory(actor=advocate, assignee=advocate)
    services.case_status_change(actor=advocate, case=case, status="active")
    services.case_closure_request(actor=advocate, case=case, closing_reason="unable_to_contact")
    services.case_status_change(
        actor=supervisor, case=case, status="closed", closing_reason="unable_to_contact"
    )
    reopened = services.case_status_change(actor=supervisor, case=case, status="active")
    assert not services.closure_pending(reopened)
    assert Case.objects.get(pk=case.pk).closure_requested_at is None
