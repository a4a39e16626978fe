"""Mail when no server is configured in production."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class UnconfiguredEmailBackend(BaseEmailBackend):
    """Fails as an unreachable mail server would, so that a deadline notice is never dropped
    quietly: the sender (the forwarding sweep) logs the failure and tries again at its next
    run, and the notice goes out once EMAIL_HOST is set."""

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        raise smtplib.SMTPServerDisconnected(
            "no mail server is configured: set EMAIL_HOST (docs/configuration.md)"
        )
