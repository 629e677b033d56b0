"""Metrics: what each role counts, the figures themselves, no restricted case revealed."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from cases import selectors
from cases.models import Case
from cases.selectors import compute_metrics, metrics_for
from tests.cases.factories import ActionItemFactory, CaseFactory, ParticipantFactory
from tests.conftest import client_for
from tests.dates import at_noon, month_start
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def month(today: datetime.date, months: int) -> str:
    """How per_month names (YYYY-MM) the month `months` away from today's."""
    return f"{month_start(today, months):%Y-%m}"


@pytest.fixture
def world(atf, hsi, cbp, fgr, today):
    """The restricted case opened three months ago; the public one opened two months ago and
    closed last month (each in a month of its own, whatever day of the month it is)."""
    restricted = CaseFactory(
        lead_agency=atf, sensitivity="restricted", opened_on=month_start(today, -3) + datetime.timedelta(days=2)
    )
    ParticipantFactory(case=restricted, agency=hsi)
    public = CaseFactory(lead_agency=cbp, sensitivity="public", opened_on=month_start(today, -2))
    public.closed_on = month_start(today, -1) + datetime.timedelta(days=1)
    public.status = "closed"
    public.save()
    ActionItemFactory(
        case=restricted, owner=atf, theme="pursue-criminal-networks", due_date=today - datetime.timedelta(days=1)
    )
    ActionItemFactory(case=restricted, owner=hsi, theme="pursue-criminal-networks", status="blocked")
    on_time = ActionItemFactory(
        case=public, owner=cbp, theme="coordination", status="done", due_date=today, completed_at=at_noon(today)
    )
    late = ActionItemFactory(
        case=None,
        owner=fgr,
        theme="coordination",
        status="done",
        due_date=today - datetime.timedelta(days=10),
        completed_at=at_noon(today - datetime.timedelta(days=5)),
    )
    ActionItemFactory(case=None, owner=fgr, theme="", due_date=today - datetime.timedelta(days=3))
    # Creation times, for days-to-complete: 4 and 10 days.
    type(on_time).objects.filter(pk=on_time.pk).update(created_at=at_noon(today - datetime.timedelta(days=4)))
    type(late).objects.filter(pk=late.pk).update(created_at=at_noon(today - datetime.timedelta(days=15)))
    return restricted


def as_dict(rows):
    return {row["key"]: row["count"] for row in rows}


def test_anonymous_counts_public_cases_and_commitments_only(api, world, today):
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
        {"month": month(today, -2), "opened": 1, "closed": 0},
        {"month": month(today, -1), "opened": 0, "closed": 1},
    ]
    assert world.reference not in response.content.decode()


@pytest.mark.parametrize("who", ["coord_mx", "coord_cbp"])
def test_outsiders_count_what_they_may_see(who, request, world, today):
    data = client_for(request.getfixturevalue(who)).get("/api/v1/metrics/").json()
    assert data["action_items"]["total"] == 3
    assert month(today, -3) not in {row["month"] for row in data["cases"]["per_month"]}


@pytest.mark.parametrize("who", ["staff", "coord_us", "liaison_us"])
def test_insiders_count_the_restricted_case(who, request, world, today):
    data = client_for(request.getfixturevalue(who)).get("/api/v1/metrics/").json()
    assert data["action_items"]["total"] == 5
    assert as_dict(data["action_items"]["by_theme"])["pursue-criminal-networks"] == 2
    assert {"month": month(today, -3), "opened": 1, "closed": 0} in data["cases"]["per_month"]


def test_figures(world, staff, today):
    items = metrics_for(staff, today=today)["action_items"]
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
    """Computed afresh (the cache cleared), the figures take the same queries whatever the data."""
    client = client_for(staff)
    client.get("/api/v1/metrics/")
    cache.clear()
    _r, before = count_queries(lambda: client.get("/api/v1/metrics/"))
    for n in range(20):
        ActionItemFactory(owner=atf, theme="coordination", status="done", completed_at=timezone.now(), title=f"x{n}")
    for n in range(3):
        CaseFactory(lead_agency=AgencyFactory(), sensitivity="restricted", title=f"y{n}")
    cache.clear()
    _r, after = count_queries(lambda: client.get("/api/v1/metrics/"))
    assert before == after


def test_figures_kept_answer_in_one_query(world, staff, count_queries, today):
    metrics_for(staff, today=today)
    kept, queries = count_queries(lambda: metrics_for(staff, today=today))
    assert queries == 1  # the check that nothing changed
    assert kept == compute_metrics(staff, today=today)


def test_kept_figures_follow_every_change(world, staff, coord_mx, fgr, hsi, atf, today):
    """A new item, a changed status, a new or removed participant: the next call sees it."""
    assert metrics_for(staff, today=today)["action_items"]["total"] == 5
    item = ActionItemFactory(case=None, owner=fgr, theme="coordination")
    assert metrics_for(staff, today=today)["action_items"]["total"] == 6
    item.status = "cancelled"
    item.save()
    assert as_dict(metrics_for(staff, today=today)["action_items"]["by_status"])["cancelled"] == 1

    # coord_mx (FGR) does not see the restricted case until FGR takes part in it.
    assert metrics_for(coord_mx, today=today)["action_items"]["total"] == 4
    participant = ParticipantFactory(case=world, agency=fgr)
    assert metrics_for(coord_mx, today=today)["action_items"]["total"] == 6
    participant.delete()
    Case.objects.filter(pk=world.pk).update(updated_at=timezone.now())  # as services.participant_remove does
    assert metrics_for(coord_mx, today=today)["action_items"]["total"] == 4


def test_audiences_never_share_figures(world, staff, coord_mx, api, today):
    """Staff computed first and kept: anonymous users and outsiders still get their own counts."""
    assert metrics_for(staff, today=today)["action_items"]["total"] == 5
    assert api.get("/api/v1/metrics/").json()["action_items"]["total"] == 3
    assert metrics_for(coord_mx, today=today)["action_items"]["total"] == 3
    assert metrics_for(AnonymousUser(), today=today)["action_items"]["total"] == 3


def test_by_owner_lists_the_busiest_owners_first_and_is_bounded(db, staff, monkeypatch):
    monkeypatch.setattr(selectors, "OWNERS_SHOWN", 3)
    owners = [AgencyFactory() for _ in range(5)]
    for n, owner in enumerate(owners):
        for k in range(n + 1):
            ActionItemFactory(case=None, owner=owner, title=f"{n}-{k}")
    data = compute_metrics(staff)["action_items"]
    assert data["total"] == 15
    assert data["by_owner"] == [{"key": owners[n].slug, "count": n + 1} for n in (4, 3, 2)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_median_of_an_odd_number_is_the_middle_one(db, staff, fgr, today):
    for days in (1, 2, 30):
        item = ActionItemFactory(case=None, owner=fgr, status="done", completed_at=at_noon(today))
        type(item).objects.filter(pk=item.pk).update(created_at=at_noon(today - datetime.timedelta(days=days)))
    assert compute_metrics(staff, today=today)["action_items"]["median_days_to_complete"] == 2.0
