from hotline.models.api import ApiRateCounter, ApiToken, IdempotencyRecord
from hotline.models.audit import AuditAction, AuditEntry
from hotline.models.intake import Call, Tip, TraffickingType, Urgency
from hotline.models.operations import WorkerHeartbeat
from hotline.models.people import PartnerOrganisation, Role, Team, User
from hotline.models.reference import Code, Industry, Region

__all__ = [
    "ApiRateCounter",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "Call",
    "Code",
    "IdempotencyRecord",
    "Industry",
    "PartnerOrganisation",
    "Region",
    "Role",
    "Team",
    "Tip",
    "TraffickingType",
    "Urgency",
    "User",
    "WorkerHeartbeat",
]
