"""Who is calling: a browser session, or a bearer token (`Authorization: Bearer hl_...`).

Tokens are looked up by their SHA-256 (hotline/models/api.py), so what is stored cannot be
replayed. An expired, revoked or unknown token, or one whose account is inactive, is refused
with 401 in the error shape, never treated as anonymous: a partner whose token lapsed must hear
so rather than see an empty list.
"""

import datetime

from django.contrib.auth.models import Group
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from hotline.api.throttles import FailedTokenLimit, count_token_request
from hotline.db import execute_prepared
from hotline.models import ApiToken, PartnerOrganisation, Role, User
from hotline.models.api import token_digest

# last_used_at is written at most this often per token: a write on every request would cost
# more than the request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


# User.role's order: an account in two role groups has the first of them.
ROLE_PRECEDENCE = (Role.ADMIN, Role.SUPERVISOR, Role.ADVOCATE, Role.PARTNER)


class _TokenLookup:
    """The token, its account, the account's organisation and its role, in one query.

    Every API request starts here, so the SQL is written once from the models' metadata (the
    ORM would compile the same three-table join and the role subquery anew each time, which
    cost more than running it) and the rows become model instances through the fields' own
    converters, as the ORM would make them. User.role is filled from the role subquery
    (the groups in User.role's order), so nothing reads the groups again."""

    def __init__(self, connection):
        qn = connection.ops.quote_name
        self.parts, columns = [], []
        for alias, model in (("t", ApiToken), ("u", User), ("o", PartnerOrganisation)):
            fields = model._meta.concrete_fields
            start = len(columns)
            for field in fields:
                columns.append(f"{alias}.{qn(field.column)}")
            converters = []
            for field in fields:
                column = field.get_col(alias)
                functions = connection.ops.get_db_converters(column) + field.get_db_converters(
                    connection
                )
                converters.append((functions, column))
            self.parts.append((model, [f.attname for f in fields], start, converters))
        through = User._meta.get_field("groups").remote_field.through._meta
        rank = " ".join(f"WHEN %s THEN {n}" for n in range(len(ROLE_PRECEDENCE)))
        token_user = ApiToken._meta.get_field("user").column
        user_org = User._meta.get_field("organisation").column
        self.sql = (
            f"SELECT {', '.join(columns)}, ("
            f"SELECT g.{qn('name')} FROM {qn(Group._meta.db_table)} g "
            f"INNER JOIN {qn(through.db_table)} ug "
            f"ON ug.{qn(through.get_field('group').column)} = g.{qn(Group._meta.pk.column)} "
            f"WHERE ug.{qn(through.get_field('user').column)} = u.{qn(User._meta.pk.column)} "
            f"AND g.{qn('name')} IN ({', '.join(['%s'] * len(ROLE_PRECEDENCE))}) "
            f"ORDER BY CASE g.{qn('name')} {rank} END LIMIT 1) "
            f"FROM {qn(ApiToken._meta.db_table)} t "
            f"INNER JOIN {qn(User._meta.db_table)} u "
            f"ON u.{qn(User._meta.pk.column)} = t.{qn(token_user)} "
            f"LEFT OUTER JOIN {qn(PartnerOrganisation._meta.db_table)} o "
            f"ON o.{qn(PartnerOrganisation._meta.pk.column)} = u.{qn(user_org)} "
            f"WHERE t.{qn(ApiToken._meta.get_field('digest').column)} = %s"
        )
        names = [role.value for role in ROLE_PRECEDENCE]
        self.fixed_params = names + names

    def __call__(self, connection, digest):
        with connection.cursor() as cursor:
            execute_prepared(
                connection, cursor, "hotline_token_record", self.sql, [*self.fixed_params, digest]
            )
            row = cursor.fetchone()
        if row is None:
            return None
        instances = []
        for model, attnames, start, converters in self.parts:
            values = []
            for offset, (functions, column) in enumerate(converters):
                value = row[start + offset]
                for convert in functions:
                    value = convert(value, column, connection)
                values.append(value)
            if model is PartnerOrganisation and values[0] is None:
                instances.append(None)  # no organisation: the left join found none
            else:
                instances.append(model.from_db(connection.alias, attnames, values))
        token, user, organisation = instances
        User._meta.get_field("organisation").set_cached_value(user, organisation)
        ApiToken._meta.get_field("user").set_cached_value(token, user)
        role = row[-1]
        # What User.role (a cached_property) would have read from the groups.
        user.__dict__["role"] = Role(role) if role else None
        return token

    _built = {}

    @classmethod
    def run(cls, digest):
        connection = connections[router.db_for_read(ApiToken)]
        key = (connection.alias, connection.vendor)
        if key not in cls._built:
            cls._built[key] = cls(connection)
        return cls._built[key](connection, digest)


def token_record(token):
    """The ApiToken for `token` (its account, organisation and role loaded), or None."""
    return _TokenLookup.run(token_digest(token))


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        limit = FailedTokenLimit(request)
        # With Redis, the address's refused tokens are read and this request is counted
        # against its token's rate in one round trip (before the lookup, by the digest).
        refused = None
        if len(header) == 2:
            digest = token_digest(header[1].decode("latin-1"))
            refused = count_token_request(request, digest, limit)
        if limit.exceeded(refused):
            raise exceptions.Throttled(wait=limit.wait)
        try:
            return self.authenticate_header_value(header)
        except exceptions.AuthenticationFailed:
            limit.count_failure()
            raise

    def authenticate_header_value(self, header):
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
        record = token_record(token)
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
