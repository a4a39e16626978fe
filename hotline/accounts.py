"""Signing in safely: lockout after failed sign-ins, idle sessions, two-factor sign-in.

- LockoutBackend and lockout_response: django-axes refuses a username from an address after
  too many failures (settings.HOTLINE_LOCKOUT_*), and the person sees a page that says for how
  long and whom to call.
- session_timeout: what static/js/session-timeout.js needs to warn before an idle session ends.
- TwoFactorMiddleware and the /accounts/2fa/ pages: supervisors, administrators and superusers
  must set up an authenticator app (TOTP) and enter its code after their password; anyone else
  may set one up, and must then use it too. Ten one-time backup codes stand in for a lost phone.

docs/security.md describes all of it for an auditor.
"""

import logging
from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode, urlparse

import django_otp
import qrcode
import qrcode.image.svg
from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.api.errors import error_body
from hotline.audit import audit_record
from hotline.models import AuditAction, Role

log = logging.getLogger(__name__)

TWO_FACTOR_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
# The page warns this long before an idle session ends.
SESSION_WARNING_SECONDS = 120


# --- Lockout -------------------------------------------------------------------------------


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first among the authentication backends: a username locked
    for the request's address is refused before its password is even tried.

    The lockout is per username and address, so it needs the request. Every sign-in people make
    passes one (the admin's sign-in form, the API's authentication); a call without one (a
    management command, a shell, the test client's login()) has no address to lock and is
    left to the next backend, instead of failing as django-axes' own backend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_username(request, credentials):
    """The username the lockout counts failures under (AXES_USERNAME_CALLABLE)."""
    from hotline.crypto import keyed_hash
    from hotline.models import User

    username = (credentials or {}).get("username") or ""
    if not username or User.objects.filter(username=username).exists():
        return username
    return f"unknown:{keyed_hash(username)[:32]}"


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets instead of the sign-in form (AXES_LOCKOUT_CALLABLE)."""
    context = _page_context(
        _("Account locked"),
        minutes=settings.HOTLINE_LOCKOUT_MINUTES,
        failures=settings.HOTLINE_LOCKOUT_FAILURES,
        sign_in_url=reverse("admin:login"),
    )
    return render(request, "accounts/locked.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


# --- Idle sessions ----------------------------------------------------------------------------


def session_timeout(request):
    """Template context: how long an idle session lasts and when to warn (in seconds)."""
    return {
        "session_timeout": {
            "seconds": settings.SESSION_COOKIE_AGE,
            "warn_seconds": min(SESSION_WARNING_SECONDS, settings.SESSION_COOKIE_AGE // 2),
        }
    }


@never_cache
@require_GET
def keepalive(request):
    """The warning's "Stay signed in" button: any request renews the session
    (SESSION_SAVE_EVERY_REQUEST); this one does nothing else. 401 once the session is gone."""
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


# --- Two-factor: who must, and the middleware that sends them -------------------------------


def two_factor_required(user):
    """Whether `user` must enter a second factor after their password: supervisors,
    administrators and superusers always; anyone else once they have set up a device."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or user.role in TWO_FACTOR_ROLES
        or django_otp.user_has_device(user, confirmed=True)
    )


def _exempt_paths():
    return {
        reverse("admin:logout"),
        reverse("healthz"),
        reverse("accounts:otp_setup"),
        reverse("accounts:otp_verify"),
        reverse("accounts:keepalive"),
    }


class TwoFactorMiddleware:
    """A signed-in person who must use a second factor and has not entered it in this session
    goes to the set-up page (no device yet) or the code page, whatever they asked for. Signing
    out, static files, the health report and those pages stay reachable.

    Goes after AuthenticationMiddleware and django-otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = urlparse(settings.STATIC_URL).path

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not self.exempt(request.path_info)
            and two_factor_required(user)
        ):
            return self.second_factor_redirect(request)
        return self.get_response(request)

    def exempt(self, path_info):
        return path_info.startswith(self.static_prefix) or path_info in _exempt_paths()

    @staticmethod
    def second_factor_redirect(request):
        if request.path_info.startswith("/api/"):
            # A program using the API by browser session cannot follow a redirect to a code
            # page; it gets the API's error shape instead.
            return JsonResponse(
                error_body(
                    "two_factor_required",
                    _("Enter your second-factor code in the browser before using the API."),
                ),
                status=403,
            )
        has_device = django_otp.user_has_device(request.user, confirmed=True)
        target = reverse("accounts:otp_verify" if has_device else "accounts:otp_setup")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


# --- Two-factor: devices and codes ------------------------------------------------------------


def _pending_app_device(user):
    """The authenticator being set up: the same secret until it is confirmed, so that reloading
    the page does not invalidate the QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def backup_codes_replace(user):
    """Ten new one-time backup codes for `user`; the old ones stop working. Returns them: they
    are shown once."""
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.token_set.all().delete()
    codes = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    codes = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _confirm_app_device(request, device):
    """Make the pending authenticator the user's only one, with fresh backup codes, and mark
    this session as verified by it. Returns the backup codes."""
    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        # Only these fields: verify_token() saved the device's replay guard (last_t) through
        # another instance, which must not be overwritten.
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True, name=APP_DEVICE_NAME)
        codes = backup_codes_replace(user)
        audit_record(action=AuditAction.OTP_ENROLLED, object_kind="totpdevice", object_id=device.pk)
    device.refresh_from_db()
    _second_factor_passed(request, device)
    log.info("Two-factor sign-in set up for user %s.", user.pk)
    return codes


def _second_factor_passed(request, device):
    # A new session key for the now fully signed-in session, as at any change of privilege.
    request.session.cycle_key()
    django_otp.login(request, device)


def _devices_for_code(user, code):
    """The devices a typed code can belong to: six digits are an authenticator's, anything
    else a backup code. Trying only those keeps a typo from throttling the other kind."""
    if code.isdigit() and len(code) == 6:
        return TOTPDevice.objects.filter(user=user, confirmed=True)
    return StaticDevice.objects.filter(user=user, confirmed=True)


def _verify(user, devices, code):
    """The first of `devices` that accepts `code`, or None. django-otp throttles each device:
    after a wrong code the next try must wait 1, 2, 4, 8... seconds."""
    for device in devices:
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def _throttled_message(devices):
    """Why no code can be tried now (django-otp's throttle after wrong codes), or None."""
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed and details and details.get("locked_until"):
            seconds = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)
            return ngettext(
                "Too many wrong codes. Wait %(seconds)d second, then try again.",
                "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
                seconds,
            ) % {"seconds": seconds}
    return None


def _check_code(form, user, devices, kind):
    """The device that accepts the form's code, or None with the reason added to the form."""
    throttled = _throttled_message(devices)
    if throttled:
        form.add_error("code", throttled)
        audit_record(action=AuditAction.OTP_FAILED)
        return None
    device = _verify(user, devices, form.cleaned_data["code"])
    if device is None:
        form.add_error("code", _WRONG_CODE[kind])
        audit_record(action=AuditAction.OTP_FAILED)
    return device


_WRONG_CODE = {
    "setup": _(
        "That code is not right. Type the 6 digits your app shows now; if it still fails, "
        "check that the phone's clock is set automatically."
    ),
    "verify": _(
        "That code is not right. Type the 6 digits your authenticator app shows now, or one "
        "of your backup codes."
    ),
}


# --- Two-factor: pages ------------------------------------------------------------------------


# Hotline staff only, like the admin: partners have no browser pages (their API credentials are
# separate), and an account without a role has nothing to protect.
# Signed in without being staff, the sign-in page would send them straight back: not found.
def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        # People copy codes with spaces or dashes, and backup codes in capitals.
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _with_next(url, next_url):
    return f"{url}?{urlencode({'next': next_url})}"


def _page_context(title, **extra):
    return {
        "title": title,
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        **extra,
    }


def _qr_svg(device):
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10
    )
    # The library's own SVG markup for a URL it encoded as black and white squares.
    return mark_safe(image.to_string(encoding="unicode"))


def _spaced(secret):
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code;
    then the backup codes are shown, once. Replacing a device needs the current one first."""
    user = request.user
    next_url = _next_url(request)
    if django_otp.user_has_device(user, confirmed=True) and not user.is_verified():
        return redirect(_with_next(reverse("accounts:otp_verify"), next_url))
    device = _pending_app_device(user)
    form = CodeForm(request.POST or None)
    if form.is_valid() and _check_code(form, user, [device], "setup") is not None:
        codes = _confirm_app_device(request, device)
        context = _page_context(_("Your backup codes"), codes=codes, next=next_url, first_time=True)
        return render(request, "accounts/otp_backup_codes.html", context)
    context = _page_context(
        _("Set up two-factor sign-in"),
        form=form,
        next=next_url,
        qr_svg=_qr_svg(device),
        secret=_spaced(b32encode(device.bin_key).decode()),
        issuer=settings.OTP_TOTP_ISSUER,
        required=user.is_superuser or user.role in TWO_FACTOR_ROLES,
        replacing=django_otp.user_has_device(user, confirmed=True),
    )
    return render(request, "accounts/otp_setup.html", context)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of signing in: a code from the authenticator app or a backup code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not django_otp.user_has_device(user, confirmed=True):
        return redirect(_with_next(reverse("accounts:otp_setup"), next_url))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        devices = list(_devices_for_code(user, form.cleaned_data["code"]))
        device = _check_code(form, user, devices, "verify")
        if device is not None:
            _second_factor_passed(request, device)
            audit_record(
                action=AuditAction.OTP_PASSED,
                object_kind=device._meta.model_name,
                object_id=device.pk,
            )
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a backup code: %(left)d is left. Make new ones "
                        "on the two-factor page if you need to.",
                        "You signed in with a backup code: %(left)d are left. Make new ones "
                        "on the two-factor page if you need to.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(next_url)
    context = _page_context(_("Enter your sign-in code"), form=form, next=next_url)
    return render(request, "accounts/otp_verify.html", context)


@never_cache
@staff_required
@require_GET
def otp_manage(request):
    """Two-factor sign-in for the signed-in person: whether it is on, backup codes left."""
    user = request.user
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if app is None:
        return redirect("accounts:otp_setup")
    backup = StaticDevice.objects.filter(user=user, confirmed=True).first()
    context = _page_context(
        _("Two-factor sign-in"),
        app=app,
        codes_left=backup.token_set.count() if backup else 0,
    )
    return render(request, "accounts/otp_manage.html", context)


@never_cache
@staff_required
@require_POST
def otp_backup_codes(request):
    """New backup codes, shown once; the old ones stop working."""
    user = request.user
    if not django_otp.user_has_device(user, confirmed=True):
        return redirect("accounts:otp_setup")
    with transaction.atomic():
        codes = backup_codes_replace(user)
        audit_record(action=AuditAction.OTP_CODES)
    log.info("Backup codes replaced for user %s.", user.pk)
    context = _page_context(
        _("Your backup codes"), codes=codes, next=reverse("accounts:otp_manage")
    )
    return render(request, "accounts/otp_backup_codes.html", context)


urlpatterns = [
    path("2fa/", otp_manage, name="otp_manage"),
    path("2fa/setup/", otp_setup, name="otp_setup"),
    path("2fa/verify/", otp_verify, name="otp_verify"),
    path("2fa/backup-codes/", otp_backup_codes, name="otp_backup_codes"),
    path("session/keepalive/", keepalive, name="keepalive"),
]
