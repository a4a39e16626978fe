"""Financial leads in the browser: the transaction-clue form on the case page and the
financial summary on the cluster page (docs/linking.md, "Financial leads")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import TransactionClue
from hotline.models import AuditEntry
from tests.factories import CaseFactory
from tests.financial_helpers import CASHTAG, DAY, HIDDEN_ACCOUNT, VICTIM_IBAN, account, build

pytestmark = pytest.mark.django_db


def clue_url(case):
    return reverse("casework:case_transaction_clue", args=[case.reference])


@pytest.fixture
def case(supervisor, team):
    return CaseFactory(actor=supervisor, team=team)


def test_an_advocate_adds_a_clue_from_the_case_page_and_sees_it_there(client, advocate, case):
    payment = account(advocate, case, "ACC-55-12")
    client.force_login(advocate)
    page = client.get(reverse("casework:case", args=[case.reference]))
    assert page.context["clue_form"] is not None
    assert page.context["clue_form"].fields["identifier"].choices == [(payment.pk, "ACC-55-12")]
    response = client.post(
        clue_url(case),
        {
            "identifier": payment.pk,
            "direction": "received",
            "amount": "480.00",
            "currency": "eur",
            "occurred_on": "2026-04-01",
            "occurred_until": "2026-04-20",
            "note": "Three transfers",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#clue_form")
    clue = TransactionClue.objects.get()
    assert (str(clue.amount), clue.currency, clue.created_by) == ("480.00", "EUR", advocate)
    body = client.get(reverse("casework:case", args=[case.reference])).content.decode()
    assert "480.00 EUR" in body and "2026-04-20" in body and "Three transfers" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "-20", "currency": "USD"}, "amount", "more than zero"),
        ({"amount": "20", "currency": "ZZZ"}, "currency", "not an ISO 4217 currency"),
        ({"amount": "abc", "currency": "USD"}, "amount", "as a number"),
        ({"amount": "1.234", "currency": "USD"}, "amount", "two decimal places"),
        ({"amount": "20", "currency": "USD", "occurred_on": "2999-01-01"}, "occurred_on", "future"),
        ({}, None, "an amount, a date or both"),
    ],
)
def test_a_clue_that_makes_no_sense_gets_a_message_next_to_the_field(
    client, supervisor, case, data, field, message
):
    payment = account(supervisor, case, "ACC-1")
    client.force_login(supervisor)
    response = client.post(clue_url(case), {"identifier": payment.pk, **data})
    assert response.status_code == 200
    form = response.context["clue_form"]
    errors = form.errors.get(field or "__all__", [])
    assert any(message in error for error in errors), form.errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not TransactionClue.objects.exists()


def test_a_clue_posted_on_a_phone_number_is_refused_with_a_message(client, supervisor, case):
    account(supervisor, case, "ACC-1")
    phone = services.identifier_add(actor=supervisor, case=case, kind="phone", value="+17135550111")
    client.force_login(supervisor)
    response = client.post(
        clue_url(case), {"identifier": phone.pk, "amount": "5", "currency": "USD"}
    )
    assert response.status_code == 200
    assert "payment accounts; this is a phone number" in str(
        response.context["clue_form"].errors["identifier"]
    )
    assert not TransactionClue.objects.exists()


def test_the_clue_form_is_offered_only_on_a_case_with_a_payment_account(client, supervisor, case):
    client.force_login(supervisor)
    assert (
        client.get(reverse("casework:case", args=[case.reference])).context.get("clue_form") is None
    )


def test_who_may_not_change_the_case_cannot_add_a_clue(
    client, supervisor, case, other_advocate, partner, admin_user
):
    payment = account(supervisor, case, "ACC-1")
    data = {"identifier": payment.pk, "amount": "5", "currency": "USD"}
    for user, status in ((other_advocate, 404), (partner, 403), (admin_user, 403)):
        client.force_login(user)
        assert client.post(clue_url(case), data).status_code == status
    assert not TransactionClue.objects.exists()


def test_a_supervisor_sees_the_cluster_financial_summary_and_the_read_is_audited(
    client, supervisor, team
):
    leads = build(supervisor, team)
    client.force_login(supervisor)
    response = client.get(reverse("links:cluster", args=[leads.cluster.pk]))
    body = response.content.decode()
    assert 'id="financial-summary"' in body
    assert CASHTAG in body and VICTIM_IBAN in body and HIDDEN_ACCOUNT in body
    assert "1500.50 USD" in body and "999.00 GBP" in body
    first = response.context["summary"]["accounts"][0]
    assert first["references"] == [leads.a.reference, leads.b.reference]
    audit = AuditEntry.objects.filter(object_kind="financial_summary").get()
    assert (audit.action, audit.user_id, audit.object_id) == (
        "view",
        supervisor.pk,
        leads.cluster.pk,
    )
    assert sorted(audit.object_ids) == sorted([leads.a.pk, leads.b.pk, leads.c.pk])


def test_an_advocate_sees_the_cluster_without_its_financial_summary(
    client, supervisor, advocate, team
):
    leads = build(supervisor, team)
    client.force_login(advocate)
    response = client.get(reverse("links:cluster", args=[leads.cluster.pk]))
    assert response.status_code == 200
    assert response.context["summary"] is None
    assert 'id="financial-summary"' not in response.content.decode()
    assert not AuditEntry.objects.filter(object_kind="financial_summary").exists()


def test_the_cluster_page_makes_the_same_queries_for_many_accounts(client, supervisor, team):
    leads = build(supervisor, team)
    client.force_login(supervisor)
    url = reverse("links:cluster", args=[leads.cluster.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(10):
        extra = account(supervisor, leads.b, f"EXTRA-{number}")
        services.transaction_clue_add(
            actor=supervisor, identifier=extra, amount="3", currency="JPY", occurred_on=DAY
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["summary"]["accounts"]) == 13
    assert len(many) == len(few)


def test_the_cluster_page_and_its_summary_are_not_for_anyone_outside(
    client, supervisor, team, other_advocate, partner, outsider
):
    leads = build(supervisor, team)
    url = reverse("links:cluster", args=[leads.cluster.pk])
    # An advocate of another team sees none of its cases: not found. Partners and accounts
    # with no role do not use the staff pages at all.
    for user, status in (
        (other_advocate, 404),
        (leads.banker, 403),
        (partner, 403),
        (outsider, 403),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status
    assert not AuditEntry.objects.filter(object_kind="financial_summary").exists()
