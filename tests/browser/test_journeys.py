"""One real journey per user group, in Debian's Chromium (headless), against a live Enlace;
and every page on a 360-px phone (issue 16: no sideways scrolling, tap targets, one Tab stop
in the coverage matrix, no layout shift), visited in one browser context: browser time is
the suite's scarcest resource."""

import csv
import io
import re

import pytest

from tests.browser.conftest import sign_in, type_agency
from tests.dates import days_from_today

# django_db: the test database exists and each test's own writes on the shared SQLite
# connection roll back; the module's data stays (tests/browser/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_anonymous_visitor_switches_to_spanish_finds_fgr_by_pgr_and_opens_the_coverage_matrix(page):
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"
    switch = page.locator('button[name="language"]')
    switch.focus()
    page.keyboard.press("ArrowDown")  # a key press changes nothing (WCAG 3.2.2)
    assert page.get_attribute("html", "lang") == "en" and switch.is_visible()
    with page.expect_navigation():
        switch.click()  # the explicit choice
    assert page.get_attribute("html", "lang") == "es"

    page.fill("#site-q", "PGR")  # results as you type, no Enter
    result = page.locator('#live-results a[href="/agencies/mx-fgr/"]')
    result.wait_for()
    assert "FGR" in result.inner_text()
    result.click()
    page.wait_for_url("**/agencies/mx-fgr/")
    assert page.inner_text("h1") == "FGR – Fiscalía General de la República"
    assert page.get_attribute("html", "lang") == "es"  # the choice sticks across pages

    page.click('nav.main-nav a[href="/coverage/"]')
    page.wait_for_url("**/coverage/")
    assert page.get_attribute("html", "lang") == "es"
    matrix = page.locator("table.matrix")
    assert matrix.locator("thead th").count() >= 11  # functions column + 2 countries + 10 border states
    assert "FGR" in matrix.inner_text()
    assert matrix.locator('a[href="/jurisdictions/MX/?function=firearms-tracing#agencies"]').count() == 1
    assert "Rastreo de armas" in matrix.inner_text()  # functional areas named in Spanish
    body = page.content()
    assert "@" not in re.sub(r"<[^>]+>", "", body)  # no e-mail address on a public page


def test_liaison_officer_finds_atfs_counterpart_for_tracing_and_downloads_the_vcard(page):
    sign_in(page, "liaison.us")
    page.click('nav.main-nav a[href="/counterparts/"]')
    type_agency(page, "#id_agency", "us-atf")
    page.select_option("#id_function", "firearms-tracing")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "agency=us-atf" in page.url and "function=firearms-tracing" in page.url
    first = page.locator("li.counterpart").first
    assert first.locator("h3 a").get_attribute("href").startswith("/agencies/mx-")
    contact = page.locator("li.counterpart .contact").first
    assert contact.locator('a[href^="mailto:"]').count() == 1
    assert contact.locator('a[href^="tel:+"]').count() >= 1
    assert "America/" in contact.inner_text()  # local time of the contact's zone
    with page.expect_download() as download_info:
        contact.locator('a[href$="/vcard/"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".vcf")
    with open(download.path(), encoding="utf-8", newline="") as card:
        text = card.read()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and "\r\nEMAIL;TYPE=INTERNET,WORK:" in text
    page.click("text=Printable contact sheet")
    assert "Contactos de contraparte" in page.inner_text("h1")


def test_journalist_downloads_the_agencies_csv_from_the_spanish_open_data_page(page):
    page.goto("/")
    with page.expect_navigation():
        page.click('button[name="language"]')  # the language button: English -> Español
    page.click('nav.main-nav a[href="/open-data/"]')
    page.wait_for_url("**/open-data/")
    assert page.get_attribute("html", "lang") == "es"
    terms = page.inner_text("#open-data-terms")
    assert "Licencia" in terms and "CC BY 4.0" in terms and "dominio público" in terms
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.inner_text("#last-change")), "the date of the last change"
    assert page.locator('a[rel="license"]').get_attribute("href") == "https://creativecommons.org/licenses/by/4.0/"
    rows = page.locator("table tbody tr").filter(has_text="Instituciones")
    assert "Cada institución" in rows.first.inner_text(), "the description is in Spanish too"
    with page.expect_download() as download_info:
        page.click('a[href="/open-data/agencies.csv"]')
    download = download_info.value
    assert download.suggested_filename == "enlace-agencies.csv"
    with open(download.path(), "rb") as file:
        raw = file.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark: Excel opens the file as UTF-8"
    text = raw.decode("utf-8")  # opens as UTF-8: no byte is refused
    assert "Fiscalía General de la República" in text and "FiscalÃ" not in text
    shown = int(rows.first.locator("td").nth(1).inner_text())
    assert len(list(csv.reader(io.StringIO(text[1:])))) - 1 == shown > 50, "the whole dataset, as the page counts it"


def test_coordinator_creates_a_case_adds_an_action_item_and_resolves_a_flag(page):
    sign_in(page, "coordinator.us")
    page.click('nav.main-nav a[href="/cases/"]')
    page.click('a[href="/cases/new/"]')
    page.fill("#id_title", "Rifles recovered in Ciudad Juárez")
    page.fill("#id_summary", "Straw purchases traced to El Paso dealers.")
    page.select_option("#id_sensitivity", "restricted")
    type_agency(page, "#id_supporting", "mx-fgr")  # typed (slugs or acronyms), with suggestions
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/cases/\d+/$", page.url)
    assert "Rifles recovered in Ciudad Juárez" in page.inner_text("h1")

    page.click("text=Add an action item")
    page.fill("#id_item-title", "Trace the recovered rifles through eTrace")
    page.select_option("#id_item-owner", "us-atf")
    page.select_option("#id_item-function", "firearms-tracing")
    page.fill("#id_item-due_date", days_from_today(120).isoformat())
    with page.expect_navigation():
        page.click("#items form button[type=submit]")
    assert page.locator("#items", has_text="Trace the recovered rifles through eTrace").count() == 1

    # The participant's agency is typed: the agency search fills the suggestions as you type.
    page.click("text=Add a participant")
    type_agency(page, "#id_participant-agency", "Homeland")
    page.locator('#id_participant-agency_suggestions option[value="us-hsi"]').wait_for(state="attached")
    type_agency(page, "#id_participant-agency", "us-hsi")
    with page.expect_navigation():
        page.click("#participants form button[type=submit]")
    assert page.locator('#participants a[href="/agencies/us-hsi/"]').count() == 1

    page.click('nav.main-nav a[href="/flags/"]')
    flag = page.locator("li[id^=flag-]").filter(has=page.locator("form")).first
    flag_id = flag.get_attribute("id")
    assert flag.locator(".flag-reason").inner_text().strip()  # the sentence saying why
    flag.locator("select").select_option("resolved")
    flag.locator("input[type=text]").fill("Checked with the field office: handled.")
    with page.expect_navigation():
        flag.locator("button[type=submit]").click()
    assert "is now" in page.inner_text(".messages")
    assert page.locator(f"#{flag_id}").count() == 0  # resolved flags leave the queue


def test_stale_edit_keeps_the_input_and_explains_the_conflict(page, browser, site):
    sign_in(page, "coordinator.us")
    page.goto("/actions/?scope=mine")
    page.locator("main li.panel h2 a").first.click()
    item_path = page.url.removeprefix(site)
    page.fill("#id_edit-title", "My careful new title")
    page.fill("#id_edit-description", "Everything I typed must survive.")

    colleague = browser.new_context(base_url=site)  # the same item, saved first in another session
    other = colleague.new_page()
    sign_in(other, "coordinator.us")
    other.goto(item_path)
    other.fill("#id_edit-title", "Colleague's title")
    with other.expect_navigation():
        other.click("#edit button[type=submit]")
    assert other.inner_text("h1") == "Colleague's title"
    colleague.close()

    with page.expect_navigation():
        page.click("#edit button[type=submit]")
    assert "Someone changed this action item after you opened it" in page.inner_text("#edit .notice.error")
    assert page.input_value("#id_edit-title") == "My careful new title"
    assert page.input_value("#id_edit-description") == "Everything I typed must survive."
    changes = page.inner_text("#edit .conflict table")
    assert "My careful new title" in changes and "Colleague's title" in changes
    with page.expect_navigation():  # saving again, having seen the change, goes through
        page.click("#edit button[type=submit]")
    assert page.inner_text("h1") == "My careful new title"


PAGES = [
    "/",
    "/search/?q=atf",
    "/agencies/us-atf/",
    "/counterparts/?agency=us-atf&function=firearms-tracing",
    "/jurisdictions/US-TX/",
    "/coverage/",
    "/metrics/",
    "/open-data/",
    "/cases/",
    "/actions/",
    "/flags/",
]


def test_no_page_loads_anything_from_outside_the_app(page):
    sign_in(page, "coordinator.mx")
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
    assert any(url.endswith("/static/web/enlace.css") for url in loaded)
    assert any(url.endswith("/static/web/enlace.js") for url in loaded)
    # The page fixture fails the test on any request to another host or any CSP violation.
    assert page.outside_requests == [] and page.csp_violations == []


# --- Field-ready pages (issue 16, points 2 and 3) ---------------------------------------------

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
      if (box.width < 24 || box.height < 24) {
        small.push(el.textContent.trim() + " " + Math.round(box.width) + "x" + Math.round(box.height));
      }
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
            """() => Array.from(document.querySelectorAll(
                   "table.matrix a, table.matrix button, table.matrix [tabindex]"
                 )).filter((el) => el.tabIndex >= 0).length"""
        )
        print("matrix Tab stops", stops)
        assert stops == 1
        # The arrow keys move between cells; the Tab stop follows the focus.
        page.focus("table.matrix a[tabindex='0']")
        first = page.evaluate("() => document.activeElement.getAttribute('href')")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowRight")
        moved = page.evaluate(
            """() => [document.activeElement.getAttribute('href'),
                      !!document.activeElement.closest('table.matrix'),
                      document.querySelectorAll('table.matrix a[tabindex="0"]').length,
                      document.activeElement.tabIndex]"""
        )
        assert moved[0] != first and moved[1:] == [True, 1, 0], (first, moved)
    finally:
        context.close()
