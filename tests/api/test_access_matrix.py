"""Who may do what through the API: every endpoint, every method, every role.

Anonymous callers get 401 (but for the public tip form), accounts without a role 403, a record
the caller may not see 404 (as if it did not exist), an action the role may not take 403, and
DELETE is 405 everywhere: nothing is deleted through the API."""

import itertools

import pytest

from cases import services as case_services
from cases import tasks
from cases.models import Cluster, ClusterMembership, LinkSuggestion
from hotline.models import Tip
from tests.factories import CallFactory, CaseFactory, TipFactory

pytestmark = pytest.mark.django_db

ROLES = ["advocate", "supervisor", "partner", "admin_user", "outsider", "anonymous"]
WORKERS = {"advocate", "supervisor"}


def _status(**by_role):
    """Expected status per role; `rest` for the roles not named."""
    rest = by_role.pop("rest", None)
    # Who is not signed in, or has no role, is stopped before anything else is asked.
    by_role = {"outsider": 403, "anonymous": 401, **by_role}
    return {role: by_role.get(role, rest) for role in ROLES}


READ_ALL = _status(rest=200)
WORKERS_WRITE = _status(advocate=201, supervisor=201, rest=403)
WORKERS_CHANGE = _status(advocate=200, supervisor=200, rest=403)
NOT_ALLOWED = _status(rest=405)
REVIEWERS = _status(supervisor=200, rest=403)
CLUSTER_READ = _status(partner=403, rest=200)


@pytest.fixture
def world(advocate, referred_case, partner, organisation):
    call = CallFactory(advocate=advocate)
    partner_tip = TipFactory(
        source=Tip.Source.PARTNER, organisation=organisation, submitted_by=partner
    )
    venue = case_services.venue_add(actor=advocate, case=referred_case, name="Green Acres Farm")
    outcome = case_services.outcome_record(
        actor=advocate,
        case=referred_case,
        kind="investigation_opened",
        occurred_on=referred_case.opened_at.date(),
    )
    # A suggestion (another case of the team holds the recruiter's phone) and a cluster of
    # the referred case, for the link review and the financial summaries.
    other = CaseFactory(actor=advocate, team=advocate.team)
    case_services.identifier_add(actor=advocate, case=other, kind="phone", value="+1 512 555 0199")
    tasks.match_record("identifier", other.identifiers.get().pk)
    cluster = Cluster.objects.create(name="Operation Matrix")
    ClusterMembership.objects.create(cluster=cluster, case=referred_case)
    return {
        "suggestion": LinkSuggestion.objects.get(),
        "cluster": cluster,
        "call": call,
        "tip": partner_tip,
        "case": referred_case,
        "party": referred_case.parties.get(role="recruiter"),
        "identifier": referred_case.identifiers.get(party__role="recruiter"),
        "venue": venue,
        "referral": referred_case.referrals.get(),
        "outcome": outcome,
        "event": referred_case.events.first(),
        "organisation": organisation,
    }


def _fresh_call(user, world):
    return CallFactory(advocate=world["call"].advocate).pk


counter = itertools.count(1)

C = "/api/v1/cases/{case}"
# (name, method, path, body, expected). Paths name records of the world; bodies are callables
# of the world, for records that must be new each time.
ENDPOINTS = [
    ("calls list", "get", "/api/v1/calls/", None, READ_ALL),
    (
        "calls create",
        "post",
        "/api/v1/calls/",
        lambda w: {"channel": "phone", "caller_type": "anonymous", "reason": "crisis"},
        WORKERS_WRITE,
    ),
    ("call read", "get", "/api/v1/calls/{call}/", None, _status(partner=404, rest=200)),
    (
        "call correct",
        "patch",
        "/api/v1/calls/{call}/",
        lambda w: {"summary": "Corrected."},
        _status(advocate=200, supervisor=200, partner=404, admin_user=403),
    ),
    ("call delete", "delete", "/api/v1/calls/{call}/", None, NOT_ALLOWED),
    ("call put", "put", "/api/v1/calls/{call}/", lambda w: {}, NOT_ALLOWED),
    ("tips list", "get", "/api/v1/tips/", None, READ_ALL),
    (
        "tips create",
        "post",
        "/api/v1/tips/",
        lambda w: {"observed": "Seen at the motel.", "call": _fresh_call(None, w)},
        _status(advocate=201, supervisor=201, partner=400, admin_user=403),
    ),
    (
        "tips create as a partner",
        "post",
        "/api/v1/tips/",
        lambda w: {"observed": "Seen at the motel."},
        _status(advocate=400, supervisor=400, partner=201, admin_user=403),
    ),
    # The advocate neither recorded this partner's tip nor sees a case of it.
    ("tip read", "get", "/api/v1/tips/{tip}/", None, _status(advocate=404, rest=200)),
    (
        "tip correct",
        "patch",
        "/api/v1/tips/{tip}/",
        lambda w: {"address": "Route 9"},
        _status(advocate=404, supervisor=200, partner=403, admin_user=403),
    ),
    ("tip delete", "delete", "/api/v1/tips/{tip}/", None, NOT_ALLOWED),
    (
        "public tip",
        "post",
        "/api/v1/public/tips/",
        lambda w: {"observed": "Cooks sleep in the storeroom."},
        _status(rest=201, outsider=201, anonymous=201),
    ),
    ("public tips list", "get", "/api/v1/public/tips/", None, _status(rest=405, outsider=405,
                                                                      anonymous=405)),
    ("cases list", "get", "/api/v1/cases/", None, READ_ALL),
    ("cases create", "post", "/api/v1/cases/", lambda w: {"trafficking_type": "sex"},
     WORKERS_WRITE),
    ("case read", "get", C + "/", None, READ_ALL),
    ("case change", "patch", C + "/", lambda w: {"priority": 4}, WORKERS_CHANGE),
    ("case replace", "put", C + "/", lambda w: {"priority": 4}, WORKERS_CHANGE),
    ("case delete", "delete", C + "/", None, NOT_ALLOWED),
    ("parties list", "get", C + "/parties/", None, READ_ALL),
    ("party add", "post", C + "/parties/", lambda w: {"role": "witness"}, WORKERS_WRITE),
    ("party read", "get", C + "/parties/{party}/", None, READ_ALL),
    ("party correct", "patch", C + "/parties/{party}/", lambda w: {"aliases": "V"},
     WORKERS_CHANGE),
    ("party delete", "delete", C + "/parties/{party}/", None, NOT_ALLOWED),
    ("identifiers list", "get", C + "/identifiers/", None, READ_ALL),
    (
        "identifier add",
        "post",
        C + "/identifiers/",
        lambda w: {"kind": "vehicle", "value": f"TX-{next(counter):04d}"},
        WORKERS_WRITE,
    ),
    ("identifier read", "get", C + "/identifiers/{identifier}/", None, READ_ALL),
    (
        "identifier correct",
        "patch",
        C + "/identifiers/{identifier}/",
        lambda w: {"value": "+1 512 555 0198"},
        WORKERS_CHANGE,
    ),
    ("venues list", "get", C + "/venues/", None, READ_ALL),
    ("venue add", "post", C + "/venues/", lambda w: {"name": "Motel 9"}, WORKERS_WRITE),
    ("venue read", "get", C + "/venues/{venue}/", None, READ_ALL),
    ("venue correct", "patch", C + "/venues/{venue}/", lambda w: {"address": "Road 1"},
     WORKERS_CHANGE),
    ("referrals list", "get", C + "/referrals/", None, READ_ALL),
    (
        "referral send",
        "post",
        C + "/referrals/",
        lambda w: {"organisation": w["organisation"].pk, "reason": "AdditionalServicesRequired"},
        WORKERS_WRITE,
    ),
    ("referral read", "get", C + "/referrals/{referral}/", None, READ_ALL),
    (
        "referral answer",
        "patch",
        C + "/referrals/{referral}/",
        lambda w: {"status": "accepted"},
        _status(advocate=200, supervisor=200, partner=200, admin_user=403),
    ),
    (
        "referral terms",
        "patch",
        C + "/referrals/{referral}/",
        lambda w: {"shares_identities": True},
        WORKERS_CHANGE,
    ),
    ("outcomes list", "get", C + "/outcomes/", None, READ_ALL),
    (
        "outcome record",
        "post",
        C + "/outcomes/",
        lambda w: {"kind": "charges_filed", "occurred_on": "2026-11-01"},
        _status(advocate=201, supervisor=201, partner=201, admin_user=403),
    ),
    ("outcome read", "get", C + "/outcomes/{outcome}/", None, READ_ALL),
    (
        "outcome correct",
        "patch",
        C + "/outcomes/{outcome}/",
        lambda w: {"agency": "Metro PD"},
        _status(advocate=200, supervisor=200, partner=403, admin_user=403),
    ),
    ("events list", "get", C + "/events/", None, READ_ALL),
    ("event read", "get", C + "/events/{event}/", None, READ_ALL),
    ("event add", "post", C + "/events/", lambda w: {}, NOT_ALLOWED),
    ("industries", "get", "/api/v1/industries/", None, READ_ALL),
    ("industry", "get", "/api/v1/industries/agriculture_animal_husbandry/", None, READ_ALL),
    ("industry add", "post", "/api/v1/industries/", lambda w: {}, NOT_ALLOWED),
    ("regions", "get", "/api/v1/regions/", None, READ_ALL),
    ("region", "get", "/api/v1/regions/US-TX/", None, READ_ALL),
    ("region change", "patch", "/api/v1/regions/US-TX/", lambda w: {}, NOT_ALLOWED),
    ("organisations", "get", "/api/v1/organisations/", None, READ_ALL),
    ("organisation", "get", "/api/v1/organisations/{organisation}/", None, READ_ALL),
    ("organisation delete", "delete", "/api/v1/organisations/{organisation}/", None,
     NOT_ALLOWED),
    # Link review: supervisors only (REVIEW_LINKS); clusters: hotline staff.
    ("links list", "get", "/api/v1/links/", None, REVIEWERS),
    ("link read", "get", "/api/v1/links/{suggestion}/", None, REVIEWERS),
    ("link confirm", "post", "/api/v1/links/{suggestion}/confirm/", lambda w: {}, REVIEWERS),
    ("link dismiss", "post", "/api/v1/links/{suggestion}/dismiss/", lambda w: {}, REVIEWERS),
    ("link delete", "delete", "/api/v1/links/{suggestion}/", None,
     _status(supervisor=405, rest=403)),
    ("clusters list", "get", "/api/v1/clusters/", None, _status(partner=403, rest=200)),
    ("cluster read", "get", "/api/v1/clusters/{cluster}/", None, CLUSTER_READ),
    ("cluster change", "patch", "/api/v1/clusters/{cluster}/", lambda w: {"name": "X"},
     _status(partner=403, rest=405)),
    # Financial summaries: a financial institution's partners only; the world's partner is
    # the police, so everyone with a role finds none.
    ("financial summaries", "get", "/api/v1/financial-summaries/", None, READ_ALL),
    ("financial summary", "get", "/api/v1/financial-summaries/{referral}/", None,
     _status(rest=404)),
    ("financial summary change", "patch", "/api/v1/financial-summaries/{referral}/",
     lambda w: {}, _status(rest=405)),
]  # fmt: skip


def _path(template, world):
    ids = {name: record.pk for name, record in world.items()}
    return template.format(
        **{**ids, "case": world["case"].reference, "tip": world["tip"].reference}
    )


@pytest.mark.parametrize(
    ("method", "template", "body", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in ENDPOINTS],
)
def test_each_role_gets_what_the_access_rules_allow(
    request, api, world, method, template, body, expected
):
    # One world per endpoint, every role in turn: what one role's request changes (a version,
    # a referral's status) leaves the next one's expectation unchanged.
    got = {}
    for role in ROLES:
        user = None if role == "anonymous" else request.getfixturevalue(role)
        client = api(user, how="session" if role == "outsider" else "token")
        path = _path(template, world)
        headers = {}
        if method in ("put", "patch") and path.rstrip("/").count("/") == 4:  # a case itself
            world["case"].refresh_from_db()
            headers["HTTP_IF_MATCH"] = f'"{world["case"].version}"'
        data = body(world) if body else None
        response = getattr(client, method)(path, data, format="json", **headers)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert got == expected


@pytest.mark.parametrize(
    "template", [row[2] for row in ENDPOINTS if row[1] == "get" and "{case}" in row[2]]
)
def test_an_advocate_of_another_team_finds_none_of_a_case(api, world, other_advocate, template):
    response = api(other_advocate).get(_path(template, world))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_partner_of_another_organisation_finds_nothing(api, world, other_organisation):
    from hotline.models import Role
    from hotline.services import user_create

    stranger = user_create(
        username="paula", password="x", role=Role.PARTNER, organisation=other_organisation,
        validate_password=False,
    )  # fmt: skip
    client = api(stranger)
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert client.get("/api/v1/tips/").json()["results"] == []
    assert client.get(f"/api/v1/cases/{world['case'].reference}/").status_code == 404
    assert client.get(f"/api/v1/tips/{world['tip'].reference}/").status_code == 404
