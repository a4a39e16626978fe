"""The four roles as Django groups, and the model permissions each one holds.

Model permissions are what the admin and DRF's model permissions understand; the finer rules
(which cases, which fields) belong to the access module.
"""

from hotline.models import Role

_READ = ("view",)
_WORK = ("view", "add", "change")

_INTAKE = {"hotline.call": _WORK, "hotline.tip": _WORK}
_CASE_WORK = {
    "cases.case": _WORK,
    "cases.party": _WORK,
    "cases.identifier": _WORK,
    "cases.venue": _WORK,
    "cases.referral": _WORK,
    "cases.outcome": _WORK,
    "cases.note": ("view", "add"),
    "cases.caseevent": _READ,
}
_REFERENCE_READ = {
    "hotline.region": _READ,
    "hotline.industry": _READ,
    "hotline.code": _READ,
    "hotline.team": _READ,
    "hotline.partnerorganisation": _READ,
}

ROLE_PERMISSIONS = {
    Role.ADVOCATE: {**_REFERENCE_READ, **_INTAKE, **_CASE_WORK},
    Role.SUPERVISOR: {
        **_REFERENCE_READ,
        **_INTAKE,
        **_CASE_WORK,
        "hotline.user": _READ,
        "hotline.auditentry": _READ,
        "cases.forwardingrule": _READ,
    },
    Role.PARTNER: {
        **_REFERENCE_READ,
        "cases.case": _READ,
        "cases.referral": ("view", "change"),
        "cases.outcome": ("view", "add"),
    },
    Role.ADMIN: {
        # Nobody deletes: reference data and accounts are what cases, intake and the audit
        # trail refer to. A row no longer in use is made inactive (codes, partner
        # organisations, accounts) or corrected.
        "hotline.region": _WORK,
        "hotline.industry": _WORK,
        "hotline.code": _WORK,
        "hotline.team": _WORK,
        "hotline.partnerorganisation": _WORK,
        "hotline.user": _WORK,
        "auth.group": _READ,
        "hotline.workerheartbeat": _READ,
        "hotline.auditentry": _READ,
        "cases.casereferencecounter": _READ,
        # Forwarding rules and deadlines (docs/forwarding.md): admins edit the rules.
        "cases.forwardingrule": _WORK,
        # Unlocking an account locked after failed sign-ins is deleting its lock-out record.
        "axes.accessattempt": ("view", "delete"),
        # Admins configure the system; they read intake and cases (audited) but do not work
        # them.
        **{label: _READ for label in [*_INTAKE, *_CASE_WORK]},
    },
}


def permission_codenames(role):
    """("app_label", "codename") pairs for a role."""
    return sorted(
        (model_label.split(".")[0], f"{action}_{model_label.split('.')[1]}")
        for model_label, actions in ROLE_PERMISSIONS[role].items()
        for action in actions
    )


def roles_sync(**_):
    """Create the four groups and give each exactly its permissions. Safe to run again."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    # post_migrate fires once per app, in an order we do not control: make sure every app's
    # permissions exist before handing them out.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        pairs = permission_codenames(role)
        query = Q()
        for app_label, codename in pairs:
            query |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(query))
        if len(permissions) != len(pairs):
            # Some app has not migrated yet; its own post_migrate will run this again.
            continue
        group.permissions.set(permissions)
