"""Headers and deployment: a Content-Security-Policy without inline scripts on every kind of
page, HSTS and the other security headers, the HTTPS redirect (but not for /healthz), Django's
deployment checklist with no warning, and logs that keep personal data out."""

import io
import logging
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from tests.otp_helpers import otp_verify

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    otp_verify(client, supervisor)
    return client


@pytest.fixture
def half_signed_in_client(supervisor):
    """Password given, second factor not yet: the two-factor set-up page."""
    client = Client()
    client.post("/admin/login/", {"username": "sam", "password": "correct-horse-battery-staple-42"})
    return client


# Every kind of page: public, sign-in, admin, JSON, not found, redirect, two-factor.
PAGES = [
    ("home", "client", "/", 200),
    ("admin sign-in", "client", "/admin/login/", 200),
    ("admin redirect to sign-in", "client", "/admin/", 302),
    ("admin index", "supervisor_client", "/admin/", 200),
    ("admin list", "supervisor_client", "/admin/hotline/call/", 200),
    ("admin add form", "supervisor_client", "/admin/hotline/call/add/", 200),
    ("two-factor set-up", "half_signed_in_client", "/accounts/2fa/setup/", 200),
    ("health", "client", "/healthz", None),
    ("not found", "client", "/no-such-page", 404),
    ("admin not found", "supervisor_client", "/admin/hotline/call/999999/change/", 302),
]


def fetch(request, fixture, url, **extra):
    return request.getfixturevalue(fixture).get(url, **extra)


def csp_directives(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(("kind", "fixture", "url", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_a_strict_content_security_policy(request, kind, fixture, url, status):
    response = fetch(request, fixture, url)
    if status is not None:
        assert response.status_code == status
    directives = csp_directives(response)

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(("kind", "fixture", "url", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_the_security_headers_and_hsts_over_https(
    request, kind, fixture, url, status
):
    response = fetch(request, fixture, url, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


class _InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler attributes,
    javascript: links and inline styles."""

    def __init__(self):
        super().__init__()
        self.found = []
        self.in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
            if name == "href" and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} href=javascript:...>")
        data_block = attrs.get("type") in {"application/json", "application/ld+json"}
        self.in_inline_script = tag == "script" and "src" not in attrs and not data_block
        if tag == "style":
            self.found.append("<style>")

    def handle_data(self, data):
        if self.in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_inline_script = False


@pytest.mark.parametrize(("kind", "fixture", "url", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_no_page_has_inline_script_or_style_the_policy_would_block(
    request, kind, fixture, url, status
):
    response = fetch(request, fixture, url)
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def test_plain_http_is_redirected_to_https_except_the_health_report(settings, supervisor):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client loads the middleware with the setting above

    response = client.get("/admin/login/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/admin/login/")
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/admin/login/", secure=True).status_code == 200


def test_behind_a_proxy_its_https_header_counts_as_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    response = client.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


def test_cookies_are_https_only_and_out_of_reach_of_scripts_when_https_is_on(settings, advocate):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get("/admin/login/", secure=True)
    response = client.post(
        "/admin/login/",
        {"username": "alice", "password": "correct-horse-battery-staple-42", "next": "/admin/"},
        secure=True,
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["secure"]


def production_environment():
    keep = {"PATH", "HOME", "LANG", "HOTLINE_ENCRYPTION_KEYS", "HOTLINE_HASH_KEY"}
    environ = {key: value for key, value in os.environ.items() if key in keep}
    environ.update(
        DEBUG="0",
        SECRET_KEY="a-deployment-check-key-" + "k8Zq3vX1pR7m" * 4,
        ALLOWED_HOSTS="hotline.example.org",
        DATABASE_URL="postgres://hotline@127.0.0.1:5432/hotline",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    return environ


def test_the_production_settings_pass_djangos_deployment_checklist_without_a_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- Logs -------------------------------------------------------------------------------------


@pytest.fixture
def log_output():
    """What the configured log handler (settings.LOGGING's console, with its filter and
    formatter) writes, captured in memory instead of stderr."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert len(handlers) == 1, logging.getLogger().handlers
    handler = handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def test_logs_mask_phone_numbers_emails_and_sensitive_values(log_output):
    logger = logging.getLogger("hotline.somewhere")
    logger.warning(
        "Caller %s at %s sent %s",
        "+1 (202) 555-0143",
        "maria.lopez@example.org",
        {"username": "alice", "password": "hunter2-secret", "case_id": 42},
    )
    logger.warning("sign-in failed: username=alice&password=hunter2-secret&next=/admin/")
    logger.warning("callback %(phone)s", {"phone": "555 123 4567", "count": 3})

    output = log_output.getvalue()
    for secret in ["(202)", "555-0143", "maria.lopez", "example.org", "hunter2", "alice", "4567"]:
        assert secret not in output, output
    assert "Caller [phone] at [email] sent" in output
    assert "'password': [masked]" in output
    assert "'case_id': 42" in output
    assert "next=/admin/" in output
    assert "WARNING hotline.somewhere" in output


def test_logged_tracebacks_are_masked_too(log_output):
    try:
        raise ValueError("could not reach +44 20 7946 0958 for jo@example.org")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /admin/")

    output = log_output.getvalue()
    assert "Traceback" in output
    assert "ValueError: could not reach [phone] for [email]" in output
    assert "7946" not in output and "jo@" not in output


def test_dates_addresses_and_case_references_are_left_readable(log_output):
    logging.getLogger("hotline.somewhere").warning(
        "HT-2026-000123 rolled up for 2026-03-01 10:15:00 from 127.0.0.1 in 1234 ms"
    )
    assert "HT-2026-000123 rolled up for 2026-03-01 10:15:00 from 127.0.0.1 in 1234 ms" in (
        log_output.getvalue()
    )


def test_request_lines_keep_their_status_and_size_but_not_a_number_in_the_url(log_output):
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /admin/cases/case/?q=%2B12025550143 HTTP/1.1", 200, 51234
    )
    output = log_output.getvalue()
    assert '"GET /admin/cases/case/?q=[phone] HTTP/1.1" 200 51234' in output


def test_celery_task_names_stay_readable_but_their_results_do_not(log_output):
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        {
            "name": "hotline.tasks.worker_heartbeat",
            "id": "0b1c",
            "runtime": 0.01,
            "return_value": "Maria Lopez",
        },
    )
    output = log_output.getvalue()
    assert "Task hotline.tasks.worker_heartbeat[0b1c] succeeded in 0.01s: [masked]" in output


def test_postgresql_error_details_do_not_reach_the_logs(log_output):
    logging.getLogger("django.request").error(
        'duplicate key value violates unique constraint "x"\n'
        "DETAIL:  Key (value_normalised)=(+12025550143) already exists.\n"
        "DETAIL:  Failing row contains (7, Maria Lopez, 1990-04-01)."
    )
    output = log_output.getvalue()
    assert "Key (value_normalised)=([masked]) already exists." in output
    assert "Failing row contains ([masked])." in output
    assert "Maria" not in output


def test_request_data_never_reaches_an_error_report(rf, settings):
    from django.views.debug import ExceptionReporter

    request = rf.post("/admin/", {"name": "Maria Lopez", "phone": "+12025550143"})
    try:
        secret_in_a_variable = "Maria Lopez"  # noqa: F841 - shown by reports, unless hidden
        raise RuntimeError("boom")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "Maria" not in report
    assert "+12025550143" not in report
