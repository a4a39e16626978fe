"""What the partner API keeps: access tokens, idempotency records and rate-limit counters."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A token reads "hl_<prefix>_<secret>": the prefix is kept in clear to tell tokens apart in
# the admin and in support conversations; the whole token is kept only as its SHA-256.
TOKEN_PREFIX_LENGTH = 8


def token_digest(token):
    """The SHA-256 of a token, as stored. The secret is 256 random bits, so a plain hash is as
    strong as a slow one and lets every request find its token with one indexed lookup."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_generate():
    """A new token and its displayable prefix."""
    prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
    return f"hl_{prefix}_{secrets.token_urlsafe(32)}", prefix


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A bearer token for the API, tied to one account (and so, for a partner, to its
    organisation). Issued with `manage.py issue_token`, revoked in the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(max_length=120, blank=True, help_text="What the token is for.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="hotline_apitoken_expires_after_creation",
                violation_error_message=_("A token expires after it is issued."),
            ),
            models.CheckConstraint(
                condition=Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="hotline_apitoken_digest_is_sha256",
                violation_error_message=_("A token is stored as its SHA-256 only."),
            ),
        ]

    def __str__(self):
        return f"hl_{self.prefix}_… ({self.user})"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST sent with an Idempotency-Key, replayed to any retry
    with the same key and body (hotline/api/idempotency.py). Kept 24 hours."""

    # Whose key it is: "user:<id>" or, for anonymous public tips, "anon:<address>"; a key only
    # ever means something to the client that made it up.
    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    # What the key was used for: method, path and the body's SHA-256.
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The JSON sent the first time, byte for byte.
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"],
                name="hotline_idempotency_key_once_per_owner",
                violation_error_message=_("This Idempotency-Key was already used."),
            )
        ]

    def __str__(self):
        return f"{self.owner} {self.key[:16]}"


class ApiRateCounter(models.Model):
    """Requests counted in one rate-limit window, when no Redis is configured: the database is
    shared by every web process, a process's memory is not."""

    bucket = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.bucket
