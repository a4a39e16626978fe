"""Identity fields encrypted at rest, and the keyed hash that matches them without decrypting.

The field classes are django-fernet-encrypted-fields' own, with one change: their keys come from
HOTLINE_ENCRYPTION_KEYS (newest first) instead of being derived from SECRET_KEY, so that the
site's signing key and the data's key can be rotated apart.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from encrypted_fields import fields


class _OwnKeys:
    def get_prep_value(self, value):
        # The library stores an empty value as NULL; an empty string says nothing about anyone,
        # so it stays an empty string and blank fields need not become nullable.
        if value == "":
            return ""
        return super().get_prep_value(value)

    @property
    def f(self):
        # Built per use from the settings (cheap: no key derivation), so that a key added in
        # front takes effect without restarting code that holds the field.
        return MultiFernet([Fernet(key) for key in settings.HOTLINE_ENCRYPTION_KEYS])


class EncryptedCharField(_OwnKeys, fields.EncryptedCharField):
    pass


class EncryptedTextField(_OwnKeys, fields.EncryptedTextField):
    pass


class EncryptedDateField(_OwnKeys, fields.EncryptedDateField):
    pass


def keyed_hash(value):
    """HMAC-SHA256 of a normalised value, in hex: equal values give equal hashes, and without
    HOTLINE_HASH_KEY nobody can test a guess (a phone number has few enough digits to try them
    all against a plain hash)."""
    key = settings.HOTLINE_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def encrypted_fields_of(model):
    return [field for field in model._meta.concrete_fields if isinstance(field, _OwnKeys)]
