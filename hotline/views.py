"""The hotline app's pages: home, sign-in, the public tip form, the health report; and the
navigation every page shows (docs/web.md)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from hotline import access, selectors, services
from hotline.access import Permission
from hotline.audit import audit_list, client_ip
from hotline.forms import PublicTipForm, SignInForm, with_labels
from hotline.models import AuditAction, AuditEntry, Call, Tip
from hotline.models.intake import tip_reference

log = logging.getLogger(__name__)

# How many of their own calls an advocate's home page lists.
RECENT_CALLS = 8


def _navigation(user):
    role = access.role_of(user)
    staff = role in access.STAFF
    return {
        "role": role,
        "log_call": access.may(user, Permission.LOG_INTAKE),
        # Tip triage is the supervisors' queue (cases/views/casework.py).
        "tips": access.may(user, Permission.TRIAGE_TIPS),
        "cases": staff,
        "dashboard": staff,
        "links": access.may(user, Permission.REVIEW_LINKS),
        "deadlines": access.may(user, Permission.REVIEW_DEADLINES),
        "admin": bool(user.is_authenticated and user.is_active and user.is_staff),
    }


def navigation(request):
    """Template context: what the navigation shows this user (hotline.access decides). Lazy,
    so pages that do not show the navigation (the admin's) ask nothing."""
    return {"nav": SimpleLazyObject(lambda: _navigation(request.user))}


@require_GET
def home(request):
    """A start page for each role: advocates log a call, supervisors see what waits for triage,
    partners are told where their API is."""
    user = request.user
    context = {"role": access.role_of(user)}
    if access.may(user, Permission.LOG_INTAKE):
        context["recent_calls"] = [
            with_labels(call)
            for call in access.calls_for(user, Call.objects.filter(advocate=user))
            .select_related("tip", "region")
            .order_by("-started_at")[:RECENT_CALLS]
        ]
        if context["recent_calls"]:
            audit_list("call", [call.pk for call in context["recent_calls"]])
    if access.may(user, Permission.TRIAGE_TIPS):
        new_tips = access.tips_for(user, Tip.objects.filter(triage_state=Tip.TriageState.NEW))
        context["new_tips"] = new_tips.count()
        context["urgent_tips"] = new_tips.filter(urgency__gt=0).count()
    return render(request, "hotline/home.html", context)


class SignInView(auth_views.LoginView):
    """The sign-in page in the app's look. The password goes through the same backends as the
    admin's form (the lockout first); the two-factor step follows by itself
    (hotline.accounts.TwoFactorMiddleware)."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    next_page = "home"

    def form_valid(self, form):
        response = super().form_valid(form)
        # The person's own language from now on, whatever the browser says.
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
            )
        return response


sign_in = never_cache(SignInView.as_view())
sign_out = auth_views.LogoutView.as_view(next_page="login")


# --- The public tip form ----------------------------------------------------------------------


def _language_from_query(request):
    """?lang=es picks the page's language for a visitor without a session (a link from a
    Spanish-language site, a QR code on a poster); it is kept in the language cookie."""
    language = request.GET.get("lang", "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return language
    return None


def _with_language_cookie(response, language):
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def public_tips_from(ip, *, within):
    """How many tips the public form stored from `ip` in the last `within`: counted in the
    audit trail, which every web process shares (a counter in one process's memory would let a
    sender spread their tips over the workers)."""
    if not ip:
        return 0
    return AuditEntry.objects.filter(
        at__gte=timezone.now() - within,
        action=AuditAction.CREATE,
        object_kind="tip",
        user__isnull=True,
        ip=ip,
    ).count()


def _rate_limited(request):
    limit = settings.HOTLINE_PUBLIC_TIP_LIMIT
    if limit == 0:
        return False
    window = timedelta(minutes=settings.HOTLINE_PUBLIC_TIP_WINDOW_MINUTES)
    return public_tips_from(client_ip(request), within=window) >= limit


def _tip_differs(tip, fields):
    region = fields["region"]
    return (
        tip.observed != fields["observed"]
        or tip.address != fields["address"]
        or tip.people_mentioned != fields["people_mentioned"]
        or tip.urgency != fields["urgency"]
        or tip.region_id != (region.pk if region is not None else None)
    )


@never_cache
@require_http_methods(["GET", "POST"])
def public_tip(request):
    """The public tip form: no sign-in, English and Spanish. It answers with a reference code
    and nothing of what was sent, and never says whether anything matched."""
    language = _language_from_query(request)
    if request.method == "POST":
        form = PublicTipForm(request.POST)
        if _rate_limited(request):
            # The form comes back with what was typed, so nothing is lost for a person who
            # shares an address with many others (a library, a shelter).
            log.warning("Public tip form: rate limit reached for one address.")
            context = {"form": form, "limited": True}
            response = render(request, "hotline/public_tip.html", context, status=429)
            response["Retry-After"] = str(settings.HOTLINE_PUBLIC_TIP_WINDOW_MINUTES * 60)
            return response
        if form.is_valid():
            if form.is_bot():
                # The page a person gets, with a reference that names nothing, so the bot
                # learns nothing; nothing is stored.
                log.info("Public tip form: honeypot filled; nothing stored.")
                reference = tip_reference()
                return render(request, "hotline/public_tip_thanks.html", {"reference": reference})
            fields = form.tip_fields()
            try:
                tip = services.tip_submit(source=Tip.Source.WEB_FORM, **fields)
                if tip.was_repeat and _tip_differs(tip, fields):
                    # The form sent again with changes (Back keeps its hidden key): the
                    # corrections are kept as a tip of their own rather than dropped.
                    fields["intake_key"] = None
                    tip = services.tip_submit(source=Tip.Source.WEB_FORM, **fields)
            except ValidationError as error:
                form.add_errors_from(error)
            else:
                context = {"reference": tip.reference}
                return render(request, "hotline/public_tip_thanks.html", context)
    else:
        form = PublicTipForm()
    response = render(request, "hotline/public_tip.html", {"form": form})
    return _with_language_cookie(response, language)


@never_cache
@require_GET
def healthz(request):
    report = selectors.health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
