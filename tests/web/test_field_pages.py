"""Field-ready pages (issue 16, points 2–4), as the server renders them: phones written for
people with `tel:` links, a jump to the contacts, the language changed by an explicit button,
flag cards linking what they name as far as the reader may see it, and dates that read the
same on both sides of the border."""

import re

import pytest
from django.utils import formats, translation

from cases import services
from cases.models import Case, CaseSubject
from flags.models import Flag, FlagKind
from flags.services import sync_all_flags
from tests.dates import today
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

# 12/04/2026 is 4 December in Texas and 12 April in Chihuahua: no page writes a date so.
NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")


def test_phones_read_with_their_country_code_and_call_from_the_finder_the_agency_page_and_the_sheet(
    catalog, liaison_us
):
    client = signed_in(liaison_us)
    for path in (
        "/counterparts/?agency=us-atf&function=firearms-tracing",
        "/agencies/mx-fgr/",
        "/counterparts/sheet/?agency=us-atf&function=firearms-tracing",
    ):
        html = client.get(path).content.decode()
        html = html.split('id="changes"')[0]  # the changes list quotes stored values as they are
        assert "+52 55 5346 1000" in html, path  # stored as +525553461000
        assert 'href="tel:+52-55-5346-1000"' in html, path
        assert "+525553461000" not in html, path


def test_the_agency_page_jumps_to_its_contacts_from_the_top(catalog, anonymous):
    html = anonymous.get("/agencies/mx-fgr/").content.decode()
    jump = html.index('href="#contacts"')
    assert jump < html.index('id="mandates"') and 'id="contacts"' in html


def test_the_language_changes_only_by_an_explicit_button(catalog, anonymous, spanish):
    english = anonymous.get("/").content.decode()
    assert '<button type="submit" name="language" value="es" lang="es"' in english
    assert '<select name="language"' not in english and "data-auto-submit" not in english
    assert "data-hide-with-js" not in english  # no control hidden after load (a Tab stop where focus vanished)
    assert '<button type="submit" name="language" value="en" lang="en"' in spanish.get("/").content.decode()


def test_dates_are_iso_or_name_the_month_and_times_say_their_zone_in_both_languages(
    catalog, coordinator_us, case, item
):
    day = today()
    for language in ("en", "es"):
        with translation.override(language):
            assert formats.date_format(day, "SHORT_DATE_FORMAT") == day.isoformat()
            long = formats.date_format(day, "DATE_FORMAT")
            month = formats.date_format(day, "F")
            assert str(day.day) in long and month in long and str(day.year) in long
            assert formats.date_format(case.created_at, "SHORT_DATETIME_FORMAT").endswith(" UTC")
    client = signed_in(coordinator_us)
    for language in ("en", "es"):
        for path in ("/cases/", f"/cases/{case.pk}/", "/actions/", f"/actions/{item.pk}/", "/flags/?status=all"):
            html = client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            text = re.sub(r"<[^>]+>", " ", html)
            assert not NUMERIC_DATE.search(text), (language, path, NUMERIC_DATE.search(text))
        page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert day.isoformat() in page
        # The changes list gives each time with its zone.
        changes = page[page.index('id="changes"') :]
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", changes), changes[:400]


@pytest.fixture
def match_across_a_restricted_case(catalog, coordinator_us, coordinator_mx):
    """A firearm in ATF's restricted case (FGR not in it) and in FGR's public case."""
    secret = services.case_open(
        user=coordinator_us,
        title="Restricted ATF case",
        summary="",
        sensitivity=Case.Sensitivity.RESTRICTED,
        participants=[],
    )
    public = services.case_open(
        user=coordinator_mx, title="Caso público de la FGR", summary="", sensitivity=Case.Sensitivity.PUBLIC
    )
    for each, user in ((secret, coordinator_us), (public, coordinator_mx)):
        services.subject_add(
            user=user, case=each, kind=CaseSubject.Kind.FIREARM, identifier="XYZ987654", make="Colt", model="AR-15"
        )
    sync_all_flags()
    flag = Flag.objects.get(kind=FlagKind.SUBJECT_MATCH)
    return secret, public, flag


def test_a_flag_card_links_its_cases_and_agencies_but_never_a_case_the_reader_cannot_see(
    catalog, coordinator_us, coordinator_mx, match_across_a_restricted_case
):
    secret, public, flag = match_across_a_restricted_case
    card = _card(signed_in(coordinator_mx).get("/flags/?status=all").content.decode(), flag)
    assert f'href="/cases/{public.pk}/"' in card
    assert f'href="/cases/{secret.pk}/"' not in card and secret.reference not in card  # SPEC §4
    assert 'href="/agencies/us-atf/"' in card and 'href="/agencies/mx-fgr/"' in card
    # ATF's coordinator sees both cases: both linked.
    card = _card(signed_in(coordinator_us).get("/flags/?status=all").content.decode(), flag)
    assert f'href="/cases/{public.pk}/"' in card and f'href="/cases/{secret.pk}/"' in card


def test_the_flag_queue_runs_a_constant_number_of_queries_with_its_links(
    catalog, coordinator_us, coordinator_mx, match_across_a_restricted_case
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(coordinator_us)
    client.get("/flags/?status=all")
    with CaptureQueriesContext(connection) as few:
        client.get("/flags/?status=all")
    for n in range(3):
        services.case_open(user=coordinator_us, title=f"More {n}", summary="", sensitivity=Case.Sensitivity.PUBLIC)
    more = services.case_open(user=coordinator_us, title="More", summary="", sensitivity=Case.Sensitivity.PUBLIC)
    services.subject_add(
        user=coordinator_us,
        case=more,
        kind=CaseSubject.Kind.FIREARM,
        identifier="XYZ987654",
        make="Colt",
        model="AR-15",
    )
    sync_all_flags()
    assert Flag.objects.filter(kind=FlagKind.SUBJECT_MATCH).count() > 1
    with CaptureQueriesContext(connection) as many:
        client.get("/flags/?status=all")
    assert len(many) == len(few)


def _card(html: str, flag) -> str:
    start = html.index(f'id="flag-{flag.pk}"')
    end = html.find('id="flag-', start + 1)
    return html[start : end if end > 0 else len(html)]
