"""Reference data loaded by the migrations: regions as one tree, industries, code lists, roles."""

import csv

import pycountry
import pytest
from django.contrib.auth.models import Group

from hotline import reference_data
from hotline.models import Code, Industry, Region, Role
from hotline.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_every_country_and_subdivision_of_pycountry_is_a_region():
    assert Region.objects.filter(kind="country").count() == len(pycountry.countries)
    assert Region.objects.filter(kind="subdivision").count() == len(pycountry.subdivisions)


def test_us_states_hang_below_the_us_with_their_census_region():
    texas = Region.objects.get(code="US-TX")
    assert (texas.parent.code, texas.path, texas.depth) == ("US", "US/US-TX", 1)
    assert texas.census_region == "south"
    assert Region.objects.get(code="US-DC").census_region == "south"
    assert Region.objects.get(code="US-PR").census_region == ""
    assert Region.objects.exclude(census_region="").count() == 51


def test_nested_subdivisions_keep_their_whole_path():
    deep = Region.objects.filter(depth=2).select_related("parent").first()
    assert deep.parent.kind == "subdivision"
    assert deep.path == f"{deep.parent.path}/{deep.code}"
    below_country = Region.objects.filter(path__startswith=f"{deep.country_code}/")
    assert below_country.filter(pk=deep.pk).exists()


def test_the_25_polaris_types_and_other_and_unknown_are_industries():
    with open(reference_data.REFERENCE_DIR / "polaris_typology.csv", encoding="utf-8") as handle:
        typology = {row["code"]: row for row in csv.DictReader(handle)}
    assert len(typology) == 25
    assert set(Industry.objects.values_list("code", flat=True)) == set(typology) | {
        "other",
        "unknown",
    }
    construction = Industry.objects.get(code="construction")
    assert (construction.form, construction.isic_section) == ("labor", "F")


def test_code_lists_use_the_standards_own_codes():
    assert Code.objects.filter(list="ilo_ForcedLabourIndicator").count() == 11
    assert Code.objects.filter(list="vic_MethodsOfControl", code="DebtBondage").exists()
    assert Code.objects.filter(list="per_RoleInProcess", code="RecruiterOrIntermediary").exists()


def test_loading_again_adds_nothing():
    before = (Region.objects.count(), Industry.objects.count(), Code.objects.count())
    reference_data.load_all(Region, Industry, Code)
    assert (Region.objects.count(), Industry.objects.count(), Code.objects.count()) == before


@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_holds_exactly_its_permissions(role):
    group = Group.objects.get(name=role.value)
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    expected = {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, actions in ROLE_PERMISSIONS[role].items()
        for action in actions
    }
    assert held == expected


def test_no_role_may_delete_cases_or_their_timeline():
    deleters = Group.objects.filter(
        permissions__codename__in=["delete_case", "delete_caseevent", "change_caseevent"]
    )
    assert not deleters.exists()
