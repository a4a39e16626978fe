"""Strict readers for settings that come from the environment.

Every reader names the variable in its error, so a bad deployment fails at start-up with a
message that says which variable to fix, instead of running with a silently wrong value.
"""

import os
import re
import zoneinfo
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name, environ):
    value = (environ if environ is not None else os.environ).get(name)
    if value is None:
        return None
    value = value.strip()
    return value if value != "" else None


def env_str(name, default=None, *, required=False, environ=None):
    value = _raw(name, environ)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name, default, *, environ=None):
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (one of 1, 0, true, false, yes, no, on, off), not {value!r}."
    )


def env_int(name, default, *, minimum=None, maximum=None, environ=None):
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}.")
    return number


def env_list(name, default, *, environ=None):
    value = _raw(name, environ)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list without empty items.")
    return items


def env_timezone(name, default, *, environ=None):
    value = _raw(name, environ) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as UTC or America/New_York, not {value!r}."
        ) from None
    return value


_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def _sqlite(path):
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets the web server, a worker and a shell read while one of them writes;
            # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers
            # wait for each other (up to `timeout` seconds) instead of failing half-way.
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def env_database(name, default_sqlite_path, *, environ=None):
    """A DATABASE_URL parsed into Django's DATABASES entry: SQLite or PostgreSQL only."""
    value = _raw(name, environ)
    if value is None:
        return _sqlite(default_sqlite_path)
    scheme = urlparse(value).scheme
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:// or postgres:// URL, not one starting with {scheme!r}:."
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from None
    if not config.get("NAME") or config["NAME"] == ":memory:":
        raise ImproperlyConfigured(
            f"{name} must name a database, e.g. postgres://host/hotline or "
            "sqlite:////srv/hotline/hotline.sqlite3 (an in-memory database loses everything)."
        )
    if scheme == "sqlite":
        return _sqlite(config["NAME"])
    return config


_BROKER_SCHEMES = {"redis", "rediss"}


def env_broker(names, *, environ=None):
    """The first of `names` that is set, as a Redis URL; None when none is set."""
    for name in names:
        value = _raw(name, environ)
        if value is None:
            continue
        parsed = urlparse(value)
        if parsed.scheme not in _BROKER_SCHEMES or not parsed.hostname:
            raise ImproperlyConfigured(
                f"{name} must be a redis:// URL such as redis://127.0.0.1:6379/0, not {value!r}."
            )
        try:
            parsed.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a malformed port: {value!r}.") from None
        return value
    return None


def env_origins(name, default, *, environ=None):
    """Comma-separated origins, each with its scheme: https://hotline.example.org."""
    origins = env_list(name, default, environ=environ)
    for origin in origins:
        parsed = urlparse(origin)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ImproperlyConfigured(
                f"{name} must list origins with their scheme, such as "
                f"https://hotline.example.org, not {origin!r}."
            )
    return origins


def env_choice(name, default, choices, *, environ=None):
    value = _raw(name, environ)
    if value is None:
        return default
    normalised = value.upper() if all(c.isupper() for c in choices) else value
    if normalised not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return normalised


_HEADER_NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def env_proxy_ssl_header(name, *, environ=None):
    """The header an HTTPS reverse proxy sets to say the client's request was HTTPS, as Django's
    SECURE_PROXY_SSL_HEADER: `X-Forwarded-Proto` (meaning `X-Forwarded-Proto: https`) or
    `Name=value` for a proxy that uses another value. None when unset."""
    value = _raw(name, environ)
    if value is None:
        return None
    header, separator, expected = (part.strip() for part in value.partition("="))
    if not separator:
        expected = "https"
    if not _HEADER_NAME.fullmatch(header) or not expected or any(c.isspace() for c in expected):
        raise ImproperlyConfigured(
            f"{name} must be a header name such as X-Forwarded-Proto, or Name=value such as "
            f"X-Forwarded-Ssl=on, not {value!r}."
        )
    return ("HTTP_" + header.upper().replace("-", "_"), expected)
