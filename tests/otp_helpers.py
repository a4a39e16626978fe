"""Two-factor sign-in for tests that are about something else.

Supervisors, administrators and superusers must pass a second factor before any page opens
(hotline.accounts.TwoFactorMiddleware). Tests that sign someone in with `client.force_login`
mean "a fully signed-in person", so `_force_login_passes_two_factor` makes force_login do what
the person would have done: for someone who needs a second factor, give them a real confirmed
authenticator (TOTP) device if they have none, and mark the session as verified by it, as
django-otp does after a correct code.

Tests of two-factor sign-in itself sign in through the sign-in form, which this leaves alone.

Install it for the whole suite by importing the fixture into tests/conftest.py:

    from tests.otp_helpers import _force_login_passes_two_factor  # noqa: F401

or, without touching conftest, with `pytest -p tests.otp_helpers`.
"""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

# Models and what imports them are imported where used: this module may be loaded as a pytest
# plugin (-p), before Django is set up.


def confirmed_totp_device(user):
    """The user's confirmed authenticator device, created when they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    return device


def totp_code(device):
    """The code the authenticator app shows now, as a six-digit string."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def otp_verify(client, user):
    """Mark `client`'s session (already signed in as `user`) as verified by a real confirmed
    authenticator device."""
    device = confirmed_totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    original = Client.force_login

    def force_login(self, user, backend=None):
        from hotline.accounts import two_factor_required

        original(self, user, backend)
        if two_factor_required(user):
            otp_verify(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
