"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright, against the
live server pytest-django runs on the test database.

`browser_for(user)` gives a page signed in as that user (two-factor passed, as after a real
sign-in); `anonymous_page` one signed in as nobody; `screenshot(page, name)` saves
docs/screenshots/<name>.png for the README.

Every page these fixtures open listens for script errors and console errors (a refused
Content-Security-Policy, a failed script, a 500 behind an htmx request): the test fails at its
end if there were any. A test that provokes one on purpose marks itself
`@pytest.mark.console_errors_expected`.

Every browser test lives in this folder. Importing these fixtures into a module elsewhere would
give that module its own session-wide Playwright, still running when this folder's starts,
and Playwright refuses to start inside another's event loop.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

# Playwright's synchronous API runs an event loop in the test's thread, which makes Django
# refuse database calls from that thread; the test itself is synchronous, so that is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
# htmx logs these when it cuts its own request short (a newer one replaces it, hx-sync, or the
# page reloads); a server error shows as htmx:responseError and a failed load, which count.
ABORTED_BY_DESIGN = ("htmx:sendAbort", "htmx:afterRequest")
# A laptop screen; tests about tablets set their own.
VIEWPORT = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_for(browser, live_server, request):
    """browser_for(user) -> a new page (its own cookies) signed in as user."""
    contexts = []
    problems = []

    def listen(page):
        def on_console(message):
            if message.type == "error" and not message.text.startswith(ABORTED_BY_DESIGN):
                problems.append(f"{page.url}: console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: script: {error}"))

    def open_page(user=None, *, locale="en-US", viewport=VIEWPORT):
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)  # two-factor passed (tests/otp_helpers.py)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        context.on("page", listen)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    if request.node.get_closest_marker("console_errors_expected") is None:
        assert problems == [], "the browser reported errors: " + " | ".join(problems)


@pytest.fixture
def anonymous_page(browser_for):
    return browser_for(None)


@pytest.fixture
def screenshot():
    def save(page, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save
