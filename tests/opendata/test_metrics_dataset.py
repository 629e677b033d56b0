"""The accountability metrics as open data: per month, country and theme, counted as the
public counts them, small counts suppressed, never a name, title or reference; the same
figures drawn on the metrics page with their tables; a constant number of queries."""

import csv
import datetime
import io

import pytest
from django.db import connection

from cases.models import ActionItem
from opendata.metrics import metric_rows
from tests.cases.factories import ActionItemFactory, CaseFactory, SubjectFactory
from tests.dates import at_noon, month_start
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_month(catalog, today):
    """Last month: FGR (Mexico) completed three coordination items on time (2, 4 and 6 days)
    and left three overdue; CBP-less US side (ATF) opened one; three public Mexican cases
    with traces of 5, 10 and 20 days; a restricted case whose item and trace stay out."""
    start = month_start(today, -1)

    def item(owner, *, case=None, days=None, due=start + datetime.timedelta(days=10), title="Item"):
        made = ActionItemFactory(owner=owner, case=case, theme="coordination", due_date=due, title=title)
        changes = {"created_at": at_noon(start)}
        if days is not None:
            changes |= {
                "status": ActionItem.Status.DONE,
                "completed_at": at_noon(start + datetime.timedelta(days=days)),
            }
        ActionItem.objects.filter(pk=made.pk).update(**changes)
        return made

    for days in (2, 4, 6):
        item(catalog.fgr, days=days)
    for _n in range(3):
        item(catalog.fgr, due=start + datetime.timedelta(days=1))
    item(catalog.atf, title="Secret plan of Agent Smith")
    for days in (5, 10, 20):
        case = CaseFactory(lead_agency=catalog.fgr, sensitivity="public", opened_on=start, title="Operation Public")
        SubjectFactory(
            case=case,
            trace_status="completed",
            trace_requested_on=start,
            trace_result_on=start + datetime.timedelta(days=days),
        )
    hidden = CaseFactory(lead_agency=catalog.fgr, sensitivity="restricted", opened_on=start, title="Operation Hidden")
    item(catalog.fgr, case=hidden, days=1)
    SubjectFactory(case=hidden, trace_requested_on=start, trace_result_on=start + datetime.timedelta(days=1))
    return f"{start:%Y-%m}", hidden


def row(rows, month, country, theme):
    return next(r for r in rows if (r["month"], r["country"], r["theme"]) == (month, country, theme))


def test_the_figures_per_month_country_and_theme(last_month):
    month, _hidden = last_month
    rows = metric_rows()

    mexico = row(rows, month, "MX", "coordination")
    assert mexico["action_items_opened"] == 6, "the restricted case's item is not public"
    assert (mexico["action_items_completed"], mexico["action_items_completed_on_time"]) == (3, 3)
    assert mexico["action_items_overdue"] == 3
    assert mexico["median_days_to_complete"] == 4.0
    cases = row(rows, month, "MX", "none")
    assert (cases["cases_opened"], cases["cases_closed"]) == (3, 0)
    assert (cases["traces_completed"], cases["median_trace_days"]) == (3, 10.0)


def test_a_count_under_three_is_suppressed(last_month):
    month, _hidden = last_month

    us = row(metric_rows(), month, "US", "coordination")

    assert us["action_items_opened"] is None, "one item: suppressed"
    assert us["action_items_completed"] == 0, "a zero points at nobody"
    assert us["median_days_to_complete"] is None


def test_the_download_names_nobody(last_month, anonymous):
    _month, hidden = last_month

    text = anonymous.get("/open-data/accountability-metrics.csv").getvalue().decode("utf-8-sig")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) >= {"month", "country", "theme", "action_items_overdue", "median_trace_days"}
    for secret in ("Agent Smith", "Operation", hidden.reference, "mx-fgr", "us-atf", "SN-"):
        assert secret not in text


def test_the_metrics_use_a_constant_number_of_queries(last_month, catalog, count_queries, today):
    _, few = count_queries(metric_rows)
    start = month_start(today, -3)
    for n in range(10):
        made = ActionItemFactory(
            owner=catalog.atf,
            theme="prevention-subnational",
            due_date=start,
            status="done",
            completed_at=at_noon(start),
        )
        ActionItem.objects.filter(pk=made.pk).update(created_at=at_noon(start))
        CaseFactory(lead_agency=catalog.atf, sensitivity="public", opened_on=start + datetime.timedelta(days=n))

    _, many = count_queries(metric_rows)

    assert few == many <= (6 if connection.vendor == "postgresql" else 8)


def test_the_metrics_page_draws_the_figures_with_their_tables_in_spanish(last_month, spanish):
    month, _hidden = last_month

    body = spanish.get("/metrics/").content.decode()

    assert 'id="accountability-months"' in body and 'id="accountability-themes"' in body
    assert "<polyline" in body, "the monthly line"
    assert "suprim" in body, "the suppression is stated, in Spanish"
    assert f'<th scope="row">{month}</th>' in body
    assert "&lt;3" in body, "a suppressed cell says so"
    assert "Agent Smith" not in body and "Operation Public" not in body


def test_an_official_sees_the_same_public_figures(last_month, catalog):
    from tests.factories import UserFactory

    official = signed_in(UserFactory(role="coordinator", agency=catalog.fgr))

    body = official.get("/metrics/").content.decode()

    assert 'id="accountability-months"' in body
