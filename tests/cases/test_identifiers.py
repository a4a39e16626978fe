"""Identifiers normalise, so that the same number or name written two ways matches."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases.identifiers import normalise
from cases.models import Identifier

Kind = Identifier.Kind


@pytest.mark.parametrize(
    "written", ["(202) 555-0143", "202.555.0143", "+1 202 555 0143", "1-202-555-0143"]
)
def test_a_us_phone_number_written_any_way_gives_one_e164_value(written):
    assert normalise(Kind.PHONE, written) == "+12025550143"


def test_a_foreign_number_keeps_its_country_code():
    assert normalise(Kind.PHONE, "+52 55 1234 5678") == "+525512345678"


def test_numbers_without_a_country_code_follow_the_configured_region(settings):
    settings.HOTLINE_DEFAULT_PHONE_REGION = "MX"
    assert normalise(Kind.PHONE, "55 1234 5678") == "+525512345678"


@pytest.mark.parametrize("junk", ["call me", "12", "555-555-555-555-555-555"])
def test_it_refuses_what_is_not_a_phone_number_with_a_helpful_message(junk):
    with pytest.raises(ValidationError) as error:
        normalise(Kind.PHONE, junk)
    assert "country code" in error.value.messages[0]


def test_e_mail_addresses_are_lower_cased():
    assert normalise(Kind.EMAIL, "  Recruiter.Jobs@Example.COM ") == "recruiter.jobs@example.com"
    assert normalise(Kind.EMAIL, "mailto:ab@example.org") == "ab@example.org"


def test_it_refuses_a_malformed_e_mail_address():
    with pytest.raises(ValidationError, match=r"name@example\.org"):
        normalise(Kind.EMAIL, "not-an-address@")


@pytest.mark.parametrize(
    "written",
    [
        "@Sunny_Jobs",
        "sunny_jobs",
        "https://www.instagram.com/Sunny_Jobs/",
        "instagram.com/@sunny_jobs",
    ],
)
def test_handles_drop_the_at_sign_the_url_and_the_case(written):
    assert normalise(Kind.HANDLE, written, "instagram") == "sunny_jobs"


def test_a_whatsapp_handle_that_is_a_number_is_compared_as_a_phone_number():
    assert normalise(Kind.HANDLE, "(202) 555-0143", "whatsapp") == "+12025550143"


def test_a_handle_needs_its_platform():
    with pytest.raises(ValidationError, match="platform"):
        normalise(Kind.HANDLE, "@someone", "")


def test_addresses_compare_without_case_punctuation_or_street_abbreviations():
    assert normalise(Kind.ADDRESS, "1200 North Main Street, Apartment 4") == normalise(
        Kind.ADDRESS, "1200 N. Main St  apt 4"
    )
    assert normalise(Kind.ADDRESS, "12 Calle José Martí") == "12 calle jose marti"


def test_vehicle_plates_keep_letters_and_digits_only():
    assert normalise(Kind.VEHICLE, "abc-1234") == normalise(Kind.VEHICLE, "ABC 1234") == "ABC1234"


def test_business_names_drop_legal_suffixes_and_punctuation():
    assert normalise(Kind.BUSINESS_NAME, "Golden Lotus Spa, LLC") == "golden lotus spa"
    assert normalise(Kind.BUSINESS_NAME, "Smith & Sons Farms Inc.") == "smith and sons farms"


def test_payment_accounts_compare_without_spacing():
    assert normalise(Kind.PAYMENT_ACCOUNT, "$MoneyMike") == "$moneymike"
    assert (
        normalise(Kind.PAYMENT_ACCOUNT, "DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    )


def test_an_empty_identifier_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        normalise(Kind.PHONE, "   ")


@pytest.mark.parametrize(
    ("kind", "value", "platform", "words"),
    [
        ("phone", "call me", "", "número de teléfono"),
        ("handle", "someone", "", "plataforma"),
        ("phone", "   ", "", "vacío"),
    ],
)
def test_its_messages_speak_the_language_of_the_request(kind, value, platform, words):
    with translation.override("es"):
        with pytest.raises(ValidationError) as refused:
            normalise(kind, value, platform)
        assert words in refused.value.messages[0]
