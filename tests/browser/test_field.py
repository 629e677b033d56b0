"""Field-ready pages (issue 16, points 2 and 3): on a 360-px phone no page scrolls sideways,
the coverage matrix's links are big enough to tap and take one Tab stop, the language picker
changes language only on an explicit choice, and nothing moves once a page has loaded.

Every page is visited in one browser context (one sign-in): browser time is the suite's
scarcest resource."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 360, "height": 740}

# Layout shifts after load, summed as the Cumulative Layout Shift metric does (without the
# session windows: a sum is stricter). Installed before any page script runs.
CLS_OBSERVER = """
window.__shifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) {
    if (!entry.hadRecentInput) { window.__shifts.push(entry.value); }
  });
}).observe({type: "layout-shift", buffered: true});
"""

MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  document.querySelectorAll("main *, header *, footer *").forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !el.closest(".visually-hidden, .skip-link")) {
      wide.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "") + " " + Math.round(box.right));
    }
  });
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5),
          shift: window.__shifts.reduce((a, b) => a + b, 0)};
}"""

TAP = """(selector) => {
  const small = [];
  let all = 0;
  document.querySelectorAll(selector).forEach((el) => {
    for (const box of el.getClientRects()) {
      all += 1;
      if (box.width < 24 || box.height < 24) { small.push(el.textContent.trim() + " " + Math.round(box.width) + "x" + Math.round(box.height)); }
    }
  });
  return {all: all, small: small};
}"""


def _case_paths(page) -> list[str]:
    page.goto("/cases/")
    case = page.locator('main a[href^="/cases/"][href$="/"]:not([href="/cases/new/"])').first.get_attribute("href")
    page.goto("/actions/")
    action = page.locator('main a[href^="/actions/"][href$="/"]').first.get_attribute("href")
    return [case, action]


def test_every_page_fits_a_360_px_phone_without_moving_after_load(browser, site):
    context = browser.new_context(base_url=site, viewport=PHONE, locale="en-US", has_touch=True, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.add_init_script(CLS_OBSERVER)
        page.goto("/accounts/login/")
        anonymous = ["/accounts/login/", "/", "/coverage/"]
        measured = {}
        for path in anonymous:
            page.goto(path)
            page.wait_for_load_state("load")
            measured[path] = page.evaluate(MEASURE)
        sign_in(page, "coordinator.us")
        pages = [
            "/",
            "/search/?q=atf",
            "/agencies/us-atf/",
            "/counterparts/?agency=us-atf&function=firearms-tracing",
            "/counterparts/sheet/?agency=us-atf&function=firearms-tracing",
            "/jurisdictions/US-TX/",
            "/coverage/",
            "/cases/",
            "/actions/",
            "/flags/?status=all",
            "/metrics/",
            "/open-data/",
        ]
        for path in pages + _case_paths(page):
            response = page.goto(path)
            assert response.status == 200, path
            page.wait_for_load_state("load")
            page.wait_for_timeout(50)  # a shift from a deferred script would land by now
            measured["signed-in " + path] = page.evaluate(MEASURE)
        print({path: (m["scroll"], round(m["shift"], 3)) for path, m in measured.items()})
        too_wide = {path: (m["scroll"], m["wide"]) for path, m in measured.items() if m["scroll"] > m["width"]}
        assert not too_wide, f"pages wider than a 360-px phone: {too_wide}"
        shifted = {path: m["shift"] for path, m in measured.items() if m["shift"] >= 0.01}
        assert not shifted, f"layout shift after load: {shifted}"

        # The coverage matrix: every link at least 24 x 24 px (WCAG 2.5.8), and one Tab stop.
        page.goto("/coverage/")
        page.wait_for_load_state("load")
        taps = page.evaluate(TAP, "table.matrix a")
        print("matrix links", taps["all"], "under 24 px", len(taps["small"]))
        assert taps["all"] > 50 and taps["small"] == [], taps["small"][:10]
        stops = page.evaluate(
            """() => Array.from(document.querySelectorAll("table.matrix a, table.matrix button, table.matrix [tabindex]"))
                 .filter((el) => el.tabIndex >= 0).length"""
        )
        print("matrix Tab stops", stops)
        assert stops == 1
    finally:
        context.close()
