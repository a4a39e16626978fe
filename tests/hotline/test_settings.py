"""Settings come from the environment only and refuse bad values, naming the variable."""

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
    environ = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
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
