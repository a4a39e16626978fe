"""Bearer tokens: issued by a command that prints them once, stored hashed, refused with 401
once expired or revoked, revocable in the admin."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from hotline import services
from hotline.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _issue(user, **options):
    out, err = StringIO(), StringIO()
    call_command("issue_token", user.username, stdout=out, stderr=err, **options)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_a_working_token_once(partner, referred_case):
    token, note = _issue(partner, days=7)
    assert token.startswith("hl_") and "\n" not in token
    assert token not in note  # the note names the prefix only
    record = ApiToken.objects.get()
    assert record.prefix in token and f"hl_{record.prefix}_" in note
    assert record.expires_at - record.created_at == datetime.timedelta(days=7)
    response = _bearer(token).get("/api/v1/cases/")
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()["results"]] == [referred_case.reference]
    second, _ = _issue(partner)
    assert second != token and ApiToken.objects.count() == 2


def test_a_token_is_stored_only_as_its_hash(partner):
    token, _ = _issue(partner)
    record = ApiToken.objects.get()
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    secret = token.rsplit("_", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM hotline_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert secret not in stored and token not in stored


@pytest.mark.parametrize("days", [0, 367])
def test_the_command_refuses_a_lifetime_out_of_range(partner, days):
    with pytest.raises(CommandError, match="1 to 366 days"):
        _issue(partner, days=days)
    assert not ApiToken.objects.exists()


def test_the_command_refuses_unknown_accounts_and_accounts_without_a_role(outsider):
    with pytest.raises(CommandError, match="no account"):
        call_command("issue_token", "nobody", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="role"):
        _issue(outsider)


def test_issuing_and_revoking_are_audited(partner, admin_user):
    record, _ = services.api_token_issue(actor=admin_user, user=partner)
    services.api_token_revoke(actor=admin_user, token=record)
    services.api_token_revoke(actor=admin_user, token=record)
    actions = list(
        AuditEntry.objects.filter(object_kind="apitoken", object_id=record.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown", "inactive account"])
def test_an_unusable_token_gets_401_in_the_error_shape(partner, state):
    token, _ = _issue(partner)
    record = ApiToken.objects.get()
    if state == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1),
                                created_at=timezone.now() - datetime.timedelta(days=2))  # fmt: skip
    elif state == "revoked":
        services.api_token_revoke(actor=None, token=record)
    elif state == "unknown":
        token = token[:-4] + "AAAA"
    else:
        partner.is_active = False
        partner.save()
    response = _bearer(token).get("/api/v1/cases/")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated" and error["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer \xe9t\xe9", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_a_malformed_authorization_header_is_never_a_500(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_staff_may_hold_tokens_too(advocate, referred_case):
    token, _ = _issue(advocate)
    assert _bearer(token).get(f"/api/v1/cases/{referred_case.reference}/").status_code == 200


def test_a_token_skips_csrf_and_a_session_does_not(api, advocate):
    body = {"channel": "phone", "caller_type": "anonymous", "reason": "crisis"}
    assert api(advocate).post("/api/v1/calls/", body, format="json").status_code == 201
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(advocate)
    response = session.post("/api/v1/calls/", body, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_admin_revokes_tokens_in_the_admin(client, admin_user, partner):
    record, token = services.api_token_issue(actor=admin_user, user=partner)
    client.force_login(admin_user)
    listing = client.get("/admin/hotline/apitoken/")
    assert listing.status_code == 200 and record.prefix.encode() in listing.content
    assert token.encode() not in listing.content
    assert client.get("/admin/hotline/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/hotline/apitoken/",
        {"action": "revoke", "_selected_action": [record.pk]},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert _bearer(token).get("/api/v1/cases/").status_code == 401


def test_an_advocate_cannot_see_tokens_in_the_admin(client, advocate, partner):
    services.api_token_issue(actor=None, user=partner)
    client.force_login(advocate)
    assert client.get("/admin/hotline/apitoken/").status_code == 403
