"""The public tip form (/tip/): anyone may send a tip; they get a reference code and nothing
else back; bots and floods are turned away."""

import re
import uuid

import pytest

from hotline.models import Tip, Urgency
from tests.web.conftest import PHONE

pytestmark = pytest.mark.django_db

URL = "/tip/"
REFERENCE = re.compile(r"T-[A-Z2-9]{4}-[A-Z2-9]{4}")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_codes(page):
    return CSRF_TOKEN.sub("", REFERENCE.sub("", page))


OBSERVED = "A van drops the same four girls at the Starlight Motel every night at 11."


def tip_data(**overrides):
    data = {
        "observed": OBSERVED,
        "region": "US-TX",
        "address": "Starlight Motel, Route 9",
        "people_mentioned": "A tall man with a red cap",
        "website": "",
        "intake_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "who", [None, "advocate", "supervisor", "partner", "admin_user", "outsider"]
)
def test_anyone_gets_the_form(client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="observed"' in page
    assert 'name="intake_key"' in page


def test_a_tip_is_stored_and_answered_with_its_reference_only(client):
    response = client.post(URL, tip_data(danger="on"))
    tip = Tip.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert (tip.source, tip.submitted_by, tip.call) == (Tip.Source.WEB_FORM, None, None)
    assert tip.observed == OBSERVED
    assert tip.region.code == "US-TX"
    assert tip.urgency == Urgency.IMMINENT_DANGER
    assert tip.reference in page
    for typed in [OBSERVED, "Starlight", "red cap"]:
        assert typed not in page


def test_sending_twice_stores_one_tip_and_shows_the_same_reference(client):
    data = tip_data()
    first = client.post(URL, data).content.decode()
    second = client.post(URL, data).content.decode()
    assert Tip.objects.count() == 1
    reference = Tip.objects.get().reference
    assert reference in first
    assert reference in second


def test_a_corrected_resend_with_the_same_key_keeps_the_correction_as_a_new_tip(client):
    data = tip_data()
    client.post(URL, data)
    corrected = {**data, "observed": data["observed"] + " There are children too."}

    page = client.post(URL, corrected).content.decode()

    assert Tip.objects.count() == 2
    latest = Tip.objects.order_by("-pk").first()
    assert latest.observed.endswith("There are children too.")
    assert latest.intake_key is None
    assert latest.reference in page


def test_a_bot_that_fills_the_hidden_field_gets_the_same_page_and_nothing_is_stored(client):
    response = client.post(URL, tip_data(website="http://cheap-pills.example"))
    page = response.content.decode()
    assert response.status_code == 200
    assert not Tip.objects.exists()
    assert REFERENCE.search(page)
    assert "Your tip was received" in page


def test_the_answer_never_says_whether_anything_matched(client, supervisor, team):
    from tests.web.conftest import case_with_phone

    case = case_with_phone(actor=supervisor, team=team)
    matching = client.post(URL, tip_data(observed=f"They answer at {PHONE}.")).content.decode()
    other = client.post(URL, tip_data(observed="They answer at +1 212 555 0100.")).content
    assert case.reference not in matching
    references = [tip.reference for tip in Tip.objects.order_by("pk")]
    assert without_codes(matching) == without_codes(other.decode())
    assert len(references) == 2


def test_a_tip_without_what_was_seen_comes_back_with_the_error_and_what_was_typed(client):
    response = client.post(URL, tip_data(observed="  "))
    page = response.content.decode()
    assert response.status_code == 200
    assert not Tip.objects.exists()
    assert 'id="error-summary"' in page
    assert 'href="#id_observed"' in page
    assert 'aria-describedby="id_observed_error id_observed_help"' in page
    assert 'aria-invalid="true"' in page
    assert "Starlight Motel, Route 9" in page


@pytest.mark.parametrize(
    "field, value",
    [
        ("region", "ZZ-NOPE"),
        ("intake_key", "not-a-uuid"),
        ("observed", "x" * 10_001),
        ("address", "y" * 1_001),
    ],
)
def test_made_up_values_get_a_message_never_a_500(client, field, value):
    response = client.post(URL, tip_data(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Tip.objects.exists()


def test_a_form_without_its_key_still_works(client):
    assert client.post(URL, tip_data(intake_key="")).status_code == 200
    assert Tip.objects.get().intake_key is not None


def test_too_many_tips_from_one_address_get_a_429_and_keep_what_was_typed(client, settings):
    settings.HOTLINE_PUBLIC_TIP_LIMIT = 2
    for _ in range(2):
        assert client.post(URL, tip_data()).status_code == 200
    response = client.post(URL, tip_data(observed="The third one."))
    page = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.HOTLINE_PUBLIC_TIP_WINDOW_MINUTES * 60)
    assert "Too many tips from this connection" in page
    assert "The third one." in page
    assert Tip.objects.count() == 2


def test_the_limit_counts_each_address_on_its_own(client, settings):
    settings.HOTLINE_PUBLIC_TIP_LIMIT = 1
    assert client.post(URL, tip_data(), REMOTE_ADDR="198.51.100.1").status_code == 200
    assert client.post(URL, tip_data(), REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.post(URL, tip_data(), REMOTE_ADDR="198.51.100.2").status_code == 200
    assert Tip.objects.count() == 2


def test_the_limit_can_be_turned_off(client, settings):
    settings.HOTLINE_PUBLIC_TIP_LIMIT = 0
    for _ in range(3):
        assert client.post(URL, tip_data()).status_code == 200
    assert Tip.objects.count() == 3


def test_the_form_speaks_spanish_with_lang_es(client):
    response = client.get(URL, {"lang": "es"})
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Denunciar posible trata de personas" in page
    assert "Texas (US-TX)" in page
    assert "México" in page
    # The choice sticks for the rest of the visit.
    assert client.cookies["django_language"].value == "es"
    thanks = client.post(URL, tip_data()).content.decode()
    assert "Gracias" in thanks


def test_the_public_form_asks_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    client.get("/tip/")
    # The rate-limit count, the region, the tip and its audit row, and tip_submit's full_clean,
    # which checks each of the tip's database constraints with a query of its own: a fixed
    # number, however many tips and audit rows exist.
    with django_assert_max_num_queries(44):
        assert client.post("/tip/", tip_data()).status_code == 200


def test_the_language_switch_works_without_an_account(client):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/tip/"})
    assert response.url == "/tip/"
    assert "Enviar el aviso" in client.get(URL).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/tip/"})
    assert "Send the tip" in client.get(URL).content.decode()
