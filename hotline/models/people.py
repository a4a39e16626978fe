"""The people who use Hotline: hotline staff in teams, and partner organisations."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hotline.db import choices_constraint


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerOrganisationType(models.TextChoices):
    # The HTCDS 2.0 organisation types (org_Type), with the standard's own codes.
    NGO = "NGO", "NGO"
    LAW_ENFORCEMENT = "LawEnforcement", "Law enforcement"
    HEALTH_SERVICE = "HealthServiceOrganisation", "Health service organisation"
    CENTRAL_GOVERNMENT = "CentralGovernmentOrganisation", "Central government organisation"
    LOCAL_GOVERNMENT = "LocalGovernmentOrganisation", "Local government organisation"
    IMMIGRATION_SERVICE = "ImmigrationService", "Immigration service"
    LEGAL_SERVICE = "LegalService", "Legal service"
    CORPORATE_BUSINESS = "CorporateBusiness", "Corporate business"
    SCHOOL_OR_COLLEGE = "SchoolOrCollege", "School or college"
    # Not an HTCDS 2.0 code: the standard's org_Type has no financial institution, and its
    # nearest value, CorporateBusiness, cannot be told apart from the businesses a case is
    # about. A bank or payment provider receives the financial leads of a cluster through a
    # referral (docs/linking.md, "Financial leads"), so it needs a type of its own. Mapped to
    # HTCDS, it is a CorporateBusiness.
    FINANCIAL_INSTITUTION = "FinancialInstitution", "Financial institution"


class PartnerOrganisation(models.Model):
    """An organisation cases are referred to, whose staff may use the partner API."""

    Type = PartnerOrganisationType

    name = models.CharField(max_length=160, unique=True)
    type = models.CharField(max_length=40, choices=Type.choices)
    region = models.ForeignKey(
        "hotline.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="The area the organisation serves (its jurisdiction, for law enforcement).",
    )
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [choices_constraint("type", PartnerOrganisationType)]

    def __str__(self):
        return self.name

    @property
    def is_law_enforcement(self):
        return self.type == self.Type.LAW_ENFORCEMENT

    @property
    def is_financial_institution(self):
        return self.type == self.Type.FINANCIAL_INSTITUTION


class Role(models.TextChoices):
    """Each user has one role, held as membership of the Django group of the same name."""

    ADVOCATE = "advocate", "Advocate"
    SUPERVISOR = "supervisor", "Supervisor"
    PARTNER = "partner", "Partner"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    organisation = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="For partner users only: the organisation whose referred cases they see.",
    )
    language = models.CharField(
        max_length=8, choices=[("en", "English"), ("es", "Español")], default="en"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(organisation__isnull=True),
                name="hotline_user_staff_or_partner_not_both",
                violation_error_message=_(
                    "An account is hotline staff (with a team) or a partner "
                    "(with an organisation), not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(language__in=["en", "es"]),
                name="hotline_user_language_valid",
                violation_error_message=_("Choose English or Spanish."),
            ),
        ]

    @cached_property
    def role(self):
        """The user's role, or None for an account without one (it may do nothing)."""
        names = {group.name for group in self.groups.all()}
        for role in (Role.ADMIN, Role.SUPERVISOR, Role.ADVOCATE, Role.PARTNER):
            if role.value in names:
                return role
        return None
