"""Reference data: regions, industries and the code lists of the Human Trafficking Case Data
Standard (HTCDS 2.0). Loaded by migrations (see hotline/reference_data.py), editable in the admin.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hotline.db import choices_constraint


class RegionKind(models.TextChoices):
    COUNTRY = "country", "Country"
    SUBDIVISION = "subdivision", "Subdivision"


class RegionCensusRegion(models.TextChoices):
    NORTHEAST = "northeast", "Northeast"
    MIDWEST = "midwest", "Midwest"
    SOUTH = "south", "South"
    WEST = "west", "West"


class Region(models.Model):
    """An ISO 3166-1 country or an ISO 3166-2 subdivision, as one tree.

    Subdivisions of subdivisions (counties of England, say) hang below their parent subdivision.
    `path` lists the codes from the country down ("US/US-CA") so that a region and everything
    below it is one indexed prefix match.
    """

    Kind = RegionKind
    CensusRegion = RegionCensusRegion

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    subdivision_type = models.CharField(max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    country_code = models.CharField(max_length=2, db_index=True)
    path = models.CharField(max_length=120, db_index=True)
    depth = models.PositiveSmallIntegerField()
    census_region = models.CharField(max_length=10, choices=CensusRegion.choices, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            choices_constraint("kind", RegionKind),
            choices_constraint("census_region", RegionCensusRegion, allow_blank=True),
            models.CheckConstraint(
                condition=(
                    Q(kind="country", parent__isnull=True, depth=0)
                    | Q(kind="subdivision", parent__isnull=False, depth__gte=1)
                ),
                name="hotline_region_country_is_root",
                violation_error_message=_("A country has no parent region; a subdivision has one."),
            ),
            models.CheckConstraint(
                condition=Q(census_region="") | Q(country_code="US"),
                name="hotline_region_census_region_only_in_us",
                violation_error_message=_(
                    "Only regions of the United States have a Census region."
                ),
            ),
        ]

    def __str__(self):
        return self.name if self.kind == self.Kind.COUNTRY else f"{self.name} ({self.code})"


class IndustryForm(models.TextChoices):
    SEX = "sex", "Sex trafficking"
    LABOR = "labor", "Labor trafficking"
    SEX_AND_LABOR = "sex_and_labor", "Sex and labor trafficking"
    UNSPECIFIED = "unspecified", "Unspecified"


class Industry(models.Model):
    """A type of the Polaris typology of modern slavery, plus "other" and "unknown"."""

    Form = IndustryForm

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    form = models.CharField(max_length=16, choices=Form.choices)
    isic_section = models.CharField(
        max_length=1, blank=True, help_text="ISIC Rev.4 section letter, where one applies."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "industries"
        constraints = [choices_constraint("form", IndustryForm)]

    def __str__(self):
        return self.name


class CodeList(models.TextChoices):
    METHODS_OF_CONTROL = "vic_MethodsOfControl", "Methods of control (HTCDS)"
    TYPES_OF_EXPLOITATION = "vic_TypeOfExploitation", "Types of exploitation (HTCDS)"
    METHODS_OF_RECRUITMENT = "vic_MethodOfRecruitment", "Methods of recruitment (HTCDS)"
    ROLES_IN_PROCESS = "per_RoleInProcess", "Roles in the trafficking process (HTCDS)"
    ILO_INDICATORS = "ilo_ForcedLabourIndicator", "ILO indicators of forced labour"


class Code(models.Model):
    """One value of a code list: an HTCDS picklist (methods of control, types of exploitation,
    ...) or the ILO indicators of forced labour. `code` is the standard's own code, so exports
    speak the standard."""

    List = CodeList

    list = models.CharField(max_length=40, choices=List.choices)
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["list", "position", "label"]
        constraints = [
            choices_constraint("list", CodeList),
            models.UniqueConstraint(
                fields=["list", "code"],
                name="hotline_code_unique_in_list",
                violation_error_message=_("This list already has this code."),
            ),
        ]

    def __str__(self):
        return self.label
