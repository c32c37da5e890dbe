"""Playwright against pytest-django's live server, driving Debian's /usr/bin/chromium.

One browser for the whole session; every test gets a fresh context (cookies). Playwright's
sync API runs an event loop in this thread, so Django's async-safety check is switched off
while the browser runs.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

expect.set_options(timeout=20_000)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def reference_data(django_db_setup, django_db_blocker):
    """The serialized reference data (data migrations), captured before Playwright starts.

    Playwright's sync API runs on greenlets; after it starts, Django's per-context connection
    handler can hand the test a fresh connection object that lacks the serialized contents, so
    a transactional test's rollback emulation would silently restore nothing.
    """
    from django.db import connection

    return getattr(connection, "_test_serialized_contents", None)


@pytest.fixture
def _restore_reference_data(reference_data, transactional_db):
    from django.db import connection

    from recruitment.models import Organisation

    if reference_data and not getattr(connection, "_test_serialized_contents", None):
        connection._test_serialized_contents = reference_data
    if reference_data and not Organisation.objects.exists():
        connection.creation.deserialize_db_from_string(reference_data)


@pytest.fixture(scope="session")
def browser(reference_data):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Only while the browser runs: the rest of the suite keeps Django's async-safety check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def eager_celery():
    """CSV imports run in-process (after the upload's commit) instead of on a worker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def page(browser, live_server, _restore_reference_data, eager_celery):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    # Generous waits: the CI machine has two cores shared with the live server and pytest.
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def check(page, axe):
    """Assert no serious/critical axe-core violations; optionally save a screenshot."""

    def run(name: str | None = None):
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] if n["target"] else "" for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"axe violations on {page.url}:\n{details}"
        if name:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return run


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
