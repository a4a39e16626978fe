"""Trafficking cases and everything recorded about them."""

import re

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.workflow import CLOSED_STATUSES, OPEN_STATUSES, Status
from hotline.crypto import EncryptedCharField, EncryptedDateField, EncryptedTextField, keyed_hash
from hotline.db import AppendOnlyQuerySet, choices_constraint
from hotline.models import PartnerOrganisation, TraffickingType
from hotline.validators import validate_country_code

REFERENCE_PATTERN = r"^HT-[0-9]{4}-[0-9]{6}$"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class ClosingReason(models.TextChoices):
    SERVICES_PROVIDED = "services_provided", "Services provided"
    REFERRED_TO_LAW_ENFORCEMENT = "referred_to_law_enforcement", "Referred to law enforcement"
    REFERRED_TO_SERVICES = "referred_to_services", "Referred to a service provider"
    NO_TRAFFICKING_INDICATED = "no_trafficking_indicated", "No indicators of trafficking"
    UNABLE_TO_CONTACT = "unable_to_contact", "Unable to contact"
    DECLINED_ASSISTANCE = "declined_assistance", "Declined assistance"
    DUPLICATE = "duplicate", "Duplicate of another case"
    OTHER = "other", "Other"


class Case(models.Model):
    Status = Status

    reference = models.CharField(max_length=14, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    closing_reason = models.CharField(max_length=32, choices=ClosingReason.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    trafficking_type = models.CharField(
        max_length=16, choices=TraffickingType.choices, default=TraffickingType.UNKNOWN
    )
    industry = models.ForeignKey(
        "hotline.Industry", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    region = models.ForeignKey(
        "hotline.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    summary = models.TextField(blank=True)
    victim_count = models.PositiveIntegerField(
        default=0,
        help_text="Potential victims reported, including those not recorded as parties.",
    )
    methods_of_control = models.ManyToManyField(
        "hotline.Code",
        blank=True,
        related_name="cases_controlled",
        limit_choices_to={"list": "vic_MethodsOfControl"},
    )
    exploitation_types = models.ManyToManyField(
        "hotline.Code",
        blank=True,
        related_name="cases_exploited",
        limit_choices_to={"list": "vic_TypeOfExploitation"},
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    team = models.ForeignKey(
        "hotline.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    is_restricted = models.BooleanField(
        default=False,
        help_text="For a case only its assignee and supervisors should see (a staff member's "
        "relative, a high-profile case); the access rules enforce it.",
    )
    calls = models.ManyToManyField("hotline.Call", blank=True, related_name="cases")
    tips = models.ManyToManyField("hotline.Tip", blank=True, related_name="cases")
    version = models.PositiveIntegerField(default=1, editable=False)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_created",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # When the retention policy last erased this case's identities (cases/retention.py). A
    # case erased, reopened and closed again is erased again once that closing is old enough.
    identities_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # An advocate's request that a supervisor close the case (Action.APPROVE_CLOSURE), pending
    # while closure_requested_at is set and the case is open. Nullable, with no default, so that
    # adding them altered the table in place on SQLite too, keeping its status trigger.
    closure_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closure_requested_status = models.CharField(  # noqa: DJ001 - see above
        max_length=16, choices=Status.choices, null=True, blank=True, editable=False
    )
    closure_requested_reason = models.CharField(  # noqa: DJ001 - see above
        max_length=32, choices=ClosingReason.choices, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            choices_constraint("status", Status),
            choices_constraint("closing_reason", ClosingReason, allow_blank=True),
            choices_constraint("priority", Priority),
            choices_constraint("trafficking_type", TraffickingType),
            models.CheckConstraint(
                condition=Q(reference__regex=REFERENCE_PATTERN),
                name="cases_case_reference_format",
                violation_error_message=_("A case reference looks like HT-2026-000123."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=sorted(CLOSED_STATUSES), closed_at__isnull=False)
                    & ~Q(closing_reason="")
                )
                | Q(status__in=sorted(OPEN_STATUSES), closed_at__isnull=True, closing_reason=""),
                name="cases_case_closed_iff_reason_and_time",
                violation_error_message=_(
                    "A closed case has a closing reason and a closing time; "
                    "an open case has neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="cases_case_closes_after_it_opens",
                violation_error_message=_("A case cannot close before it opens."),
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="cases_case_version_positive",
                violation_error_message=_("A case's version starts at 1."),
            ),
        ]
        indexes = [
            # The case queue: open cases by status, most urgent first, oldest first.
            models.Index(fields=["status", "-priority", "opened_at"], name="case_queue_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status_idx"),
            models.Index(fields=["team", "status"], name="case_team_status_idx"),
            models.Index(fields=["-opened_at"], name="case_opened_idx"),
            # The API's case list filtered by status, newest first (its default order): the
            # page is the first rows of the status in this index, not every recent case
            # scanned for the status.
            models.Index(fields=["status", "-opened_at"], name="case_status_opened_idx"),
        ]

    def __str__(self):
        return self.reference


class CaseReferenceCounter(models.Model):
    """The last reference number handed out in each year (HT-<year>-<number>)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(last_number__lte=999_999),
                name="cases_counter_fits_six_digits",
                violation_error_message=_("This year has used all one million case references."),
            )
        ]

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class PartyKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"


class PartyRole(models.TextChoices):
    POTENTIAL_VICTIM = "potential_victim", "Potential victim"
    SURVIVOR = "survivor", "Survivor"
    RECRUITER = "recruiter", "Recruiter"
    TRANSPORTER = "transporter", "Transporter"
    DOCUMENT_FORGER = "document_forger", "Document forger"
    EXPLOITER = "exploiter", "Exploiter"
    CONTROLLER = "controller", "Controller"
    BUYER = "buyer", "Buyer"
    FACILITATOR = "facilitator", "Facilitator"
    WITNESS = "witness", "Witness"
    REPORTER = "reporter", "Reporter"


# Age bands of the Counter Trafficking Data Collaborative (ageBroad), so statistics can be
# compared with its published data.
class PartyAgeBand(models.TextChoices):
    AGE_0_8 = "0-8", "0-8"
    AGE_9_17 = "9-17", "9-17"
    AGE_18_20 = "18-20", "18-20"
    AGE_21_23 = "21-23", "21-23"
    AGE_24_26 = "24-26", "24-26"
    AGE_27_29 = "27-29", "27-29"
    AGE_30_38 = "30-38", "30-38"
    AGE_39_47 = "39-47", "39-47"
    AGE_48_PLUS = "48+", "48 and over"
    UNKNOWN = "unknown", "Unknown"


# HTCDS 2.0 prs_Gender, with the standard's codes.
class PartyGender(models.TextChoices):
    FEMININE = "Feminine", "Female"
    MASCULINE = "Masculine", "Male"
    TRANSGENDER_FEMININE = "TransgenderFeminine", "Transgender female"
    TRANSGENDER_MASCULINE = "TransgenderMasculine", "Transgender male"
    NON_CONFORMING = "NonConforming", "Gender non-conforming"
    UNKNOWN = "NonSpecifiedUnknown", "Not specified or unknown"


VICTIM_ROLES = frozenset({PartyRole.POTENTIAL_VICTIM, PartyRole.SURVIVOR})
MINOR_AGE_BANDS = frozenset({PartyAgeBand.AGE_0_8, PartyAgeBand.AGE_9_17})
ADULT_AGE_BANDS = frozenset(set(PartyAgeBand) - MINOR_AGE_BANDS - {PartyAgeBand.UNKNOWN})


class Party(models.Model):
    """A person or organisation in a case, in one role."""

    Kind = PartyKind
    Role = PartyRole
    AgeBand = PartyAgeBand
    Gender = PartyGender

    VICTIM_ROLES = VICTIM_ROLES
    MINOR_AGE_BANDS = MINOR_AGE_BANDS
    ADULT_AGE_BANDS = ADULT_AGE_BANDS
    # The HTCDS per_RoleInProcess code each perpetrator role is exported as.
    HTCDS_ROLE = {
        Role.RECRUITER: "RecruiterOrIntermediary",
        Role.TRANSPORTER: "Transporter",
        Role.DOCUMENT_FORGER: "Other",
        Role.EXPLOITER: "Exploiter",
        Role.CONTROLLER: "Exploiter",
        Role.BUYER: "Other",
        Role.FACILITATOR: "Other",
    }

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    role = models.CharField(max_length=20, choices=Role.choices)
    # Who a person is, encrypted at rest (hotline/crypto.py); their role and demographics stay
    # plain, for statistics.
    name = EncryptedCharField(max_length=200, blank=True)
    aliases = EncryptedCharField(max_length=300, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    gender = models.CharField(max_length=24, choices=Gender.choices, default=Gender.UNKNOWN)
    is_minor = models.BooleanField(null=True, blank=True, help_text="Empty when not known.")
    citizenship = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2 country code.",
    )
    description = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "role", "pk"]
        verbose_name_plural = "parties"
        constraints = [
            choices_constraint("kind", PartyKind),
            choices_constraint("role", PartyRole),
            choices_constraint("age_band", PartyAgeBand),
            choices_constraint("gender", PartyGender),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(VICTIM_ROLES)) | Q(kind="person"),
                name="cases_party_victim_is_a_person",
                violation_error_message=_(
                    "A potential victim or survivor is a person, not an organisation."
                ),
            ),
            models.CheckConstraint(
                condition=Q(citizenship="") | Q(citizenship__regex=r"^[A-Z]{2}$"),
                name="cases_party_citizenship_code",
                violation_error_message=_(
                    "Citizenship is a two-letter ISO 3166-1 country code such as MX."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(age_band__in=sorted(MINOR_AGE_BANDS)) | ~Q(is_minor=False),
                name="cases_party_child_age_band_is_minor",
                violation_error_message=_("Someone in a child's age band is a minor."),
            ),
            models.CheckConstraint(
                condition=~Q(age_band__in=sorted(ADULT_AGE_BANDS)) | ~Q(is_minor=True),
                name="cases_party_adult_age_band_is_not_minor",
                violation_error_message=_("Someone in an adult's age band is not a minor."),
            ),
        ]
        indexes = [models.Index(fields=["case", "role"], name="party_case_role_idx")]

    def __str__(self):
        return f"{self.get_role_display()} in {self.case_id}"


class IdentifierKind(models.TextChoices):
    PHONE = "phone", "Phone number"
    EMAIL = "email", "E-mail address"
    HANDLE = "handle", "Social-media handle"
    ADDRESS = "address", "Address"
    VEHICLE = "vehicle", "Vehicle"
    BUSINESS_NAME = "business_name", "Business name"
    PAYMENT_ACCOUNT = "payment_account", "Payment account"


class IdentifierPlatform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    SNAPCHAT = "snapchat", "Snapchat"
    TIKTOK = "tiktok", "TikTok"
    X = "x", "X (Twitter)"
    WECHAT = "wechat", "WeChat"
    LINE = "line", "Line"
    VIBER = "viber", "Viber"
    ONLYFANS = "onlyfans", "OnlyFans"
    OTHER = "other", "Other"


class Identifier(models.Model):
    """What lets an actor be recognised in another case: a phone number, an e-mail address...

    `value` is what was written; `normalised` is the canonical form that matching compares
    (see cases/identifiers.py). An identifier belongs to a case, to a tip, or to both once a
    case has been opened from the tip.
    """

    Kind = IdentifierKind
    Platform = IdentifierPlatform

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="identifiers"
    )
    tip = models.ForeignKey(
        "hotline.Tip", null=True, blank=True, on_delete=models.CASCADE, related_name="identifiers"
    )
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="identifiers"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    platform = models.CharField(max_length=12, choices=Platform.choices, blank=True)
    # What was typed and its normalised form are encrypted at rest; matching compares
    # value_hash, a keyed hash of the normalised form, so it never decrypts in a query.
    value = EncryptedCharField(max_length=300)
    normalised = EncryptedCharField(max_length=300)
    value_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            choices_constraint("kind", IdentifierKind),
            choices_constraint("platform", IdentifierPlatform, allow_blank=True),
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(tip__isnull=False),
                name="cases_identifier_belongs_to_case_or_tip",
                violation_error_message=_("An identifier belongs to a case or a tip."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="handle") & ~Q(platform=""))
                | (~Q(kind="handle") & Q(platform="")),
                name="cases_identifier_platform_only_for_handles",
                violation_error_message=_(
                    "A handle names its platform; other identifiers have none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(value_hash__regex=r"^[0-9a-f]{64}$"),
                name="cases_identifier_hash_of_normalised_value",
                violation_error_message=_(
                    "An identifier is stored with the keyed hash of its normalised value."
                ),
            ),
            models.UniqueConstraint(
                fields=["case", "kind", "platform", "value_hash"],
                condition=Q(case__isnull=False),
                name="cases_identifier_once_per_case",
                violation_error_message=_("This case already has this identifier."),
            ),
            models.UniqueConstraint(
                fields=["tip", "kind", "platform", "value_hash"],
                condition=Q(tip__isnull=False),
                name="cases_identifier_once_per_tip",
                violation_error_message=_("This tip already has this identifier."),
            ),
        ]
        indexes = [
            # Matching: every record with the same normalised value.
            models.Index(fields=["kind", "platform", "value_hash"], name="identifier_match_idx")
        ]

    def __str__(self):
        # Names the identifier without its value, which is not to be shown by accident (in a
        # message, a log line, the admin's history).
        return f"{self.get_kind_display()} #{self.pk}"

    def set_normalised(self, normalised):
        """Set the normalised value and the hash that matching compares, together."""
        self.normalised = normalised
        self.value_hash = keyed_hash(normalised)


def validate_currency_code(value):
    """An ISO 4217 currency code (pycountry's list), e.g. USD, EUR, MXN."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value or ""):
        raise ValidationError(
            _("A currency is a three-letter ISO 4217 code such as USD."), code="currency"
        )
    if pycountry.currencies.get(alpha_3=value) is None:
        raise ValidationError(
            _("%(code)s is not an ISO 4217 currency code."),
            code="currency",
            params={"code": value},
        )


class TransactionDirection(models.TextChoices):
    RECEIVED = "received", "Paid into the account"
    SENT = "sent", "Paid out of the account"


class TransactionClue(models.Model):
    """A payment seen on a payment account (an identifier of kind payment_account): what is
    known of it, an amount in a currency and when, or a range of dates for several payments.
    One account can show many; the per-cluster financial summary adds them up
    (cases/selectors.py, docs/linking.md "Financial leads")."""

    Direction = TransactionDirection

    identifier = models.ForeignKey(
        Identifier, on_delete=models.CASCADE, related_name="transaction_clues"
    )
    direction = models.CharField(
        max_length=8, choices=Direction.choices, blank=True, help_text="Empty when not known."
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_currency_code],
        help_text="ISO 4217, e.g. USD; with an amount only.",
    )
    occurred_on = models.DateField(
        null=True, blank=True, help_text="The day of the payment, or the first of several."
    )
    occurred_until = models.DateField(
        null=True, blank=True, help_text="For several payments: the day of the last one."
    )
    # Free text, which may name someone: encrypted at rest like the identifier's value.
    note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier", "occurred_on", "pk"]
        constraints = [
            choices_constraint("direction", TransactionDirection, allow_blank=True),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="cases_transactionclue_amount_positive",
                violation_error_message=_("An amount is more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True, currency="")
                | Q(amount__isnull=False, currency__regex=r"^[A-Z]{3}$"),
                name="cases_transactionclue_amount_has_currency",
                violation_error_message=_("An amount has its currency, and only an amount."),
            ),
            models.CheckConstraint(
                condition=Q(occurred_until__isnull=True)
                | Q(occurred_on__isnull=False, occurred_until__gte=F("occurred_on")),
                name="cases_transactionclue_dates_in_order",
                violation_error_message=_(
                    "A range of dates starts with its first day and ends on or after it."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=False) | Q(occurred_on__isnull=False),
                name="cases_transactionclue_says_something",
                violation_error_message=_("A transaction clue has an amount, a date or both."),
            ),
        ]

    def __str__(self):
        # Without the note, which may name someone.
        return f"Transaction clue #{self.pk} on identifier {self.identifier_id}"


class Venue(models.Model):
    """A business or place where exploitation happened."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(max_length=200)
    industry = models.ForeignKey(
        "hotline.Industry", null=True, blank=True, on_delete=models.PROTECT, related_name="venues"
    )
    region = models.ForeignKey(
        "hotline.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="venues"
    )
    address = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "name"]

    def __str__(self):
        return f"Venue #{self.pk}"


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CLOSED = "closed", "Closed"


# HTCDS 2.0 cas_ReasonForOutgoingReferral, plus the report to law enforcement that a
# hotline makes most often.
class ReferralReason(models.TextChoices):
    LAW_ENFORCEMENT_REPORT = "LawEnforcementReport", "Report to law enforcement"
    ADDITIONAL_SERVICES = "AdditionalServicesRequired", "Additional services required"
    MIGRATION_OR_RELOCATION = "MigrationOrChangeOfLocation", "Migration or change of location"
    OTHER = "Other", "Other"


class Referral(models.Model):
    """A case referred to a partner organisation: law enforcement or a service provider."""

    Status = ReferralStatus
    Reason = ReferralReason

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey(
        "hotline.PartnerOrganisation", on_delete=models.PROTECT, related_name="referrals"
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When a forwarding rule applies: the deadline."
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    shares_identities = models.BooleanField(
        default=False,
        help_text="Whether the partner may see victims' identities and contact identifiers.",
    )
    notes = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            choices_constraint("status", ReferralStatus),
            choices_constraint("reason", ReferralReason),
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=F("sent_at")),
                name="cases_referral_response_after_sending",
                violation_error_message=_("A referral cannot be answered before it was sent."),
            ),
            models.CheckConstraint(
                condition=Q(status="sent") | Q(responded_at__isnull=False),
                name="cases_referral_response_has_time",
                violation_error_message=_("An answered referral has the time of its answer."),
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="referral_org_status_idx"),
            models.Index(fields=["status", "due_at"], name="referral_deadline_idx"),
        ]

    def __str__(self):
        return f"{self.case_id} to {self.organisation_id}"


class OutcomeKind(models.TextChoices):
    INVESTIGATION_OPENED = "investigation_opened", "Investigation opened"
    CHARGES_FILED = "charges_filed", "Charges filed"
    CONVICTION = "conviction", "Conviction"


class Outcome(models.Model):
    """A step on the road from signal to conviction."""

    Kind = OutcomeKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    occurred_on = models.DateField()
    agency = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "occurred_on"]
        constraints = [choices_constraint("kind", OutcomeKind)]
        indexes = [models.Index(fields=["kind", "occurred_on"], name="outcome_kind_date_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.occurred_on}"


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="cases_note_not_empty",
                violation_error_message=_("A note cannot be empty."),
            )
        ]

    def __str__(self):
        return f"Note {self.pk} on {self.case_id}"


class AppendOnlyError(ValidationError):
    pass


class CaseEventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    NOTE_ADDED = "note_added", "Note added"
    PARTY_ADDED = "party_added", "Party added"
    PARTY_UPDATED = "party_updated", "Party updated"
    IDENTIFIER_ADDED = "identifier_added", "Identifier added"
    IDENTIFIER_UPDATED = "identifier_updated", "Identifier updated"
    VENUE_ADDED = "venue_added", "Venue added"
    VENUE_UPDATED = "venue_updated", "Venue updated"
    TIP_LINKED = "tip_linked", "Tip linked"
    CALL_LINKED = "call_linked", "Call linked"
    REFERRAL_SENT = "referral_sent", "Referral sent"
    REFERRAL_UPDATED = "referral_updated", "Referral updated"
    OUTCOME_RECORDED = "outcome_recorded", "Outcome recorded"
    OUTCOME_UPDATED = "outcome_updated", "Outcome updated"
    VIEWED = "viewed", "Viewed"
    IDENTITIES_ERASED = "identities_erased", "Identities erased"


class CaseEvent(models.Model):
    """The append-only timeline of a case; it doubles as the audit trail of changes.

    `data` holds ids, codes and field names, never names, numbers or free text, so the trail
    can be shown and exported without exposing anyone.
    """

    Kind = CaseEventKind

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case", "at", "pk"]
        constraints = [choices_constraint("kind", CaseEventKind)]
        indexes = [
            models.Index(fields=["case", "at"], name="event_case_at_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_at_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Case events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Case events are append-only: they cannot be deleted.")


# --- Cross-case linking (cases/linking.py, docs/linking.md) -----------------------------------
# New tables only: none of these alters cases_case or another table with triggers.


class LinkMatchKind(models.TextChoices):
    IDENTIFIER = "identifier", "Same identifier"
    PARTY_NAME = "party_name", "Similar name of a person or organisation"
    VENUE_NAME = "venue_name", "Similar venue name"


class LinkSuggestionState(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class LinkSuggestion(models.Model):
    """Two cases that may be about the same people: what matched and how strongly.

    The pair is stored in one order (case_a.pk < case_b.pk), so "A with B" and "B with A" are
    one row; `match_key` says what matched without saying it in clear: for an identifier the
    keyed hash of its normalised value, for a name the two records compared. A decided
    suggestion stays, so matching the same pair on the same thing again finds it and adds
    nothing: a dismissed suggestion never comes back.
    """

    Kind = LinkMatchKind
    State = LinkSuggestionState

    case_a = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    case_b = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For an identifier: its kind and platform ("phone", "handle/instagram"); for a name: the
    # party roles or "venue".
    detail = models.CharField(max_length=48, blank=True)
    match_key = models.CharField(max_length=64)
    identifier_a = models.ForeignKey(
        "Identifier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identifier_b = models.ForeignKey(
        "Identifier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    party_a = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    party_b = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    venue_a = models.ForeignKey(
        Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    venue_b = models.ForeignKey(
        Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(help_text="1.0 for the same value; a fuzzy score otherwise.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "created_at", "pk"]
        constraints = [
            choices_constraint("kind", LinkMatchKind),
            choices_constraint("state", LinkSuggestionState),
            models.CheckConstraint(
                condition=Q(case_a__lt=F("case_b")),
                name="cases_linksuggestion_pair_in_order",
                violation_error_message=_("A suggestion names two different cases, in order."),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1),
                name="cases_linksuggestion_score_range",
                violation_error_message=_("A match score is between 0 and 1."),
            ),
            models.CheckConstraint(
                condition=Q(state="open", decided_at__isnull=True)
                | (~Q(state="open") & Q(decided_at__isnull=False)),
                name="cases_linksuggestion_decided_has_time",
                violation_error_message=_("A decided suggestion has the time of its decision."),
            ),
            models.UniqueConstraint(
                fields=["case_a", "case_b", "kind", "detail", "match_key"],
                name="cases_linksuggestion_once_per_pair_and_value",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-score"], name="linksuggestion_queue_idx"),
            models.Index(fields=["case_b"], name="linksuggestion_case_b_idx"),
        ]

    def __str__(self):
        return f"Link suggestion #{self.pk}"


class Cluster(models.Model):
    """An operation: cases a supervisor confirmed are linked."""

    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="cases_cluster_has_a_name",
                violation_error_message=_("A cluster has a name."),
            )
        ]

    def __str__(self):
        return self.name


class ClusterMembership(models.Model):
    """A case in a cluster: a case is in one cluster at most (a table of its own rather than a
    column of cases_case, which would rebuild that table and its triggers on SQLite)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="memberships")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="cluster_membership")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cluster", "case"]

    def __str__(self):
        return f"{self.case_id} in {self.cluster_id}"


class MatchKey(models.Model):
    """A blocking key of a name (a party's or a venue's): the keyed hash of one word's first
    letters. Fuzzy matching decrypts and compares only the names that share a key with the new
    one, so its cost follows the number of similar names, not the number of parties."""

    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    venue = models.ForeignKey(
        Venue, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(party__isnull=False, venue__isnull=True)
                | Q(party__isnull=True, venue__isnull=False),
                name="cases_matchkey_of_party_or_venue",
            ),
            models.UniqueConstraint(
                fields=["party", "key_hash"],
                condition=Q(party__isnull=False),
                name="cases_matchkey_once_per_party",
            ),
            models.UniqueConstraint(
                fields=["venue", "key_hash"],
                condition=Q(venue__isnull=False),
                name="cases_matchkey_once_per_venue",
            ),
        ]
        indexes = [models.Index(fields=["key_hash"], name="matchkey_hash_idx")]

    def __str__(self):
        return f"Match key #{self.pk}"


class SweepWatermark(models.Model):
    """How far a periodic sweep got through the timeline (CaseEvent ids)."""

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} at {self.position}"


# --- Forwarding rules and deadlines (cases/forwarding.py, docs/forwarding.md) -------------------


class ForwardingRule(models.Model):
    """When a case must be forwarded, to what kind of partner, and how soon.

    Conditions are a few explicit fields, all of which must hold (an empty one holds always):
    never code or expressions typed in the admin.
    """

    name = models.CharField(max_length=120, unique=True)
    trafficking_type = models.CharField(
        max_length=16,
        choices=TraffickingType.choices,
        blank=True,
        help_text="Empty: any. Sex or labor also match a case of sex and labor trafficking.",
    )
    requires_minor_victim = models.BooleanField(
        default=False, help_text="A potential victim or survivor recorded as a minor."
    )
    requires_adult_victims = models.BooleanField(
        default=False, help_text="Victims recorded, none of them a minor."
    )
    requires_imminent_danger = models.BooleanField(
        default=False,
        help_text="The case is critical, or one of its tips reported imminent danger.",
    )
    requires_consent = models.BooleanField(
        default=False, help_text="The victim consented to the case being forwarded."
    )
    organisation_type = models.CharField(max_length=40, choices=PartnerOrganisation.Type.choices)
    reason = models.CharField(
        max_length=32, choices=ReferralReason.choices, default=ReferralReason.LAW_ENFORCEMENT_REPORT
    )
    due_within_hours = models.PositiveIntegerField(
        help_text="Hours from the moment the case matches the rule; 0: immediately."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["due_within_hours", "name"]
        constraints = [
            choices_constraint("trafficking_type", TraffickingType, allow_blank=True),
            choices_constraint("organisation_type", PartnerOrganisation.Type),
            choices_constraint("reason", ReferralReason),
            models.CheckConstraint(
                condition=~Q(requires_minor_victim=True, requires_adult_victims=True),
                name="cases_forwardingrule_minor_or_adult",
                violation_error_message=_("A rule cannot require both a minor and only adults."),
            ),
        ]

    def __str__(self):
        return self.name


class ForwardingConsent(models.Model):
    """The victim's consent to forward the case (a condition some rules need)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="forwarding_consent")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Consent on {self.case_id}"


class Forwarding(models.Model):
    """A rule a case matched: the deadline, the referral made for it (none yet: forwarding
    needed, no partner of the type serves the case's region), and the notices sent.

    Forwarded means received: the referral was answered (the partner accepted or declined it
    through the API, or staff recorded their answer). Once per rule per case.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="forwardings")
    rule = models.ForeignKey(ForwardingRule, on_delete=models.PROTECT, related_name="forwardings")
    organisation_type = models.CharField(max_length=40, choices=PartnerOrganisation.Type.choices)
    matched_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    # Rules that send the case to the same organisation share one referral.
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="forwardings"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rule"], name="cases_forwarding_once_per_rule"),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("matched_at")),
                name="cases_forwarding_due_after_match",
            ),
        ]
        indexes = [models.Index(fields=["completed_at", "due_at"], name="forwarding_open_idx")]

    def __str__(self):
        return f"Forwarding of {self.case_id} under rule {self.rule_id}"

    @property
    def is_late(self):
        end = self.completed_at or timezone.now()
        return end > self.due_at
