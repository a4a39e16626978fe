"""Settings come from the environment only and refuse bad values, naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline import env

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 50


def load_settings(**variables):
    """Import the settings in a fresh interpreter with exactly these variables set."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "HOTLINE_ENCRYPTION_KEYS", "HOTLINE_HASH_KEY"}
    }
    environ.update(variables)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import hotline.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_starts_with_defaults_in_debug_mode_on_sqlite():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters"),
        ("DATABASE_URL", "mysql://db/hotline", "DATABASE_URL must be a sqlite:// or postgres://"),
        ("CELERY_BROKER_URL", "amqp://guest@localhost//", "CELERY_BROKER_URL must be a redis://"),
        ("REDIS_URL", "redis://127.0.0.1:port/0", "REDIS_URL has a malformed port"),
        ("TIME_ZONE", "Mars/Olympus_Mons", "TIME_ZONE must be an IANA time zone"),
        ("ALLOWED_HOSTS", "example.org,,", "ALLOWED_HOSTS must be a comma-separated list"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
        (
            "HOTLINE_DEFAULT_PHONE_REGION",
            "USA",
            "HOTLINE_DEFAULT_PHONE_REGION must be a two-letter",
        ),
        (
            "HOTLINE_HEARTBEAT_STALE_SECONDS",
            "soon",
            "HOTLINE_HEARTBEAT_STALE_SECONDS must be a whole",
        ),
        ("HOTLINE_HTTPS", "sometimes", "HOTLINE_HTTPS must be a boolean"),
        ("HOTLINE_HSTS_SECONDS", "a year", "HOTLINE_HSTS_SECONDS must be a whole number"),
        ("HOTLINE_HSTS_SECONDS", "-1", "HOTLINE_HSTS_SECONDS must be at least 0"),
        ("HOTLINE_HSTS_PRELOAD", "please", "HOTLINE_HSTS_PRELOAD must be a boolean"),
        ("HOTLINE_HSTS_INCLUDE_SUBDOMAINS", "2", "HOTLINE_HSTS_INCLUDE_SUBDOMAINS must be a"),
        ("HOTLINE_PROXY_SSL_HEADER", "X Forwarded Proto", "HOTLINE_PROXY_SSL_HEADER must be a"),
        ("HOTLINE_PROXY_SSL_HEADER", "X-Forwarded-Proto=", "HOTLINE_PROXY_SSL_HEADER must be a"),
        ("HOTLINE_LOCKOUT_FAILURES", "five", "HOTLINE_LOCKOUT_FAILURES must be a whole number"),
        ("HOTLINE_LOCKOUT_FAILURES", "0", "HOTLINE_LOCKOUT_FAILURES must be at least 1"),
        ("HOTLINE_LOCKOUT_FAILURES", "50", "HOTLINE_LOCKOUT_FAILURES must be at most 20"),
        ("HOTLINE_LOCKOUT_MINUTES", "30m", "HOTLINE_LOCKOUT_MINUTES must be a whole number"),
        ("HOTLINE_LOCKOUT_MINUTES", "0", "HOTLINE_LOCKOUT_MINUTES must be at least 1"),
        ("HOTLINE_SESSION_IDLE_MINUTES", "1", "HOTLINE_SESSION_IDLE_MINUTES must be at least 5"),
        ("HOTLINE_SESSION_IDLE_MINUTES", "600", "HOTLINE_SESSION_IDLE_MINUTES must be at most"),
    ],
)
def test_it_refuses_a_malformed_value_naming_the_variable(variable, value, message):
    result = load_settings(**{"DEBUG": "0", "SECRET_KEY": GOOD_KEY, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_it_reads_postgres_from_database_url():
    config = env.env_database(
        "DATABASE_URL", "/unused", environ={"DATABASE_URL": "postgres://u:p@db.internal:5433/hl"}
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        5433,
        "hl",
        "u",
    )


def test_it_uses_a_sqlite_file_when_database_url_is_absent(tmp_path):
    config = env.env_database("DATABASE_URL", tmp_path / "h.sqlite3", environ={})
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "h.sqlite3")


def test_a_sqlite_url_gets_the_same_safe_options_as_the_default_file(tmp_path):
    given = env.env_database(
        "DATABASE_URL", "/unused", environ={"DATABASE_URL": f"sqlite:///{tmp_path}/h.sqlite3"}
    )
    default = env.env_database("DATABASE_URL", tmp_path / "h.sqlite3", environ={})
    assert given == default


def test_a_database_url_without_a_database_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must name a database"):
        env.env_database("DATABASE_URL", "/unused", environ={"DATABASE_URL": "postgres://db/"})


def test_the_broker_falls_back_from_celery_broker_url_to_redis_url():
    names = ["CELERY_BROKER_URL", "REDIS_URL"]
    assert env.env_broker(names, environ={}) is None
    assert env.env_broker(names, environ={"REDIS_URL": "redis://r:6379/1"}) == "redis://r:6379/1"
    both = {"CELERY_BROKER_URL": "redis://a:6379/0", "REDIS_URL": "redis://b:6379/0"}
    assert env.env_broker(names, environ=both) == "redis://a:6379/0"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("OFF", False), (" 0 ", False)]
)
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert env.env_bool("DEBUG", None, environ={"DEBUG": raw}) is expected


def test_an_empty_variable_counts_as_absent():
    assert env.env_str("SECRET_KEY", "fallback", environ={"SECRET_KEY": "  "}) == "fallback"
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        env.env_str("SECRET_KEY", required=True, environ={"SECRET_KEY": ""})


def test_without_a_broker_tasks_run_in_process(settings):
    from hotline.celery import app

    if settings.CELERY_BROKER_URL is None:
        assert app.conf.task_always_eager is True
    else:
        assert app.conf.task_always_eager is False


def settings_values(*names, **variables):
    """The values of these settings, imported in a fresh interpreter with these variables."""
    keep = {"PATH", "HOME", "LANG", "HOTLINE_ENCRYPTION_KEYS", "HOTLINE_HASH_KEY"}
    environ = {key: value for key, value in os.environ.items() if key in keep}
    environ.update(variables)
    code = (
        "import json, hotline.settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REDIRECT_EXEMPT",
)


def test_with_debug_off_https_is_required_by_default():
    values = settings_values(*HTTPS_SETTINGS, DEBUG="0", SECRET_KEY=GOOD_KEY)
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
    }


def test_a_local_plain_http_run_turns_the_https_redirect_and_secure_cookies_off():
    for variables in ({"DEBUG": "1"}, {"DEBUG": "0", "HOTLINE_HTTPS": "0"}):
        values = settings_values(*HTTPS_SETTINGS, SECRET_KEY=GOOD_KEY, **variables)
        assert values["SECURE_SSL_REDIRECT"] is False
        assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is False


def test_the_https_settings_come_from_the_environment():
    values = settings_values(
        *HTTPS_SETTINGS,
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
        HOTLINE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        HOTLINE_HSTS_SECONDS="600",
        HOTLINE_HSTS_INCLUDE_SUBDOMAINS="no",
        HOTLINE_HSTS_PRELOAD="off",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is values["SECURE_HSTS_PRELOAD"] is False


def test_a_proxy_header_may_name_its_own_value():
    header = env.env_proxy_ssl_header(
        "HOTLINE_PROXY_SSL_HEADER", environ={"HOTLINE_PROXY_SSL_HEADER": "X-Forwarded-Ssl=on"}
    )
    assert header == ("HTTP_X_FORWARDED_SSL", "on")


def test_lockout_and_idle_sessions_default_to_five_failures_thirty_minutes_and_thirty_minutes():
    values = settings_values(
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_HANDLER",
        "SESSION_COOKIE_AGE",
        "SESSION_SAVE_EVERY_REQUEST",
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
    )
    assert values == {
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": "0:30:00",
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_HANDLER": "axes.handlers.database.AxesDatabaseHandler",
        "SESSION_COOKIE_AGE": 1800,
        "SESSION_SAVE_EVERY_REQUEST": True,
    }


def test_lockout_and_idle_sessions_come_from_the_environment():
    values = settings_values(
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "SESSION_COOKIE_AGE",
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
        HOTLINE_LOCKOUT_FAILURES="3",
        HOTLINE_LOCKOUT_MINUTES="90",
        HOTLINE_SESSION_IDLE_MINUTES="15",
    )
    assert values == {
        "AXES_FAILURE_LIMIT": 3,
        "AXES_COOLOFF_TIME": "1:30:00",
        "SESSION_COOKIE_AGE": 900,
    }


def test_argon2_hashes_new_passwords_and_older_hashes_still_verify():
    from hotline import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS
