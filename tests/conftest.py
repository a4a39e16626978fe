"""The one shared fixture set: an advocate, a supervisor, a partner, an admin and an outsider,
their team and organisation, and reference data that survives transactional tests."""

import importlib

import pytest
from django.db import connection

from hotline import reference_data
from hotline.models import Code, Industry, PartnerOrganisation, Region, Role, Team
from hotline.services import user_create
from tests.otp_helpers import _force_login_passes_two_factor  # noqa: F401 - a fixture

PASSWORD = "correct-horse-battery-staple-42"


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
            )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_without_a_manifest(settings):
    # Production serves hashed files from collectstatic's manifest; tests do not collect.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests flush every table, reference data and forwarding rules included;
    put them back."""
    marker = request.node.get_closest_marker("django_db")
    by_marker = marker is not None and marker.kwargs.get("transaction", False)
    if by_marker or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        if not Region.objects.exists():
            reference_data.load_all(Region, Industry, Code)
        from cases.models import ForwardingRule

        if not ForwardingRule.objects.exists():
            # The rules a fresh database has (seeded by a migration), as for reference data.
            seeded = importlib.import_module("cases.migrations.0007_forwarding_rules_seed")
            for rule in seeded.RULES:
                ForwardingRule.objects.get_or_create(name=rule["name"], defaults=rule)


@pytest.fixture
def team(db):
    return Team.objects.create(name="East desk")


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="West desk")


@pytest.fixture
def organisation(db):
    return PartnerOrganisation.objects.create(
        name="Metro Police Human Trafficking Unit",
        type=PartnerOrganisation.Type.LAW_ENFORCEMENT,
        region=Region.objects.get(code="US-TX"),
    )


@pytest.fixture
def other_organisation(db):
    return PartnerOrganisation.objects.create(
        name="Safe Harbor Services", type=PartnerOrganisation.Type.NGO
    )


@pytest.fixture
def advocate(team):
    return user_create(username="alice", password=PASSWORD, role=Role.ADVOCATE, team=team)


@pytest.fixture
def other_advocate(other_team):
    return user_create(username="wes", password=PASSWORD, role=Role.ADVOCATE, team=other_team)


@pytest.fixture
def supervisor(team):
    return user_create(username="sam", password=PASSWORD, role=Role.SUPERVISOR, team=team)


@pytest.fixture
def partner(organisation):
    return user_create(
        username="pat", password=PASSWORD, role=Role.PARTNER, organisation=organisation
    )


@pytest.fixture
def admin_user(db):
    return user_create(username="ada", password=PASSWORD, role=Role.ADMIN)


@pytest.fixture
def outsider(django_user_model):
    """An account with no role: it may sign in but must see nothing."""
    user = django_user_model(username="olive")
    user.set_password(PASSWORD)
    user.save()
    return user
