"""The accessibility audit the browser tests share (issue 16, point 7): axe-core, from the npm
registry (tests/browser/package.json, installed by `make node-deps`), run in Debian's Chromium on
every page a role can open, in English and Spanish, at a desktop and a 390-px phone width.

What it checks is WCAG 2.2 AA as axe-core encodes it: the rules tagged for WCAG 2.0, 2.1 and 2.2
at levels A and AA. The admin and the Swagger UI are not audited: they are Django's and
swagger-ui's pages, not the app's.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LANGUAGES = ["en", "es"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Every page kind of the app, by the role that can open it. A role audits the anonymous
# pages too: signed in, the header, the navigation and some pages differ.
ANONYMOUS = [
    "/",
    "/search/?q=atf",
    "/search/?q=zzzz-no-such-agency",
    "/agencies/us-atf/",
    "/agencies/mx-fgr/",
    "/jurisdictions/US-TX/",
    "/jurisdictions/MX/?function=firearms-tracing",
    "/coverage/",
    "/open-data/",
    "/metrics/",
    "/counterparts/",
    "/agencies/no-such-agency/",  # the 404 page
]
SIGNED_IN = [
    "/counterparts/?agency=us-atf&function=firearms-tracing",
    "/counterparts/sheet/?agency=us-atf&function=firearms-tracing",
    "/cases/",
    "/actions/",
    "/flags/?status=all",
]
OPENS_CASES = ["/cases/new/"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary.split("\\n")[1]),
    count: v.nodes.length,
  }));
}"""


def new_context(browser, site):
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: install it with `make node-deps` (make test does).")
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(15_000)
    # An init script is injected by the browser itself, before the page's scripts and outside
    # the page's Content-Security-Policy (which rightly refuses inline scripts).
    context.add_init_script(path=str(AXE))
    return context


def detail_paths(page) -> list[str]:
    """The first case and the first action item this user can open."""
    paths = []
    for listing, pattern in [
        ("/cases/", 'main a[href^="/cases/"][href$="/"]:not([href="/cases/new/"])'),
        ("/actions/", 'main a[href^="/actions/"][href$="/"]'),
    ]:
        page.goto(listing)
        link = page.locator(pattern).first
        assert link.count(), f"no {listing} entry to open: the demo data should give one"
        paths.append(link.get_attribute("href"))
    return paths


def audit(page, paths: list[str]) -> tuple[dict[str, list], int]:
    """Every path in both languages at both widths: the violations found, and how many runs."""
    found: dict[str, list] = {}
    runs = 0
    for language in LANGUAGES:
        origin = "{0.scheme}://{0.netloc}/".format(urlsplit(page.url))
        page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])
        for path in paths:
            page.set_viewport_size(DESKTOP)
            response = page.goto(path)
            assert response is not None and response.status < 500, (path, response and response.status)
            assert page.get_attribute("html", "lang") == language, (path, language)
            for width, viewport in [("desktop", DESKTOP), ("390px", PHONE)]:
                page.set_viewport_size(viewport)  # the CSS media queries apply without a reload
                violations = page.evaluate(RUN_AXE, WCAG_22_AA)
                runs += 1
                if violations:
                    found[f"{language} {width} {path}"] = violations
    return found, runs


def audit_role(browser, site, username: str | None, extra: list[str]) -> int:
    context = new_context(browser, site)
    try:
        page = context.new_page()
        paths = list(ANONYMOUS)
        if username:
            sign_in(page, username)
            paths += extra + detail_paths(page)
        else:
            paths.insert(1, "/accounts/login/")  # signed in, it sends the user home
            page.goto("/")
        found, runs = audit(page, paths)
        print(f"{username or 'anonymous'}: {runs} axe runs over {len(paths)} pages, {len(found)} with violations")
        assert not found, "WCAG 2.2 AA violations (axe-core):\n" + "\n".join(
            f"{where}: {v['id']} ({v['impact']}, {v['count']} nodes) {v['help']}: {v['nodes']}"
            for where, violations in found.items()
            for v in violations
        )
        return runs
    finally:
        context.close()
