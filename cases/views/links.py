"""Links between cases in the browser (docs/linking.md, docs/forwarding.md): link review
(/links/), clusters (/clusters/<id>/), their network (/clusters/<id>/network/) and exports, and
the forwarding deadlines queue (/deadlines/).

Thin, like cases/views/casework.py: cases/linking.py and cases/forwarding.py write,
cases/selectors.py and hotline/access.py read. A suggestion or cluster naming no case the person
may see answers 404. Every list is audited (audit_list), every export too (AuditAction.EXPORT).
"""

import csv
import functools
import io
import re
from xml.sax.saxutils import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import forwarding, linking, selectors
from cases.financial import audit_financial_summary
from cases.models import Case, Cluster, Identifier, Party, Venue
from hotline import access
from hotline.access import Action, Permission
from hotline.audit import audit_list, audit_record
from hotline.models import AuditAction

PAGE_SIZE = 50


def permission_page(permission):
    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not access.may(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def staff_page(view):
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if access.role_of(request.user) not in access.STAFF:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# --- Link review ------------------------------------------------------------------------------


@require_GET
@permission_page(Permission.REVIEW_LINKS)
def link_list(request):
    state = request.GET.get("state", "open")
    if state not in ("open", "confirmed", "dismissed"):
        state = "open"
    suggestions = selectors.link_suggestions_for(request.user, state)
    page = Paginator(suggestions, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    visible_identifiers = set(
        access.identifiers_for(
            request.user,
            Identifier.objects.filter(
                pk__in=[row.identifier_a_id for row in rows if row.identifier_a_id]
            ),
        ).values_list("pk", flat=True)
    )
    for row in rows:
        row.shown_value = (
            row.identifier_a.value if row.identifier_a_id in visible_identifiers else None
        )
    audit_list("case", sorted({pk for row in rows for pk in (row.case_a_id, row.case_b_id)}))
    return render(
        request,
        "cases/links/links.html",
        {"page": page, "suggestions": rows, "state": state, "query": f"state={state}"},
    )


@require_POST
@permission_page(Permission.REVIEW_LINKS)
def link_decide(request, pk):
    suggestion = selectors.link_suggestions_for(request.user).filter(pk=pk).first()
    if suggestion is None:
        raise Http404
    decision = request.POST.get("decision")
    try:
        if decision == "confirm":
            cluster = linking.link_confirm(actor=request.user, suggestion=suggestion)
            messages.success(
                request,
                _("%(a)s and %(b)s are linked, in cluster %(cluster)s.")
                % {
                    "a": suggestion.case_a.reference,
                    "b": suggestion.case_b.reference,
                    "cluster": cluster.name,
                },
            )
        elif decision == "dismiss":
            linking.link_dismiss(actor=request.user, suggestion=suggestion)
            messages.success(request, _("Suggestion dismissed; it will not come back."))
        else:
            messages.error(request, _("Choose confirm or dismiss."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("links:links")


# --- Clusters ---------------------------------------------------------------------------------


def _cluster_or_404(request, pk):
    cluster = Cluster.objects.filter(pk=pk).first()
    if cluster is None:
        raise Http404
    cases = list(selectors.cluster_cases(request.user, cluster))
    if not cases:
        raise Http404
    return cluster, cases


@require_http_methods(["GET", "POST"])
@staff_page
def cluster_detail(request, pk):
    cluster, cases = _cluster_or_404(request, pk)
    may_rename = access.may(request.user, Permission.REVIEW_LINKS)
    error = None
    if request.method == "POST":
        if not may_rename:
            raise PermissionDenied
        try:
            linking.cluster_rename(
                actor=request.user, cluster=cluster, name=request.POST.get("name")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Cluster renamed."))
            return redirect("links:cluster", pk=cluster.pk)
    audit_list("case", [case.pk for case in cases])
    summary = None
    if access.may(request.user, Permission.REVIEW_LINKS):
        summary = selectors.cluster_financial_summary(
            request.user, cluster, case_ids=[case.pk for case in cases]
        )
        audit_financial_summary(cluster.pk, summary)
        references = {case.pk: case.reference for case in cases}
        for account in summary["accounts"]:
            account["references"] = [references[pk] for pk in account["case_ids"]]
    return render(
        request,
        "cases/links/cluster.html",
        {
            "cluster": cluster,
            "cases": cases,
            "may_rename": may_rename,
            "error": error,
            "summary": summary,
        },
        status=400 if error else 200,
    )


ROLE_COLOURS = {
    "recruiter": "#d95f02",
    "transporter": "#7570b3",
    "document_forger": "#e7298a",
    "exploiter": "#b2182b",
    "controller": "#8c510a",
    "buyer": "#66a61e",
    "facilitator": "#e6ab02",
    "potential_victim": "#1b9e77",
    "survivor": "#1b9e77",
    "witness": "#666666",
    "reporter": "#999999",
}


def network_graph(user, cases):
    """Nodes and edges of a cluster's network, redacted by the access rules: parties whose
    identity the user may not see are shown by role only, identifiers the user may not see are
    left out. One identifier node per value (kind, platform and keyed hash), so a number held by
    two cases joins them."""
    case_ids = [case.pk for case in cases]
    nodes, edges = [], []
    for case in cases:
        nodes.append(
            {
                "id": f"case-{case.pk}",
                "type": "case",
                "label": case.reference,
                "status": case.status,
            }
        )
    parties = list(Party.objects.filter(case__in=case_ids).order_by("case", "pk"))
    identities = {case.pk: access.identities_visible(user, case) for case in cases}
    for party in parties:
        hidden = access.hidden_party_fields(user, party, identities=identities[party.case_id])
        label = party.get_role_display()
        if "name" not in hidden and party.name:
            label = f"{party.name} ({label})"
        nodes.append(
            {
                "id": f"party-{party.pk}",
                "type": "party",
                "role": party.role,
                "label": label,
                "colour": ROLE_COLOURS.get(party.role, "#444444"),
            }
        )
        edges.append({"source": f"case-{party.case_id}", "target": f"party-{party.pk}"})
    identifiers = access.identifiers_for(
        user, Identifier.objects.filter(case__in=case_ids).order_by("pk")
    )
    shown = {}
    for identifier in identifiers:
        key = f"identifier-{identifier.kind}-{identifier.platform}-{identifier.value_hash[:16]}"
        if key not in shown:
            shown[key] = True
            nodes.append(
                {
                    "id": key,
                    "type": "identifier",
                    "kind": identifier.kind,
                    "label": f"{identifier.get_kind_display()}: {identifier.value}",
                }
            )
        owner = (
            f"party-{identifier.party_id}" if identifier.party_id else f"case-{identifier.case_id}"
        )
        edges.append({"source": owner, "target": key})
    for venue in Venue.objects.filter(case__in=case_ids).order_by("pk"):
        nodes.append({"id": f"venue-{venue.pk}", "type": "venue", "label": venue.name})
        edges.append({"source": f"case-{venue.case_id}", "target": f"venue-{venue.pk}"})
    seen, unique_edges = set(), []
    for edge in edges:
        pair = (edge["source"], edge["target"])
        if pair not in seen:
            seen.add(pair)
            unique_edges.append({"id": f"e{len(unique_edges)}", **edge})
    return {"nodes": nodes, "edges": unique_edges}


@require_GET
@staff_page
def cluster_network(request, pk):
    cluster, cases = _cluster_or_404(request, pk)
    audit_list("case", [case.pk for case in cases])
    return render(
        request,
        "cases/links/network.html",
        {
            "cluster": cluster,
            "cases": cases,
            "graph": network_graph(request.user, cases),
            "roles": [
                (role, label, ROLE_COLOURS.get(role, "#444444"))
                for role, label in Party.Role.choices
            ],
        },
    )


@require_GET
@staff_page
def cluster_export(request, pk, fmt):
    if not access.may(request.user, Permission.EXPORT):
        raise PermissionDenied
    cluster, cases = _cluster_or_404(request, pk)
    graph = network_graph(request.user, cases)
    audit_record(
        action=AuditAction.EXPORT,
        object_kind="case",
        object_ids=[case.pk for case in cases],
    )
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["record", "id", "type", "label", "role_or_kind", "linked_to"])
        links = {}
        for edge in graph["edges"]:
            links.setdefault(edge["target"], []).append(edge["source"])
        for node in graph["nodes"]:
            writer.writerow(
                [
                    "node",
                    node["id"],
                    node["type"],
                    _csv_safe(node["label"]),
                    node.get("role") or node.get("kind") or node.get("status", ""),
                    " ".join(links.get(node["id"], [])),
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"cluster-{cluster.pk}-{stamp}.csv"
    else:
        response = HttpResponse(_graphml(graph), content_type="application/xml; charset=utf-8")
        name = f"cluster-{cluster.pk}-{stamp}.graphml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection): a tab
# or carriage return first counts too, since some programs drop it and read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(text):
    """A cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


# Characters XML 1.0 does not allow, even escaped: the C0 controls but tab, newline and
# carriage return, lone surrogates, U+FFFE and U+FFFF. A label typed with one (a pasted
# control character) would make the whole GraphML file unreadable.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value):
    """`value` as XML 1.0 character data: escaped, and without the characters XML forbids."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;"})


def _graphml(graph):
    keys = ["type", "label", "role", "kind", "status"]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        *(f'  <key id="{key}" for="node" attr.name="{key}" attr.type="string"/>' for key in keys),
        '  <graph id="cluster" edgedefault="undirected">',
    ]
    for node in graph["nodes"]:
        lines.append(f'    <node id="{_xml_text(node["id"])}">')
        for key in keys:
            if node.get(key):
                lines.append(f'      <data key="{key}">{_xml_text(node[key])}</data>')
        lines.append("    </node>")
    for edge in graph["edges"]:
        lines.append(
            f'    <edge id="{_xml_text(edge["id"])}" source="{_xml_text(edge["source"])}" '
            f'target="{_xml_text(edge["target"])}"/>'
        )
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


# --- Deadlines --------------------------------------------------------------------------------


@require_GET
@permission_page(Permission.REVIEW_DEADLINES)
def deadline_list(request):
    queue = selectors.deadline_queue(request.user)
    audit_list("case", sorted({row.case_id for row in queue["overdue"] + queue["due_soon"]}))
    return render(request, "cases/links/deadlines.html", {"queue": queue, "now": timezone.now()})


@require_POST
@staff_page
def case_forwarding_consent(request, reference):
    """Record the victim's consent to forwarding (a condition of some rules), from the case
    page; the rules are evaluated again at once."""
    try:
        case = selectors.case_by_reference(request.user, reference)
    except Case.DoesNotExist:
        raise Http404 from None
    if not access.can_on_visible(request.user, Action.CHANGE, case):
        raise PermissionDenied
    forwarding.forwarding_consent_record(actor=request.user, case=case)
    messages.success(request, _("Consent to forwarding recorded."))
    return redirect("casework:case", reference=case.reference)
