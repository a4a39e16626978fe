import pycountry
from django.core.exceptions import ValidationError


def validate_language_code(value):
    """An ISO 639-1 (two-letter) or ISO 639-3 (three-letter) language code."""
    lookup = {2: "alpha_2", 3: "alpha_3"}.get(len(value or ""))
    if (
        lookup is None
        or value != value.lower()
        or pycountry.languages.get(**{lookup: value}) is None
    ):
        raise ValidationError(
            "%(value)s is not an ISO 639 language code; use one such as en, es or fr.",
            code="invalid_language",
            params={"value": value},
        )


def validate_country_code(value):
    """An ISO 3166-1 alpha-2 country code, in capitals."""
    if (
        len(value or "") != 2
        or value != value.upper()
        or pycountry.countries.get(alpha_2=value) is None
    ):
        raise ValidationError(
            "%(value)s is not an ISO 3166-1 country code; use one such as US, MX or PH.",
            code="invalid_country",
            params={"value": value},
        )
