"""Identities are encrypted at rest, match by keyed hash without decrypting, and keys rotate."""

import datetime
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from cases import services
from cases.models import Identifier, Party
from hotline import keys
from hotline.crypto import keyed_hash
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def raw_rows(table, columns):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        return cursor.fetchall()


def test_a_raw_sql_read_of_the_party_table_does_not_contain_the_name(advocate):
    case = CaseFactory(actor=advocate)
    services.party_add(
        actor=advocate,
        case=case,
        role="potential_victim",
        name="Maria Lopez",
        aliases="La Flaca",
        date_of_birth=datetime.date(2004, 5, 17),
        description="Works at the nail salon on Main Street",
    )
    dump = str(raw_rows("cases_party", ["name", "aliases", "date_of_birth", "description"]))
    for secret in ("Maria", "Flaca", "2004", "nail salon"):
        assert secret not in dump
    party = Party.objects.get()
    assert (party.name, party.aliases, party.date_of_birth.year) == (
        "Maria Lopez",
        "La Flaca",
        2004,
    )


def test_identifier_values_are_encrypted_and_matched_by_keyed_hash(advocate):
    first, second = CaseFactory(actor=advocate), CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=first, kind="phone", value="(202) 555-0143")
    services.identifier_add(actor=advocate, case=second, kind="phone", value="202.555.0143")
    dump = str(raw_rows("cases_identifier", ["value", "normalised"]))
    assert "555" not in dump and "0143" not in dump
    # Matching: one indexed equality on the hash, no decryption in the query.
    wanted = keyed_hash("+12025550143")
    matches = Identifier.objects.filter(kind="phone", platform="", value_hash=wanted)
    assert sorted(matches.values_list("case_id", flat=True)) == [first.pk, second.pk]
    where = str(matches.query).split("WHERE", 1)[1]
    assert "value_hash" in where and "normalised" not in where


def test_the_hash_depends_on_the_secret_key(settings):
    before = keyed_hash("+12025550143")
    settings.HOTLINE_HASH_KEY = "another-hash-key-that-is-long-enough-to-pass"
    assert keyed_hash("+12025550143") != before


def test_a_new_key_in_front_reads_old_data_and_rotation_re_encrypts_it(advocate, settings):
    case = CaseFactory(actor=advocate)
    services.party_add(actor=advocate, case=case, role="recruiter", name="Juan Pérez")
    services.identifier_add(actor=advocate, case=case, kind="email", value="Boss@Example.org")
    old_key = settings.HOTLINE_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.HOTLINE_ENCRYPTION_KEYS = [new_key, old_key]
    assert Party.objects.get().name == "Juan Pérez"

    out = io.StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "cases.Party.name: 1 values re-encrypted" in out.getvalue()
    assert "cases.Identifier: 1 hashes recomputed" in out.getvalue()

    settings.HOTLINE_ENCRYPTION_KEYS = [new_key]
    assert Party.objects.get().name == "Juan Pérez"
    assert Identifier.objects.get().normalised == "boss@example.org"


def test_rotating_the_hash_key_recomputes_every_hash(advocate, settings):
    case = CaseFactory(actor=advocate)
    services.identifier_add(actor=advocate, case=case, kind="phone", value="2025550143")
    settings.HOTLINE_HASH_KEY = "a-brand-new-hash-key-that-is-long-enough"
    call_command("encryption_rotate", stdout=io.StringIO())
    assert Identifier.objects.get().value_hash == keyed_hash("+12025550143")


def test_keys_are_required_without_debug_and_must_be_well_formed():
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_ENCRYPTION_KEYS must be set"):
        keys.env_fernet_keys("HOTLINE_ENCRYPTION_KEYS", environ={})
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        keys.env_fernet_keys(
            "HOTLINE_ENCRYPTION_KEYS", environ={"HOTLINE_ENCRYPTION_KEYS": "not-a-key"}
        )
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        keys.env_hash_key("HOTLINE_HASH_KEY", environ={"HOTLINE_HASH_KEY": "short"})
    good = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    environ = {"HOTLINE_ENCRYPTION_KEYS": ",".join(good)}
    assert keys.env_fernet_keys("HOTLINE_ENCRYPTION_KEYS", environ=environ) == good


def test_in_debug_mode_a_fixed_development_key_needs_no_set_up():
    key = keys.development_key("secret", "encryption")
    assert key == keys.development_key("secret", "encryption")
    Fernet(key)
    assert keys.env_fernet_keys("HOTLINE_ENCRYPTION_KEYS", default=key, environ={}) == [key]


def test_a_missing_key_fails_loudly_instead_of_showing_ciphertext(advocate, settings):
    from hotline.crypto import UndecryptableValue

    case = CaseFactory(actor=advocate)
    services.party_add(
        actor=advocate,
        case=case,
        role="survivor",
        name="Ana",
        date_of_birth=datetime.date(2001, 2, 3),
    )
    settings.HOTLINE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableValue, match=r"cases\.Party\.name cannot be decrypted"):
        Party.objects.get()


def test_rotation_without_the_old_key_changes_nothing_and_says_so(advocate, settings):
    from django.core.management.base import CommandError

    case = CaseFactory(actor=advocate)
    services.party_add(actor=advocate, case=case, role="recruiter", name="Juan")
    services.identifier_add(actor=advocate, case=case, kind="phone", value="2025550143")
    before = raw_rows("cases_party", ["name"]) + raw_rows("cases_identifier", ["value_hash"])
    old_keys = settings.HOTLINE_ENCRYPTION_KEYS
    settings.HOTLINE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=r"cannot be decrypted.*Nothing was changed"):
        call_command("encryption_rotate", stdout=io.StringIO())
    assert raw_rows("cases_party", ["name"]) + raw_rows("cases_identifier", ["value_hash"]) == (
        before
    )
    settings.HOTLINE_ENCRYPTION_KEYS = old_keys
    assert Party.objects.get().name == "Juan"


def test_a_form_value_that_looks_like_ciphertext_is_kept_as_typed(advocate):
    # Values from forms are plaintext: nothing tries to decrypt them on the way in.
    token = Fernet.generate_key().decode()
    case = CaseFactory(actor=advocate)
    party = services.party_add(actor=advocate, case=case, role="recruiter", name=token[:40])
    assert Party.objects.get(pk=party.pk).name == token[:40]
