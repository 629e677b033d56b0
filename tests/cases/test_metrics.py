"""Metrics: what each role counts, the figures themselves, no restricted case revealed."""

import datetime

import pytest
from django.utils import timezone

from cases.selectors import metrics_for
from tests.cases.factories import ActionItemFactory, CaseFactory, ParticipantFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def world(atf, hsi, cbp, fgr):
    restricted = CaseFactory(lead_agency=atf, sensitivity="restricted", opened_on=datetime.date(2026, 9, 3))
    ParticipantFactory(case=restricted, agency=hsi)
    public = CaseFactory(lead_agency=cbp, sensitivity="public", opened_on=datetime.date(2026, 10, 1))
    public.closed_on = datetime.date(2026, 11, 2)
    public.status = "closed"
    public.save()
    ActionItemFactory(
        case=restricted, owner=atf, theme="pursue-criminal-networks", due_date=TODAY - datetime.timedelta(days=1)
    )
    ActionItemFactory(case=restricted, owner=hsi, theme="pursue-criminal-networks", status="blocked")
    on_time = ActionItemFactory(
        case=public, owner=cbp, theme="coordination", status="done", due_date=TODAY, completed_at=at(TODAY)
    )
    late = ActionItemFactory(
        case=None,
        owner=fgr,
        theme="coordination",
        status="done",
        due_date=TODAY - datetime.timedelta(days=10),
        completed_at=at(TODAY - datetime.timedelta(days=5)),
    )
    ActionItemFactory(case=None, owner=fgr, theme="", due_date=TODAY - datetime.timedelta(days=3))
    # Creation times, for days-to-complete: 4 and 10 days.
    type(on_time).objects.filter(pk=on_time.pk).update(created_at=at(TODAY - datetime.timedelta(days=4)))
    type(late).objects.filter(pk=late.pk).update(created_at=at(TODAY - datetime.timedelta(days=15)))
    return restricted


def as_dict(rows):
    return {row["key"]: row["count"] for row in rows}


def test_anonymous_counts_public_cases_and_commitments_only(api, world):
    response = api.get("/api/v1/metrics/")
    assert response.status_code == 200
    data = response.json()
    items = data["action_items"]
    assert items["total"] == 3
    assert as_dict(items["by_owner"]) == {"us-cbp": 1, "mx-fgr": 2}
    assert "us-atf" not in response.content.decode() and "us-hsi" not in response.content.decode()
    assert as_dict(items["by_status"]) == {"done": 2, "open": 1}
    assert as_dict(items["by_country"]) == {"US": 1, "MX": 2}
    assert as_dict(items["by_theme"]) == {"coordination": 2, "": 1}
    assert data["cases"]["per_month"] == [
        {"month": "2026-10", "opened": 1, "closed": 0},
        {"month": "2026-11", "opened": 0, "closed": 1},
    ]
    assert world.reference not in response.content.decode()


@pytest.mark.parametrize("who", ["coord_mx", "coord_cbp"])
def test_outsiders_count_what_they_may_see(who, request, world):
    data = client_for(request.getfixturevalue(who)).get("/api/v1/metrics/").json()
    assert data["action_items"]["total"] == 3
    assert "2026-09" not in {row["month"] for row in data["cases"]["per_month"]}


@pytest.mark.parametrize("who", ["staff", "coord_us", "liaison_us"])
def test_insiders_count_the_restricted_case(who, request, world):
    data = client_for(request.getfixturevalue(who)).get("/api/v1/metrics/").json()
    assert data["action_items"]["total"] == 5
    assert as_dict(data["action_items"]["by_theme"])["pursue-criminal-networks"] == 2
    assert {"month": "2026-09", "opened": 1, "closed": 0} in data["cases"]["per_month"]


def test_figures(world, staff):
    items = metrics_for(staff, today=TODAY)["action_items"]
    # Overdue: the ATF item (due yesterday) and the FGR commitment (3 days late); not the done ones.
    assert items["overdue"] == 2
    assert items["done"] == 2
    assert items["on_time_completion_rate"] == 0.5
    assert items["median_days_to_complete"] == 7.0  # 4 and 10 days


def test_empty_metrics(db, api):
    data = api.get("/api/v1/metrics/").json()
    assert data["action_items"]["total"] == 0
    assert data["action_items"]["on_time_completion_rate"] is None
    assert data["action_items"]["median_days_to_complete"] is None
    assert data["cases"]["per_month"] == []


def test_metrics_query_count_is_constant(world, staff, atf, count_queries):
    client = client_for(staff)
    client.get("/api/v1/metrics/")
    _r, before = count_queries(lambda: client.get("/api/v1/metrics/"))
    for n in range(20):
        ActionItemFactory(owner=atf, theme="coordination", status="done", completed_at=timezone.now(), title=f"x{n}")
    _r, after = count_queries(lambda: client.get("/api/v1/metrics/"))
    assert before == after
