"""Settings for Hotline, read from the environment only (see docs/configuration.md).

A missing or malformed value stops start-up with a message naming the variable.
"""

import re
from datetime import timedelta
from pathlib import Path

import phonenumbers
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from hotline.env import (
    env_bool,
    env_broker,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_origins,
    env_proxy_ssl_header,
    env_str,
    env_timezone,
)
from hotline.keys import development_key, env_fernet_keys, env_hash_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"
elif len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "hotline",
    "cases",
    "reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, so that every response below it gets the policy: static
    # files, redirects, error pages.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "hotline.audit.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sends a signed-in person who still owes a second factor to set it up or to enter it.
    "hotline.accounts.TwoFactorMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"
AUTH_USER_MODEL = "hotline.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hotline.accounts.session_timeout",
                "hotline.views.navigation",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "hotline.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite creates the file but not its folder; a fresh clone has no var/.
    VAR_DIR.mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts: passwords, lockout, idle sessions, two-factor (docs/security.md) ---------------

# Argon2 for every new or changed password. The others stay so that a password stored with
# one of them still works; it is re-hashed with Argon2 at its next successful sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout check comes first: a locked-out sign-in is refused before its password is tried.
AUTHENTICATION_BACKENDS = [
    "hotline.accounts.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout (django-axes): this many failed sign-ins for one username from one IP address lock
# that pair for this many minutes. The failures are counted in the database, so every web
# process sees the same count.
HOTLINE_LOCKOUT_FAILURES = env_int("HOTLINE_LOCKOUT_FAILURES", 5, minimum=1, maximum=20)
HOTLINE_LOCKOUT_MINUTES = env_int("HOTLINE_LOCKOUT_MINUTES", 30, minimum=1, maximum=1440)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = HOTLINE_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=HOTLINE_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lock runs from the failure that set it; trying again while locked does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in forgets the earlier failures of that username and address.
AXES_RESET_ON_SUCCESS = True
# How many reverse proxies stand in front of the web servers (docs/security.md): the client's
# address is then read from the X-Forwarded-For entries they add, never from entries a client
# could write itself. 0 (the default): the peer that connected is the client.
HOTLINE_TRUSTED_PROXIES = env_int("HOTLINE_TRUSTED_PROXIES", 0, minimum=0, maximum=5)
# The client's address, the one the audit trail records (hotline.audit.client_ip).
AXES_CLIENT_IP_CALLABLE = "hotline.audit.client_ip"
# What was typed as a username is kept only when it names an account; anything else (a phone
# number, a password typed in the wrong box) is kept as its keyed hash, still counted.
AXES_USERNAME_CALLABLE = "hotline.accounts.lockout_username"
# Sign-ins and sign-outs are in the audit trail already (hotline.audit); no second log with
# user agents and addresses.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "hotline.accounts.lockout_response"

# Idle sessions end: each request renews the session for this many minutes, and the pages
# warn two minutes before the end (static/js/session-timeout.js). Closing the browser ends
# the session too, which matters on shared desks.
HOTLINE_SESSION_IDLE_MINUTES = env_int("HOTLINE_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=480)
SESSION_COOKIE_AGE = HOTLINE_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# Two-factor sign-in (django-otp): an authenticator app (TOTP) with one-time backup codes.
# Required for supervisors and administrators; hotline.accounts.TwoFactorMiddleware enforces it.
OTP_TOTP_ISSUER = env_str("HOTLINE_OTP_ISSUER", "Hotline")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
# Messages can name a record (an identifier's value, a person's name): keep them in the
# session, on the server, not in a signed but readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Celery. Without a broker, tasks run in-process at the moment they are enqueued, so a single
# desk can run Hotline with no Redis at all.
CELERY_BROKER_URL = env_broker(["CELERY_BROKER_URL", "REDIS_URL"])
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A request must not hang when Redis is down: publishing gives up quickly and the periodic
# sweeps pick the work up once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "hotline.tasks.worker_heartbeat", "schedule": 60.0},
    "sessions-clear": {"task": "hotline.tasks.sessions_clear", "schedule": 3600.0},
    # The retention policy (docs/retention.md), daily at 03:30 in TIME_ZONE, when desks are
    # quiet; it does nothing when HOTLINE_RETENTION_YEARS is 0.
    "retention-apply": {
        "task": "cases.tasks.retention_apply",
        "schedule": crontab(hour=3, minute=30),
    },
    # Statistics (docs/rollups.md): the days the source tables' triggers marked are recomputed
    # every minute; a full rebuild reconciles nightly; every table is written anew weekly.
    "rollup-sweep": {
        "task": "reports.tasks.rollup_sweep",
        "schedule": float(env_int("HOTLINE_ROLLUP_SWEEP_SECONDS", 60, minimum=1, maximum=3600)),
    },
    "rollup-rebuild": {
        "task": "reports.tasks.rollup_rebuild",
        "schedule": crontab(hour=2, minute=45),
    },
    "rollup-rewrite": {
        "task": "reports.tasks.rollup_rewrite",
        "schedule": crontab(hour=3, minute=15, day_of_week=0),
    },
    # Idempotency keys older than 24 hours and finished rate-limit windows (docs/api.md).
    "api-records-purge": {"task": "hotline.tasks.api_records_purge", "schedule": 3600.0},
    # Cross-case matching of what was added since the last sweep, for paths that enqueue
    # nothing (bulk loads) and messages lost while the broker was down (docs/linking.md).
    "match-sweep": {"task": "cases.tasks.match_sweep", "schedule": 300.0},
    # Forwarding rules and deadline notices (docs/forwarding.md).
    "forwarding-sweep": {"task": "cases.tasks.forwarding_sweep", "schedule": 60.0},
}

# Link suggestions (docs/linking.md): how close two names must be, from 0 to 100 (rapidfuzz's
# token-sort ratio), to be suggested as the same person or venue.
HOTLINE_MATCH_THRESHOLD = env_int("HOTLINE_MATCH_THRESHOLD", 88, minimum=50, maximum=100)
# Forwarding deadlines (docs/forwarding.md): how long before a deadline supervisors are warned
# and the deadlines queue counts it as due soon.
HOTLINE_DEADLINE_WARNING_HOURS = env_int(
    "HOTLINE_DEADLINE_WARNING_HOURS", 4, minimum=1, maximum=168
)

# Mail: forwarding-deadline notices (docs/forwarding.md). Without EMAIL_HOST, messages are
# written to the log in development and refused loudly in production, rather than handed to
# an SMTP server on localhost that is probably not there.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hotline@localhost")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "hotline.mail.UnconfiguredEmailBackend"

# The country whose numbering plan applies to a phone number written without a country code.
HOTLINE_DEFAULT_PHONE_REGION = env_str("HOTLINE_DEFAULT_PHONE_REGION", "US").upper()
if HOTLINE_DEFAULT_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        "HOTLINE_DEFAULT_PHONE_REGION must be a two-letter ISO 3166-1 country code with a phone "
        f"numbering plan, such as US or MX, not {HOTLINE_DEFAULT_PHONE_REGION!r}."
    )
# The public tip form (/tip/) stores at most this many tips from one IP address in this many
# minutes (docs/web.md); more get a 429 page. Counted in the database, so every web process
# sees the same count. 0 turns the limit off.
HOTLINE_PUBLIC_TIP_LIMIT = env_int("HOTLINE_PUBLIC_TIP_LIMIT", 10, minimum=0, maximum=10_000)
HOTLINE_PUBLIC_TIP_WINDOW_MINUTES = env_int(
    "HOTLINE_PUBLIC_TIP_WINDOW_MINUTES", 60, minimum=1, maximum=7 * 24 * 60
)
# The statistics API withholds counts from 1 to this value minus one from partners, with the
# cells needed so that none can be worked out from the others (docs/statistics.md).
HOTLINE_STATS_SUPPRESS_BELOW = env_int("HOTLINE_STATS_SUPPRESS_BELOW", 11, minimum=1, maximum=1000)
# A worker heartbeat older than this makes /healthz report the workers as late.
HOTLINE_HEARTBEAT_STALE_SECONDS = env_int("HOTLINE_HEARTBEAT_STALE_SECONDS", 300, minimum=60)

# Identity fields (party names, dates of birth, identifier values) are encrypted at rest with
# these Fernet keys, newest first; identifiers also carry a keyed hash (HMAC-SHA256 with
# HOTLINE_HASH_KEY) so that they can be matched without decrypting. See docs/security.md.
HOTLINE_ENCRYPTION_KEYS = env_fernet_keys(
    "HOTLINE_ENCRYPTION_KEYS",
    default=development_key(SECRET_KEY, "encryption") if DEBUG else None,
)
HOTLINE_HASH_KEY = env_hash_key(
    "HOTLINE_HASH_KEY", default=development_key(SECRET_KEY, "hash") if DEBUG else None
)

# Retention (docs/retention.md): the identities in cases closed (closed or closed-referred) more
# than this many years ago are erased, daily (cases.tasks.retention_apply) or with
# `manage.py retention --apply`; statistics are kept. 0 keeps everything forever.
HOTLINE_RETENTION_YEARS = env_int("HOTLINE_RETENTION_YEARS", 7, minimum=0, maximum=100)

# The API (docs/api.md): sessions for the browser, bearer tokens for partners and tools; one
# error shape; rate limits counted where every web process sees them (hotline/api/throttles.py).


def _api_rate(name, default):
    value = env_str(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", value):
        raise ImproperlyConfigured(
            f"{name} must look like 120/minute (a number, then second, minute, hour or day), "
            f"not {value!r}."
        )
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hotline.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hotline.api.permissions.HasRole"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "hotline.api.pagination.Pages",
    "DEFAULT_THROTTLE_CLASSES": ["hotline.api.throttles.PerClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": _api_rate("HOTLINE_API_RATE_USER", "1200/minute"),
        "anon": _api_rate("HOTLINE_API_RATE_ANON", "120/minute"),
        "public_tips": _api_rate("HOTLINE_API_RATE_PUBLIC_TIPS", "10/minute"),
        # Refused tokens per address (hotline.api.throttles.FailedTokenLimit).
        "bad_tokens": _api_rate("HOTLINE_API_RATE_BAD_TOKENS", "30/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["hotline.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hotline.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Where rate-limit counters live: this Redis when set (by default the Celery broker's), else
# the database. Never Django's default cache, which is each process's own memory.
HOTLINE_API_THROTTLE_REDIS_URL = env_str("HOTLINE_API_THROTTLE_REDIS_URL", CELERY_BROKER_URL)
# `make bench-api` only: routes the bare INSERT and SELECT endpoints it compares the API with.
HOTLINE_API_BENCH = env_bool("HOTLINE_API_BENCH", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Hotline API",
    "DESCRIPTION": (
        "The partner REST API of the Hotline case-management system. Partners see the cases "
        "referred to their organisation, without victims' identities unless a referral shares "
        "them; hotline staff see what their role allows. Every error is "
        '`{"error": {"code", "message", "fields"}}`. See docs/api.md for a quick start.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    # Served from our own static files (drf-spectacular-sidecar): no CDN, and the page passes
    # the strict Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hotline.api.schema.add_error_responses",
    ],
}

# --- HTTPS and security headers (docs/security.md) ------------------------------------------

# Whether people reach Hotline over HTTPS (directly or through an HTTPS reverse proxy). On by
# default when DEBUG is off: plain-HTTP requests are redirected to HTTPS and the session and
# CSRF cookies are sent over HTTPS only. Off only for a local plain-HTTP run (make stack).
HOTLINE_HTTPS = env_bool("HOTLINE_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HOTLINE_HTTPS
# The health report stays reachable over plain HTTP: the compose healthcheck calls the
# container directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HOTLINE_HTTPS
CSRF_COOKIE_SECURE = HOTLINE_HTTPS
# Behind an HTTPS reverse proxy: the header it sets on requests that came in over HTTPS. Set
# it only when the proxy overwrites that header on every request.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("HOTLINE_PROXY_SSL_HEADER")
# Sent on HTTPS responses only; browsers then refuse plain HTTP for this long.
SECURE_HSTS_SECONDS = env_int("HOTLINE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HOTLINE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HOTLINE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response: scripts and styles only from our own files (no
# inline script, no inline style, no CDN), no framing, forms post only to this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
    },
}

# --- Logging: stderr, personal data masked (hotline/logging.py) ------------------------------

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "hotline.logging.MaskPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers go: its e-mails to ADMINS (with request data) and its
        # development console. Everything reaches the one masked handler above.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        # SQL with its parameters (names, numbers) is never logged, whatever LOG_LEVEL says.
        "django.db.backends": {"level": "INFO"},
        # django-axes reports each failure and lockout as a warning; its INFO lines repeat
        # what the audit trail records.
        "axes": {"level": "WARNING"},
    },
}
# Error reports (the DEBUG page, or e-mails should anyone configure them) show no form data
# and no local variables when DEBUG is off.
DEFAULT_EXCEPTION_REPORTER_FILTER = "hotline.logging.NoPersonalDataReporterFilter"
# Celery keeps the handler above instead of installing its own, unmasked one.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
