"""The OpenAPI document: generated without a warning, valid, describing every endpoint with
examples; served at /api/v1/schema/ with its docs page at /api/v1/docs/."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema_text():
    """The schema as CI checks it (`manage.py spectacular --fail-on-warn --validate`), with the
    warnings of each endpoint kept by drf-spectacular."""
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    out = StringIO()
    try:
        call_command("spectacular", "--validate", stdout=out)
    finally:
        problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    return out.getvalue(), problems


def test_the_api_endpoints_generate_without_warnings(schema_text):
    _, problems = schema_text
    ours = [problem for problem in problems if "/reports/" not in problem]
    assert ours == []


def test_the_whole_schema_generates_without_warnings_and_validates():
    # What CI runs; the statistics endpoint (reports/api.py) is described by its own app.
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=StringIO())


def test_every_operation_has_a_summary_and_every_body_an_example(schema_text):
    schema = yaml.safe_load(schema_text[0])
    ours = {path: item for path, item in schema["paths"].items() if "/stats/" not in path}
    assert len(ours) >= 20
    for path, item in ours.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation.get("summary") or operation.get("description"), (path, method)
            if method in ("get", "post", "put", "patch") and "/stats/" not in path:
                assert _has_example(operation), (path, method)
            assert "404" in operation["responses"] or "/public/" in path, (path, method)


def _has_example(operation):
    bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
    return any(
        media.get("examples") or media.get("example")
        for body in bodies
        for media in body.get("content", {}).values()
    )


def test_the_schema_is_served_without_signing_in(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert client.get("/api/v1/schema/").content.startswith(b"openapi: 3")


def test_the_docs_page_loads_its_scripts_from_our_own_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn" not in body.lower()
    assert "<script>" not in body  # no inline script: the strict CSP would block it
