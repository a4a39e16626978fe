"""Reading the keys that protect identities at rest, strictly, from the environment.

Used by the settings; kept apart from hotline/env.py because it knows about Fernet keys.
"""

import base64
import hashlib

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from hotline.env import env_list, env_str


def development_key(secret, purpose):
    """A fixed key derived from `secret`, for DEBUG only: a database made with `make run` stays
    readable across restarts without any set-up."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def env_fernet_keys(name, *, default=None, environ=None):
    """Comma-separated Fernet keys, newest first: the first encrypts, all of them decrypt, so a
    new key can be put in front while old data is re-encrypted."""
    keys = env_list(name, [], environ=environ)
    if not keys:
        if default is None:
            raise ImproperlyConfigured(
                f"{name} must be set when DEBUG is off: generate a key with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        return [default]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must hold Fernet keys (32 url-safe base64-encoded bytes each); "
                "one of them is not."
            ) from None
    return keys


def env_hash_key(name, *, default=None, environ=None):
    """The secret key of the keyed hash that lets identifiers be matched without decrypting."""
    value = env_str(name, environ=environ)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(
                f"{name} must be set when DEBUG is off: at least 32 random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return default
    if len(value) < 32:
        raise ImproperlyConfigured(f"{name} must be at least 32 characters long.")
    return value
