"""manage.py issue_token USERNAME [--days N] [--label TEXT]: a bearer token for the API.

The token is printed once, on standard output, and stored only as its hash: copy it then.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hotline import services
from hotline.models import User


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it once (it is stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=services.API_TOKEN_DAYS_DEFAULT,
            help=f"Days until it expires (default {services.API_TOKEN_DAYS_DEFAULT}, "
            f"at most {services.API_TOKEN_DAYS_MAX}).",
        )
        parser.add_argument("--label", default="", help="What the token is for.")

    def handle(self, *args, username, days, label, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no account named {username!r}.")
        try:
            record, token = services.api_token_issue(actor=None, user=user, days=days, label=label)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Token hl_{record.prefix}_... for {user.username} ({user.role.label}), "
            f"expires {record.expires_at:%Y-%m-%d %H:%M %Z}. It is shown only now:"
        )
        self.stdout.write(token)
