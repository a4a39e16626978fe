"""Who is calling: a browser session, or a bearer token (`Authorization: Bearer hl_...`).

Tokens are looked up by their SHA-256 (hotline/models/api.py), so what is stored cannot be
replayed. An expired, revoked or unknown token, or one whose account is inactive, is refused
with 401 in the error shape, never treated as anonymous: a partner whose token lapsed must hear
so rather than see an empty list.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from hotline.models import ApiToken
from hotline.models.api import token_digest

# last_used_at is written at most this often per token: a write on every request would cost
# more than the request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        return self.authenticate_token(token)

    def authenticate_token(self, token):
        record = (
            ApiToken.objects.select_related("user", "user__organisation")
            .prefetch_related("user__groups")
            .filter(digest=token_digest(token))
            .first()
        )
        if record is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        if record.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        now = timezone.now()
        if record.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This token expired; ask the hotline for a new one.")
            )
        if not record.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is not active."))
        if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        return record.user, record

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
