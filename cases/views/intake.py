"""Log a call (/calls/new/): the form, what it asks the server while the advocate types
(matching cases, regions), and the confirmation (docs/web.md)."""

import re
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases import services
from cases.forms.intake import CallForm, identifier_formset
from cases.identifiers import normalise
from cases.models import Case, Identifier
from cases.selectors import identifier_term_filter
from cases.workflow import Status
from hotline import access
from hotline.access import Permission
from hotline.audit import audit_list, audit_view
from hotline.forms import region_label, with_labels
from hotline.models import Call, Region, Tip

# How many typed values one look-up compares, and how many cases it lists.
MATCH_TERMS_MAX = 20
MATCHES_MAX = 20
REGIONS_MAX = 20
REGION_TERM = forms.CharField(required=False)
_VALUE_FIELD = re.compile(r"^identifiers-\d{1,2}-value$")
REPEAT_CHANGED = _(
    "This call was already saved; your later changes were not saved — open the call to correct it."
)
STATUS_LABELS = {
    Status.NEW: _("New"),
    Status.ACTIVE: _("Active"),
    Status.FOLLOW_UP: _("Follow-up"),
    Status.REFERRED: _("Referred"),
    Status.CLOSED: _("Closed"),
    Status.CLOSED_REFERRED: _("Closed (referred)"),
}


def intake_required(view):
    """Signed in (else the sign-in page), and allowed to log calls (else 403)."""

    @wraps(view)
    def check(request, *args, **kwargs):
        if not access.may(request.user, Permission.LOG_INTAKE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(check, login_url="login")


@never_cache
@intake_required
@require_http_methods(["GET", "POST"])
def call_new(request):
    if request.method == "POST":
        form = CallForm(request.POST)
        form_valid = form.is_valid()
        # Ticked or not, whatever else is wrong with the form.
        tip_wanted = bool(form.cleaned_data.get("is_tip"))
        identifiers = identifier_formset(request.POST, tip_wanted=tip_wanted)
        # Both validated, so every error shows at once.
        identifiers_valid = identifiers.is_valid()
        if form_valid and identifiers_valid:
            try:
                call = services.call_log_with_identifiers(
                    advocate=request.user,
                    tip=form.tip_fields(),
                    identifiers=identifiers.rows(),
                    **form.call_fields(),
                )
            except ValidationError as error:
                form.add_errors_from(error)
            else:
                if call.was_repeat and _content_differs(call, form, identifiers.rows()):
                    messages.warning(request, REPEAT_CHANGED)
                return redirect("call_saved", pk=call.pk)
    else:
        form = CallForm()
        identifiers = identifier_formset()
    context = {
        "form": form,
        "identifiers": identifiers,
        "identifiers_invalid": identifiers.is_bound and any(identifiers.errors),
        "draft_key": f"hotline:draft:call-log:{request.user.pk}",
    }
    return render(request, "cases/intake/call_form.html", context)


def _content_differs(call, form, identifier_rows):
    """Whether a repeat (same intake key) says something the saved call does not: a draft
    restored after a save the advocate never saw, then edited. call_log keeps the first call."""
    sent = form.call_fields()
    sent_tip = form.tip_fields()
    tip = Tip.objects.filter(call=call).first()
    if call.summary != sent["summary"] or (tip is None) != (sent_tip is None):
        return True
    if tip is None:
        return False
    if any(
        getattr(tip, name) != sent_tip[name] for name in ("observed", "address", "people_mentioned")
    ):
        return True
    saved = set(Identifier.objects.filter(tip=tip).values_list("kind", "platform", "value_hash"))
    return _identifier_keys(identifier_rows) != saved


def _identifier_keys(rows):
    """(kind, platform, keyed hash) of each identifier row, as identifier_add would store it."""
    keys = set()
    for row in rows:
        kind = row["kind"]
        platform = row.get("platform", "") if kind == Identifier.Kind.HANDLE else ""
        identifier = Identifier(kind=kind, platform=platform)
        identifier.set_normalised(normalise(kind, row["value"], platform))
        keys.add((kind, platform, identifier.value_hash))
    return keys


@never_cache
@intake_required
@require_GET
def call_saved(request, pk):
    """What was saved: the call's (and tip's) reference, and a way to log the next one."""
    call = (
        access.calls_for(request.user, Call.objects.filter(pk=pk, advocate=request.user))
        .select_related("tip", "region")
        .first()
    )
    if call is None:
        raise Http404
    audit_view(call)
    context = {
        "call": with_labels(call),
        "tip": getattr(call, "tip", None),
        "draft_key": f"hotline:draft:call-log:{request.user.pk}",
    }
    return render(request, "cases/intake/call_saved.html", context)


def _typed_values(request):
    values = [request.GET.get("q", "")]
    values += [value for name, value in request.GET.items() if _VALUE_FIELD.match(name)]
    unique = []
    for value in values:
        value = value.strip()[:300]
        if value and value not in unique:
            unique.append(value)
    return unique[:MATCH_TERMS_MAX]


@never_cache
@intake_required
@require_GET
def call_matches(request):
    """The cases that already hold a phone number, e-mail or handle being typed, compared by
    keyed hash of the normalised value (cases/selectors.py). Lists only cases the advocate may
    see, by reference and status: never a value."""
    user = request.user
    terms = {}
    for value in _typed_values(request):
        condition = identifier_term_filter(value)
        if condition is not None:
            terms[value] = condition
    matches = []
    if terms:
        condition = Q()
        for alternative in terms.values():
            condition |= alternative
        visible_cases = access.cases_for(user, Case.objects.all())
        found = access.identifiers_for(
            user, Identifier.objects.filter(condition, case__in=visible_cases)
        )
        matches = list(
            visible_cases.filter(pk__in=found.values("case_id"))
            .only("pk", "reference", "status", "opened_at")
            .order_by("-opened_at")[:MATCHES_MAX]
        )
        if matches:
            audit_list("case", [case.pk for case in matches])
        for case in matches:
            case.status_label = STATUS_LABELS.get(case.status, case.status)
    context = {"matches": matches, "searched": bool(terms)}
    return render(request, "cases/intake/_matches.html", context)


@intake_required
@require_GET
def regions(request):
    """Regions whose name or code starts with, or name contains, what is typed: the region
    field's type-ahead. [{"code", "label"}], the page's language."""
    try:
        # A form field refuses NUL, which PostgreSQL cannot compare with (a 500 otherwise).
        term = REGION_TERM.clean(request.GET.get("q", ""))[:60]
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    if len(term) < 2:
        return JsonResponse({"results": []})
    found = Region.objects.filter(Q(name__icontains=term) | Q(code__istartswith=term)).order_by(
        "depth", "name"
    )[:REGIONS_MAX]
    results = [{"code": region.code, "label": region_label(region)} for region in found]
    return JsonResponse({"results": results})
