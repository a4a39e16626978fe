"""A cluster with payment accounts and transaction clues, for the financial-leads tests
(tests/cases/test_financial_leads.py, tests/web/test_financial_leads.py).

Three cases of one team in one cluster:

- A, referred to the bank: the recruiter's Cash App account $BossCash, with a clue of 1200 USD;
- B: $bosscash again (the same account written another way, belonging to no one named), with
  clues of 300.50 USD and 100 EUR; and a victim's bank account, with a clue dated only;
- C, restricted and not referred to the bank: an account of its own, with a clue of 999 GBP.
"""

import datetime
from dataclasses import dataclass

from cases import services
from cases.models import Cluster, ClusterMembership, Party
from hotline.models import PartnerOrganisation, Role
from hotline.services import user_create
from tests.factories import CaseFactory, PartyFactory

PASSWORD = "a-long-test-password-1"
CASHTAG = "$BossCash"
VICTIM_IBAN = "GB82 WEST 1234 5698 7654 32"
HIDDEN_ACCOUNT = "RESTRICTED-ACCOUNT-777"
DAY = datetime.date(2026, 3, 2)


@dataclass
class Leads:
    cluster: Cluster
    a: object
    b: object
    c: object
    bank: PartnerOrganisation
    banker: object
    referral: object


def bank(name="First Harbor Bank"):
    return PartnerOrganisation.objects.create(
        name=name, type=PartnerOrganisation.Type.FINANCIAL_INSTITUTION
    )


def partner_of(organisation, username):
    return user_create(
        username=username, password=PASSWORD, role=Role.PARTNER, organisation=organisation
    )


def cluster_of(actor, cases, name="Operation Ledger"):
    cluster = Cluster.objects.create(name=name, created_by=actor)
    for case in cases:
        ClusterMembership.objects.create(cluster=cluster, case=case, added_by=actor)
    return cluster


def account(actor, case, value, party=None):
    return services.identifier_add(
        actor=actor, case=case, kind="payment_account", value=value, party=party
    )


def build(supervisor, team, *, shares_identities=False):
    a = CaseFactory(actor=supervisor, team=team)
    b = CaseFactory(actor=supervisor, team=team)
    c = CaseFactory(actor=supervisor, team=team, is_restricted=True)
    recruiter = PartyFactory(
        actor=supervisor, case=a, role=Party.Role.RECRUITER, name="Rex Recruiter"
    )
    victim = PartyFactory(actor=supervisor, case=b, name="Vera Victim")
    a_cash = account(supervisor, a, CASHTAG, party=recruiter)
    b_cash = account(supervisor, b, "$bosscash")
    b_iban = account(supervisor, b, VICTIM_IBAN, party=victim)
    c_hidden = account(supervisor, c, HIDDEN_ACCOUNT)
    add = services.transaction_clue_add
    add(actor=supervisor, identifier=a_cash, amount="1200", currency="USD", occurred_on=DAY)
    add(
        actor=supervisor,
        identifier=b_cash,
        amount="300.50",
        currency="usd",
        occurred_on=DAY + datetime.timedelta(days=10),
        occurred_until=DAY + datetime.timedelta(days=40),
        direction="received",
    )
    add(actor=supervisor, identifier=b_cash, amount="100", currency="EUR", direction="sent")
    add(actor=supervisor, identifier=b_iban, occurred_on=DAY - datetime.timedelta(days=5))
    add(actor=supervisor, identifier=c_hidden, amount="999", currency="GBP", occurred_on=DAY)
    cluster = cluster_of(supervisor, [a, b, c])
    the_bank = bank()
    banker = partner_of(the_bank, "bea")
    referral = services.referral_send(
        actor=supervisor,
        case=a,
        organisation=the_bank,
        reason="Other",
        shares_identities=shares_identities,
    )
    return Leads(cluster, a, b, c, the_bank, banker, referral)
