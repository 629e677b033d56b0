"""Browser tests: Debian's Chromium driven by Playwright against a live Enlace.

The reference data and the demo data are loaded once per module into the test database
(loading them per test would take most of the time budget), served by one live server
thread, and removed at the end of the module, when the database goes back to what the
migrations left (role groups included), so the rest of the suite sees an empty catalog.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses sync DB calls
# from a thread with a running loop unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DEMO_PASSWORD = "enlace-demo-2026"


def _load_site_data() -> None:
    from django.core.management import call_command, get_commands
    from django.db import transaction

    from flags.services import deferred_flag_sync, sync_all_flags

    with transaction.atomic(), deferred_flag_sync():
        call_command("load_reference_data", verbosity=0)
    if "seed_demo" not in get_commands():
        pytest.fail("The seed_demo command is missing: the journeys need the demo accounts, contacts and cases.")
    with transaction.atomic(), deferred_flag_sync():
        call_command("seed_demo", verbosity=0, force=True)
    sync_all_flags()


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """A live server over the reference and demo data: its base URL."""
    from django.contrib.auth.models import Group
    from django.core import serializers
    from django.core.management import call_command
    from django.db import connections
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        # What the data migrations wrote (the role groups), to restore after the flush.
        migrated = serializers.serialize("json", Group.objects.all())
        try:
            _load_site_data()
            server = LiveServer("localhost")
            server._live_server_modified_settings.enable()
            try:
                yield server.url
            finally:
                server._live_server_modified_settings.disable()
                server.stop()
        finally:
            call_command("flush", verbosity=0, interactive=False)
            # The flush's post_migrate recreated the role groups under new ids; put back the
            # rows the migrations wrote, ids included.
            Group.objects.all().delete()
            for restored in serializers.deserialize("json", migrated):
                restored.save()
            # The connection these queries opened is not the suite's: Django keeps connections
            # per context, and with Playwright running this code gets its own. Left open, it
            # outlived the suite and the test database could not be dropped at the end.
            connections.close_all()


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        pytest.fail(
            f"Debian's Chromium is missing at {CHROMIUM}: "
            "install it with `apt-get install -y chromium` (make test does)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """A fresh browser context per test (no cookies carried over), failing on any request
    that leaves the live server and on any Content-Security-Policy violation."""
    from urllib.parse import urlsplit

    context = browser.new_context(base_url=site, accept_downloads=True, locale="en-US")
    context.set_default_timeout(10_000)
    own = urlsplit(site).netloc
    outside: list[str] = []
    csp: list[str] = []

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == own:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.on("console", lambda message: "Content Security Policy" in message.text and csp.append(message.text))
    tab.outside_requests = outside
    tab.csp_violations = csp
    yield tab
    context.close()
    assert not outside, f"requests left the app: {outside}"
    assert not csp, f"Content-Security-Policy violations: {csp}"


def type_agency(page, selector: str, text: str) -> None:
    """Type into a typed agency field and wait for its suggestions to come back. On the SQLite
    lane the live server's threads share the test's one connection: a suggestion request still
    running when the form is submitted interleaved its savepoints with the form's (a 500).
    The field's page must have run its deferred script first (the field listens only then):
    typed any earlier, on a loaded CI machine, nothing asked for suggestions."""
    page.wait_for_selector(selector)
    page.wait_for_load_state("domcontentloaded")  # after the deferred enlace.js has run
    with page.expect_response(lambda response: "/api/v1/agencies/?limit=10" in response.url):
        page.fill(selector, text)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text={username}")
