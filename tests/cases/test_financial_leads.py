"""Financial leads (docs/linking.md): transaction clues on payment accounts, a cluster's
financial summary, and its delivery to a financial-institution partner through a referral."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases import selectors, services
from cases.models import CaseEvent, ClusterMembership, TransactionClue
from hotline.models import AuditEntry, PartnerOrganisation
from hotline.services import api_token_issue
from tests.factories import CaseFactory, PartyFactory
from tests.financial_helpers import (
    CASHTAG,
    DAY,
    HIDDEN_ACCOUNT,
    VICTIM_IBAN,
    account,
    bank,
    build,
    cluster_of,
    partner_of,
)

pytestmark = pytest.mark.django_db


def api_as(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(actor=None, user=user)[1]}")
    return client


def summary_url(referral):
    return f"/api/v1/financial-summaries/{referral.pk}/"


def summary_queries(captured):
    """The queries of a request but the rate limiter's and the token's bookkeeping: those
    depend on the clock (a new rate window opens with an INSERT in a savepoint, the token's
    last use is written once a while), not on what the summary holds."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if "apiratecounter" not in query["sql"]
        and not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        and not query["sql"].startswith('UPDATE "hotline_apitoken"')
    ]


@pytest.fixture
def leads(supervisor, team):
    return build(supervisor, team)


@pytest.fixture
def payment(supervisor, team):
    case = CaseFactory(actor=supervisor, team=team)
    return account(supervisor, case, "ACCT-0001")


# --- Clues --------------------------------------------------------------------------------------


def test_a_clue_is_recorded_with_a_timeline_event_and_an_audit_row(supervisor, payment):
    clue = services.transaction_clue_add(
        actor=supervisor,
        identifier=payment,
        amount="250.75",
        currency="mxn",
        occurred_on=DAY,
        direction="sent",
        note="Wire from the recruiter's cousin",
    )
    clue.refresh_from_db()
    assert (clue.amount, clue.currency, clue.direction) == (Decimal("250.75"), "MXN", "sent")
    event = CaseEvent.objects.filter(case=payment.case).latest("pk")
    assert event.data["fields"] == ["transaction_clue"]
    assert event.data["transaction_clue"] == clue.pk
    # The timeline holds ids and codes, never the amount or the note.
    assert "250" not in str(event.data) and "cousin" not in str(event.data)
    assert AuditEntry.objects.filter(
        action="create", object_kind="transactionclue", object_id=clue.pk
    ).exists()
    # The note is encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM cases_transactionclue WHERE id = %s", [clue.pk])
        assert "cousin" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount": "-5", "currency": "USD"}, "amount", "more than zero"),
        ({"amount": "0", "currency": "USD"}, "amount", "more than zero"),
        ({"amount": "12.345", "currency": "USD"}, "amount", "two decimal places"),
        ({"amount": "1e15", "currency": "USD"}, "amount", "too large"),
        ({"amount": "NaN", "currency": "USD"}, "amount", "as a number"),
        ({"amount": "lots", "currency": "USD"}, "amount", "as a number"),
        ({"amount": "10", "currency": "XYZ"}, "currency", "not an ISO 4217"),
        ({"amount": "10", "currency": "XXX"}, "currency", "not money"),
        ({"amount": "10", "currency": "XTS"}, "currency", "not money"),
        ({"amount": "10", "currency": "xau"}, "currency", "not money"),
        ({"amount": "10", "currency": "XAG"}, "currency", "not money"),
        ({"amount": "10", "currency": "XPT"}, "currency", "not money"),
        ({"amount": "10", "currency": "XPD"}, "currency", "not money"),
        ({"amount": "10", "currency": "XDR"}, "currency", "not money"),
        ({"amount": "10", "currency": "XBA"}, "currency", "not money"),
        ({"occurred_on": "1969-12-31"}, "occurred_on", "1970"),
        ({"occurred_on": "0001-01-01"}, "occurred_on", "1970"),
        ({"occurred_on": DAY, "occurred_until": "1969-01-01"}, "occurred_until", "1970"),
        ({"amount": "10", "currency": "DOLLARS"}, "currency", "three-letter"),
        ({"amount": "10"}, "currency", "which currency"),
        ({"currency": "USD", "occurred_on": DAY}, "amount", "goes with an amount"),
        ({"occurred_until": DAY}, "occurred_on", "first day"),
        (
            {"occurred_on": DAY, "occurred_until": DAY - datetime.timedelta(days=1)},
            "occurred_until",
            "on or after",
        ),
        ({"occurred_on": "tomorrow"}, "occurred_on", "future"),
        ({"occurred_on": "2026-02-30"}, "occurred_on", "a date such as"),
        ({"amount": "5", "currency": "USD", "direction": "sideways"}, "direction", "choices"),
    ],
)
def test_it_refuses_a_clue_that_makes_no_sense_with_a_message_on_the_field(
    supervisor, payment, fields, field, message
):
    if fields.get("occurred_on") == "tomorrow":
        fields = {**fields, "occurred_on": timezone.localdate() + datetime.timedelta(days=1)}
    with pytest.raises(ValidationError) as refused:
        services.transaction_clue_add(actor=supervisor, identifier=payment, **fields)
    assert message in " ".join(refused.value.message_dict[field])
    assert not TransactionClue.objects.exists()


def test_it_refuses_an_empty_clue(supervisor, payment):
    with pytest.raises(ValidationError, match="an amount, a date or both"):
        services.transaction_clue_add(actor=supervisor, identifier=payment)


def test_it_refuses_a_clue_on_an_identifier_that_is_not_a_payment_account(supervisor, team):
    case = CaseFactory(actor=supervisor, team=team)
    phone = services.identifier_add(actor=supervisor, case=case, kind="phone", value="+17135550100")
    with pytest.raises(ValidationError) as refused:
        services.transaction_clue_add(
            actor=supervisor, identifier=phone, amount="10", currency="USD"
        )
    assert "payment accounts; this is a phone number" in refused.value.message_dict["identifier"][0]


def test_it_refuses_someone_who_may_not_change_the_case(payment, other_advocate, partner):
    for user in (other_advocate, partner):
        with pytest.raises(PermissionDenied):
            services.transaction_clue_add(
                actor=user, identifier=payment, amount="10", currency="USD"
            )
    assert not TransactionClue.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"amount": Decimal("-1"), "currency": "USD"},
        {"amount": Decimal("10"), "currency": ""},
        {"amount": None, "currency": "USD", "occurred_on": DAY},
        {"amount": None, "currency": ""},
        {"occurred_on": DAY, "occurred_until": DAY - datetime.timedelta(days=1)},
        {"occurred_until": DAY},
        {"amount": Decimal("10"), "currency": "usd"},
        {"occurred_on": DAY, "direction": "sideways"},
    ],
)
def test_the_database_itself_refuses_a_clue_that_breaks_its_rules(payment, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        TransactionClue.objects.create(identifier=payment, **values)


# --- The summary --------------------------------------------------------------------------------


def test_the_summary_adds_up_each_account_per_currency_across_cases(supervisor, leads):
    summary = selectors.cluster_financial_summary(supervisor, leads.cluster)
    assert summary["cases"] == 3
    first, *others = summary["accounts"]
    # The cash tag written two ways is one account, held by two cases: listed first.
    assert first["value"] == CASHTAG and first["cases"] == 2 and first["clues"] == 3
    assert first["roles"] == ["recruiter"]
    assert first["totals"] == [
        {"currency": "EUR", "amount": Decimal("100.00")},
        {"currency": "USD", "amount": Decimal("1500.50")},
    ]
    assert first["first_seen"] == DAY
    assert first["last_seen"] == DAY + datetime.timedelta(days=40)
    by_value = {row["value"]: row for row in others}
    iban = by_value[VICTIM_IBAN]
    assert iban["totals"] == [] and iban["first_seen"] == DAY - datetime.timedelta(days=5)
    assert by_value[HIDDEN_ACCOUNT]["totals"] == [{"currency": "GBP", "amount": Decimal("999.00")}]
    assert summary["totals"] == [
        {"currency": "EUR", "amount": Decimal("100.00")},
        {"currency": "GBP", "amount": Decimal("999.00")},
        {"currency": "USD", "amount": Decimal("1500.50")},
    ]
    assert [row["label"] for row in summary["accounts"]] == ["Account 1", "Account 2", "Account 3"]


def test_an_advocate_summary_covers_only_the_cases_they_see(advocate, leads):
    # The restricted case C is not the advocate's: its account and amounts are not counted.
    summary = selectors.cluster_financial_summary(advocate, leads.cluster)
    assert summary["cases"] == 2
    assert HIDDEN_ACCOUNT not in [row["value"] for row in summary["accounts"]]
    assert [t["currency"] for t in summary["totals"]] == ["EUR", "USD"]


def test_the_summary_makes_the_same_queries_for_many_accounts(supervisor, team, leads):
    with CaptureQueriesContext(connection) as few:
        selectors.cluster_financial_summary(supervisor, leads.cluster)
    for number in range(12):
        account(supervisor, leads.b, f"EXTRA-{number}")
        extra = account(supervisor, leads.a, f"MORE-{number}")
        services.transaction_clue_add(
            actor=supervisor, identifier=extra, amount="1", currency="CHF", occurred_on=DAY
        )
    with CaptureQueriesContext(connection) as many:
        summary = selectors.cluster_financial_summary(supervisor, leads.cluster)
    assert len(summary["accounts"]) == 27
    assert len(many) == len(few)


# --- Delivered to a financial institution -------------------------------------------------------


def test_the_bank_reads_the_summary_masked_without_other_cases_references(leads):
    response = api_as(leads.banker).get(summary_url(leads.referral))
    assert response.status_code == 200, response.content
    body = response.json()
    text = response.content.decode()
    assert body["case"] == leads.a.reference and body["identities_shared"] is False
    # The restricted case not referred to the bank is left out; B is counted, never named.
    assert body["cases"] == 2
    for other in (leads.b, leads.c):
        assert other.reference not in text
    assert "Operation Ledger" not in text
    for value in (CASHTAG, "bosscash", VICTIM_IBAN, "GB82", HIDDEN_ACCOUNT, "999"):
        assert value.lower() not in text.lower()
    first = body["accounts"][0]
    assert first["masked"] is True and first["value"] is None
    assert first["cases"] == 2 and first["roles"] == ["recruiter"]
    assert first["totals"] == [
        {"currency": "EUR", "amount": "100.00"},
        {"currency": "USD", "amount": "1500.50"},
    ]
    assert all(row["masked"] for row in body["accounts"])
    assert set(body["accounts"][0]) == {
        "label",
        "masked",
        "value",
        "cases",
        "roles",
        "clues",
        "totals",
        "first_seen",
        "last_seen",
    }


def test_a_referral_sharing_identities_shows_values_but_never_a_victims_in_another_case(
    supervisor, team
):
    leads = build(supervisor, team, shares_identities=True)
    body = api_as(leads.banker).get(summary_url(leads.referral)).json()
    assert body["identities_shared"] is True
    values = {row["value"]: row for row in body["accounts"]}
    assert CASHTAG in values
    # The victim's account is in case B, whose identities were not shared with the bank.
    assert VICTIM_IBAN not in values and "GB82" not in str(body)
    assert sum(1 for row in body["accounts"] if row["masked"]) == 1


def test_every_read_of_the_summary_is_audited(leads):
    client = api_as(leads.banker)
    before = AuditEntry.objects.filter(object_kind="financial_summary").count()
    client.get(summary_url(leads.referral))
    client.get(summary_url(leads.referral))
    rows = AuditEntry.objects.filter(object_kind="financial_summary").order_by("pk")
    assert rows.count() == before + 2
    last = rows.last()
    assert (last.action, last.user_id) == ("view", leads.banker.pk)
    assert last.object_id == leads.cluster.pk and last.case_id == leads.a.pk
    assert sorted(last.object_ids) == sorted([leads.a.pk, leads.b.pk])


def test_the_bank_lists_the_referrals_that_deliver_a_summary(leads, supervisor, team):
    # A case referred to the bank but in no cluster delivers nothing.
    lonely = CaseFactory(actor=supervisor, team=team)
    services.referral_send(actor=supervisor, case=lonely, organisation=leads.bank, reason="Other")
    body = api_as(leads.banker).get("/api/v1/financial-summaries/").json()
    assert [row["referral"] for row in body["results"]] == [leads.referral.pk]


def test_no_one_else_can_read_the_summary(
    leads, supervisor, advocate, partner, organisation, outsider
):
    # A law-enforcement partner with its own referral of the same case, another bank, and
    # hotline staff: the summary is not found for any of them.
    police_referral = services.referral_send(
        actor=supervisor, case=leads.a, organisation=organisation, reason="Other"
    )
    other_bank = partner_of(bank("Second Bank"), "otto")
    for user in (partner, other_bank, advocate, supervisor):
        client = api_as(user)
        for referral in (leads.referral, police_referral):
            assert client.get(summary_url(referral)).status_code == 404
        assert client.get("/api/v1/financial-summaries/").json()["results"] == []
    # An account with no role may not use the API at all (as everywhere in it).
    signed_in = APIClient()
    signed_in.force_login(outsider)
    assert signed_in.get(summary_url(leads.referral)).status_code == 403
    assert APIClient().get(summary_url(leads.referral)).status_code == 401
    assert not AuditEntry.objects.filter(object_kind="financial_summary").exists()


def test_a_declined_referral_delivers_nothing(leads, supervisor):
    services.referral_respond(actor=supervisor, referral=leads.referral, status="declined")
    assert api_as(leads.banker).get(summary_url(leads.referral)).status_code == 404


def test_the_partner_type_is_a_financial_institution_the_database_accepts():
    organisation = bank()
    organisation.refresh_from_db()
    assert organisation.is_financial_institution
    assert PartnerOrganisation.Type("FinancialInstitution").label == "Financial institution"


def test_the_bank_summary_makes_the_same_queries_for_many_accounts(supervisor, team):
    # A referral sharing identities: deciding what to show reads each record's party.
    leads = build(supervisor, team, shares_identities=True)
    client = api_as(leads.banker)
    client.get(summary_url(leads.referral))  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert client.get(summary_url(leads.referral)).status_code == 200
    for number in range(10):
        owner = PartyFactory(actor=supervisor, case=leads.b, role="exploiter")
        extra = account(supervisor, leads.b, f"EXTRA-{number}", party=owner)
        services.transaction_clue_add(
            actor=supervisor, identifier=extra, amount="2", currency="USD", occurred_on=DAY
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(summary_url(leads.referral))
    assert len(response.json()["accounts"]) == 12
    assert len(summary_queries(many)) == len(summary_queries(few))


def test_a_cluster_of_one_bank_case_alone_reads_as_its_own_summary(supervisor, team):
    case = CaseFactory(actor=supervisor, team=team)
    account(supervisor, case, "ONLY-ONE")
    cluster_of(supervisor, [case], name="Operation Solo")
    the_bank = bank()
    referral = services.referral_send(
        actor=supervisor, case=case, organisation=the_bank, reason="Other"
    )
    body = api_as(partner_of(the_bank, "solo")).get(summary_url(referral)).json()
    assert body["cases"] == 1 and body["clues"] == 0 and body["totals"] == []
    assert body["accounts"][0]["first_seen"] is None


def test_the_retention_policy_erases_a_cases_clues_with_its_accounts(supervisor, payment):
    from cases.retention import retention_erase
    from tests.cases.test_retention import close

    services.transaction_clue_add(
        actor=supervisor, identifier=payment, amount="10", currency="USD", note="Names a cousin"
    )
    case = close(payment.case, years=8, actor=supervisor)
    retention_erase(dry_run=False)
    assert not TransactionClue.objects.exists()
    case.refresh_from_db()
    assert case.identities_erased_at is not None


# --- Review fixes -------------------------------------------------------------------------------


def test_a_victims_account_recorded_again_without_an_owner_stays_withheld_from_the_bank(
    supervisor, team
):
    # The victim's account of case B (identities not shared with the bank) is recorded again
    # in a case D of the cluster, with no owner named there: the bank still may not see it.
    leads = build(supervisor, team, shares_identities=True)
    d = CaseFactory(actor=supervisor, team=team)
    ClusterMembership.objects.create(cluster=leads.cluster, case=d, added_by=supervisor)
    account(supervisor, d, "GB82WEST12345698765432")
    body = api_as(leads.banker).get(summary_url(leads.referral)).json()
    assert body["identities_shared"] is True and body["cases"] == 3
    assert "GB82" not in str(body)
    (victims,) = [row for row in body["accounts"] if row["roles"] == ["potential_victim"]]
    assert victims["masked"] is True and victims["value"] is None and victims["cases"] == 2
    # A perpetrator's account stays shown.
    assert CASHTAG in {row["value"] for row in body["accounts"]}


def test_large_totals_are_exact_and_the_bank_reads_them(supervisor, team):
    # 101 clues of the largest amount add up to more than 16 digits; SQLite's own SUM would
    # keep 15 significant digits of them.
    leads = build(supervisor, team)
    big = account(supervisor, leads.a, "BIG-ACCOUNT")
    for _ in range(101):
        services.transaction_clue_add(
            actor=supervisor, identifier=big, amount="999999999999.99", currency="JPY"
        )
    for _ in range(3):
        services.transaction_clue_add(
            actor=supervisor, identifier=big, amount="0.01", currency="JPY"
        )
    expected = Decimal("999999999999.99") * 101 + Decimal("0.03")
    summary = selectors.cluster_financial_summary(supervisor, leads.cluster)
    assert {"currency": "JPY", "amount": expected} in summary["totals"]
    response = api_as(leads.banker).get(summary_url(leads.referral))
    assert response.status_code == 200, response.content
    assert {"currency": "JPY", "amount": str(expected)} in response.json()["totals"]


def test_twenty_of_the_largest_amounts_and_three_cents_add_up_exactly(supervisor, payment):
    for _ in range(20):
        services.transaction_clue_add(
            actor=supervisor, identifier=payment, amount="999999999999.99", currency="USD"
        )
    for _ in range(3):
        services.transaction_clue_add(
            actor=supervisor, identifier=payment, amount="0.01", currency="USD"
        )
    summary = selectors.financial_summary([payment.case_id], reveal=lambda rows: True)
    expected = Decimal("19999999999999.83")
    assert summary["totals"] == [{"currency": "USD", "amount": expected}]
    assert summary["accounts"][0]["totals"] == [{"currency": "USD", "amount": expected}]


@pytest.mark.parametrize("currency", ["XAF", "XOF", "XCD", "XPF", "USD"])
def test_the_x_codes_of_real_currencies_are_accepted(supervisor, payment, currency):
    clue = services.transaction_clue_add(
        actor=supervisor, identifier=payment, amount="10", currency=currency
    )
    assert clue.currency == currency


def test_the_first_day_of_1970_is_accepted(supervisor, payment):
    first = datetime.date(1970, 1, 1)
    clue = services.transaction_clue_add(actor=supervisor, identifier=payment, occurred_on=first)
    assert clue.occurred_on == first
