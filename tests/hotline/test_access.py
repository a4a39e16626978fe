"""The access rules, as a matrix: every role against every kind of record and action."""

import pytest

from cases import services
from cases.models import Case, CaseEvent, Identifier, Note, Outcome, Party, Referral, Venue
from hotline import access
from hotline.access import Action, Permission
from hotline.models import Call, Role, Tip
from hotline.services import call_log, user_create
from tests.conftest import PASSWORD
from tests.factories import CaseFactory, TipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    advocate,
    other_advocate,
    supervisor,
    partner,
    admin_user,
    outsider,
    organisation,
    other_organisation,
    team,
    other_team,
):
    """Cases placed so that each rule decides at least one of them."""
    east = CaseFactory(actor=supervisor, team=team)
    west = CaseFactory(actor=supervisor, team=other_team)
    west_mine = CaseFactory(actor=supervisor, assignee=advocate, team=other_team)
    restricted_east = CaseFactory(
        actor=supervisor, assignee=supervisor, team=team, is_restricted=True
    )
    restricted_mine = CaseFactory(actor=supervisor, assignee=advocate, is_restricted=True)
    referred = CaseFactory(actor=supervisor, team=other_team)
    shared = CaseFactory(actor=supervisor, team=other_team)
    elsewhere = CaseFactory(actor=supervisor, team=other_team)
    services.referral_send(
        actor=supervisor, case=referred, organisation=organisation, reason="Other"
    )
    services.referral_send(
        actor=supervisor, case=referred, organisation=organisation, reason="Other"
    )
    services.referral_send(
        actor=supervisor,
        case=shared,
        organisation=organisation,
        reason="Other",
        shares_identities=True,
    )
    services.referral_send(
        actor=supervisor, case=elsewhere, organisation=other_organisation, reason="Other"
    )
    return {
        "east": east,
        "west": west,
        "west_mine": west_mine,
        "restricted_east": restricted_east,
        "restricted_mine": restricted_mine,
        "referred": referred,
        "shared": shared,
        "elsewhere": elsewhere,
    }


ALL = {
    "east",
    "west",
    "west_mine",
    "restricted_east",
    "restricted_mine",
    "referred",
    "shared",
    "elsewhere",
}
VISIBLE = {
    "advocate": {"east", "west_mine", "restricted_mine"},
    "other_advocate": {"west", "west_mine", "referred", "shared", "elsewhere"},
    "supervisor": ALL,
    "admin_user": ALL,
    "partner": {"referred", "shared"},
    "outsider": set(),
}


def visible_names(user, world):
    ids = set(access.cases_for(user, Case.objects.all()).values_list("pk", flat=True))
    return {name for name, case in world.items() if case.pk in ids}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_each_role_sees_exactly_its_cases(request, world, who):
    user = request.getfixturevalue(who)
    assert visible_names(user, world) == VISIBLE[who]
    for name, case in world.items():
        assert access.can_see(user, case) is (name in VISIBLE[who])


def test_a_case_referred_twice_is_listed_once_for_the_partner(world, partner):
    listed = list(access.cases_for(partner, Case.objects.all()).values_list("pk", flat=True))
    assert len(listed) == len(set(listed)) == 2


def test_signed_out_and_inactive_users_see_nothing(world, advocate, supervisor):
    from django.contrib.auth.models import AnonymousUser

    assert not access.cases_for(AnonymousUser(), Case.objects.all()).exists()
    supervisor.is_active = False
    assert not access.cases_for(supervisor, Case.objects.all()).exists()


# Actions on a case each role can see: who may do what.
ACTIONS = {
    "advocate": {Action.VIEW, Action.CHANGE, Action.RESPOND_TO_REFERRAL, Action.RECORD_OUTCOME},
    "supervisor": {
        Action.VIEW,
        Action.CHANGE,
        Action.ASSIGN,
        Action.RESTRICT,
        Action.APPROVE_CLOSURE,
        Action.RESPOND_TO_REFERRAL,
        Action.RECORD_OUTCOME,
    },
    "admin_user": {Action.VIEW},
    "partner": {Action.VIEW, Action.RESPOND_TO_REFERRAL, Action.RECORD_OUTCOME},
    "outsider": set(),
}
EVERY_ACTION = [value for name, value in vars(Action).items() if name.isupper()]


@pytest.mark.parametrize("who", list(ACTIONS))
@pytest.mark.parametrize("action", EVERY_ACTION)
def test_each_role_may_do_exactly_its_actions_on_a_case_it_sees(request, world, who, action):
    user = request.getfixturevalue(who)
    case = world["referred"] if who == "partner" else world["restricted_mine"]
    if who == "advocate":
        case = world["east"]
    assert access.can(user, action, case) is (action in ACTIONS[who])


@pytest.mark.parametrize("action", EVERY_ACTION)
def test_nobody_may_do_anything_to_a_case_they_cannot_see(world, advocate, partner, action):
    assert access.can(advocate, action, world["restricted_east"]) is False
    assert access.can(partner, action, world["elsewhere"]) is False


def test_nobody_may_delete_a_case(world, supervisor, admin_user):
    for user in (supervisor, admin_user):
        assert not access.can(user, Action.DELETE, world["east"])


PERMISSIONS = {
    "advocate": {Permission.LOG_INTAKE, Permission.OPEN_CASE, Permission.EXPORT},
    "supervisor": {
        Permission.LOG_INTAKE,
        Permission.OPEN_CASE,
        Permission.EXPORT,
        Permission.TRIAGE_TIPS,
        Permission.VIEW_AUDIT,
        Permission.SEE_CASE_READS,
        Permission.REVIEW_LINKS,
        Permission.REVIEW_DEADLINES,
    },
    "admin_user": {
        Permission.VIEW_AUDIT,
        Permission.MANAGE_ACCOUNTS,
        Permission.MANAGE_REFERENCE_DATA,
    },
    "partner": set(),
    "outsider": set(),
}
EVERY_PERMISSION = [value for name, value in vars(Permission).items() if name.isupper()]


@pytest.mark.parametrize("who", list(PERMISSIONS))
@pytest.mark.parametrize("permission", EVERY_PERMISSION)
def test_each_role_holds_exactly_its_permissions(request, who, permission):
    user = request.getfixturevalue(who)
    assert access.may(user, permission) is (permission in PERMISSIONS[who])


# Records that belong to a case follow the case.


def records_of(world, supervisor):
    """One of each kind of record on every case."""
    for name, case in world.items():
        victim = services.party_add(
            actor=supervisor, case=case, role="potential_victim", name=f"Victim {name}"
        )
        services.party_add(actor=supervisor, case=case, role="recruiter", name=f"Boss {name}")
        services.identifier_add(
            actor=supervisor, case=case, party=victim, kind="phone", value="2025550111"
        )
        services.venue_add(actor=supervisor, case=case, name=f"Venue {name}")
        services.note_add(actor=supervisor, case=case, text=f"Note {name}")


@pytest.mark.parametrize("who", ["advocate", "other_advocate", "supervisor", "partner", "outsider"])
@pytest.mark.parametrize("model", [Party, Venue, Referral, Outcome, Note, CaseEvent])
def test_records_of_a_case_are_visible_exactly_when_the_case_is(
    request, world, supervisor, who, model
):
    records_of(world, supervisor)
    for case in world.values():
        services.outcome_record(
            actor=supervisor,
            case=case,
            kind="investigation_opened",
            occurred_on=case.opened_at.date(),
        )
    user = request.getfixturevalue(who)
    seen = access.case_records_for(user, model.objects.all())
    visible = {world[name].pk for name in VISIBLE[who]}
    expected = visible & set(model.objects.values_list("case_id", flat=True))
    assert set(seen.values_list("case_id", flat=True)) == expected
    assert seen.count() == model.objects.filter(case_id__in=expected).count()


def test_a_partner_sees_a_victim_s_identity_only_where_a_referral_shares_it(
    world, supervisor, partner
):
    records_of(world, supervisor)
    for name, shared in (("referred", False), ("shared", True)):
        case = world[name]
        assert access.identities_visible(partner, case) is shared
        victim = case.parties.get(role="potential_victim")
        recruiter = case.parties.get(role="recruiter")
        hidden = access.hidden_party_fields(partner, victim)
        assert hidden == (set() if shared else set(access.IDENTITY_FIELDS))
        assert access.hidden_party_fields(partner, recruiter) == frozenset()


def test_staff_always_see_identities(world, supervisor, advocate):
    records_of(world, supervisor)
    victim = world["east"].parties.get(role="potential_victim")
    assert access.hidden_party_fields(advocate, victim) == frozenset()


def test_a_partner_does_not_see_victims_identifiers_unless_shared(world, supervisor, partner):
    records_of(world, supervisor)
    for name in ("referred", "shared"):
        services.identifier_add(
            actor=supervisor, case=world[name], kind="phone", value="2025550122"
        )
        recruiter = world[name].parties.get(role="recruiter")
        services.identifier_add(
            actor=supervisor, case=world[name], party=recruiter, kind="phone", value="2025550133"
        )
        services.identifier_add(actor=supervisor, case=world[name], kind="vehicle", value="ABC1")
    seen = access.identifiers_for(partner, Identifier.objects.all())
    by_case = {
        name: sorted(seen.filter(case=world[name]).values_list("normalised", flat=True))
        for name in ("referred", "shared", "east")
    }
    # Not shared: the recruiter's phone and the plate, never the victim's phone nor a phone
    # that belongs to nobody named.
    assert by_case["referred"] == ["+12025550133", "ABC1"]
    assert by_case["shared"] == ["+12025550111", "+12025550122", "+12025550133", "ABC1"]
    assert by_case["east"] == []


def test_advocates_see_identifiers_of_their_cases_and_of_their_tips(world, supervisor, advocate):
    records_of(world, supervisor)
    mine = TipFactory(submitted_by=advocate)
    other = TipFactory()
    services.identifier_add(actor=advocate, tip=mine, kind="email", value="a@example.org")
    services.identifier_add(actor=supervisor, tip=other, kind="email", value="b@example.org")
    seen = access.identifiers_for(advocate, Identifier.objects.all())
    assert set(seen.values_list("case_id", flat=True)) - {None} == {
        world[name].pk for name in VISIBLE["advocate"]
    }
    assert list(seen.filter(case__isnull=True).values_list("normalised", flat=True)) == [
        "a@example.org"
    ]


def test_intake_visibility(world, supervisor, advocate, other_advocate, partner, organisation):
    mine = call_log(advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis")
    theirs = call_log(
        advocate=other_advocate, channel="phone", caller_type="anonymous", reason="crisis"
    )
    linked = call_log(
        advocate=other_advocate,
        channel="sms",
        caller_type="anonymous",
        reason="trafficking_tip",
        tip={"observed": "x"},
    )
    services.case_link_tip(actor=supervisor, case=world["east"], tip=linked.tip)
    partner_tip = TipFactory(source="partner", organisation=organisation, submitted_by=partner)

    assert set(access.calls_for(advocate, Call.objects.all())) == {mine, linked}
    assert set(access.calls_for(supervisor, Call.objects.all())) == {mine, theirs, linked}
    assert not access.calls_for(partner, Call.objects.all()).exists()
    assert set(access.tips_for(advocate, Tip.objects.all())) == {linked.tip}
    assert set(access.tips_for(other_advocate, Tip.objects.all())) == {linked.tip}
    assert set(access.tips_for(partner, Tip.objects.all())) == {partner_tip}


def test_the_access_module_names_the_cases_app_s_own_values():
    assert set(Party.Role.values) >= access.PERPETRATOR_ROLES
    assert not access.PERPETRATOR_ROLES & {role.value for role in Party.VICTIM_ROLES}
    assert not access.PERPETRATOR_ROLES & {"reporter", "witness"}
    assert set(access.CONTACT_KINDS) <= set(Identifier.Kind.values)
    assert set(access.IDENTITY_FIELDS) <= {field.name for field in Party._meta.fields}
    for field in ("assignee", "team", "is_restricted", "referrals"):
        Case._meta.get_field(field)


def test_a_new_role_less_account_sees_nothing(world):
    user = user_create(username="newbie", password=PASSWORD, role=Role.ADVOCATE)
    user.groups.clear()
    user = type(user).objects.get(pk=user.pk)
    assert not access.cases_for(user, Case.objects.all()).exists()
    assert not access.may(user, Permission.LOG_INTAKE)


def test_a_partner_sees_neither_the_reporter_nor_a_witness_unless_shared(
    world, supervisor, partner
):
    for name in ("referred", "shared"):
        case = world[name]
        reporter = services.party_add(actor=supervisor, case=case, role="reporter", name="Rita")
        witness = services.party_add(actor=supervisor, case=case, role="witness", name="Wendy")
        services.identifier_add(
            actor=supervisor, case=case, party=reporter, kind="phone", value="7135550100"
        )
        services.identifier_add(
            actor=supervisor, case=case, party=witness, kind="email", value="w@example.org"
        )
        expected = frozenset() if name == "shared" else frozenset(access.IDENTITY_FIELDS)
        assert access.hidden_party_fields(partner, reporter) == expected
        assert access.hidden_party_fields(partner, witness) == expected
    seen = access.identifiers_for(partner, Identifier.objects.all())
    assert not seen.filter(case=world["referred"]).exists()
    assert seen.filter(case=world["shared"]).count() == 2


def test_a_declined_referral_gives_the_partner_nothing(world, supervisor, partner):
    case = world["referred"]
    for referral in case.referrals.all():
        services.referral_respond(actor=partner, referral=referral, status="declined")
    assert not access.can_see(partner, case)
    shared = world["shared"].referrals.get()
    services.referral_respond(actor=partner, referral=shared, status="accepted")
    services.referral_respond(actor=partner, referral=shared, status="closed")
    assert access.can_see(partner, world["shared"])
    assert access.identities_visible(partner, world["shared"])


def test_of_two_referrals_only_the_declined_one_is_ignored(world, supervisor, partner):
    case = world["referred"]
    first, _second = case.referrals.order_by("pk")
    services.referral_respond(actor=partner, referral=first, status="declined")
    assert access.can_see(partner, case)
