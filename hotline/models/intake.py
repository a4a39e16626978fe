"""Intake: every call (a "signal") and every tip, whether or not it becomes a case."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.db import choices_constraint
from hotline.validators import validate_language_code


class TraffickingType(models.TextChoices):
    SEX = "sex", "Sex trafficking"
    LABOR = "labor", "Labor trafficking"
    SEX_AND_LABOR = "sex_and_labor", "Sex and labor trafficking"
    UNKNOWN = "unknown", "Unknown"


class Urgency(models.IntegerChoices):
    # Stored as numbers so that "most urgent first" is a plain descending sort.
    ROUTINE = 0, "Routine"
    URGENT = 1, "Urgent"
    IMMINENT_DANGER = 2, "Imminent danger"


class CallChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    CHAT = "chat", "Chat"
    EMAIL = "email", "E-mail"
    WEB_FORM = "web_form", "Web form"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallerType(models.TextChoices):
    POTENTIAL_VICTIM = "potential_victim", "Potential victim"
    SURVIVOR = "survivor", "Survivor"
    FAMILY_OR_FRIEND = "family_or_friend", "Family or friend"
    COMMUNITY_MEMBER = "community_member", "Community member"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    SERVICE_PROVIDER = "service_provider", "Service provider"
    BUSINESS = "business", "Business"
    ANONYMOUS = "anonymous", "Anonymous"


class CallReason(models.TextChoices):
    TRAFFICKING_TIP = "trafficking_tip", "Trafficking tip"
    CRISIS = "crisis", "Crisis"
    SERVICES_REQUEST = "services_request", "Request for services"
    GENERAL_INFORMATION = "general_information", "General information"
    NOT_RELATED = "not_related", "Not related to trafficking"


class Call(models.Model):
    Channel = CallChannel
    Direction = CallDirection
    CallerType = CallerType
    Reason = CallReason

    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default="inbound")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=3,
        default="en",
        validators=[validate_language_code],
        help_text="ISO 639 code of the language spoken.",
    )
    caller_type = models.CharField(max_length=20, choices=CallerType.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    region = models.ForeignKey(
        "hotline.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    summary = models.TextField(blank=True)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.ROUTINE)
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls_taken",
    )
    # Set by the form or client that sends the record, once per record it means to create:
    # a double click, a retry after a lost connection or a resubmitted draft carry the same key
    # and get the record the first attempt made (hotline.services.call_log / tip_submit).
    intake_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            choices_constraint("channel", CallChannel),
            choices_constraint("direction", CallDirection),
            choices_constraint("caller_type", CallerType),
            choices_constraint("reason", CallReason),
            choices_constraint("urgency", Urgency),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="hotline_call_ends_after_it_starts",
                violation_error_message=_("A call cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(language__regex=r"^[a-z]{2,3}$"),
                name="hotline_call_language_code",
                violation_error_message=_(
                    "Use a lower-case ISO 639 language code such as en or es."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["-started_at"], name="call_started_idx"),
            models.Index(fields=["reason", "-started_at"], name="call_reason_started_idx"),
            models.Index(fields=["advocate", "-started_at"], name="call_advocate_started_idx"),
            models.Index(fields=["-urgency", "-started_at"], name="call_urgency_started_idx"),
        ]

    def __str__(self):
        return f"Call #{self.pk} ({self.get_channel_display()}, {self.started_at:%Y-%m-%d})"

    @property
    def duration(self):
        return None if self.ended_at is None else self.ended_at - self.started_at


# Shown to anonymous tipsters, so it must not be guessable or reveal how many tips exist: 8
# characters from 32 (no 0/O or 1/I to misread) give 40 bits.
TIP_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def tip_reference(choose=secrets.choice):
    """A tip reference, T-XXXX-XXXX, drawing each character with `choose(alphabet)`."""
    body = "".join(choose(TIP_REFERENCE_ALPHABET) for _ in range(8))
    return f"T-{body[:4]}-{body[4:]}"


def new_tip_reference():
    return tip_reference()


class TipSource(models.TextChoices):
    CALL = "call", "Call"
    WEB_FORM = "web_form", "Public web form"
    PARTNER = "partner", "Partner"


class TipTriageState(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    LINKED = "linked", "Linked to a case"
    DUPLICATE = "duplicate", "Duplicate"
    NO_ACTION = "no_action", "No action"


class Tip(models.Model):
    """A report of possible trafficking, from a call, the public web form or a partner."""

    Source = TipSource
    TriageState = TipTriageState

    reference = models.CharField(max_length=11, unique=True, default=new_tip_reference)
    source = models.CharField(max_length=10, choices=Source.choices)
    call = models.OneToOneField(
        Call, null=True, blank=True, on_delete=models.PROTECT, related_name="tip"
    )
    organisation = models.ForeignKey(
        "hotline.PartnerOrganisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips",
        help_text="The partner that sent the tip, for partner tips.",
    )
    received_at = models.DateTimeField(default=timezone.now)
    observed = models.TextField(help_text="What was seen or heard.")
    region = models.ForeignKey(
        "hotline.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="tips"
    )
    address = models.TextField(blank=True)
    industry = models.ForeignKey(
        "hotline.Industry", null=True, blank=True, on_delete=models.PROTECT, related_name="tips"
    )
    trafficking_type = models.CharField(
        max_length=16, choices=TraffickingType.choices, default=TraffickingType.UNKNOWN
    )
    indicators = models.ManyToManyField(
        "hotline.Code",
        blank=True,
        related_name="tips",
        limit_choices_to={"list": "ilo_ForcedLabourIndicator"},
    )
    people_mentioned = models.TextField(blank=True)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.ROUTINE)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips_submitted",
    )
    triage_state = models.CharField(
        max_length=10, choices=TriageState.choices, default=TriageState.NEW
    )
    triage_reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tips_triaged",
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    # Set by the form or client that sends the record, once per record it means to create:
    # a double click, a retry after a lost connection or a resubmitted draft carry the same key
    # and get the record the first attempt made (hotline.services.call_log / tip_submit).
    intake_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            choices_constraint("source", TipSource),
            choices_constraint("trafficking_type", TraffickingType),
            choices_constraint("urgency", Urgency),
            choices_constraint("triage_state", TipTriageState),
            models.CheckConstraint(
                condition=Q(reference__regex=r"^T-[A-Z2-9]{4}-[A-Z2-9]{4}$"),
                name="hotline_tip_reference_format",
                violation_error_message=_("A tip reference looks like T-ABCD-2345."),
            ),
            models.CheckConstraint(
                condition=~Q(source="call") | Q(call__isnull=False),
                name="hotline_tip_from_call_has_call",
                violation_error_message=_("A tip from a call names its call."),
            ),
            models.CheckConstraint(
                condition=~Q(source="partner") | Q(organisation__isnull=False),
                name="hotline_tip_from_partner_has_organisation",
                violation_error_message=_("A tip from a partner names the partner."),
            ),
            models.CheckConstraint(
                condition=~Q(triage_state="duplicate") | Q(duplicate_of__isnull=False),
                name="hotline_tip_duplicate_names_original",
                violation_error_message=_("Say which tip this one duplicates."),
            ),
            models.CheckConstraint(
                condition=~Q(triage_state__in=["duplicate", "no_action"]) | ~Q(triage_reason=""),
                name="hotline_tip_closed_tip_has_reason",
                violation_error_message=_("Give a reason, so a reviewer can follow it."),
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")),
                name="hotline_tip_not_duplicate_of_itself",
                violation_error_message=_("A tip cannot duplicate itself."),
            ),
        ]
        indexes = [
            # The triage queue: new tips first, most urgent on top, oldest first.
            models.Index(
                fields=["triage_state", "-urgency", "received_at"], name="tip_triage_queue_idx"
            ),
            models.Index(fields=["-received_at"], name="tip_received_idx"),
        ]

    def __str__(self):
        return self.reference
