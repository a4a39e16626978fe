"""The admin of reference data, people, calls and tips: who may use it, that it stays cheap on
big tables, and that its writes go through the services."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from hotline import services
from hotline.models import (
    AuditEntry,
    Call,
    Code,
    Industry,
    Region,
    Role,
    Tip,
    User,
    WorkerHeartbeat,
)
from tests.admin_helpers import errors_of, form_data, queries_to_show, signed_in
from tests.conftest import PASSWORD
from tests.factories import CallFactory, TipFactory, region

pytestmark = pytest.mark.django_db


# --- Who may use which page --------------------------------------------------------------------

HOTLINE_MODELS = [
    "region",
    "industry",
    "code",
    "team",
    "partnerorganisation",
    "user",
    "call",
    "tip",
    "workerheartbeat",
]
# Administrators configure; they read intake but do not log it.
ADMIN_MAY_ADD = {"region", "industry", "code", "team", "partnerorganisation", "user"}
SUPERVISOR_MAY_ADD = {"call", "tip"}


@pytest.fixture
def one_of_each(team, organisation, advocate):
    services.heartbeat_record(worker="celery@worker-1")
    return {
        "region": region("US-TX"),
        "industry": Industry.objects.get(code="agriculture_animal_husbandry"),
        "code": Code.objects.filter(list=Code.List.ILO_INDICATORS).first(),
        "team": team,
        "partnerorganisation": organisation,
        "user": advocate,
        "call": CallFactory(advocate=advocate),
        "tip": TipFactory(),
        "workerheartbeat": WorkerHeartbeat.objects.get(),
    }


def admin_url(model_name, view, *args):
    return reverse(f"admin:hotline_{model_name}_{view}", args=args)


@pytest.mark.parametrize("model_name", HOTLINE_MODELS)
def test_an_administrator_can_open_every_hotline_list_and_record(
    client, admin_user, one_of_each, model_name
):
    signed_in(client, admin_user)
    row = one_of_each[model_name]

    assert client.get(admin_url(model_name, "changelist")).status_code == 200
    assert client.get(admin_url(model_name, "change", row.pk)).status_code == 200
    expected = 200 if model_name in ADMIN_MAY_ADD else 403
    assert client.get(admin_url(model_name, "add")).status_code == expected


@pytest.mark.parametrize("model_name", HOTLINE_MODELS)
def test_a_supervisor_sees_what_the_supervisor_role_allows(
    client, supervisor, one_of_each, model_name
):
    signed_in(client, supervisor)
    row = one_of_each[model_name]
    may_view = model_name != "workerheartbeat"

    assert client.get(admin_url(model_name, "changelist")).status_code == (200 if may_view else 403)
    assert client.get(admin_url(model_name, "change", row.pk)).status_code == (
        200 if may_view else 403
    )
    expected = 200 if model_name in SUPERVISOR_MAY_ADD else 403
    assert client.get(admin_url(model_name, "add")).status_code == expected


@pytest.mark.parametrize("who", ["partner", "outsider"])
@pytest.mark.parametrize("model_name", HOTLINE_MODELS)
def test_partners_and_accounts_without_a_role_are_sent_to_the_login_page(
    client, request, one_of_each, who, model_name
):
    signed_in(client, request.getfixturevalue(who))

    for url in (
        admin_url(model_name, "changelist"),
        admin_url(model_name, "change", one_of_each[model_name].pk),
        admin_url(model_name, "add"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_an_administrator_can_see_the_roles_as_groups_but_not_change_them(client, admin_user):
    signed_in(client, admin_user)
    group = Group.objects.get(name=Role.ADVOCATE)

    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == 200
    assert client.get(reverse("admin:auth_group_add")).status_code == 403


def test_an_advocate_finds_a_region_by_name_in_the_autocomplete(client, advocate):
    signed_in(client, advocate)

    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "Texas", "app_label": "hotline", "model_name": "call", "field_name": "region"},
    )

    assert response.status_code == 200
    assert {"id": str(region("US-TX").pk), "text": "Texas (US-TX)"} in response.json()["results"]


def test_an_advocate_may_not_manage_reference_data(client, advocate):
    signed_in(client, advocate)

    assert client.get(admin_url("region", "changelist")).status_code == 200
    assert client.get(admin_url("region", "add")).status_code == 403
    response = client.post(admin_url("region", "change", region("US-TX").pk), {"name": "X"})
    assert response.status_code == 403


# --- Lists that stay cheap ------------------------------------------------------------------


def test_the_call_list_runs_the_same_queries_for_3_calls_as_for_30(client, admin_user, advocate):
    signed_in(client, admin_user)
    url = admin_url("call", "changelist")
    for _ in range(3):
        CallFactory(advocate=advocate, region=region("US-TX"))
    few = queries_to_show(client, url)

    for number in range(27):
        CallFactory(advocate=advocate, region=region("US-CA" if number % 2 else "MX-CMX"))

    assert queries_to_show(client, url) == few


def test_the_tip_list_runs_the_same_queries_for_3_tips_as_for_30(client, admin_user):
    signed_in(client, admin_user)
    url = admin_url("tip", "changelist")
    for _ in range(3):
        TipFactory()
    few = queries_to_show(client, url)

    for _ in range(27):
        TipFactory(region=region("US-NY"))

    assert queries_to_show(client, url) == few


def test_the_user_list_shows_roles_without_a_query_per_user(client, admin_user, team):
    signed_in(client, admin_user)
    url = admin_url("user", "changelist")
    few = queries_to_show(client, url)

    for number in range(10):
        services.user_create(
            username=f"advocate{number}", password=PASSWORD, role=Role.ADVOCATE, team=team
        )

    assert queries_to_show(client, url) == few
    assert "Advocate" in client.get(url).content.decode()


def test_a_supervisor_can_find_calls_by_a_word_of_the_summary_and_filter_them_by_reason(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    farm = CallFactory(advocate=advocate, summary="Workers locked in at a dairy farm.")
    crisis = CallFactory(
        advocate=advocate, summary="Caller in crisis at a dairy farm.", reason=Call.Reason.CRISIS
    )
    CallFactory(advocate=advocate, summary="Question about a nail salon.")
    url = admin_url("call", "changelist")

    found = client.get(url, {"q": "dairy"}).context["cl"].result_list
    assert set(found) == {farm, crisis}
    found = client.get(url, {"q": "dairy", "reason__exact": "crisis"}).context["cl"].result_list
    assert list(found) == [crisis]
    assert list(client.get(url, {"q": str(crisis.pk)}).context["cl"].result_list) == [crisis]


# --- Writes through the services ----------------------------------------------------------------


def test_a_call_added_in_the_admin_is_logged_by_call_log_and_taken_by_whoever_logs_it(
    client, advocate
):
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("call", "add")))
    data.update(
        channel="sms",
        caller_type="potential_victim",
        reason="trafficking_tip",
        summary="Texted from a motel.",
        region=region("US-TX").pk,
    )

    response = client.post(admin_url("call", "add"), data)

    assert response.status_code == 302, errors_of(response)
    call = Call.objects.get()
    assert (call.advocate, call.channel, call.region) == (advocate, "sms", region("US-TX"))


def test_a_call_that_ends_before_it_starts_is_refused_with_a_message(client, advocate):
    signed_in(client, advocate)
    data = form_data(client.get(admin_url("call", "add")))
    data.update(
        channel="phone",
        caller_type="anonymous",
        reason="crisis",
        started_at_0="2026-01-05",
        started_at_1="10:00:00",
        ended_at_0="2026-01-05",
        ended_at_1="09:00:00",
    )

    response = client.post(admin_url("call", "add"), data)

    assert "A call cannot end before it starts." in errors_of(response)
    assert not Call.objects.exists()


def test_a_tip_added_in_the_admin_is_submitted_by_tip_submit_in_the_name_of_its_author(
    client, supervisor
):
    signed_in(client, supervisor)
    indicator = Code.objects.filter(list=Code.List.ILO_INDICATORS).first()
    data = form_data(client.get(admin_url("tip", "add")))
    data.update(
        source="web_form",
        observed="Workers sleep in the restaurant's storeroom.",
        industry=Industry.objects.get(code="restaurants_food_service").pk,
        indicators=[indicator.pk],
    )

    response = client.post(admin_url("tip", "add"), data)

    assert response.status_code == 302, errors_of(response)
    tip = Tip.objects.get()
    assert tip.submitted_by == supervisor
    assert list(tip.indicators.all()) == [indicator]


def test_a_tip_from_a_partner_must_name_the_partner(client, supervisor):
    signed_in(client, supervisor)
    data = form_data(client.get(admin_url("tip", "add")))
    data.update(source="partner", observed="Seen at the port.")

    response = client.post(admin_url("tip", "add"), data)

    assert "A tip from a partner names the partner." in errors_of(response)
    assert not Tip.objects.exists()


def test_triaging_a_tip_in_the_admin_goes_through_tip_triage(client, supervisor):
    signed_in(client, supervisor)
    tip = TipFactory()
    url = admin_url("tip", "change", tip.pk)
    data = form_data(client.get(url))
    data.update(triage_state="no_action", triage_reason="Not enough to act on.", address="Main St")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    tip.refresh_from_db()
    assert (tip.triage_state, tip.triaged_by, tip.address) == ("no_action", supervisor, "Main St")
    assert tip.triaged_at is not None


def test_a_tip_marked_duplicate_without_the_original_shows_what_is_missing(client, supervisor):
    signed_in(client, supervisor)
    tip = TipFactory()
    url = admin_url("tip", "change", tip.pk)
    data = form_data(client.get(url))
    data.update(triage_state="duplicate", triage_reason="")

    response = client.post(url, data)

    errors = errors_of(response)
    assert "Say which tip this one duplicates." in errors
    assert "Give a reason, so a reviewer can follow it." in errors
    tip.refresh_from_db()
    assert tip.triage_state == Tip.TriageState.NEW


def test_the_triage_form_does_not_offer_new_or_linked_to_a_triaged_tip(client, supervisor):
    signed_in(client, supervisor)
    tip = services.tip_triage(actor=supervisor, tip=TipFactory(), state="triaged")

    form = client.get(admin_url("tip", "change", tip.pk)).context["adminform"].form

    offered = [value for value, _label in form.fields["triage_state"].choices]
    assert offered == ["triaged", "duplicate", "no_action"]


def test_correcting_a_call_goes_through_call_update_and_keeps_who_took_it(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    call = CallFactory(advocate=advocate, summary="Caller from a farm.")
    url = admin_url("call", "change", call.pk)
    data = form_data(client.get(url))
    # call_update does not change who took the call: the field is shown, not sent.
    assert "advocate" not in data
    data.update(summary="Caller from a dairy farm.", region=region("US-TX").pk)

    response = client.post(url, {**data, "advocate": supervisor.pk})

    assert response.status_code == 302, errors_of(response)
    call.refresh_from_db()
    assert (call.summary, call.region, call.advocate) == (
        "Caller from a dairy farm.",
        region("US-TX"),
        advocate,
    )


def test_correcting_a_tip_goes_through_tip_update_and_leaves_its_source_alone(client, supervisor):
    signed_in(client, supervisor)
    tip = TipFactory()
    indicator = Code.objects.filter(list=Code.List.ILO_INDICATORS).first()
    url = admin_url("tip", "change", tip.pk)
    data = form_data(client.get(url))
    assert "source" not in data
    data.update(observed="Two women, not several.", indicators=[indicator.pk])

    response = client.post(url, {**data, "source": "partner"})

    assert response.status_code == 302, errors_of(response)
    tip.refresh_from_db()
    assert (tip.observed, tip.source, tip.triage_state) == (
        "Two women, not several.",
        "web_form",
        "new",
    )
    assert list(tip.indicators.all()) == [indicator]


def test_a_triage_reason_without_a_decision_is_refused_next_to_the_triage_state(client, supervisor):
    signed_in(client, supervisor)
    tip = TipFactory()
    url = admin_url("tip", "change", tip.pk)
    data = form_data(client.get(url))
    data.update(triage_reason="Looked at it.")

    response = client.post(url, data)

    # tip_triage calls the field `state`; the form shows its message on `triage_state`.
    assert response.context["adminform"].form.errors["triage_state"] == [
        "Choose triaged, duplicate or no action."
    ]
    tip.refresh_from_db()
    assert (tip.triage_state, tip.triage_reason) == ("new", "")


def test_a_refusal_by_tip_triage_is_shown_next_to_the_triage_state(client, supervisor):
    signed_in(client, supervisor)
    original = TipFactory()
    tip = services.tip_triage(
        actor=supervisor,
        tip=TipFactory(),
        state="duplicate",
        reason="Same van.",
        duplicate_of=original,
    )
    url = admin_url("tip", "change", original.pk)
    data = form_data(client.get(url))
    # The original cannot duplicate its own duplicate: tip_triage follows the chain to itself.
    data.update(triage_state="duplicate", triage_reason="Same van.", duplicate_of=tip.pk)

    response = client.post(url, data)

    assert response.context["adminform"].form.errors["duplicate_of"] == [
        "A tip cannot duplicate itself."
    ]
    original.refresh_from_db()
    assert original.triage_state == "new"


def test_an_account_added_in_the_admin_is_created_by_user_create_with_its_role(
    client, admin_user, team
):
    signed_in(client, admin_user)
    data = form_data(client.get(admin_url("user", "add")))
    data.update(
        username="bea",
        password1=PASSWORD,
        password2=PASSWORD,
        role="supervisor",
        team=team.pk,
        email="bea@example.org",
    )

    response = client.post(admin_url("user", "add"), data)

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(username="bea")
    assert (user.role, user.team, user.is_staff) == (Role.SUPERVISOR, team, True)
    assert user.check_password(PASSWORD)


def test_a_partner_account_needs_an_organisation(client, admin_user):
    signed_in(client, admin_user)
    data = form_data(client.get(admin_url("user", "add")))
    data.update(username="pia", password1=PASSWORD, password2=PASSWORD, role="partner")

    response = client.post(admin_url("user", "add"), data)

    assert "A partner account belongs to an organisation." in errors_of(response)
    assert not User.objects.filter(username="pia").exists()


def test_a_refusal_by_user_create_is_shown_next_to_its_field_and_what_was_typed_is_kept(
    client, admin_user, organisation
):
    signed_in(client, admin_user)
    data = form_data(client.get(admin_url("user", "add")))
    data.update(
        username="rex",
        password1=PASSWORD,
        password2=PASSWORD,
        role="advocate",
        organisation=organisation.pk,
    )

    response = client.post(admin_url("user", "add"), data)

    form = response.context["adminform"].form
    assert form.errors["organisation"] == ["Only partner accounts belong to an organisation."]
    assert form["username"].value() == "rex"
    assert not User.objects.filter(username="rex").exists()


def test_an_administrator_who_is_not_a_superuser_cannot_make_anyone_a_superuser(
    client, admin_user, advocate
):
    signed_in(client, admin_user)
    url = admin_url("user", "change", advocate.pk)
    data = form_data(client.get(url))
    data.update(is_superuser="on", last_name="Ng")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    advocate.refresh_from_db()
    assert (advocate.last_name, advocate.is_superuser) == ("Ng", False)


def test_a_non_superuser_administrator_cannot_make_a_partner_staff_or_give_it_a_second_group(
    client, admin_user, partner
):
    signed_in(client, admin_user)
    url = admin_url("user", "change", partner.pk)
    form = client.get(url).context["adminform"].form
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form.fields)
    data = form_data(client.get(url))
    groups = [Group.objects.get(name=name).pk for name in (Role.ADVOCATE, Role.PARTNER)]

    response = client.post(url, {**data, "is_staff": "on", "groups": groups, "last_name": "Ng"})

    assert response.status_code == 302, errors_of(response)
    partner = User.objects.get(pk=partner.pk)
    assert (partner.last_name, partner.is_staff) == ("Ng", False)
    assert list(partner.groups.values_list("name", flat=True)) == [Role.PARTNER]


def test_changing_a_role_in_the_form_moves_group_staff_status_and_organisation_together(
    client, admin_user, partner, team
):
    signed_in(client, admin_user)
    url = admin_url("user", "change", partner.pk)
    data = form_data(client.get(url))
    assert data["role"] == Role.PARTNER
    data.update(role=Role.ADVOCATE, team=team.pk, organisation="")

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(pk=partner.pk)
    assert (user.role, user.is_staff, user.team, user.organisation) == (
        Role.ADVOCATE,
        True,
        team,
        None,
    )
    assert list(user.groups.values_list("name", flat=True)) == [Role.ADVOCATE]


def test_a_role_without_what_it_needs_is_refused_by_user_role_set(client, admin_user, advocate):
    signed_in(client, admin_user)
    url = admin_url("user", "change", advocate.pk)
    data = form_data(client.get(url))
    data.update(role=Role.PARTNER, team="", first_name="Alice")

    response = client.post(url, data)

    form = response.context["adminform"].form
    assert form.errors["organisation"] == ["A partner account belongs to an organisation."]
    assert form["first_name"].value() == "Alice"
    user = User.objects.get(pk=advocate.pk)
    assert (user.role, user.is_staff, user.first_name) == (Role.ADVOCATE, True, "")


def test_account_details_go_through_user_update_and_the_username_stays(
    client, admin_user, advocate
):
    signed_in(client, admin_user)
    url = admin_url("user", "change", advocate.pk)
    data = form_data(client.get(url))
    assert "username" not in data
    data.update(email="alice@example.org", language="es")
    del data["is_active"]

    response = client.post(url, {**data, "username": "mallory"})

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(pk=advocate.pk)
    assert (user.username, user.email, user.language, user.is_active) == (
        "alice",
        "alice@example.org",
        "es",
        False,
    )
    assert user.role == Role.ADVOCATE


def test_an_account_without_a_role_keeps_none_until_one_is_chosen(client, admin_user, outsider):
    signed_in(client, admin_user)
    url = admin_url("user", "change", outsider.pk)
    data = form_data(client.get(url))
    assert data["role"] == ""

    response = client.post(url, {**data, "email": "olive@example.org"})

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(pk=outsider.pk)
    assert (user.email, user.role, user.is_staff) == ("olive@example.org", None, False)


def test_a_superuser_may_grant_superuser_status_but_roles_still_hold_the_groups(
    client, advocate, django_user_model
):
    signed_in(client, django_user_model.objects.create_superuser("root", password="x" * 20))
    url = admin_url("user", "change", advocate.pk)
    form = client.get(url).context["adminform"].form
    assert {"is_superuser", "user_permissions"} <= set(form.fields)
    assert not {"is_staff", "groups"} & set(form.fields)
    data = form_data(client.get(url))

    response = client.post(url, {**data, "is_superuser": "on"})

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(pk=advocate.pk)
    assert (user.is_superuser, user.role) == (True, Role.ADVOCATE)


def test_the_user_page_shows_the_role_held_through_the_groups(client, admin_user, supervisor):
    signed_in(client, admin_user)

    response = client.get(admin_url("user", "change", supervisor.pk))

    assert "Supervisor" in response.content.decode()


def test_a_region_added_in_the_admin_takes_its_place_in_the_tree(client, admin_user):
    signed_in(client, admin_user)
    data = form_data(client.get(admin_url("region", "add")))
    data.update(code="US-ZZ", name="Test Territory", parent=region("US").pk)

    response = client.post(admin_url("region", "add"), data)

    assert response.status_code == 302, errors_of(response)
    added = Region.objects.get(code="US-ZZ")
    assert (added.kind, added.country_code, added.path, added.depth) == (
        "subdivision",
        "US",
        "US/US-ZZ",
        1,
    )


def test_worker_heartbeats_are_read_only(client, admin_user):
    signed_in(client, admin_user)
    services.heartbeat_record(worker="celery@worker-1")
    url = admin_url("workerheartbeat", "change", "celery@worker-1")

    assert client.get(url).status_code == 200
    assert client.post(url, {"last_seen_0": "2020-01-01"}).status_code == 403
    assert client.get(admin_url("workerheartbeat", "delete", "celery@worker-1")).status_code == 403
    assert WorkerHeartbeat.objects.get().last_seen.date() == timezone.now().date()


# --- Superuser accounts and passwords ------------------------------------------------------------

NEW_PASSWORD = "a-different-long-passphrase-77"


@pytest.fixture
def root(db):
    """A superuser who is also an administrator."""
    user = services.user_create(username="root", password=PASSWORD, role=Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    return User.objects.get(pk=user.pk)


def password_page(user):
    # django.contrib.auth's UserAdmin names the page so whatever the user model.
    return reverse("admin:auth_user_password_change", args=[user.pk])


def set_password(client, user, password=NEW_PASSWORD):
    data = {"usable_password": "true", "password1": password, "password2": password}
    return client.post(password_page(user), data)


def audit_after(before):
    return [
        (entry.user, entry.action, entry.object_kind, entry.object_id)
        for entry in AuditEntry.objects.filter(pk__gt=before).order_by("pk")
    ]


def last_audit_pk():
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_an_administrator_who_is_not_a_superuser_cannot_change_a_superuser_nor_set_its_password(
    client, admin_user, root
):
    signed_in(client, admin_user)
    url = admin_url("user", "change", root.pk)
    page = client.get(url)
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)

    assert client.post(url, {"last_name": "Ng", "role": Role.PARTNER}).status_code == 403
    assert client.get(password_page(root)).status_code == 403
    assert set_password(client, root).status_code == 403

    root = User.objects.get(pk=root.pk)
    assert root.check_password(PASSWORD)
    assert (root.last_name, root.role, root.is_superuser) == ("", Role.ADMIN, True)


def test_a_superuser_changes_another_superuser(client, root, django_user_model):
    other = django_user_model.objects.create_superuser("other-root", password=PASSWORD)
    signed_in(client, root)

    assert set_password(client, other).status_code == 302

    assert User.objects.get(pk=other.pk).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("who", ["admin_user", "root"])
def test_a_password_set_on_an_account_s_password_page_is_audited(client, request, advocate, who):
    actor = request.getfixturevalue(who)
    signed_in(client, actor)
    before = last_audit_pk()

    response = set_password(client, advocate)

    assert response.status_code == 302, errors_of(client.get(password_page(advocate)))
    assert User.objects.get(pk=advocate.pk).check_password(NEW_PASSWORD)
    assert audit_after(before) == [(actor, "update", "user", advocate.pk)]


def test_disabling_an_account_s_password_is_audited(client, admin_user, advocate):
    signed_in(client, admin_user)
    before = last_audit_pk()

    # The page's "Disable password-based authentication" button.
    data = {"usable_password": "false", "unset-password": "1"}
    response = client.post(password_page(advocate), data)

    assert response.status_code == 302
    assert not User.objects.get(pk=advocate.pk).has_usable_password()
    assert audit_after(before) == [(admin_user, "update", "user", advocate.pk)]


def test_a_password_refused_by_the_validators_changes_nothing_and_is_not_audited(
    client, admin_user, advocate
):
    signed_in(client, admin_user)
    before = last_audit_pk()

    response = set_password(client, advocate, password="password")

    assert response.status_code == 200
    assert User.objects.get(pk=advocate.pk).check_password(PASSWORD)
    assert audit_after(before) == []


def test_changing_one_s_own_password_in_the_admin_is_audited(client, supervisor):
    signed_in(client, supervisor)
    before = last_audit_pk()

    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=supervisor.pk).check_password(NEW_PASSWORD)
    assert audit_after(before) == [(supervisor, "update", "user", supervisor.pk)]
    # A wrong old password changes nothing and writes nothing.
    before = last_audit_pk()
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": "wrong", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert audit_after(before) == []


@pytest.mark.parametrize("change", ["is_superuser", "user_permissions", "both"])
def test_a_superuser_granting_superuser_status_or_permissions_is_audited(
    client, root, advocate, change
):
    signed_in(client, root)
    url = admin_url("user", "change", advocate.pk)
    data = form_data(client.get(url))
    permission = Permission.objects.get(codename="view_auditentry")
    if change in ("is_superuser", "both"):
        data["is_superuser"] = "on"
    if change in ("user_permissions", "both"):
        data["user_permissions"] = [permission.pk]
    before = last_audit_pk()

    response = client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(pk=advocate.pk)
    assert user.is_superuser is (change != "user_permissions")
    assert list(user.user_permissions.all()) == ([] if change == "is_superuser" else [permission])
    assert audit_after(before) == [(root, "update", "user", advocate.pk)]
