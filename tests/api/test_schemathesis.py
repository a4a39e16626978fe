"""Property-based tests of the whole API against its own OpenAPI document (schemathesis): for
every operation, generated requests, as an advocate and as a partner, never get a server error
and every answer matches the schema (status, content type, body), errors included.

Kept small (a few examples per operation) so that it runs in about a minute; raise
HOTLINE_SCHEMATHESIS_EXAMPLES (and HOTLINE_SCHEMATHESIS_COVERAGE=1) to search harder."""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for

EXAMPLES = int(os.environ.get("HOTLINE_SCHEMATHESIS_EXAMPLES", "4"))
COVERAGE = os.environ.get("HOTLINE_SCHEMATHESIS_COVERAGE", "") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _load_schema():
    """The document /api/v1/schema/ serves, generated here (collection may not use the
    database, which the endpoint's rate limit counts in); requests then go to the WSGI app."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    # The examples of the document and random requests; the exhaustive "coverage" phase
    # (boundaries and every kind of wrong value) takes minutes: HOTLINE_SCHEMATHESIS_COVERAGE=1.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}})
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(document)), config=config
    )
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()
hypothesis_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """Django closes the database connection at the end of each request; its test client
    stops it doing so (the test's transaction lives on that connection), and so must we, since
    schemathesis calls the WSGI application directly."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def advocate_token(advocate, referred_case):
    return token_for(advocate)


@pytest.fixture
def partner_token(partner, referred_case):
    return token_for(partner)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings
def test_an_advocate_gets_answers_within_the_schema(case, advocate_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {advocate_token}"}, checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings
def test_a_partner_gets_answers_within_the_schema(case, partner_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {partner_token}"}, checks=CHECKS)
