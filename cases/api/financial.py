"""Financial leads in the API (docs/linking.md, "Financial leads"): /api/v1/financial-summaries/,
a cluster's financial summary as a financial-institution partner receives it through a
referral.

- A row here is a referral: one to the caller's organisation, when it is a financial
  institution (PartnerOrganisation.Type.FINANCIAL_INSTITUTION), not declined, of a case in a
  cluster (cases.selectors.financial_referrals_for). Anyone else (hotline staff, who read the
  summary on the cluster page, partners of other organisations or types, accounts with no
  role) finds none: 404 for an id, an empty list.
- The summary covers the whole cluster of the referred case (but for its restricted cases not
  referred to the organisation), without naming those other cases: counts, never references.
- Account values are withheld (`masked`, `value` null) unless the organisation sees the
  referred case's identities (a referral that shares them); even then a victim's account in
  another case of the cluster stays withheld (cases.selectors.referral_financial_summary).
- Every read of a summary is one audit row (cases.financial.audit_financial_summary); the list
  is audited as every list is.

Registered in cases/api/urls.py:
    router.register("financial-summaries", financial.FinancialSummaryViewSet,
                    basename="financial-summary")
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from cases import selectors
from cases.financial import audit_financial_summary
from cases.models import Referral
from hotline.api.pagination import Pages
from hotline.api.viewsets import ScopedViewSet


class TotalSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code, e.g. USD.")
    # No bound on the digits: a total of many clues (each up to 12 digits before the point)
    # may be longer than any one amount.
    amount = serializers.DecimalField(max_digits=None, decimal_places=2)


class AccountSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="Account 1, 2...: the most shared first.")
    masked = serializers.BooleanField(help_text="Whether the value is withheld.")
    value = serializers.CharField(allow_null=True, help_text="Null when masked.")
    cases = serializers.IntegerField(help_text="How many cases of the cluster hold it.")
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="The roles of the people it belongs to, where recorded: the party roles of "
        "the case resources (recruiter, exploiter, potential_victim...).",
    )
    clues = serializers.IntegerField(help_text="Transaction clues recorded on it.")
    totals = TotalSerializer(many=True, help_text="The clues' amounts added up, per currency.")
    first_seen = serializers.DateField(allow_null=True)
    last_seen = serializers.DateField(allow_null=True)


class FinancialSummarySerializer(serializers.Serializer):
    referral = serializers.IntegerField(help_text="The referral it was delivered through.")
    case = serializers.CharField(help_text="The referred case's reference.")
    identities_shared = serializers.BooleanField(
        help_text="Whether the referral shares identities: account values are shown."
    )
    cases = serializers.IntegerField(help_text="Cases of the cluster the summary covers.")
    clues = serializers.IntegerField()
    totals = TotalSerializer(many=True)
    accounts = AccountSerializer(many=True)


class FinancialReferralSerializer(serializers.ModelSerializer):
    referral = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="case.reference")
    # Plain text, as in the referral resource: sent, accepted or closed.
    status = serializers.CharField()

    class Meta:
        model = Referral
        fields = ["referral", "case", "status", "sent_at", "shares_identities"]


EXAMPLE = {
    "referral": 41,
    "case": "HT-2026-000123",
    "identities_shared": False,
    "cases": 3,
    "clues": 4,
    "totals": [{"currency": "USD", "amount": "5450.00"}],
    "accounts": [
        {
            "label": "Account 1",
            "masked": True,
            "value": None,
            "cases": 2,
            "roles": ["recruiter"],
            "clues": 3,
            "totals": [{"currency": "USD", "amount": "4200.00"}],
            "first_seen": "2026-03-02",
            "last_seen": "2026-05-30",
        }
    ],
}


@extend_schema_view(
    list=extend_schema(
        summary="List the referrals that deliver a financial summary",
        description="For a partner that is a financial institution: the referrals to its "
        "organisation (not declined) of a case in a cluster. Anyone else gets an empty list.",
        examples=[
            OpenApiExample(
                "Referrals",
                value=[
                    {
                        "referral": 41,
                        "case": "HT-2026-000123",
                        "status": "accepted",
                        "sent_at": "2026-06-01T09:30:00Z",
                        "shares_identities": False,
                    }
                ],
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Read a cluster's financial summary",
        description="The payment accounts of the referred case's cluster: for each, how many "
        "cases hold it, the roles of the people it belongs to, its transaction clues added up "
        "per currency, the first and last day a payment was seen. Other cases are counted, "
        "never named. Values are withheld unless the referral shares identities. Audited.",
        responses=FinancialSummarySerializer,
        examples=[OpenApiExample("Summary", value=EXAMPLE, response_only=True)],
    ),
)
class FinancialSummaryViewSet(ScopedViewSet):
    queryset = Referral.objects.select_related("case__cluster_membership")
    scope = staticmethod(selectors.financial_referrals_for)
    audit_kind = "referral"
    serializer_class = FinancialReferralSerializer
    pagination_class = Pages
    http_method_names = ["get", "head", "options"]
    ordering = ["-sent_at"]

    def refine(self, queryset):
        return queryset.order_by("-sent_at", "-pk")

    def retrieve(self, request, *args, **kwargs):
        referral = self.get_object()
        summary = selectors.referral_financial_summary(request.user, referral)
        audit_financial_summary(
            referral.case.cluster_membership.cluster_id, summary, case_id=referral.case_id
        )
        body = {
            "referral": referral.pk,
            "case": referral.case.reference,
            "identities_shared": summary["identities_shared"],
            **{key: summary[key] for key in ("cases", "clues", "totals", "accounts")},
        }
        return Response(FinancialSummarySerializer(body).data)
