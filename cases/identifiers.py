"""Normalising identifiers, so that the same number or name written two ways matches.

Each function takes what a person typed and returns the canonical form stored in
Identifier.normalised, or raises ValidationError with a message that says what to type instead.
"""

import re
import string
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from cases.models import Identifier

Kind = Identifier.Kind
Platform = Identifier.Platform

_SPACES = re.compile(r"\s+")
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation if char not in "#&"})
_HANDLE = re.compile(r"^[a-z0-9._\-]{1,100}$")
_HANDLE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?[a-z0-9.\-]+\.[a-z]{2,}/(?:@)?([^/?#]+)")

# USPS street-suffix and unit abbreviations that people write both ways.
_ADDRESS_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "highway": "hwy",
    "parkway": "pkwy",
    "suite": "ste",
    "apartment": "apt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "#": "apt",
}
_BUSINESS_SUFFIXES = {"llc", "inc", "incorporated", "corp", "corporation", "co", "ltd", "company"}


def _collapse(text):
    return _SPACES.sub(" ", text).strip()


def _fold(text):
    """Case-fold and drop accents: "José" and "JOSE" are the same name on a tip."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise_phone(value, default_region=None):
    region = default_region or settings.HOTLINE_DEFAULT_PHONE_REGION
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(
            _(
                "This is not a phone number we can read. Type the digits, with the country code "
                "for numbers outside %(region)s (for example +52 55 1234 5678)."
            ),
            code="invalid_phone",
            params={"region": region},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value):
    address = value.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    address = address.lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("This is not an e-mail address: it should look like name@example.org."),
            code="invalid_email",
        ) from None
    return address


def normalise_handle(value, platform):
    if not platform:
        raise ValidationError(
            _("Choose the platform this handle is on (Instagram, Telegram, ...)."),
            code="handle_needs_platform",
        )
    handle = value.strip().lower()
    from_url = _HANDLE_URL.match(handle)
    if from_url:
        handle = from_url.group(1)
    handle = handle.lstrip("@").strip()
    if platform in (Platform.WHATSAPP, Platform.VIBER) and re.fullmatch(r"[+\d\s().\-]+", handle):
        # On these apps the handle is a phone number; compare it as one.
        return normalise_phone(handle)
    if not _HANDLE.match(handle):
        raise ValidationError(
            _(
                "A handle may contain letters, digits, dots, dashes and underscores only, "
                "like @name_123."
            ),
            code="invalid_handle",
        )
    return handle


def normalise_address(value):
    words = _collapse(_fold(value).replace("#", " # ").translate(_PUNCTUATION)).split(" ")
    return " ".join(_ADDRESS_WORDS.get(word, word) for word in words if word)


def normalise_vehicle(value):
    plate = re.sub(r"[^0-9A-Z]", "", _fold(value).upper())
    if not plate:
        raise ValidationError(
            _("Type the vehicle's plate, letters and digits (for example ABC 1234)."),
            code="invalid_vehicle",
        )
    return plate


def normalise_business_name(value):
    words = _collapse(_fold(value).replace("&", " and ").translate(_PUNCTUATION)).split(" ")
    while len(words) > 1 and words[-1] in _BUSINESS_SUFFIXES:
        words.pop()
    return " ".join(word for word in words if word)


def normalise_payment_account(value):
    account = value.strip()
    if account.startswith("$"):
        # A Cash App $cashtag: case does not matter.
        return "$" + _collapse(account[1:]).lower().replace(" ", "")
    if "@" in account:
        return normalise_email(account)
    return re.sub(r"[\s\-.]", "", account).upper()


def normalise(kind, value, platform=""):
    """The canonical form of `value` for an identifier of `kind`."""
    if value is None or not str(value).strip():
        raise ValidationError(_("This identifier is empty."), code="empty")
    value = str(value)
    if kind == Kind.PHONE:
        result = normalise_phone(value)
    elif kind == Kind.EMAIL:
        result = normalise_email(value)
    elif kind == Kind.HANDLE:
        result = normalise_handle(value, platform)
    elif kind == Kind.ADDRESS:
        result = normalise_address(value)
    elif kind == Kind.VEHICLE:
        result = normalise_vehicle(value)
    elif kind == Kind.BUSINESS_NAME:
        result = normalise_business_name(value)
    elif kind == Kind.PAYMENT_ACCOUNT:
        result = normalise_payment_account(value)
    else:
        raise ValidationError(_("Unknown kind of identifier: %(kind)s."), params={"kind": kind})
    if not result:
        raise ValidationError(
            _("This identifier has nothing in it that we can match."), code="empty"
        )
    return result
