"""Mail settings: a production site without a mail server must not drop notices quietly."""

import os
import smtplib
import subprocess
import sys

import pytest
from django.core.mail import EmailMessage

from hotline.mail import UnconfiguredEmailBackend
from tests.hotline.test_settings import ROOT

SECRET = "a-secret-key-for-the-mail-settings-test-only-0123456789"


def email_backend(**variables):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "HOTLINE_ENCRYPTION_KEYS", "HOTLINE_HASH_KEY"}
    }
    environ.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", "import hotline.settings as s; print(s.EMAIL_BACKEND)"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_without_a_mail_server_uses_the_refusing_backend():
    assert email_backend(DEBUG="0", SECRET_KEY=SECRET) == "hotline.mail.UnconfiguredEmailBackend"


def test_development_without_a_mail_server_writes_mail_to_the_console():
    assert email_backend(DEBUG="1") == "django.core.mail.backends.console.EmailBackend"


def test_a_mail_server_from_the_environment_is_used():
    backend = email_backend(DEBUG="0", SECRET_KEY=SECRET, EMAIL_HOST="smtp.example.org")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"


def test_the_refusing_backend_fails_like_an_unreachable_server():
    backend = UnconfiguredEmailBackend()
    with pytest.raises(smtplib.SMTPException, match="EMAIL_HOST"):
        backend.send_messages([EmailMessage("Deadline", "HT-2026-000001", to=["sam@example.org"])])
    assert backend.send_messages([]) == 0
