"""Financial leads (docs/linking.md, "Financial leads"): what reading a cluster's financial
summary leaves in the audit trail. The summary itself is cases.selectors.financial_summary;
clues are written by cases.services.transaction_clue_add."""

from hotline.audit import audit_record
from hotline.models import AuditAction

AUDIT_KIND = "financial_summary"


def audit_financial_summary(cluster_id, summary, *, case_id=None):
    """Every read of a cluster's financial summary is one audit row: the cluster, the cases
    the summary covered and, for a partner, the referred case it was read through."""
    return audit_record(
        action=AuditAction.VIEW,
        object_kind=AUDIT_KIND,
        object_id=cluster_id,
        object_ids=summary["case_ids"],
        case_id=case_id,
    )
