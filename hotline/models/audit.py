"""The audit trail: who looked at or changed what, and every sign-in, as one row each."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.db import AppendOnlyQuerySet, choices_constraint


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed")
    EXPORT = "export", _("Exported")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    OTP_ENROLLED = "otp_enrolled", _("Two-factor set up")
    OTP_PASSED = "otp_passed", _("Second factor passed")
    OTP_FAILED = "otp_failed", _("Second factor refused")
    OTP_CODES = "otp_codes", _("Backup codes replaced")


class AuditAppendOnlyError(Exception):
    pass


class AuditEntry(models.Model):
    """One audited action. Holds ids and codes only, never names, numbers or free text, so the
    trail itself exposes nobody. Append-only: the model refuses changes, and on PostgreSQL a
    trigger refuses UPDATE and DELETE whoever asks."""

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_kind = models.CharField(max_length=32, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    # For lists and exports: the ids of every row shown or written out.
    object_ids = models.JSONField(default=list, blank=True)
    # The case the object belongs to (or is), so a case's whole trail is one filter. A plain
    # number rather than a foreign key: the hotline app sits below the cases app.
    case_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What a statistics query asked for (metric, dimensions, dates: codes only), so that what a
    # partner pulled can be read from the trail itself.
    query = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"
        constraints = [choices_constraint("action", AuditAction)]
        indexes = [
            models.Index(fields=["-at"], name="audit_at_idx"),
            models.Index(fields=["user", "-at"], name="audit_user_at_idx"),
            models.Index(fields=["case_id", "-at"], name="audit_case_at_idx"),
            models.Index(fields=["object_kind", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_kind} {self.object_id or ''}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditAppendOnlyError("Audit entries are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditAppendOnlyError("Audit entries are append-only: they cannot be deleted.")
