"""The browsable API docs (/api/v1/docs/) work offline under the strict Content-Security-Policy:
Swagger UI comes from our own static files and renders every operation, with no violation."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_render_under_the_csp_from_our_own_files(browser_for, live_server):
    page = browser_for(None)
    violations, requests = [], []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/v1/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 40
    assert "Hotline API" in page.locator(".title").first.inner_text()
    assert violations == []
    assert all(url.startswith(live_server.url) for url in requests), requests
