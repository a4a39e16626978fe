"""Writing the audit trail.

Every read of a case, party or identifier, every write and every sign-in is one AuditEntry.
Who, from where and in which request come from the request being served (set by
RequestContextMiddleware); outside a request (a task, a command) they are empty.
"""

import contextvars
import ipaddress
import uuid

from django.conf import settings
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db import connections, router
from django.dispatch import receiver
from django.utils import timezone

from hotline.db import (
    can_insert_with_follower,
    execute_prepared,
    execute_with_follower,
    insert_row,
    insert_statement,
    insert_with_follower,
)
from hotline.models import AuditAction, AuditEntry, User

_current_request = contextvars.ContextVar("hotline_current_request", default=None)


def request_begin(request):
    request.request_id = uuid.uuid4().hex
    return _current_request.set(request)


def request_end(token):
    _current_request.reset(token)


def current_request():
    return _current_request.get()


def client_ip(request):
    """The address of the person making the request: the peer that connected, or, behind
    HOTLINE_TRUSTED_PROXIES reverse proxies, the address the outermost of them saw.

    Each proxy appends the address it received from to X-Forwarded-For, so with N trusted
    proxies the client is the N-th entry from the right; entries further left were written by
    the client itself and are never believed (they would let an attacker pick a new address
    for every password guess)."""
    proxies = settings.HOTLINE_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives each request an id (also sent back as X-Request-ID) and makes the request known to
    the audit trail while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_end(token)
        response["X-Request-ID"] = request.request_id
        return response


_FROM_REQUEST = object()


def audit_record(**fields):
    """Append one row to the audit trail: `action`, and as the row needs `object_kind`,
    `object_id`, `object_ids`, `case_id`, `query` and `user` (by default the signed-in user
    of the request being served; _entry_values)."""
    return _append(**_entry_values(**fields))


def insert_audited(instance, *, object_kind, user=_FROM_REQUEST):
    """INSERT a new, validated `instance` together with the audit row of its creation, in
    one statement (hotline.db.insert_with_follower: both rows or neither). True when done;
    False, having done nothing, when the caller must save it and call audit_record inside a
    transaction of its own (an open transaction, another database, a model whose save does
    more than its INSERT)."""
    if not can_insert_with_follower(instance, AuditEntry):
        return False
    connection = connections[router.db_for_write(AuditEntry)]

    def entry():
        values = _entry_values(action=AuditAction.CREATE, object_kind=object_kind, user=user)
        return _entry_params(values, connection)

    insert_with_follower(instance, AuditEntry, entry, "object_id")
    return True


def _entry_values(
    *,
    action,
    object_kind="",
    object_id=None,
    object_ids=(),
    case_id=None,
    query=None,
    user=_FROM_REQUEST,
):
    request = current_request()
    if user is _FROM_REQUEST:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    return {
        "at": timezone.now(),
        "user": user,
        "action": action,
        "object_kind": object_kind,
        "object_id": object_id,
        "object_ids": [int(pk) for pk in object_ids],
        "case_id": case_id,
        "request_id": getattr(request, "request_id", ""),
        "ip": client_ip(request) if request is not None else None,
        "query": query or {},
    }


def _entry_params(values, connection):
    """{field name: database value} of an audit row, in the order of its INSERT
    (hotline.db.insert_statement)."""
    row = {**values, "user": values["user"].pk if values["user"] is not None else None}
    return {
        field.name: field.get_db_prep_save(row[field.name], connection)
        for field in insert_statement(AuditEntry, connection)[1]
    }


def _append(**values):
    """INSERT one AuditEntry, as `AuditEntry.objects.create(**values)` would (the same
    columns, each value made ready for the database by its model field), without compiling
    the ORM's INSERT every time: it was most of what recording a read cost. Returns the saved
    entry. (AuditEntry sends no signals anyone listens to, and its save() only refuses
    changes, which an INSERT is not.)"""
    connection = connections[router.db_for_write(AuditEntry)]
    params = list(_entry_params(values, connection).values())
    pk = insert_row(AuditEntry, connection, params)
    entry = AuditEntry(pk=pk, **values)
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def audit_view(obj, *, case_id=None):
    """Record that one record was read (a detail page, an API retrieve)."""
    kind = obj._meta.model_name
    if case_id is None:
        case_id = obj.pk if kind == "case" else getattr(obj, "case_id", None)
    return audit_record(
        action=AuditAction.VIEW, object_kind=kind, object_id=obj.pk, case_id=case_id
    )


def audit_list(kind, ids, *, action=AuditAction.LIST):
    """Record which records a list page, an API list or an export returned."""
    return audit_record(action=action, object_kind=kind, object_ids=list(ids))


def execute_listed(connection, cursor, name, sql, params, *, kind, ids):
    """Run `sql` (a SELECT of more of what a list shows about the records `ids`, through
    execute_prepared as `name`) and record the list as audit_list(kind, ids) does. On
    PostgreSQL, with the audit trail on the same database, both in one statement
    (hotline.db.execute_with_follower): a list's audit row costs no round trip of its own."""
    if connection.vendor != "postgresql" or router.db_for_write(AuditEntry) != connection.alias:
        audit_list(kind, ids)
        execute_prepared(connection, cursor, name, sql, params)
        return
    values = _entry_values(action=AuditAction.LIST, object_kind=kind, object_ids=ids)
    entry = list(_entry_params(values, connection).values())
    execute_with_follower(connection, cursor, name, sql, params, AuditEntry, entry)


@receiver(user_logged_in, dispatch_uid="hotline.audit.login")
def _login(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="hotline.audit.logout")
def _logout(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="hotline.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # The typed username is not stored (people type passwords into it); the account it names,
    # if there is one, is, so that attacks on an account show up in its trail.
    username = (credentials or {}).get("username")
    user = User.objects.filter(username=username).first() if username else None
    audit_record(action=AuditAction.LOGIN_FAILED, user=user)
