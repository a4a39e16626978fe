"""The three forwarding rules of issue 7 (docs/forwarding.md); admins edit them afterwards.

Reversing removes only rules still unused, under their original names.
"""

from django.db import migrations

RULES = [
    {
        "name": "Minor in commercial sex: law enforcement within 24 hours",
        "trafficking_type": "sex",
        "requires_minor_victim": True,
        "organisation_type": "LawEnforcement",
        "reason": "LawEnforcementReport",
        "due_within_hours": 24,
    },
    {
        "name": "Imminent danger: law enforcement immediately",
        "requires_imminent_danger": True,
        "organisation_type": "LawEnforcement",
        "reason": "LawEnforcementReport",
        "due_within_hours": 0,
    },
    {
        "name": "Adult labor case with the victim's consent: law enforcement within 72 hours",
        "trafficking_type": "labor",
        "requires_adult_victims": True,
        "requires_consent": True,
        "organisation_type": "LawEnforcement",
        "reason": "LawEnforcementReport",
        "due_within_hours": 72,
    },
]


def seed(apps, schema_editor):
    ForwardingRule = apps.get_model("cases", "ForwardingRule")
    for rule in RULES:
        ForwardingRule.objects.get_or_create(name=rule["name"], defaults=rule)


def unseed(apps, schema_editor):
    ForwardingRule = apps.get_model("cases", "ForwardingRule")
    ForwardingRule.objects.filter(
        name__in=[rule["name"] for rule in RULES], forwardings__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_linking_forwarding")]

    operations = [migrations.RunPython(seed, unseed)]
