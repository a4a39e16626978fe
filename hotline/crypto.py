"""Identity fields encrypted at rest, and the keyed hash that matches them without decrypting.

The field classes are django-fernet-encrypted-fields' own, with one change: their keys come from
HOTLINE_ENCRYPTION_KEYS (newest first) instead of being derived from SECRET_KEY, so that the
site's signing key and the data's key can be rotated apart.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from encrypted_fields import fields


class UndecryptableValue(Exception):
    """A stored value that none of HOTLINE_ENCRYPTION_KEYS decrypts: the key that encrypted it
    is missing. Raised rather than showing ciphertext, or saving it back encrypted twice."""


def fernet():
    # Built per use from the settings (cheap: no key derivation), so that a key added in front
    # takes effect without restarting code that holds a field.
    return MultiFernet([Fernet(key) for key in settings.HOTLINE_ENCRYPTION_KEYS])


class _OwnKeys:
    """Changes to the library's fields: our keys; fail closed on a value no key decrypts (the
    library passes it through as if it were plaintext); and no decryption attempt on values
    that come from forms, which are plaintext (the library's attempt, and the flag it sets on
    the shared field to skip it, are not thread-safe)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            plain = self.f.decrypt(value.encode("utf-8")).decode("utf-8")
        except InvalidToken:
            raise UndecryptableValue(
                f"{self.model._meta.label}.{self.name} cannot be decrypted with "
                "HOTLINE_ENCRYPTION_KEYS: the key that encrypted it is missing."
            ) from None
        return self.to_python(plain)

    # super(EncryptedFieldMixin, ...) is the plain field the encrypted one stores (CharField,
    # DateField...): its to_python and clean, without the library's decryption attempt.
    def to_python(self, value):
        return super(fields.EncryptedFieldMixin, self).to_python(value)

    def clean(self, value, model_instance):
        return super(fields.EncryptedFieldMixin, self).clean(value, model_instance)

    def get_prep_value(self, value):
        # The library stores an empty value as NULL; an empty string says nothing about anyone,
        # so it stays an empty string and blank fields need not become nullable.
        if value == "":
            return ""
        return super().get_prep_value(value)

    @property
    def f(self):
        return fernet()


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
