"""The personal deadline calendar: parsed back with icalendar; only what the user may see;
the token is the secret and can be rotated."""

import datetime

import pytest
from icalendar import Calendar

from cases.models import CaseReadLog
from tests.cases.factories import ActionItemFactory, CaseFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def items(atf, fgr, coord_us, today):
    restricted = CaseFactory(lead_agency=atf, sensitivity="restricted", title="Secret")
    return {
        "own": ActionItemFactory(owner=atf, title="File the report", due_date=today + datetime.timedelta(days=5)),
        "late": ActionItemFactory(owner=atf, title="Late thing", due_date=today - datetime.timedelta(days=2)),
        "restricted": ActionItemFactory(owner=atf, case=restricted, title="Trace", due_date=today),
        "undated": ActionItemFactory(owner=atf, title="Someday"),
        "other_agency": ActionItemFactory(owner=fgr, title="Not ours", due_date=today),
        "case": restricted,
    }


def test_feed_lists_the_agency_items_with_dates(client, coord_us, items):
    events = parse(client.get(f"/api/v1/calendar/{coord_us.calendar_token}.ics"))
    reference = items["case"].reference
    assert set(events) == {"File the report", "OVERDUE: Late thing", f"[{reference}] Trace"}
    event = events["File the report"]
    assert event.decoded("DTSTART") == items["own"].due_date
    assert event.decoded("DTEND") == items["own"].due_date + datetime.timedelta(days=1)
    assert str(event["UID"]) == f"action-item-{items['own'].pk}@" + str(event["UID"]).split("@")[1]
    assert "Status: Open" in str(event["DESCRIPTION"])


def test_reading_a_restricted_case_through_the_feed_is_logged(client, coord_us, items):
    client.get(f"/api/v1/calendar/{coord_us.calendar_token}.ics")
    assert list(CaseReadLog.objects.values_list("case_id", "user_id", "via")) == [
        (items["case"].pk, coord_us.pk, "calendar")
    ]


def test_feed_hides_items_of_restricted_cases_the_user_cannot_see(client, atf, fgr, coord_mx, today):
    hidden = CaseFactory(lead_agency=atf, sensitivity="restricted")
    ActionItemFactory(owner=fgr, case=hidden, title="FGR item on an ATF case", due_date=today)
    ActionItemFactory(owner=fgr, title="FGR commitment", due_date=today)
    events = parse(client.get(f"/api/v1/calendar/{coord_mx.calendar_token}.ics"))
    assert set(events) == {"FGR commitment"}


def test_unknown_token_is_404(client, coord_us):
    assert client.get("/api/v1/calendar/not-a-token.ics").status_code == 404


def test_inactive_user_feed_is_404(client, coord_us):
    coord_us.is_active = False
    coord_us.save()
    assert client.get(f"/api/v1/calendar/{coord_us.calendar_token}.ics").status_code == 404


def test_rotate_gives_a_new_url_and_kills_the_old_one(client, api, coord_us, items):
    old = f"/api/v1/calendar/{coord_us.calendar_token}.ics"
    signed_in = client_for(coord_us)
    assert signed_in.get("/api/v1/calendar/rotate/").json()["url"].endswith(old)
    response = signed_in.post("/api/v1/calendar/rotate/")
    assert response.status_code == 200
    new_url = response.json()["url"]
    assert new_url.startswith("http") and new_url.endswith(".ics") and not new_url.endswith(old)
    assert client.get(old).status_code == 404
    path = new_url[new_url.index("/api/v1/") :]
    assert "File the report" in parse(client.get(path))
    assert api.post("/api/v1/calendar/rotate/").status_code == 401


def test_user_without_agency_gets_an_empty_calendar(client, staff, items):
    assert parse(client.get(f"/api/v1/calendar/{staff.calendar_token}.ics")) == {}
