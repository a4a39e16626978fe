"""Loading reference data: regions from pycountry, industries and code lists from the files in
hotline/reference/. Used by migrations (with their historical models), so every function takes
the model classes it writes; each is safe to run again and only adds what is missing.
"""

import csv
from pathlib import Path

import pycountry

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# US Census Bureau regions (the 50 states and DC; territories belong to none).
CENSUS_REGIONS = {
    "northeast": "CT ME MA NH RI VT NJ NY PA",
    "midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "south": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "west": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}
CENSUS_REGION_OF_STATE = {
    f"US-{state}": region for region, states in CENSUS_REGIONS.items() for state in states.split()
}

# Industries beyond the 25 of the typology, for what fits none of them or is not known yet.
EXTRA_INDUSTRIES = [
    ("other", "Other", "unspecified", ""),
    ("unknown", "Unknown", "unspecified", ""),
]

# The code lists the data model uses, from htcds_code_lists.csv.
HTCDS_LISTS = (
    "vic_MethodsOfControl",
    "vic_TypeOfExploitation",
    "vic_MethodOfRecruitment",
    "per_RoleInProcess",
)
ILO_LIST = "ilo_ForcedLabourIndicator"


def read_csv(name):
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_regions(Region):
    existing = set(Region.objects.values_list("code", flat=True))
    new_countries = []
    for country in pycountry.countries:
        if country.alpha_2 in existing:
            continue
        new_countries.append(
            Region(
                code=country.alpha_2,
                name=getattr(country, "common_name", None) or country.name,
                kind="country",
                country_code=country.alpha_2,
                path=country.alpha_2,
                depth=0,
            )
        )
    Region.objects.bulk_create(new_countries, batch_size=500)
    countries = {region.code: region for region in Region.objects.filter(kind="country")}

    subdivisions = {sub.code: sub for sub in pycountry.subdivisions}

    def chain(sub):
        codes = [sub.code]
        while sub.parent_code and sub.parent_code in subdivisions:
            sub = subdivisions[sub.parent_code]
            codes.append(sub.code)
        return list(reversed(codes))

    # Parents before children: one bulk insert per level of the tree.
    known = {region.code: region for region in Region.objects.filter(kind="subdivision")}
    levels = {}
    for sub in subdivisions.values():
        if sub.code not in known and sub.country_code in countries:
            levels.setdefault(len(chain(sub)), []).append(sub)
    for depth in sorted(levels):
        batch = []
        for sub in sorted(levels[depth], key=lambda sub: sub.code):
            codes = chain(sub)
            parent = known[codes[-2]] if depth > 1 else countries[sub.country_code]
            batch.append(
                Region(
                    code=sub.code,
                    name=sub.name,
                    kind="subdivision",
                    subdivision_type=sub.type,
                    parent=parent,
                    country_code=sub.country_code,
                    path="/".join([sub.country_code, *codes]),
                    depth=depth,
                    census_region=CENSUS_REGION_OF_STATE.get(sub.code, ""),
                )
            )
        for region in Region.objects.bulk_create(batch, batch_size=500):
            known[region.code] = region


def load_industries(Industry):
    existing = set(Industry.objects.values_list("code", flat=True))
    rows = [
        (row["code"], row["name"], row["form"], row["isic_section"])
        for row in read_csv("polaris_typology.csv")
    ] + EXTRA_INDUSTRIES
    Industry.objects.bulk_create(
        [
            Industry(code=code, name=name, form=form, isic_section=isic, position=position)
            for position, (code, name, form, isic) in enumerate(rows, start=1)
            if code not in existing
        ]
    )


def load_codes(Code):
    existing = set(Code.objects.values_list("list", "code"))
    new = []
    positions = {}
    for row in read_csv("htcds_code_lists.csv"):
        if row["field"] not in HTCDS_LISTS:
            continue
        positions[row["field"]] = positions.get(row["field"], 0) + 1
        if (row["field"], row["code"]) in existing:
            continue
        new.append(
            Code(
                list=row["field"],
                code=row["code"],
                label=row["label"],
                is_active=row["status"] != "DEPRECATED",
                position=positions[row["field"]],
            )
        )
    for position, row in enumerate(read_csv("ilo_forced_labour_indicators.csv"), start=1):
        if (ILO_LIST, row["code"]) not in existing:
            new.append(Code(list=ILO_LIST, code=row["code"], label=row["name"], position=position))
    Code.objects.bulk_create(new)


def load_all(Region, Industry, Code):
    load_regions(Region)
    load_industries(Industry)
    load_codes(Code)
