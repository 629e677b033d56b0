"""axe-core finds no WCAG 2.2 AA violation on any page of the app, for each role, in both
languages, at desktop and 390-px widths (issue 16, point 7; tests/browser/accessibility.py)."""

import pytest

from tests.browser.accessibility import OPENS_CASES, RUN_AXE, SIGNED_IN, WCAG_22_AA, audit_role, new_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize(
    "username, extra",
    [
        (None, []),
        ("liaison.us", SIGNED_IN),
        ("coordinator.mx", SIGNED_IN + OPENS_CASES),
        ("admin", SIGNED_IN + OPENS_CASES),
    ],
    ids=["anonymous", "liaison-officer", "coordinator", "admin-staff"],
)
def test_no_page_has_an_accessibility_violation(browser, site, username, extra):
    assert audit_role(browser, site, username, extra) > 0


def test_the_audit_finds_a_violation_when_there_is_one(browser, site):
    """The harness itself: an image without a text alternative, added to a real page, is reported."""
    context = new_context(browser, site)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.evaluate(RUN_AXE, WCAG_22_AA) == []
        page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
        assert [violation["id"] for violation in page.evaluate(RUN_AXE, WCAG_22_AA)] == ["image-alt"]
    finally:
        context.close()
