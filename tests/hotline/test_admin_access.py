"""The admin through the access module: who sees which rows, who may do what to them, what is
recorded in the audit trail, and the CSV exports.

The rules themselves are tested in tests/hotline/test_access.py; here, that the admin's every
list, page, form, autocomplete and export follows them."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases import services
from cases.models import Case, Identifier, Party
from hotline.models import AuditEntry, Role, User
from hotline.services import call_log, user_create
from tests.admin_helpers import (
    add_inline_row,
    csv_rows,
    errors_of,
    form_data,
    listed,
    messages_after,
    queries_to_show,
    signed_in,
)
from tests.conftest import PASSWORD
from tests.factories import CaseFactory, TipFactory, region
from tests.hotline.test_security_headers import _InlineCode
from tests.sql_helpers import statements

pytestmark = pytest.mark.django_db


# --- The world: cases placed so that each rule decides one of them ------------------------------

CASES = ["east", "west", "west_mine", "restricted_east", "referred"]
# Which cases each role sees (docs/access-control.md): the advocate works the East desk, the
# other advocate the West desk.
VISIBLE = {
    "advocate": {"east", "west_mine"},
    "other_advocate": {"west", "west_mine", "referred"},
    "supervisor": set(CASES),
    "admin_user": set(CASES),
}
STAFF = list(VISIBLE)
NOT_STAFF = ["partner", "outsider"]


@pytest.fixture
def world(advocate, other_advocate, supervisor, team, other_team, organisation, other_organisation):
    """Five cases, each with one of every kind of record; calls and tips taken by each
    advocate and linked to cases."""
    cases = {
        "east": CaseFactory(actor=supervisor, team=team),
        "west": CaseFactory(actor=supervisor, team=other_team),
        "west_mine": CaseFactory(actor=supervisor, team=other_team, assignee=advocate),
        "restricted_east": CaseFactory(
            actor=supervisor, team=team, assignee=supervisor, is_restricted=True
        ),
        "referred": CaseFactory(actor=supervisor, team=other_team),
    }
    records = {kind: {} for kind in ("party", "identifier", "venue", "referral", "outcome")}
    records["note"] = {}
    for name, case in cases.items():
        party = services.party_add(
            actor=supervisor, case=case, role="potential_victim", name=f"Victim of {name}"
        )
        records["party"][name] = party
        records["identifier"][name] = services.identifier_add(
            actor=supervisor, case=case, party=party, kind="phone", value="2025550111"
        )
        records["venue"][name] = services.venue_add(
            actor=supervisor, case=case, name=f"Venue {name}"
        )
        records["referral"][name] = services.referral_send(
            actor=supervisor,
            case=case,
            organisation=organisation if name == "referred" else other_organisation,
            reason="Other",
        )
        records["outcome"][name] = services.outcome_record(
            actor=supervisor,
            case=case,
            kind="investigation_opened",
            occurred_on=timezone.localdate(),
        )
        records["note"][name] = services.note_add(actor=supervisor, case=case, text=name)
    linked = call_log(
        advocate=other_advocate,
        channel="sms",
        caller_type="anonymous",
        reason="trafficking_tip",
        tip={"observed": "Seen at a truck stop."},
    )
    # The call belongs to an East desk case; its tip (and so the call too) to a West desk one.
    services.case_link_call(actor=supervisor, case=cases["east"], call=linked)
    services.case_link_tip(actor=supervisor, case=cases["west"], tip=linked.tip)
    calls = {
        "advocates_call": call_log(
            advocate=advocate, channel="phone", caller_type="anonymous", reason="crisis"
        ),
        "others_call": call_log(
            advocate=other_advocate, channel="phone", caller_type="anonymous", reason="crisis"
        ),
        "linked_call": linked,
    }
    tips = {
        "advocates_tip": TipFactory(submitted_by=advocate),
        "web_tip": TipFactory(),
        "linked_tip": linked.tip,
    }
    return {"case": cases, **records, "call": calls, "tip": tips}


# Which intake rows each role sees: advocates, what they took or recorded and what belongs to
# the cases they see; supervisors and administrators, everything.
ALL_INTAKE = {
    "call": {"advocates_call", "others_call", "linked_call"},
    "tip": {"advocates_tip", "web_tip", "linked_tip"},
}
VISIBLE_INTAKE = {
    "call": {
        "advocate": {"advocates_call", "linked_call"},
        "other_advocate": {"others_call", "linked_call"},
        "supervisor": ALL_INTAKE["call"],
        "admin_user": ALL_INTAKE["call"],
    },
    "tip": {
        "advocate": {"advocates_tip"},
        "other_advocate": {"linked_tip"},
        "supervisor": ALL_INTAKE["tip"],
        "admin_user": ALL_INTAKE["tip"],
    },
}

# model name in the admin, by kind of record
MODELS = {
    "case": "cases_case",
    "party": "cases_party",
    "identifier": "cases_identifier",
    "venue": "cases_venue",
    "referral": "cases_referral",
    "outcome": "cases_outcome",
    "note": "cases_note",
    "event": "cases_caseevent",
    "call": "hotline_call",
    "tip": "hotline_tip",
    "auditentry": "hotline_auditentry",
}
CASE_KINDS = ["case", "party", "identifier", "venue", "referral", "outcome", "note", "event"]


def url(kind, view, *args):
    return reverse(f"admin:{MODELS[kind]}_{view}", args=args)


def rows_of(world, kind):
    """name -> row, for one kind of record. Events are named by their case: each case's first."""
    if kind == "event":
        return {name: case.events.order_by("pk").first() for name, case in world["case"].items()}
    if kind == "auditentry":
        return {"first": AuditEntry.objects.order_by("pk").first()}
    return world[kind]


def visible_names(who, kind):
    if kind in VISIBLE_INTAKE:
        return VISIBLE_INTAKE[kind][who]
    if kind == "auditentry":
        return {"first"} if who in ("supervisor", "admin_user") else set()
    return VISIBLE[who]


def names_listed(world, kind, response):
    """The names of the rows a list page shows (records by the case they belong to)."""
    shown = listed(response)
    if kind in CASE_KINDS and kind != "case":
        by_case = {case.pk: name for name, case in world["case"].items()}
        return {by_case[row.case_id] for row in shown}
    by_pk = {row.pk: name for name, row in rows_of(world, kind).items()}
    return {by_pk[row.pk] for row in shown if row.pk in by_pk}


# What each role may do to a row it sees, by kind: (change, add).
WORKERS = {"advocate", "other_advocate", "supervisor"}
NEVER_CHANGED = {"note", "event", "auditentry"}
NEVER_ADDED = {"event", "auditentry"}


def may_change(who, kind):
    return who in WORKERS and kind not in NEVER_CHANGED


def may_add(who, kind):
    return who in WORKERS and kind not in NEVER_ADDED


def may_open(who, kind):
    """Whether the role opens this kind of page at all (model permission)."""
    return kind != "auditentry" or who in ("supervisor", "admin_user")


# --- The matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("who", STAFF)
def test_each_role_lists_opens_changes_adds_and_deletes_exactly_what_it_may(
    client, request, world, who, kind
):
    user = request.getfixturevalue(who)
    signed_in(client, user)
    rows = rows_of(world, kind)
    visible = visible_names(who, kind)

    # List: exactly the rows the role sees.
    response = client.get(url(kind, "changelist"))
    if not may_open(who, kind):
        assert response.status_code == 403
    elif kind == "auditentry":
        assert len(listed(response)) == min(AuditEntry.objects.count(), 100)
    else:
        assert names_listed(world, kind, response) == visible

    for name, row in rows.items():
        # Open: a row the role does not see is "not found", like a row that does not exist.
        page = client.get(url(kind, "change", row.pk))
        if not may_open(who, kind):
            assert page.status_code == 403
            continue
        if name not in visible:
            assert (page.status_code, page.url) == (302, reverse("admin:index"))
            continue
        assert page.status_code == 200
        # Change: what the role may do to a row it sees; a save it may not make is refused.
        assert page.context["has_change_permission"] is may_change(who, kind)
        if not may_change(who, kind):
            assert client.post(url(kind, "change", row.pk), {}).status_code == 403
        # Delete: nobody.
        assert client.get(url(kind, "delete", row.pk)).status_code == 403
        assert client.post(url(kind, "delete", row.pk), {"post": "yes"}).status_code == 403
        assert type(row).objects.filter(pk=row.pk).exists()

    # Add.
    assert client.get(url(kind, "add")).status_code == (200 if may_add(who, kind) else 403)


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("who", NOT_STAFF)
def test_partners_and_accounts_without_a_role_never_reach_the_admin(
    client, request, world, who, kind
):
    user = request.getfixturevalue(who)
    assert not user.is_staff
    signed_in(client, user)
    row = next(iter(rows_of(world, kind).values()))
    for page in (
        url(kind, "changelist"),
        url(kind, "change", row.pk),
        url(kind, "add"),
        url(kind, "delete", row.pk),
        url(kind, "history", row.pk),
    ):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_partners_reach_no_export_nor_autocomplete(client, partner, world):
    signed_in(client, partner)
    for page in (
        url("case", "export"),
        url("auditentry", "export"),
        reverse("admin:autocomplete") + "?app_label=cases&model_name=party&field_name=case&term=HT",
    ):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


# --- Not allowed answers like not found ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["case", "party", "identifier", "note", "event", "call", "tip"])
def test_a_row_the_advocate_may_not_see_answers_exactly_like_one_that_does_not_exist(
    client, advocate, world, kind
):
    signed_in(client, advocate)
    hidden_name = {"call": "others_call", "tip": "web_tip"}.get(kind, "restricted_east")
    hidden = rows_of(world, kind)[hidden_name]
    missing = 999_999_999

    for view in ("change", "history"):
        answers = []
        for pk in (hidden.pk, missing):
            response = client.get(url(kind, view, pk))
            text = " ".join(messages_after(client, response)).replace(str(pk), "<id>")
            answers.append((response.status_code, response.get("Location"), text))
        assert answers[0] == answers[1]
        assert answers[0][0] == 302
        assert "doesn\N{RIGHT SINGLE QUOTATION MARK}t exist" in answers[0][2]
    # A save and a delete answer alike too.
    for view in ("change", "delete"):
        answers = set()
        for pk in (hidden.pk, missing):
            response = client.post(url(kind, view, pk), {})
            answers.add((response.status_code, response.get("Location")))
        assert len(answers) == 1


def test_a_case_the_advocate_may_not_see_is_not_a_choice_they_can_type_in(client, advocate, world):
    signed_in(client, advocate)
    data = form_data(client.get(url("party", "add")))
    errors = []
    for case_id in (world["case"]["restricted_east"].pk, 999_999_999):
        response = client.post(url("party", "add"), {**data, "case": case_id, "role": "witness"})
        errors.append(errors_of(response))
    assert (
        errors[0]
        == errors[1]
        == ["Select a valid choice. That choice is not one of the available choices."]
    )
    assert not Party.objects.filter(role="witness").exists()


@pytest.mark.parametrize(
    ("source", "field", "kind", "names"),
    [
        ("party", "case", "case", {"east", "west_mine"}),
        ("case", "tips", "tip", {"advocates_tip"}),
        ("case", "calls", "call", {"advocates_call", "linked_call"}),
        ("identifier", "party", "party", {"east", "west_mine"}),
        ("outcome", "referral", "referral", {"east", "west_mine"}),
    ],
)
def test_the_autocompletes_offer_only_what_the_advocate_sees(
    client, advocate, world, source, field, kind, names
):
    signed_in(client, advocate)
    app_label = MODELS[source].split("_")[0]
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": source, "field_name": field, "term": ""},
    )
    assert response.status_code == 200
    offered = {int(result["id"]) for result in response.json()["results"]}
    assert offered == {row.pk for name, row in world[kind].items() if name in names}


# The choices of a row on a case or of intake that an add page takes from its address
# (?party=7), as the "add another" and "change" pop-ups do.
PREFILLED = [
    ("identifier", "party", "party"),
    ("identifier", "tip", "tip"),
    ("outcome", "referral", "referral"),
    ("party", "case", "case"),
    ("tip", "call", "call"),
]
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# An add page defaults its received-at to now, which can tick between two requests.
NOW_DEFAULT = re.compile(r'value="(?:\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d)"')


@pytest.mark.parametrize(("kind", "field", "target"), PREFILLED)
def test_a_prefilled_choice_the_advocate_may_not_see_shows_nothing_of_it(
    client, advocate, world, kind, field, target
):
    signed_in(client, advocate)
    hidden_name = {"tip": "web_tip", "call": "others_call"}.get(target, "restricted_east")
    hidden = world[target][hidden_name]
    missing = 999_999_999
    pages = []
    for pk in (hidden.pk, missing):
        response = client.get(url(kind, "add"), {field: pk})
        assert response.status_code == 200
        page = response.content.decode()
        # Not its label (a raw-id widget would fetch it past the access module), nor a link to it.
        assert f">{escape(str(hidden))}<" not in page
        assert url(target, "change", hidden.pk) not in page
        page = NOW_DEFAULT.sub('value="<now>"', CSRF_TOKEN.sub("", page))
        # The id itself is in the page (the form's address, the value chosen): left out.
        pages.append(re.sub(rf'(?:(?<=")|(?<==)|(?<=%3D)){pk}(?!\d)', "<id>", page))
    assert pages[0] == pages[1]
    # A row the advocate sees is shown.
    visible = next(
        row
        for name, row in world[target].items()
        if name in VISIBLE_INTAKE.get(target, {}).get("advocate", VISIBLE["advocate"])
    )
    page = client.get(url(kind, "add"), {field: visible.pk}).content.decode()
    assert f">{escape(str(visible))}<" in page


def test_no_admin_picks_a_scoped_row_with_a_raw_id_widget():
    from django.contrib import admin

    from hotline.admin import ScopedRows

    def scoped(model, name):
        target = model._meta.get_field(name).remote_field.model
        return isinstance(admin.site._registry.get(target), ScopedRows)

    for model_admin in admin.site._registry.values():
        for owner in (model_admin, *model_admin.inlines):
            assert not [name for name in owner.raw_id_fields if scoped(owner.model, name)], owner


def test_a_search_finds_only_cases_the_advocate_sees(client, advocate, world):
    signed_in(client, advocate)
    # Every case holds this number; the advocate finds theirs only.
    response = client.get(url("case", "changelist"), {"q": "(202) 555-0111"})
    assert names_listed(world, "case", response) == VISIBLE["advocate"]


# --- What a person may do to a case they see ----------------------------------------------------


def test_the_administrator_role_cannot_change_a_case(client, admin_user, world):
    signed_in(client, admin_user)
    case = world["case"]["east"]
    page = client.get(url("case", "change", case.pk))
    assert not page.context["has_change_permission"]
    assert not page.context["inline_admin_formsets"][0].has_add_permission

    response = client.post(url("case", "change", case.pk), {"priority": "4"})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.priority == 2


def test_an_advocate_cannot_reassign_or_restrict_a_case_but_works_the_rest(
    client, advocate, other_advocate, world
):
    signed_in(client, advocate)
    case = world["case"]["east"]
    page = url("case", "change", case.pk)
    data = form_data(client.get(page))
    assert not {"assignee", "team", "is_restricted"} & set(data)
    data.update(priority="4")

    response = client.post(
        page, {**data, "assignee": other_advocate.pk, "team": "", "is_restricted": "on"}
    )

    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert (case.priority, case.assignee, case.team, case.is_restricted) == (
        4,
        None,
        advocate.team,
        False,
    )


def test_an_advocate_cannot_close_a_case_a_supervisor_does(client, advocate, supervisor, world):
    case = world["case"]["east"]
    page = url("case", "change", case.pk)
    signed_in(client, advocate)
    form = client.get(page).context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == [
        "new",
        "active",
        "referred",
    ]
    data = form_data(client.get(page))

    response = client.post(page, {**data, "status": "closed", "closing_reason": "other"})

    assert errors_of(response) == [
        "A case that is new can only become active or referred. A supervisor closes cases."
    ]
    signed_in(client, supervisor)
    data = form_data(client.get(page))
    response = client.post(page, {**data, "status": "closed", "closing_reason": "other"})
    assert response.status_code == 302, errors_of(response)
    case.refresh_from_db()
    assert case.status == "closed"


def test_a_supervisor_restricts_a_case_and_then_the_team_no_longer_sees_it(
    client, supervisor, advocate, world
):
    case = world["case"]["east"]
    signed_in(client, supervisor)
    page = url("case", "change", case.pk)
    data = form_data(client.get(page))

    response = client.post(page, {**data, "is_restricted": "on"})

    assert response.status_code == 302, errors_of(response)
    signed_in(client, advocate)
    assert client.get(page).status_code == 302
    assert names_listed(world, "case", client.get(url("case", "changelist"))) == {"west_mine"}


def test_a_case_an_advocate_opens_is_theirs_to_see(client, advocate):
    signed_in(client, advocate)
    add = client.get(url("case", "add"))
    assert "A case you open is yours" in add.content.decode()
    data = form_data(add)

    response = client.post(url("case", "add"), {**data, "summary": "Called from a farm."})

    assert response.status_code == 302, errors_of(response)
    case = Case.objects.get()
    assert (case.assignee, case.team, case.is_restricted) == (advocate, advocate.team, False)
    assert client.get(url("case", "change", case.pk)).status_code == 200


def test_an_advocate_does_not_triage_tips(client, advocate, world):
    signed_in(client, advocate)
    tip = world["tip"]["advocates_tip"]
    data = form_data(client.get(url("tip", "change", tip.pk)))
    assert "triage_state" not in data

    response = client.post(url("tip", "change", tip.pk), {**data, "triage_state": "no_action"})

    assert response.status_code == 302, errors_of(response)
    tip.refresh_from_db()
    assert tip.triage_state == "new"


# --- Accounts, reference data, lock-outs -------------------------------------------------------


def test_supervisors_look_accounts_up_and_only_administrators_change_them(
    client, supervisor, admin_user, advocate
):
    signed_in(client, supervisor)
    assert client.get(reverse("admin:hotline_user_changelist")).status_code == 200
    page = client.get(reverse("admin:hotline_user_change", args=[advocate.pk]))
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    assert client.get(reverse("admin:hotline_user_add")).status_code == 403
    response = client.post(reverse("admin:hotline_user_change", args=[advocate.pk]), {})
    assert response.status_code == 403

    signed_in(client, admin_user)
    page = client.get(reverse("admin:hotline_user_change", args=[advocate.pk]))
    assert page.context["has_change_permission"]
    # Nobody deletes an account: the audit trail refers to it; it is made inactive.
    assert client.get(reverse("admin:hotline_user_delete", args=[advocate.pk])).status_code == 403


@pytest.mark.parametrize("who", ["advocate", "supervisor"])
def test_only_administrators_change_reference_data(client, request, admin_user, team, who):
    signed_in(client, request.getfixturevalue(who))
    change = reverse("admin:hotline_team_change", args=[team.pk])
    assert client.get(change).context["has_change_permission"] is False
    assert client.post(change, {"name": "Renamed"}).status_code == 403

    signed_in(client, admin_user)
    assert client.post(change, {"name": "North desk"}).status_code == 302
    team.refresh_from_db()
    assert team.name == "North desk"
    # Nor do administrators delete it: cases and accounts refer to it.
    assert client.get(reverse("admin:hotline_team_delete", args=[team.pk])).status_code == 403


def test_administrators_unlock_accounts_by_deleting_the_lock_out_record(
    client, admin_user, supervisor, advocate
):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "alice", "password": "wrong"})
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="alice")
    signed_in(client, supervisor)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403

    signed_in(client, admin_user)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()


# --- Every look is recorded -------------------------------------------------------------------


def new_entries(before):
    return list(AuditEntry.objects.filter(pk__gt=before).order_by("pk"))


def last_pk():
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# What the audit trail calls each kind of record (AuditEntry.object_kind: the model's name).
AUDIT_KIND = {kind: MODELS[kind].split("_", 1)[1] for kind in MODELS}
# Every admin of case records and intake audits its reads: the victims' stories are in notes
# and tips.
AUDITED = [*CASE_KINDS, "call", "tip"]


@pytest.mark.parametrize("kind", CASE_KINDS)
def test_a_detail_page_read_writes_exactly_one_audit_row(client, advocate, world, kind):
    signed_in(client, advocate)
    row = rows_of(world, kind)["east"]
    before = last_pk()

    response = client.get(url(kind, "change", row.pk))

    assert response.status_code == 200
    [entry] = new_entries(before)
    case = world["case"]["east"]
    assert (entry.user, entry.action, entry.object_kind, entry.object_id, entry.case_id) == (
        advocate,
        "view",
        AUDIT_KIND[kind],
        row.pk,
        case.pk,
    )
    assert entry.request_id == response["X-Request-ID"]
    assert entry.ip == "127.0.0.1"


@pytest.mark.parametrize("kind", ["call", "tip"])
@pytest.mark.parametrize("name", ["advocates", "linked"])
def test_reading_a_call_or_a_tip_writes_exactly_one_audit_row(
    client, supervisor, world, kind, name
):
    signed_in(client, supervisor)
    row = world[kind][f"{name}_{kind}"]
    before = last_pk()

    response = client.get(url(kind, "change", row.pk))

    assert response.status_code == 200
    [entry] = new_entries(before)
    # Calls and tips belong to no one case (a case links them, and may share them with
    # another): their rows name no case, like those of their writes.
    assert (entry.user, entry.action, entry.object_kind, entry.object_id, entry.case_id) == (
        supervisor,
        "view",
        kind,
        row.pk,
        None,
    )


def test_the_case_page_is_one_read_though_it_shows_the_parties_and_identifiers(
    client, supervisor, world
):
    signed_in(client, supervisor)
    case = world["case"]["east"]
    before = last_pk()

    response = client.get(url("case", "change", case.pk))

    parties = next(i for i in response.context["inline_admin_formsets"] if i.opts.model is Party)
    assert len(parties.formset.forms) == 1
    assert [(e.object_kind, e.object_id) for e in new_entries(before)] == [("case", case.pk)]


def reads(entries):
    return [(e.action, e.object_kind, e.object_id, e.case_id) for e in entries]


def test_a_save_that_comes_back_with_errors_is_a_read_of_what_it_shows(client, supervisor, world):
    signed_in(client, supervisor)
    party = world["party"]["east"]
    page = url("party", "change", party.pk)
    data = form_data(client.get(page))
    before = last_pk()

    response = client.post(page, {**data, "role": "potential_victim", "kind": "organisation"})

    # The page shows the party again, the name it holds with it.
    assert errors_of(response)
    assert "Victim of east" in response.content.decode()
    assert reads(new_entries(before)) == [("view", "party", party.pk, party.case_id)]


@pytest.mark.parametrize("kind", ["case", "party", "identifier", "venue", "referral", "tip"])
def test_a_post_of_nothing_but_the_management_fields_is_a_read(client, supervisor, world, kind):
    signed_in(client, supervisor)
    row = rows_of(world, kind)["east" if kind != "tip" else "linked_tip"]
    page = url(kind, "change", row.pk)
    management = {
        name: value
        for name, value in form_data(client.get(page)).items()
        if name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"))
    }
    before = last_pk()

    response = client.post(page, management)

    assert response.status_code == 200
    assert errors_of(response)
    case_id = None if kind == "tip" else world["case"]["east"].pk
    assert reads(new_entries(before)) == [("view", AUDIT_KIND[kind], row.pk, case_id)]


def test_a_save_a_service_refuses_is_one_read_and_writes_nothing_else(client, supervisor, world):
    signed_in(client, supervisor)
    case = world["case"]["east"]
    page = url("case", "change", case.pk)
    data = form_data(client.get(page))
    data.update(priority="4")
    # The case holds this number already: identifier_add refuses it, after the case was saved.
    add_inline_row(data, "identifiers", kind="phone", value="+1 202 555 0111")
    before = last_pk()

    response = client.post(page, data)

    assert "This case already has this phone number." in errors_of(response)
    # The page is validated twice (the admin saves, the service refuses, all is rolled back,
    # the page comes back with the message): one render, one row.
    assert reads(new_entries(before)) == [("view", "case", case.pk, case.pk)]


def test_a_save_that_succeeds_writes_only_its_own_rows(client, supervisor, world):
    signed_in(client, supervisor)
    party = world["party"]["east"]
    page = url("party", "change", party.pk)
    data = form_data(client.get(page))
    before = last_pk()

    response = client.post(page, {**data, "name": "Maria"})

    assert response.status_code == 302, errors_of(response)
    assert reads(new_entries(before)) == [("update", "party", party.pk, party.case_id)]


@pytest.mark.parametrize("kind", ["identifier", "note", "venue", "tip"])
def test_the_history_page_of_a_record_is_a_read(client, supervisor, world, kind):
    signed_in(client, supervisor)
    row = rows_of(world, kind)["west" if kind != "tip" else "web_tip"]
    before = last_pk()

    assert client.get(url(kind, "history", row.pk)).status_code == 200

    [entry] = new_entries(before)
    assert (entry.action, entry.object_kind, entry.object_id) == ("view", AUDIT_KIND[kind], row.pk)


@pytest.mark.parametrize("kind", AUDITED)
def test_a_list_writes_one_row_with_the_ids_on_the_page(client, advocate, world, kind):
    signed_in(client, advocate)
    before = last_pk()

    response = client.get(url(kind, "changelist"))

    [entry] = new_entries(before)
    assert (entry.user, entry.action, entry.object_kind) == (advocate, "list", AUDIT_KIND[kind])
    assert entry.object_ids == [row.pk for row in listed(response)]
    assert names_listed(world, kind, response) == visible_names("advocate", kind)


def test_a_list_page_records_only_the_page_shown(client, supervisor, world, monkeypatch):
    from cases.admin import PartyAdmin

    monkeypatch.setattr(PartyAdmin, "list_per_page", 2)
    signed_in(client, supervisor)
    before = last_pk()

    response = client.get(url("party", "changelist"), {"p": "2"})

    [entry] = new_entries(before)
    assert entry.object_ids == [row.pk for row in listed(response)]
    assert len(entry.object_ids) == 2


# --- Viewed by ---------------------------------------------------------------------------------


def test_supervisors_see_who_viewed_a_case_beside_its_timeline(client, advocate, supervisor, world):
    case = world["case"]["east"]
    page = url("case", "change", case.pk)
    signed_in(client, advocate)
    client.get(page)
    client.get(url("party", "change", world["party"]["east"].pk))

    signed_in(client, supervisor)
    response = client.get(page)

    viewed = [(e.user, e.object_kind) for e in response.context["viewed_by"]]
    assert viewed == [(supervisor, "case"), (advocate, "party"), (advocate, "case")]
    html = response.content.decode()
    assert html.index("Timeline") < html.index("Viewed by")
    trail = client.get(response.context["case_trail_url"])
    assert {entry.case_id for entry in listed(trail)} == {case.pk}


@pytest.mark.parametrize("who", ["advocate", "admin_user"])
def test_nobody_but_supervisors_sees_who_viewed_a_case(client, request, world, who):
    signed_in(client, request.getfixturevalue(who))

    response = client.get(url("case", "change", world["case"]["east"].pk))

    assert "viewed_by" not in response.context
    assert "Viewed by" not in response.content.decode()


def test_the_viewed_by_block_costs_the_same_queries_for_2_views_as_for_60(
    client, advocate, supervisor, world
):
    page = url("case", "change", world["case"]["east"].pk)
    signed_in(client, supervisor)
    client.get(page)
    few = queries_to_show(client, page)

    signed_in(client, advocate)
    for _ in range(30):
        client.get(page)
    signed_in(client, supervisor)
    for _ in range(28):
        client.get(page)

    assert queries_to_show(client, page) == few
    response = client.get(page)
    assert len(response.context["viewed_by"]) == 50


# --- The audit trail ---------------------------------------------------------------------------


@pytest.fixture
def root(db):
    """A superuser who is also an administrator."""
    user = user_create(username="root", password=PASSWORD, role=Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("who", ["supervisor", "admin_user", "root"])
def test_the_audit_trail_is_read_only_for_everyone(client, request, world, who):
    signed_in(client, request.getfixturevalue(who))
    entry = AuditEntry.objects.order_by("pk").first()

    page = client.get(url("auditentry", "change", entry.pk))

    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    assert client.get(url("auditentry", "add")).status_code == 403
    assert client.post(url("auditentry", "change", entry.pk), {"action": "view"}).status_code == 403
    assert client.post(url("auditentry", "delete", entry.pk), {"post": "yes"}).status_code == 403
    assert client.get(url("auditentry", "changelist")).context["action_form"] is None
    assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


def test_the_audit_trail_filters_by_user_action_kind_and_case(client, supervisor, advocate, world):
    case = world["case"]["east"]
    signed_in(client, advocate)
    client.get(url("case", "change", case.pk))
    client.get(url("case", "change", world["case"]["west_mine"].pk))
    signed_in(client, supervisor)
    trail = url("auditentry", "changelist")

    mine = {"user__id__exact": advocate.pk, "action__exact": "view"}
    by_advocate = listed(client.get(trail, mine))
    assert {(e.object_kind, e.object_id) for e in by_advocate} == {
        ("case", case.pk),
        ("case", world["case"]["west_mine"].pk),
    }
    by_kind = listed(client.get(trail, {"object_kind": "party", "action__exact": "create"}))
    assert {e.object_id for e in by_kind} == {p.pk for p in world["party"].values()}
    # A case's whole trail, by its reference typed in the search box or by the case filter.
    by_reference = listed(client.get(trail, {"q": case.reference.lower()}))
    by_filter = listed(client.get(trail, {"case_id": case.pk}))
    assert by_reference == by_filter
    assert {e.case_id for e in by_reference} == {case.pk}
    assert {e.object_kind for e in by_reference} >= {"case", "party", "identifier", "note"}
    page = client.get(trail, {"case_id": case.pk}).content.decode()
    assert case.reference in page


def test_the_audit_trail_filters_by_time_and_finds_a_request(client, supervisor, advocate, world):
    signed_in(client, advocate)
    viewed = client.get(url("case", "change", world["case"]["east"].pk))
    # The trail is append-only: an old row is written old.
    old = AuditEntry.objects.create(
        user=advocate, action="login", at=timezone.now() - datetime.timedelta(days=40)
    )
    signed_in(client, supervisor)
    trail = url("auditentry", "changelist")
    today = timezone.localdate()

    recent = listed(client.get(trail, {"since": (today - datetime.timedelta(days=7)).isoformat()}))
    assert old.pk not in {e.pk for e in recent}
    long_ago = today - datetime.timedelta(days=40)
    ranged = listed(
        client.get(trail, {"since": long_ago.isoformat(), "until": long_ago.isoformat()})
    )
    assert [e.pk for e in ranged] == [old.pk]
    by_month = listed(client.get(trail, {"at__year": long_ago.year, "at__month": long_ago.month}))
    assert old.pk in {e.pk for e in by_month}
    found = listed(client.get(trail, {"q": viewed["X-Request-ID"]}))
    assert [(e.action, e.user) for e in found] == [("view", advocate)]
    # A date that is not one is refused, not a server error.
    response = client.get(trail, {"since": "last week"})
    assert (response.status_code, response.url) == (302, f"{trail}?e=1")


def test_advocates_do_not_see_the_audit_trail(client, advocate, world):
    signed_in(client, advocate)
    assert client.get(url("auditentry", "changelist")).status_code == 403
    assert client.get(url("auditentry", "export")).status_code == 403


# --- Exports ---------------------------------------------------------------------------------


def test_the_case_export_writes_the_filtered_list_without_personal_data_and_is_audited(
    client, advocate, supervisor, world
):
    signed_in(client, supervisor)
    services.case_status_change(actor=supervisor, case=world["case"]["west"], status="active")
    changelist = client.get(url("case", "changelist"), {"status__exact": "new"})
    export_link = f"{url('case', 'export')}?status__exact=new"
    assert export_link in changelist.content.decode()
    before = last_pk()

    response = client.get(url("case", "export"), {"status__exact": "new"})

    rows = csv_rows(response)
    assert rows[0] == [
        "reference",
        "status",
        "priority",
        "trafficking type",
        "industry",
        "region",
        "assignee",
        "team",
        "opened",
        "closed",
    ]
    exported = {row[0] for row in rows[1:]}
    expected = {c.reference for n, c in world["case"].items() if n != "west"}
    assert exported == expected
    east = next(row for row in rows if row[0] == world["case"]["east"].reference)
    case = world["case"]["east"]
    assert east[1:8] == [
        "New",
        "Normal",
        case.get_trafficking_type_display(),
        case.industry.name,
        "US-CA",
        "",
        "East desk",
    ]
    assert east[8] == timezone.localtime(case.opened_at).isoformat(timespec="seconds")
    assert east[9] == ""
    text = "\n".join(",".join(row) for row in rows)
    assert "Victim of" not in text and "Farm workers" not in text
    [entry] = new_entries(before)
    assert (entry.user, entry.action, entry.object_kind) == (supervisor, "export", "case")
    assert set(entry.object_ids) == {c.pk for n, c in world["case"].items() if n != "west"}


def test_the_case_export_holds_only_the_cases_the_advocate_sees_and_their_search(
    client, advocate, world
):
    signed_in(client, advocate)

    everything = csv_rows(client.get(url("case", "export")))
    searched = csv_rows(client.get(url("case", "export"), {"q": world["case"]["east"].reference}))

    assert {row[0] for row in everything[1:]} == {
        world["case"][name].reference for name in VISIBLE["advocate"]
    }
    assert [row[0] for row in searched[1:]] == [world["case"]["east"].reference]


@pytest.mark.parametrize("order", ["1", "-1", "-2.1"])
def test_the_case_export_follows_the_list_s_sort(client, supervisor, world, order):
    signed_in(client, supervisor)
    shown = [case.reference for case in listed(client.get(url("case", "changelist"), {"o": order}))]

    rows = csv_rows(client.get(url("case", "export"), {"o": order}))

    assert [row[0] for row in rows[1:]] == shown


def test_administrators_do_not_export_cases(client, admin_user, world):
    signed_in(client, admin_user)
    assert url("case", "export") not in client.get(url("case", "changelist")).content.decode()
    assert client.get(url("case", "export")).status_code == 403


def test_the_audit_trail_export_writes_the_filtered_trail_and_is_itself_audited(
    client, supervisor, advocate, world
):
    signed_in(client, advocate)
    client.get(url("case", "change", world["case"]["east"].pk))
    signed_in(client, supervisor)
    filters = {"action__exact": "view", "user__id__exact": advocate.pk}
    listed_page = client.get(url("auditentry", "changelist"), filters)
    wanted = [entry.pk for entry in listed(listed_page)]
    before = last_pk()

    response = client.get(url("auditentry", "export"), filters)

    rows = csv_rows(response)
    assert rows[0] == [
        "id",
        "at",
        "user id",
        "username",
        "action",
        "object kind",
        "object id",
        "object ids",
        "case id",
        "case reference",
        "request id",
        "ip",
    ]
    assert [int(row[0]) for row in rows[1:]] == wanted
    case = world["case"]["east"]
    assert rows[1][3:10] == [
        "alice",
        "view",
        "case",
        str(case.pk),
        "",
        str(case.pk),
        case.reference,
    ]
    [entry] = new_entries(before)
    assert (entry.user, entry.action, entry.object_kind, entry.object_ids) == (
        supervisor,
        "export",
        "auditentry",
        wanted,
    )


def test_an_export_of_many_rows_streams_them_in_batches(client, supervisor, world, monkeypatch):
    from hotline.admin import AuditEntryAdmin

    monkeypatch.setattr(AuditEntryAdmin, "export_batch_size", 7)
    signed_in(client, supervisor)
    total = AuditEntry.objects.count()

    response = client.get(url("auditentry", "export"))

    assert response.streaming
    ids = [int(row[0]) for row in csv_rows(response)[1:]]
    assert ids == list(
        AuditEntry.objects.filter(pk__in=ids).order_by("-at", "-pk").values_list("pk", flat=True)
    )
    assert len(ids) == total


def test_an_exported_cell_is_never_a_spreadsheet_formula(client, supervisor, advocate, world):
    User.objects.filter(pk=advocate.pk).update(username="=HYPERLINK")
    services.case_assign(actor=supervisor, case=world["case"]["east"], assignee=advocate)
    signed_in(client, supervisor)

    rows = csv_rows(client.get(url("case", "export"), {"q": world["case"]["east"].reference}))

    assert rows[1][6] == "'=HYPERLINK"


# --- Lists that stay cheap, scoped and audited -------------------------------------------------


@pytest.mark.parametrize("kind", ["case", "party", "identifier", "event", "call", "tip"])
def test_an_advocate_s_list_runs_the_same_queries_for_3_rows_as_for_30(
    client, advocate, supervisor, other_team, kind
):
    signed_in(client, advocate)
    page = url(kind, "changelist")

    def rows(count):
        for number in range(count):
            case = CaseFactory(actor=supervisor, assignee=advocate, region=region("US-TX"))
            party = services.party_add(actor=supervisor, case=case, role="survivor", name="M")
            services.identifier_add(
                actor=supervisor, case=case, party=party, kind="email", value=f"x{number}@a.org"
            )
            call = call_log(
                advocate=advocate,
                channel="phone",
                caller_type="anonymous",
                reason="trafficking_tip",
                tip={"observed": "x"},
            )
            services.case_link_call(actor=supervisor, case=case, call=call)
            # Rows the advocate does not see, which must cost nothing either.
            CaseFactory(actor=supervisor, team=other_team)

    rows(3)
    few = queries_to_show(client, page)
    rows(27)

    assert queries_to_show(client, page) == few
    assert len(listed(client.get(page))) >= 30


def test_the_audit_trail_list_runs_the_same_queries_for_3_rows_as_for_30(
    client, supervisor, advocate
):
    signed_in(client, supervisor)
    page = url("auditentry", "changelist")
    for _ in range(3):
        CaseFactory(actor=advocate)
    few = queries_to_show(client, page)

    for _ in range(27):
        CaseFactory(actor=advocate)

    assert queries_to_show(client, page) == few


# --- Nothing personal leaks into the admin's own history, nor inline code into pages -----------


def test_the_admin_history_names_an_identifier_by_its_id_never_its_value(client, supervisor, world):
    signed_in(client, supervisor)
    case = world["case"]["east"]
    page = url("case", "change", case.pk)
    data = form_data(client.get(page))
    add_inline_row(data, "identifiers", kind="phone", value="713 555 0147")
    response = client.post(page, data)
    assert response.status_code == 302, errors_of(response)
    identifier = Identifier.objects.get(case=case, kind="phone", party=None)
    edit = url("identifier", "change", identifier.pk)
    response = client.post(edit, {**form_data(client.get(edit)), "value": "713 555 0199"})
    assert response.status_code == 302, errors_of(response)

    with connection.cursor() as cursor:
        cursor.execute("SELECT object_repr, change_message FROM django_admin_log")
        logged = " ".join(" ".join(row) for row in cursor.fetchall())
    assert LogEntry.objects.count() == 2
    assert "555" not in logged
    assert f"identifier {identifier.pk}" in logged


@pytest.mark.parametrize(
    "page",
    [
        lambda world: url("case", "change", world["case"]["east"].pk),
        lambda world: url("case", "changelist"),
        lambda world: url("auditentry", "changelist") + "?since=2026-01-01",
        lambda world: url("auditentry", "change", AuditEntry.objects.first().pk),
    ],
    ids=["case page with viewed by", "case list with export", "audit trail", "audit entry"],
)
def test_the_new_pages_have_no_inline_script_or_style(client, supervisor, world, page):
    signed_in(client, supervisor)

    response = client.get(page(world))

    assert response.status_code == 200
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def test_query_counts_include_the_audit_row(client, advocate, world):
    signed_in(client, advocate)
    with CaptureQueriesContext(connection) as queries:
        client.get(url("case", "changelist"))
    assert sum("INSERT" in sql and "hotline_auditentry" in sql for sql in statements(queries)) == 1
