"""The layout every page shares: the navigation each role sees, the start page, signing in and
out, the language switch."""

import pytest
from django.urls import reverse

from hotline.models import AuditEntry
from tests.conftest import PASSWORD
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

LINKS = {
    "log_call": 'href="/calls/new/"',
    "tips": 'href="/tips/"',
    "cases": 'href="/cases/"',
    "dashboard": 'href="/dashboard/"',
    "links": 'href="/links/"',
    "deadlines": 'href="/deadlines/"',
    "admin": 'href="/admin/"',
}


def nav_of(page):
    nav = page.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return {name for name, link in LINKS.items() if link in nav}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("advocate", {"log_call", "cases", "dashboard", "admin"}),
        ("supervisor", {"log_call", "tips", "cases", "links", "deadlines", "dashboard", "admin"}),
        ("admin_user", {"cases", "dashboard", "admin"}),
        ("partner", set()),
        ("outsider", set()),
    ],
)
def test_the_navigation_shows_each_role_what_it_may_use(client, request, who, expected):
    client.force_login(request.getfixturevalue(who))
    page = client.get("/").content.decode()
    assert nav_of(page) == expected
    assert 'action="/accounts/logout/"' in page


def test_an_anonymous_visitor_is_offered_sign_in_and_the_public_tip_form(client):
    page = client.get("/").content.decode()
    assert nav_of(page) == set()
    assert 'href="/accounts/login/"' in page
    assert 'href="/tip/"' in page


def test_an_advocates_home_offers_log_a_call_and_lists_their_own_calls(
    client, advocate, other_advocate
):
    mine = CallFactory(advocate=advocate, urgency=2)
    CallFactory(advocate=other_advocate, summary="not mine")
    client.force_login(advocate)
    response = client.get("/")
    page = response.content.decode()
    assert 'class="button button-primary button-large" href="/calls/new/"' in page
    assert [call.pk for call in response.context["recent_calls"]] == [mine.pk]
    listed = AuditEntry.objects.filter(action="list", object_kind="call").latest("pk")
    assert (listed.user, listed.object_ids) == (advocate, [mine.pk])


def test_a_supervisors_home_counts_the_tips_waiting(client, supervisor):
    from tests.factories import TipFactory

    TipFactory(urgency=2)
    TipFactory()
    client.force_login(supervisor)
    response = client.get("/")
    assert (response.context["new_tips"], response.context["urgent_tips"]) == (2, 1)


def test_a_partners_home_points_to_the_api(client, partner):
    client.force_login(partner)
    page = client.get("/").content.decode()
    assert "/api/v1/" in page
    assert "recent_calls" not in client.get("/").context


def test_the_home_page_asks_a_fixed_number_of_queries(
    client, advocate, django_assert_max_num_queries
):
    for _ in range(12):
        CallFactory(advocate=advocate)
    client.force_login(advocate)
    # session, user, role, two-factor check (2), recent calls, their audit row, session
    # renewal (with savepoints): none per call
    with django_assert_max_num_queries(10):
        client.get("/")


# --- Signing in and out -----------------------------------------------------------------------


def test_the_sign_in_page_signs_an_advocate_in_and_goes_home(client, advocate):
    page = client.get("/accounts/login/").content.decode()
    assert 'autocomplete="username"' in page
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(advocate.pk)
    assert AuditEntry.objects.filter(action="login", user=advocate).exists()


def test_signing_in_follows_next(client, advocate):
    response = client.post(
        "/accounts/login/?next=/calls/new/",
        {"username": "alice", "password": PASSWORD, "next": "/calls/new/"},
    )
    assert response.url == "/calls/new/"


def test_signing_in_never_follows_next_to_another_site(client, advocate):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == "/"


def test_a_supervisor_signing_in_goes_on_to_the_second_factor(client, supervisor):
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    follow = client.get("/")
    assert follow.status_code == 302
    assert follow.url.startswith(reverse("accounts:otp_setup"))


def test_a_wrong_password_says_so_and_keeps_the_username(client, advocate):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "correct username and password" in page
    assert 'value="alice"' in page
    assert "_auth_user_id" not in client.session


def test_the_sign_in_page_locks_out_after_too_many_failures(client, advocate, settings):
    for _ in range(settings.HOTLINE_LOCKOUT_FAILURES):
        client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_in_switches_to_the_persons_language(client, advocate):
    advocate.language = "es"
    advocate.save(update_fields=["language"])
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.cookies["django_language"].value == "es"


def test_sign_out_ends_the_session(client, advocate):
    client.force_login(advocate)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_language_switch_changes_the_pages_language(client, advocate):
    client.force_login(advocate)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/calls/new/"})
    assert response.url == "/calls/new/"
    page = client.get("/calls/new/").content.decode()
    assert '<html lang="es">' in page
    assert "Registrar una llamada" in page
    assert "Guardar la llamada" in page
    assert "Retención de documentos de identidad" in page  # an ILO indicator, by its code
    # Each language is offered in its own name.
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="es" lang="es" selected>Español</option>' in page


def test_pages_carry_no_inline_script_or_style(client, advocate):
    client.force_login(advocate)
    for url in ["/", "/calls/new/", "/tip/", "/accounts/login/"]:
        page = client.get(url).content.decode()
        assert "<script>" not in page
        assert " style=" not in page
        assert " onclick=" not in page
        assert "hx-on" not in page
