"""Log a call (/calls/new/): who may, what is saved, what comes back when something is wrong,
and the matching cases shown beside the form."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Identifier
from hotline.models import AuditEntry, Call, Code, Tip, Urgency
from tests.web.conftest import PHONE_TYPED, case_with_phone

pytestmark = pytest.mark.django_db

NEW = "/calls/new/"
MATCHES = "/calls/new/matches/"


def call_data(**overrides):
    data = {
        "started_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "intake_key": str(uuid.uuid4()),
        "channel": "phone",
        "caller_type": "community_member",
        "language": "en",
        "reason": "trafficking_tip",
        "region": "US-TX",
        "urgency": "0",
        "summary": "Caller saw workers locked in a warehouse at night.",
        "identifiers-TOTAL_FORMS": "3",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-MIN_NUM_FORMS": "0",
        "identifiers-MAX_NUM_FORMS": "20",
    }
    for index in range(3):
        data[f"identifiers-{index}-kind"] = "phone"
        data[f"identifiers-{index}-platform"] = ""
        data[f"identifiers-{index}-value"] = ""
    data.update(overrides)
    return data


def tip_data(**overrides):
    tip = {
        "is_tip": "on",
        "observed": "Six men sleep in the warehouse; the foreman keeps their passports.",
        "address": "1200 Industrial Blvd, Houston",
        "industry": "construction",
        "trafficking_type": "labor",
        "indicators": ["deception"],
        "people_mentioned": "The foreman, called Beto",
        "identifiers-0-value": PHONE_TYPED,
    }
    return call_data(**{**tip, **overrides})


@pytest.fixture
def ilo_codes():
    return list(Code.objects.filter(list=Code.List.ILO_INDICATORS).values_list("code", flat=True))


# --- Who gets the page ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["advocate", "supervisor"])
def test_case_workers_get_the_form(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(NEW)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="intake_key"' in page
    assert 'id="call-timer"' in page


@pytest.mark.parametrize("who", ["partner", "admin_user", "outsider"])
def test_anyone_else_signed_in_is_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in [NEW, MATCHES, "/calls/new/regions/?q=tex", "/calls/1/saved/"]:
        assert client.get(url).status_code == 403
    assert client.post(NEW, call_data()).status_code == 403
    assert not Call.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/calls/new/"
    for url in [MATCHES, "/calls/new/regions/?q=tex", "/calls/1/saved/"]:
        assert client.get(url).url.startswith("/accounts/login/?next=")
    assert client.post(NEW, call_data()).status_code == 302
    assert not Call.objects.exists()


def test_each_form_has_its_own_intake_key(client, advocate):
    client.force_login(advocate)
    first = client.get(NEW).context["form"].initial["intake_key"]
    second = client.get(NEW).context["form"].initial["intake_key"]
    assert first != second


# --- Saving ---------------------------------------------------------------------------------


def test_an_advocate_logs_a_call_that_is_not_a_tip(client, advocate):
    client.force_login(advocate)
    data = call_data(reason="general_information", caller_type="family_or_friend")

    response = client.post(NEW, data)

    call = Call.objects.get()
    assert response.status_code == 302
    assert response.url == f"/calls/{call.pk}/saved/"
    assert call.advocate == advocate
    assert str(call.intake_key) == data["intake_key"]
    assert (call.reason, call.caller_type, call.region.code) == (
        "general_information",
        "family_or_friend",
        "US-TX",
    )
    assert call.ended_at >= call.started_at
    assert not Tip.objects.exists()


def test_a_call_that_is_a_tip_records_the_tip_and_its_identifiers(client, advocate, ilo_codes):
    client.force_login(advocate)
    data = tip_data(indicators=ilo_codes[:2])

    response = client.post(NEW, data)

    call = Call.objects.get()
    tip = call.tip
    assert response.status_code == 302
    assert tip.source == Tip.Source.CALL
    assert tip.submitted_by == advocate
    assert tip.observed.startswith("Six men")
    assert tip.industry.code == "construction"
    assert tip.region.code == "US-TX"
    assert sorted(tip.indicators.values_list("code", flat=True)) == sorted(ilo_codes[:2])
    identifier = Identifier.objects.get(tip=tip)
    assert (identifier.kind, identifier.normalised) == ("phone", "+17135550199")
    saved = client.get(response.url).content.decode()
    assert tip.reference in saved
    assert "Log another call" in saved


def test_imminent_danger_puts_the_call_and_its_tip_at_the_top(client, advocate):
    client.force_login(advocate)
    client.post(NEW, tip_data(imminent_danger="on", urgency="0"))
    call = Call.objects.get()
    assert call.urgency == call.tip.urgency == Urgency.IMMINENT_DANGER == max(Urgency)


def test_saving_twice_with_the_same_intake_key_records_one_call(client, advocate):
    client.force_login(advocate)
    data = tip_data()

    first = client.post(NEW, data)
    second = client.post(NEW, data)

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Call.objects.count() == 1
    assert Tip.objects.count() == 1
    assert Identifier.objects.count() == 1


def test_another_advocate_cannot_reuse_an_intake_key(client, advocate, other_advocate):
    client.force_login(advocate)
    data = call_data()
    client.post(NEW, data)
    client.force_login(other_advocate)

    response = client.post(NEW, data)

    assert response.status_code == 200
    assert "This key was already used" in response.content.decode()
    assert Call.objects.count() == 1


def test_the_same_number_typed_twice_is_kept_once(client, advocate):
    client.force_login(advocate)
    client.post(NEW, tip_data(**{"identifiers-1-value": "713.555.0199"}))
    assert Identifier.objects.count() == 1


def test_a_handle_is_kept_with_its_platform(client, advocate):
    client.force_login(advocate)
    data = tip_data(
        **{
            "identifiers-1-kind": "handle",
            "identifiers-1-platform": "instagram",
            "identifiers-1-value": "@Beto.Jobs",
        }
    )
    assert client.post(NEW, data).status_code == 302
    handle = Identifier.objects.get(kind="handle")
    assert (handle.platform, handle.normalised) == ("instagram", "beto.jobs")


def test_the_confirmation_is_only_for_the_advocate_who_logged_the_call(
    client, advocate, other_advocate
):
    client.force_login(advocate)
    url = client.post(NEW, call_data()).url
    client.force_login(other_advocate)
    assert client.get(url).status_code == 404
    assert client.get("/calls/999999/saved/").status_code == 404


# --- Mistakes: errors next to the fields, what was typed kept ---------------------------------


def errors_of(response):
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_missing_choices_come_back_with_errors_and_the_text_kept(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, call_data(caller_type="", reason=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert set(errors_of(response)) == {"caller_type", "reason"}
    assert "Caller saw workers locked in a warehouse at night." in page
    assert 'id="error-summary"' in page
    assert 'aria-describedby="id_caller_type_error"' in page
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "started_at",
    [
        lambda: (timezone.now() + timedelta(hours=1)).isoformat(),
        lambda: (timezone.now() - timedelta(days=2)).isoformat(),
        lambda: "yesterday at noon",
        lambda: "",
    ],
)
def test_a_start_time_in_the_future_too_old_or_unreadable_is_refused(client, advocate, started_at):
    client.force_login(advocate)
    response = client.post(NEW, call_data(started_at=started_at()))
    assert response.status_code == 200
    assert "started_at" in errors_of(response)
    assert not Call.objects.exists()


def test_a_tip_says_what_was_seen(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, tip_data(observed="   "))
    assert response.status_code == 200
    assert "observed" in errors_of(response)
    assert PHONE_TYPED in response.content.decode()


def test_an_unreadable_phone_number_is_refused_next_to_its_row(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, tip_data(**{"identifiers-0-value": "call me maybe"}))
    assert response.status_code == 200
    row = response.context["identifiers"].forms[0]
    assert "not a phone number we can read" in row.errors["value"][0]
    assert "call me maybe" in response.content.decode()
    assert not Call.objects.exists()


def test_a_handle_without_a_platform_is_refused(client, advocate):
    client.force_login(advocate)
    response = client.post(
        NEW, tip_data(**{"identifiers-1-kind": "handle", "identifiers-1-value": "@beto"})
    )
    assert response.status_code == 200
    assert "platform" in response.context["identifiers"].forms[1].errors


def test_a_tip_with_another_mistake_keeps_its_identifiers_without_complaint(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, tip_data(caller_type=""))
    assert set(errors_of(response)) == {"caller_type"}
    assert not response.context["identifiers"].non_form_errors()
    assert PHONE_TYPED in response.content.decode()


def test_identifier_errors_speak_the_page_language(client, advocate):
    client.force_login(advocate)
    client.post("/i18n/setlang/", {"language": "es"})
    response = client.post(NEW, tip_data(**{"identifiers-0-value": "call me maybe"}))
    assert (
        "no es un número de teléfono" in response.context["identifiers"].forms[0].errors["value"][0]
    )


def test_identifiers_without_a_tip_are_refused(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, call_data(**{"identifiers-0-value": PHONE_TYPED}))
    assert response.status_code == 200
    assert "Identifiers are kept with a tip" in response.content.decode()
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("channel", "pigeon"),
        ("urgency", "9"),
        ("region", "XX-NOPE"),
        ("language", "klingon"),
        ("industry", "not-an-industry"),
        ("indicators", "NOT_A_CODE"),
        ("intake_key", "not-a-uuid"),
        ("identifiers-0-kind", "tattoo"),
        ("identifiers-TOTAL_FORMS", "500"),
        ("identifiers-TOTAL_FORMS", "many"),
        ("summary", "x" * 20_001),
    ],
)
def test_made_up_values_get_a_message_never_a_500(client, advocate, field, value):
    client.force_login(advocate)
    response = client.post(NEW, tip_data(**{field: value}))
    assert response.status_code == 200
    assert not Call.objects.exists()


def test_an_empty_post_gets_messages(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, {})
    assert response.status_code == 200
    assert not Call.objects.exists()


# --- Matching cases beside the form -------------------------------------------------------------


def test_a_number_written_another_way_finds_the_case_that_holds_it(client, advocate, team_case):
    client.force_login(advocate)
    response = client.get(MATCHES, {"identifiers-0-value": PHONE_TYPED})
    page = response.content.decode()
    assert response.status_code == 200
    assert team_case.reference in page
    assert f'href="/cases/{team_case.reference}/"' in page
    assert "713" not in page.replace(team_case.reference, "")


def test_matches_list_only_cases_the_advocate_may_see(
    client, advocate, team_case, other_team_case, restricted_case
):
    client.force_login(advocate)
    page = client.get(MATCHES, {"identifiers-0-value": PHONE_TYPED}).content.decode()
    assert team_case.reference in page
    assert other_team_case.reference not in page
    assert restricted_case.reference not in page


def test_a_supervisor_sees_every_matching_case(
    client, supervisor, team_case, other_team_case, restricted_case
):
    client.force_login(supervisor)
    page = client.get(MATCHES, {"identifiers-2-value": "713-555-0199"}).content.decode()
    for case in (team_case, other_team_case, restricted_case):
        assert case.reference in page


def test_a_tip_of_someone_else_that_holds_the_number_is_not_shown(client, advocate, other_advocate):
    client.force_login(other_advocate)
    client.post(NEW, tip_data())
    client.force_login(advocate)
    page = client.get(MATCHES, {"identifiers-0-value": PHONE_TYPED}).content.decode()
    assert "No case you can see holds what you typed." in page
    assert Tip.objects.get().reference not in page


def test_every_case_shown_is_in_the_audit_trail(client, advocate, team_case):
    client.force_login(advocate)
    client.get(MATCHES, {"identifiers-0-value": PHONE_TYPED})
    entry = AuditEntry.objects.filter(action="list", object_kind="case").latest("pk")
    assert entry.user == advocate
    assert entry.object_ids == [team_case.pk]


@pytest.mark.parametrize("value", ["", "   ", "a", "\x00", "x" * 5000, "@", "+"])
def test_anything_typed_gets_an_answer_not_a_500(client, advocate, team_case, value):
    client.force_login(advocate)
    response = client.get(MATCHES, {"identifiers-0-value": value, "q": value})
    assert response.status_code == 200
    assert team_case.reference not in response.content.decode()


def test_the_match_look_up_asks_the_same_number_of_queries_for_many_cases_and_values(
    client, advocate, supervisor, team, django_assert_max_num_queries
):
    for number in range(5):
        case_with_phone(actor=supervisor, team=team, phone=f"+1 713 555 01{number:02d}")
    client.force_login(advocate)
    client.get("/")  # the session and the user's role, read once
    values = {f"identifiers-{n}-value": f"713 555 01{n:02d}" for n in range(5)}
    # session, user, role, the two-factor check (two device tables), the matching cases, the
    # audit row (in a savepoint), the session's renewal: none of them per case or per value.
    with django_assert_max_num_queries(10):
        response = client.get(MATCHES, values)
    assert response.content.decode().count('class="match"') == 5


def test_the_new_call_page_asks_a_fixed_number_of_queries(
    client, advocate, django_assert_max_num_queries
):
    client.force_login(advocate)
    # session, user, role, the two-factor check (two device tables), US states, countries,
    # industries, ILO indicators, the session's renewal (with its savepoint)
    with django_assert_max_num_queries(12):
        assert client.get(NEW).status_code == 200


# --- Regions ---------------------------------------------------------------------------------


def test_the_region_type_ahead_finds_states_countries_and_other_subdivisions(client, advocate):
    client.force_login(advocate)
    codes = [r["code"] for r in client.get("/calls/new/regions/", {"q": "tex"}).json()["results"]]
    assert "US-TX" in codes
    codes = [
        r["code"] for r in client.get("/calls/new/regions/", {"q": "jalisco"}).json()["results"]
    ]
    assert codes == ["MX-JAL"]
    assert client.get("/calls/new/regions/", {"q": "t"}).json() == {"results": []}


def test_a_region_outside_the_list_can_be_saved_and_is_shown_again(client, advocate):
    client.force_login(advocate)
    response = client.post(NEW, call_data(region="MX-JAL", caller_type=""))
    assert 'value="MX-JAL" selected' in response.content.decode()
    client.post(NEW, call_data(region="MX-JAL"))
    assert Call.objects.get().region.code == "MX-JAL"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_once_from_several_connections_records_one_call(advocate):
    from django.test import Client

    from tests.cases.test_concurrency import race

    data = tip_data()

    def send():
        client = Client()
        client.force_login(advocate)
        return client.post(NEW, data)

    responses = race(*[send] * 4)
    assert [getattr(response, "status_code", response) for response in responses] == [302] * 4
    assert len({response.url for response in responses}) == 1
    assert (Call.objects.count(), Tip.objects.count(), Identifier.objects.count()) == (1, 1, 1)


def test_a_null_character_typed_in_a_look_up_is_a_clear_400_on_any_database(client, advocate):
    # PostgreSQL cannot compare with NUL: unchecked, the region look-up was a 500 there.
    client.force_login(advocate)
    response = client.get("/calls/new/regions/?q=ab%00")
    assert response.status_code == 400
    assert "null characters" in response.json()["error"].lower()
    assert client.get(MATCHES + "?q=ab%00").status_code == 200


CHANGES_NOT_SAVED = "This call was already saved; your later changes were not saved"


def test_a_repeat_with_edits_says_the_edits_were_not_saved(client, advocate):
    client.force_login(advocate)
    data = tip_data()
    client.post(NEW, data)

    edited = client.post(NEW, {**data, "observed": "Also a van with out-of-state plates."})

    assert Tip.objects.get().observed == data["observed"]
    page = client.get(edited.url).content.decode()
    assert CHANGES_NOT_SAVED in page


def test_a_repeat_with_another_identifier_says_it_was_not_saved(client, advocate):
    client.force_login(advocate)
    data = tip_data()
    client.post(NEW, data)

    def warned(changes):
        saved = client.post(NEW, {**data, **changes})
        return CHANGES_NOT_SAVED in client.get(saved.url).content.decode()

    assert not warned({"identifiers-0-value": "+1 713 555 0199"})  # the same number
    assert warned({"identifiers-1-value": "(202) 555-0143"})
    assert warned({"identifiers-0-value": ""})
    assert Identifier.objects.count() == 1


def test_a_plain_repeat_shows_no_warning(client, advocate):
    client.force_login(advocate)
    data = call_data()
    client.post(NEW, data)
    page = client.get(client.post(NEW, data).url).content.decode()
    assert CHANGES_NOT_SAVED not in page
    edited = client.post(NEW, {**data, "summary": "Caller saw workers locked in."})
    assert CHANGES_NOT_SAVED in client.get(edited.url).content.decode()
