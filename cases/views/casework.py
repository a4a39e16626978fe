"""Case work in the browser: tip triage (/tips/), the case queue (/cases/) and the case page
(/cases/<reference>/), docs/casework.md.

Thin: forms validate, cases/services.py and hotline/services.py write, cases/selectors.py and
hotline/access.py read. Every page that shows a tip or a case is audited (audit_view, and
audit_list for the rows of a list or an export). A case or tip the person may not see answers
404, exactly like one that does not exist. Every form works as a plain POST; htmx (when the
page has it) only spares a full reload.
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import selectors, services, workflow
from cases.admin import viewed_by
from cases.forms import casework as forms
from cases.models import (
    Case,
    ClosingReason,
    Identifier,
    Note,
    Outcome,
    Party,
    Priority,
    Referral,
    TransactionClue,
    Venue,
)
from cases.views.casework_filters import SORTS, CaseQueueFilter
from hotline import access
from hotline import services as hotline_services
from hotline.access import Action, Permission
from hotline.admin import csv_lines
from hotline.audit import audit_list, audit_view
from hotline.models import (
    AuditAction,
    Industry,
    PartnerOrganisation,
    Region,
    Team,
    Tip,
    TraffickingType,
    User,
)

PAGE_SIZE = 50
EXPORT_BATCH = 1000


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def staff_page(view):
    """Signed in, and hotline staff: advocates, supervisors, admins (who read, audited).
    Partners use the API; an account with no role sees nothing."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if access.role_of(request.user) not in access.STAFF:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def triage_page(view):
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.may(request.user, Permission.TRIAGE_TIPS):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without(request, *names):
    data = request.GET.copy()
    for name in names:
        data.pop(name, None)
    return data.urlencode()


# --- Tip triage -------------------------------------------------------------------------------


@require_GET
@triage_page
def tip_list(request):
    state = request.GET.get("state", Tip.TriageState.NEW)
    if state not in Tip.TriageState.values and state != "all":
        state = Tip.TriageState.NEW
    tips = selectors.tip_queue(request.user, None if state == "all" else state)
    page = _page(request, tips)
    rows = list(page.object_list)
    audit_list("tip", [tip.pk for tip in rows])
    counts = selectors.tip_state_counts(request.user)
    tabs = [(value, label, counts.get(value, 0)) for value, label in Tip.TriageState.choices] + [
        ("all", _("All"), sum(counts.values()))
    ]
    return render(
        request,
        "cases/casework/tips.html",
        {"page": page, "tips": rows, "state": state, "tabs": tabs, "query": f"state={state}"},
    )


def _tip_or_404(request, pk):
    tips = Tip.objects.select_related(
        "region", "industry", "call", "organisation", "submitted_by", "triaged_by", "duplicate_of"
    )
    try:
        return access.tips_for(request.user, tips).get(pk=pk)
    except Tip.DoesNotExist:
        raise Http404 from None


def _render_tip(request, tip, *, triage_form=None, open_form=None, link_form=None, status=200):
    user = request.user
    audit_view(tip)
    identifiers = list(access.identifiers_for(user, Identifier.objects.filter(tip=tip)))
    linked = access.cases_for(user, tip.cases.all()).order_by("-opened_at")
    closed = tip.triage_state in hotline_services.CLOSED_TIP_STATES
    linked = list(linked)
    suggestions = [] if closed else selectors.tip_suggested_cases(user, tip, identifiers)
    # The other cases the page names (reference, status) are listed, and audited as a list.
    audit_list("case", [case.pk for case in linked] + [case.pk for case, _why in suggestions])
    context = {
        "tip": tip,
        "identifiers": identifiers,
        "indicators": list(tip.indicators.all()),
        "linked_cases": linked,
        "suggestions": suggestions,
        "may_open": access.may(user, Permission.OPEN_CASE) and not closed,
        "closed": closed,
        "triage_form": triage_form or forms.TipTriageForm(user=user, tip=tip),
        "open_form": open_form or forms.TipOpenCaseForm(),
        "link_form": link_form or forms.TipLinkForm(user=user),
    }
    return render(request, "cases/casework/tip.html", context, status=status)


@require_GET
@triage_page
def tip_detail(request, pk):
    return _render_tip(request, _tip_or_404(request, pk))


@require_POST
@triage_page
def tip_open_case(request, pk):
    tip = _tip_or_404(request, pk)
    if not access.may(request.user, Permission.OPEN_CASE):
        raise PermissionDenied
    form = forms.TipOpenCaseForm(request.POST)
    if form.is_valid():
        fields = {"assignee": form.cleaned_data["assignee"]}
        if form.cleaned_data["priority"] is not None:
            fields["priority"] = form.cleaned_data["priority"]
        try:
            case = services.case_open_from_tip(actor=request.user, tip=tip, **fields)
        except ValidationError as error:
            forms.show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Case %(reference)s opened from tip %(tip)s.")
                % {"reference": case.reference, "tip": tip.reference},
            )
            return redirect("casework:case", reference=case.reference)
    return _render_tip(request, tip, open_form=form)


@require_POST
@triage_page
def tip_link_case(request, pk):
    tip = _tip_or_404(request, pk)
    form = forms.TipLinkForm(request.POST, user=request.user)
    if form.is_valid():
        case = form.cleaned_data["case"]
        try:
            services.case_link_tip(actor=request.user, case=case, tip=tip)
        except ValidationError as error:
            forms.show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Tip %(tip)s linked to %(reference)s.")
                % {"tip": tip.reference, "reference": case.reference},
            )
            return redirect("casework:tip", pk=tip.pk)
    return _render_tip(request, tip, link_form=form)


@require_POST
@triage_page
def tip_triage(request, pk):
    tip = _tip_or_404(request, pk)
    form = forms.TipTriageForm(request.POST, user=request.user, tip=tip)
    if form.is_valid():
        data = form.cleaned_data
        try:
            hotline_services.tip_triage(
                actor=request.user,
                tip=tip,
                state=data["state"],
                reason=data["reason"] or "",
                duplicate_of=data["duplicate_of"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                # The service names its fields after the tip's columns.
                renamed = {
                    {"triage_state": "state", "triage_reason": "reason"}.get(key, key): value
                    for key, value in error.error_dict.items()
                }
                error = ValidationError(renamed)
            forms.show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Tip %(tip)s: %(state)s.")
                % {"tip": tip.reference, "state": Tip.TriageState(data["state"]).label},
            )
            return redirect("casework:tips")
    return _render_tip(request, tip, triage_form=form)


# --- The case queue ---------------------------------------------------------------------------


def _queue_filter(request):
    # Always bound, even to no parameters, so that the default sort applies.
    return CaseQueueFilter(
        request.GET, queryset=selectors.case_queue(request.user), user=request.user
    )


def _sort_links(request, current):
    """For each sortable column, the URL that sorts by it (the other way when it is the sort
    already) and the direction it is sorted now, if it is."""
    base = _query_without(request, "sort", "page")
    links = {}
    for key in SORTS:
        if key.startswith("-"):
            continue
        if current == key:
            target, direction = f"-{key}", "ascending"
        elif current == f"-{key}":
            target, direction = key, "descending"
        else:
            target, direction = key, None
        links[key] = {
            "url": f"?{base}&sort={target}" if base else f"?sort={target}",
            "dir": direction,
        }
    # "priority" sorts the most urgent first: shown as descending.
    if current == "priority":
        links["priority"]["dir"] = "descending"
    elif current == "-priority":
        links["priority"]["dir"] = "ascending"
    return links


@require_GET
@staff_page
def case_list(request):
    user = request.user
    filters = _queue_filter(request)
    cases = selectors.with_overdue(filters.qs)
    page = _page(request, cases)
    rows = list(page.object_list)
    audit_list("case", [case.pk for case in rows])
    counts = selectors.case_status_counts(filters.without_status().qs)
    sort = filters.sort_key
    may_bulk = access.can_on_visible(user, Action.ASSIGN, Case())
    context = {
        "filters": filters,
        "page": page,
        "cases": rows,
        "status_counts": [
            (status.value, status.label, counts.get(status.value, 0)) for status in workflow.Status
        ],
        "total": sum(counts.values()),
        "query": _query_without(request, "page"),
        "status_query": _query_without(request, "status", "page"),
        "sort_links": _sort_links(request, sort),
        "may_export": access.may(user, Permission.EXPORT),
        "may_bulk": may_bulk,
        "bulk_form": forms.BulkForm() if may_bulk else None,
    }
    return render(request, "cases/casework/cases.html", context)


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if target.startswith("/cases/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@staff_page
def case_bulk(request):
    user = request.user
    if not access.can_on_visible(user, Action.ASSIGN, Case()):
        raise PermissionDenied
    back = _safe_next(request, reverse("casework:cases"))
    form = forms.BulkForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    data = form.cleaned_data
    versions = dict(data["selected"])
    found = {
        case.pk: case
        for case in access.cases_for(user, Case.objects.all()).filter(pk__in=list(versions))
    }
    done, refused = [], []
    for pk, version in data["selected"]:
        case = found.get(pk)
        if case is None:
            refused.append((f"#{pk}", _("not found")))
            continue
        try:
            with transaction.atomic():
                _bulk_apply(user, case, version, data, form)
        except services.CaseChanged:
            refused.append((case.reference, _("changed by someone else since the list was shown")))
        except (ValidationError, PermissionDenied) as error:
            reason = "; ".join(getattr(error, "messages", []) or [_("not allowed")])
            refused.append((case.reference, reason))
        else:
            done.append(case.reference)
    if done:
        messages.success(
            request,
            _("Changed %(count)d cases: %(references)s.")
            % {"count": len(done), "references": ", ".join(done)},
        )
    for reference, reason in refused:
        messages.error(
            request,
            _("%(reference)s not changed: %(reason)s") % {"reference": reference, "reason": reason},
        )
    return redirect(back)


def _bulk_apply(user, case, version, data, form):
    if data["action"] == form.ASSIGN:
        if not access.can_on_visible(user, Action.ASSIGN, case):
            raise PermissionDenied
        services.case_assign(
            actor=user, case=case, assignee=data["assignee"], expected_version=version
        )
        return
    status = data["status"]
    if not access.can_on_visible(user, Action.CHANGE, case):
        raise PermissionDenied
    if status in workflow.CLOSED_STATUSES and not access.can_on_visible(
        user, Action.APPROVE_CLOSURE, case
    ):
        raise PermissionDenied
    services.case_status_change(
        actor=user,
        case=case,
        status=status,
        closing_reason=data.get("closing_reason") or "",
        expected_version=version,
    )


EXPORT_COLUMNS = [
    ("reference", lambda case: case.reference),
    ("status", lambda case: case.get_status_display()),
    ("priority", lambda case: case.get_priority_display()),
    ("trafficking type", lambda case: case.get_trafficking_type_display()),
    ("industry", lambda case: case.industry.name if case.industry_id else ""),
    ("region", lambda case: case.region.code if case.region_id else ""),
    ("assignee", lambda case: case.assignee.username if case.assignee_id else ""),
    ("team", lambda case: case.team.name if case.team_id else ""),
    ("restricted", lambda case: "yes" if case.is_restricted else "no"),
    ("opened", lambda case: case.opened_at),
    ("closed", lambda case: case.closed_at),
]


@require_GET
@staff_page
def case_export(request):
    """The filtered list as CSV, every row (not a page): what a case is, never who is in it.
    Audited (export, with every id written out) before the first line is sent."""
    if not access.may(request.user, Permission.EXPORT):
        raise PermissionDenied
    filters = _queue_filter(request)
    if not filters.form.is_valid():
        # A download cannot show what is wrong with a filter; exporting without it would write
        # out more than the person asked for. Back to the list, which shows the error.
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('casework:cases')}?{request.GET.urlencode()}")
    # A filter through a relation may list a case twice; it is written out once.
    ids = list(dict.fromkeys(filters.qs.values_list("pk", flat=True)))
    audit_list("case", ids, action=AuditAction.EXPORT)
    order = SORTS[filters.sort_key]

    def rows():
        for start in range(0, len(ids), EXPORT_BATCH):
            batch = selectors.case_queue_rows(ids[start : start + EXPORT_BATCH]).order_by(*order)
            for case in batch:
                yield [value(case) for _title, value in EXPORT_COLUMNS]

    response = StreamingHttpResponse(
        csv_lines([title for title, _value in EXPORT_COLUMNS], rows()),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    return response


# --- The case page ----------------------------------------------------------------------------


def _case_or_404(request, reference):
    try:
        return selectors.case_by_reference(request.user, reference)
    except Case.DoesNotExist:
        raise Http404 from None


EDIT_FORMS = {
    "status_form": forms.CaseStatusForm,
    "closure_form": forms.ClosureRequestForm,
    "decision_form": forms.ClosureDecisionForm,
    "assign_form": forms.CaseAssignForm,
    "details_form": forms.CaseDetailsForm,
}


def _names(model, ids, label):
    # Asked even with no ids (none matches 0), so that the page makes the same queries
    # whichever events the case has.
    ids = {pk for pk in ids if isinstance(pk, int)} or {0}
    return {row.pk: label(row) for row in model.objects.filter(pk__in=ids)}


CHOICE_LABELS = {
    "priority": dict(Priority.choices),
    "trafficking_type": dict(TraffickingType.choices),
    "closure_requested_status": dict(workflow.Status.choices),
    "closure_requested_reason": dict(ClosingReason.choices),
}


def describe_events(events):
    """Each event as (event, text): what happened, in words, from the ids and codes the event
    holds (never names or free text: those are not in events), with one query per kind of
    record the events name."""
    users, teams, orgs, industries, regions = set(), set(), set(), set(), set()
    for event in events:
        data = event.data
        users.update(
            data.get(key) for key in ("assignee", "previous_assignee", "closure_requested_by")
        )
        teams.update(data.get(key) for key in ("team", "previous_team"))
        orgs.add(data.get("organisation"))
        changes = data.get("changes") or {}
        industries.update(changes.get("industry") or [])
        regions.update(changes.get("region") or [])
    names = {
        "user": _names(User, users, lambda user: user.get_username()),
        "team": _names(Team, teams, str),
        "organisation": _names(PartnerOrganisation, orgs, lambda org: org.name),
        "industry": _names(Industry, industries, lambda industry: industry.name),
        "region": _names(Region, regions, lambda region: region.code),
    }
    return [(event, _event_text(event, names)) for event in events]


def _field_name(field):
    """A case field as the page names it: its verbose name, translated."""
    try:
        return str(Case._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        return field.replace("_", " ")


def _label(field, value, names):
    if value is None or value == "":
        return "—"
    if field in CHOICE_LABELS:
        return str(CHOICE_LABELS[field].get(value, value))
    if field in ("industry", "region"):
        return names[field].get(value, f"#{value}")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _event_text(event, names):
    data, kind = event.data, event.kind
    status_label = dict(workflow.Status.choices)
    reason_label = dict(ClosingReason.choices)
    if kind == "status_changed":
        text = _("%(previous)s → %(status)s") % {
            "previous": status_label.get(data.get("previous"), data.get("previous")),
            "status": status_label.get(data.get("status"), data.get("status")),
        }
        if data.get("closing_reason"):
            text += f" ({reason_label.get(data['closing_reason'], data['closing_reason'])})"
        if data.get("closure_requested_by"):
            text += " · " + _("closure requested by %(user)s") % {
                "user": names["user"].get(data["closure_requested_by"], "?")
            }
        return text
    if kind == "assigned":
        who = names["user"].get(data.get("assignee"), _("nobody"))
        team = names["team"].get(data.get("team"))
        return _("to %(who)s") % {"who": who} + (f" ({team})" if team else "")
    if kind == "updated":
        changes = data.get("changes") or {}
        if set(changes) == {"closure_requested_status", "closure_requested_reason"}:
            old, new = changes["closure_requested_reason"]
            if new:
                return _("closure requested: %(reason)s") % {
                    "reason": _label("closure_requested_reason", new, names)
                }
            return _("closure request declined (%(reason)s)") % {
                "reason": _label("closure_requested_reason", old, names)
            }
        parts = []
        for field in data.get("fields", []):
            if field in changes:
                old, new = changes[field]
                parts.append(
                    f"{_field_name(field)}: {_label(field, old, names)} → "
                    f"{_label(field, new, names)}"
                )
            else:
                parts.append(_field_name(field))
        return ", ".join(parts)
    if kind in ("referral_sent",):
        return names["organisation"].get(data.get("organisation"), "")
    if kind in ("party_added",):
        return str(dict(Party.Role.choices).get(data.get("role"), ""))
    if kind in ("identifier_added", "identifier_updated"):
        return str(dict(Identifier.Kind.choices).get(data.get("identifier_kind"), ""))
    if kind in ("outcome_recorded", "outcome_updated"):
        return str(dict(Outcome.Kind.choices).get(data.get("outcome_kind"), ""))
    if kind == "referral_updated" and data.get("status"):
        statuses = dict(Referral.Status.choices)
        return (
            f"{statuses.get(data.get('previous'), data.get('previous'))} → "
            f"{statuses.get(data.get('status'), data.get('status'))}"
        )
    fields = data.get("fields")
    return ", ".join(_field_name(field) for field in fields) if fields else ""


def _render_case(request, case, *, bound=None, conflict=None, status=200):
    """The case page, audited. `bound`: {name: form} of the form that was just sent (with its
    errors and what was typed); every other form is fresh."""
    user = request.user
    bound = bound or {}
    audit_view(case)
    can = functools.partial(access.can_on_visible, user, case=case)
    may_change = can(Action.CHANGE)
    seen_event = selectors.case_last_event_id(case)
    identities = access.identities_visible(user, case)
    parties = list(case.parties.all())
    for party in parties:
        party.hidden = access.hidden_party_fields(user, party, identities=identities)
    identifiers = list(
        access.identifiers_for(user, Identifier.objects.filter(case=case)).select_related("party")
    )
    accounts = _with_clues(identifiers)
    referrals = list(case.referrals.select_related("organisation"))
    now = timezone.now()
    for referral in referrals:
        referral.overdue = (
            referral.status == Referral.Status.SENT
            and referral.due_at is not None
            and referral.due_at < now
        )
    shared = list(selectors.cases_sharing_identifiers(user, case, identifiers)[:20])
    audit_list("case", [other.pk for other in shared])
    context = {
        "case": case,
        "conflict": conflict,
        "closure_pending": services.closure_pending(case),
        "parties": parties,
        "identifiers": identifiers,
        "venues": list(Venue.objects.filter(case=case).select_related("industry", "region")),
        "referrals": referrals,
        "outcomes": list(case.outcomes.select_related("referral__organisation")),
        "notes": list(
            Note.objects.filter(case=case).select_related("author").order_by("-created_at")
        ),
        "timeline": describe_events(selectors.case_timeline(case)),
        "shared": shared,
        "tips": list(access.tips_for(user, case.tips.all())),
        "may_change": may_change,
        "may_assign": can(Action.ASSIGN),
        "may_approve": can(Action.APPROVE_CLOSURE),
        "may_outcome": can(Action.RECORD_OUTCOME),
        "viewed_by": _viewed_by(user, case),
        "perms_triage": access.may(user, Permission.TRIAGE_TIPS),
    }
    common = {"case": case, "user": user, "seen_event": seen_event}
    offered = forms.offered_transitions(user, case)
    requestable = forms.closure_requestable(user, case)
    wanted = {
        "status_form": may_change and bool(offered),
        "closure_form": may_change and bool(requestable) and not context["closure_pending"],
        "decision_form": context["may_approve"] and context["closure_pending"],
        "assign_form": context["may_assign"],
        "details_form": may_change,
    }
    for name, form_class in EDIT_FORMS.items():
        # A form sent back is shown only if it still applies (someone else may have decided
        # the closure, or left no transition this person may make).
        context[name] = (bound.get(name) or form_class(**common)) if wanted[name] else None
    if may_change:
        context["note_form"] = bound.get("note_form") or forms.NoteForm()
        context["party_form"] = bound.get("party_form") or forms.PartyForm()
        context["identifier_form"] = bound.get("identifier_form") or forms.IdentifierForm(
            case=case, parties=parties
        )
        context["venue_form"] = bound.get("venue_form") or forms.VenueForm()
        context["referral_form"] = bound.get("referral_form") or forms.ReferralForm()
        if accounts:
            context["clue_form"] = bound.get("clue_form") or forms.TransactionClueForm(
                case=case, accounts=accounts
            )
            context["clue_form"].fields["identifier"].choices = [
                (row.pk, row.value) for row in accounts
            ]
    if context["may_outcome"]:
        context["outcome_form"] = bound.get("outcome_form") or forms.OutcomeForm(
            case=case, referrals=referrals
        )
    return render(request, "cases/casework/case.html", context, status=status)


def _with_clues(identifiers):
    """The payment accounts among `identifiers` (those the page shows), each with its
    transaction clues (`clues`), in one query whatever their number (docs/linking.md)."""
    accounts = [row for row in identifiers if row.kind == Identifier.Kind.PAYMENT_ACCOUNT]
    by_account = {row.pk: row for row in accounts}
    for row in accounts:
        row.clues = []
    # Asked even with no account (no identifier has id 0), so the page's queries stay the same.
    clues = TransactionClue.objects.filter(identifier__in=list(by_account) or [0]).order_by(
        F("occurred_on").asc(nulls_last=True), "pk"
    )
    for clue in clues:
        by_account[clue.identifier_id].clues.append(clue)
    return accounts


def _viewed_by(user, case):
    if not access.may(user, Permission.SEE_CASE_READS):
        return None
    return viewed_by(case)[:10]


@require_GET
@staff_page
def case_detail(request, reference):
    return _render_case(request, _case_or_404(request, reference))


def _shown(name, value):
    if value is None or value == "":
        return "—"
    if name == "priority":
        return str(dict(Priority.choices).get(value, value))
    if name == "trafficking_type":
        return str(dict(TraffickingType.choices).get(value, value))
    if name == "region":
        return value.code
    if name == "industry":
        return value.name
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _conflict(case, form):
    """What to tell someone whose save was refused because the case changed meanwhile: the
    events since the one they saw and, for the case's fields they typed, what it holds now."""
    seen = (getattr(form, "cleaned_data", None) or {}).get("seen_event")
    events = selectors.case_timeline(case, after=seen) if seen is not None else []
    differences = []
    if isinstance(form, forms.CaseDetailsForm) and not form.errors:
        for name, typed in form.changes().items():
            current = getattr(case, name)
            if typed != current:
                differences.append(
                    (form.fields[name].label, _shown(name, typed), _shown(name, current))
                )
    return {"events": describe_events(events), "differences": differences}


def _rebound(form_class, request, case, typed):
    """The form as the person sent it, but carrying the case's current version and last
    event: what they changed is kept (`typed`: those fields), every other field shows the case
    as it is now, and saving again is a deliberate choice made after seeing what changed."""
    data = request.POST.copy()
    data["version"] = str(case.version)
    data["seen_event"] = str(selectors.case_last_event_id(case))
    if form_class is forms.CaseDetailsForm:
        current = forms.CaseDetailsForm.values_of(case)
        for name, value in current.items():
            shown = "" if value is None else str(value)
            if name == "is_restricted":
                shown = "on" if value else ""
            data[f"initial-{name}"] = shown
            if name not in typed:
                data[name] = shown
    return form_class(data, case=case, user=request.user)


def _case_edit(request, reference, form_name, action, apply, success):
    """Handle one versioned edit form of the case page: `apply(form, case, version)` calls the
    service with the version the form was shown with; a stale one shows what changed and keeps
    the input."""
    case = _case_or_404(request, reference)
    if not access.can_on_visible(request.user, action, case):
        raise PermissionDenied
    form_class = EDIT_FORMS[form_name]
    form = form_class(request.POST, case=case, user=request.user)
    conflict = None
    if form.is_valid():
        try:
            apply(form, case, form.cleaned_data["version"])
        except services.CaseChanged:
            current = _case_or_404(request, reference)
            conflict = _conflict(current, form)
            typed = form.changes() if hasattr(form, "changes") else {}
            form = _rebound(form_class, request, current, typed)
            form.is_valid()
            case = current
        except ValidationError as error:
            forms.show_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("casework:case", reference=case.reference)
    elif form.cleaned_data.get("version") not in (None, case.version):
        # The choices follow the case as it is now, so these errors may come from someone
        # else's change: say so, as for a refused save.
        conflict = _conflict(case, form)
    return _render_case(request, case, bound={form_name: form}, conflict=conflict)


@require_POST
@staff_page
def case_status(request, reference):
    def apply(form, case, version):
        services.case_status_change(
            actor=request.user,
            case=case,
            status=form.cleaned_data["status"],
            closing_reason=form.cleaned_data.get("closing_reason") or "",
            expected_version=version,
        )

    return _case_edit(request, reference, "status_form", Action.CHANGE, apply, _("Status changed."))


@require_POST
@staff_page
def case_closure_request(request, reference):
    def apply(form, case, version):
        services.case_closure_request(
            actor=request.user,
            case=case,
            status=form.cleaned_data["status"],
            closing_reason=form.cleaned_data["closing_reason"],
            expected_version=version,
        )

    return _case_edit(
        request,
        reference,
        "closure_form",
        Action.CHANGE,
        apply,
        _("Closure requested: a supervisor will approve or decline it."),
    )


@require_POST
@staff_page
def case_closure_decide(request, reference):
    def apply(form, case, version):
        decide = (
            services.case_closure_approve
            if form.cleaned_data["decision"] == "approve"
            else services.case_closure_decline
        )
        decide(actor=request.user, case=case, expected_version=version)

    return _case_edit(
        request,
        reference,
        "decision_form",
        Action.APPROVE_CLOSURE,
        apply,
        _("Closure request decided."),
    )


@require_POST
@staff_page
def case_assign(request, reference):
    def apply(form, case, version):
        services.case_assign(
            actor=request.user,
            case=case,
            assignee=form.cleaned_data["assignee"],
            expected_version=version,
        )

    return _case_edit(request, reference, "assign_form", Action.ASSIGN, apply, _("Case assigned."))


@require_POST
@staff_page
def case_details(request, reference):
    def apply(form, case, version):
        services.case_update(
            actor=request.user, case=case, expected_version=version, **form.changes()
        )

    return _case_edit(
        request, reference, "details_form", Action.CHANGE, apply, _("Case details saved.")
    )


def _case_add(request, reference, form_name, build_form, save, success, action=Action.CHANGE):
    """Handle an "add" form of the case page (a note, a party, an identifier...). Additions
    never overwrite anything, so they carry no version."""
    case = _case_or_404(request, reference)
    if not access.can_on_visible(request.user, action, case):
        raise PermissionDenied
    form = build_form(request.POST, case)
    if form.is_valid():
        try:
            with transaction.atomic():
                save(form.cleaned_data, case)
        except ValidationError as error:
            forms.show_service_errors(form, error)
        else:
            if _is_htmx(request) and form_name == "note_form":
                return _render_notes(request, case)
            messages.success(request, success)
            return redirect(f"{reverse('casework:case', args=[case.reference])}#{form_name}")
    if _is_htmx(request) and form_name == "note_form":
        return _render_notes(request, case, form=form)
    return _render_case(request, case, bound={form_name: form})


def _render_notes(request, case, form=None):
    """The notes section and (out of band) the timeline, for htmx."""
    audit_view(case)
    notes = Note.objects.filter(case=case).select_related("author").order_by("-created_at")
    context = {
        "case": case,
        "notes": list(notes),
        "note_form": form or forms.NoteForm(),
        "timeline": describe_events(selectors.case_timeline(case)),
        "may_change": True,
        "oob": True,
        "note_saved": form is None,
    }
    return render(request, "cases/casework/_notes.html", context)


@require_POST
@staff_page
def case_note(request, reference):
    return _case_add(
        request,
        reference,
        "note_form",
        lambda data, case: forms.NoteForm(data),
        lambda data, case: services.note_add(actor=request.user, case=case, text=data["text"]),
        _("Note added."),
    )


@require_POST
@staff_page
def case_party(request, reference):
    return _case_add(
        request,
        reference,
        "party_form",
        lambda data, case: forms.PartyForm(data),
        lambda data, case: services.party_add(actor=request.user, case=case, **data),
        _("Party added."),
    )


@require_POST
@staff_page
def case_identifier(request, reference):
    return _case_add(
        request,
        reference,
        "identifier_form",
        lambda data, case: forms.IdentifierForm(data, case=case),
        lambda data, case: services.identifier_add(actor=request.user, case=case, **data),
        _("Identifier added."),
    )


@require_POST
@staff_page
def case_transaction_clue(request, reference):
    return _case_add(
        request,
        reference,
        "clue_form",
        lambda data, case: forms.TransactionClueForm(data, case=case),
        lambda data, case: services.transaction_clue_add(actor=request.user, **data),
        _("Transaction clue added."),
    )


@require_POST
@staff_page
def case_venue(request, reference):
    return _case_add(
        request,
        reference,
        "venue_form",
        lambda data, case: forms.VenueForm(data),
        lambda data, case: services.venue_add(actor=request.user, case=case, **data),
        _("Venue added."),
    )


@require_POST
@staff_page
def case_referral(request, reference):
    return _case_add(
        request,
        reference,
        "referral_form",
        lambda data, case: forms.ReferralForm(data),
        lambda data, case: services.referral_send(actor=request.user, case=case, **data),
        _("Referral sent."),
    )


@require_POST
@staff_page
def case_outcome(request, reference):
    return _case_add(
        request,
        reference,
        "outcome_form",
        lambda data, case: forms.OutcomeForm(data, case=case),
        lambda data, case: services.outcome_record(actor=request.user, case=case, **data),
        _("Outcome recorded."),
        action=Action.RECORD_OUTCOME,
    )
