"""The accountability metrics as open data: per month, per country and per framework theme,
what the two governments committed to and how they kept it.

Counted as an anonymous reader counts them (cases/selectors.py: case-less commitments, items
of public cases, public cases). Never a name, a title or a reference: only counts and
medians. A count from 1 to SUPPRESSED_BELOW - 1 is left empty (suppressed) so that a small
cell cannot point at one case; a median over fewer than SUPPRESSED_BELOW values likewise.

- month: YYYY-MM. An action item counts as opened in the month it was created, as
  completed in the month it was completed, as overdue (open and past its due date today) in
  the month it fell due. A case counts as opened and closed in those months; a trace in the
  month its result came back.
- country: the ISO code of the owner agency's country (action items) or of the lead
  agency's (cases, traces); "none" for a binational or international body.
- theme: the Bicentennial Framework goal or recommendation area of the action item; cases
  have no theme, so their rows (and unthemed items') say "none".

Six grouped queries (seven on SQLite, which has no percentile function: its medians are
taken from one query of the durations)."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, DurationField, F, Q, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.models import ActionItem, CaseSubject
from cases.selectors import _Median, action_items_counted_for, cases_counted_for
from opendata.datasets import Dataset, register

SUPPRESSED_BELOW = 3
# The country of a binational or international body, the theme of a case: a value, not a
# blank, so that (month, country, theme) is a primary key a validator accepts.
NONE = "none"

COUNTS = (
    ("action_items_opened", "Action items created in the month"),
    ("action_items_completed", "Action items completed in the month"),
    ("action_items_completed_on_time", "Of those, completed by their due date"),
    ("action_items_overdue", "Action items due in the month and still open past their due date today"),
    ("cases_opened", "Public cases opened in the month"),
    ("cases_closed", "Public cases closed in the month"),
    ("traces_completed", "Firearm traces whose result came back in the month (request and result days recorded)"),
)
MEDIANS = (
    ("median_days_to_complete", "action_items_completed", "Median days from creation to completion"),
    ("median_trace_days", "traces_completed", "Median days from a firearm trace request to its result"),
)
SUPPRESSED_NOTE = " (empty: fewer than 3, suppressed)"
COLUMNS = (
    ("month", "string", "The month, YYYY-MM"),
    ("country", "string", "ISO 3166-1 alpha-2 code of the responsible agency's country; none for a binational body"),
    ("theme", "string", "Framework theme of the action items; none for cases, traces and unthemed items"),
    *((name, "integer", text + SUPPRESSED_NOTE) for name, text in COUNTS),
    *((name, "number", text + SUPPRESSED_NOTE) for name, _count, text in MEDIANS),
)


def _month(value) -> str:
    return value.strftime("%Y-%m") if value else ""


def _days(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400
    return float(value)


def _grouped(queryset, month_of, **aggregates):
    """One GROUP BY month, country, theme."""
    return (
        queryset.order_by()
        .annotate(month=TruncMonth(month_of))
        .values("month", "country", "theme")
        .annotate(**aggregates)
        .order_by()
    )


def metric_cells(*, today: datetime.date | None = None) -> dict[tuple[str, str, str], dict]:
    """(month, country, theme) → the raw figures, before suppression."""
    today = today or timezone.localdate()
    anonymous = AnonymousUser()
    items = action_items_counted_for(anonymous).annotate(country=F("owner__country__code"))
    cases = cases_counted_for(anonymous)
    cells: dict[tuple[str, str, str], dict] = defaultdict(dict)
    postgres = connection.vendor == "postgresql"

    def add(rows, **names):
        for row in rows:
            key = (_month(row["month"]), row["country"] or NONE, row["theme"] or NONE)
            for column, alias in names.items():
                cells[key][column] = row[alias]

    add(_grouped(items, "created_at", n=Count("pk")), action_items_opened="n")
    done = items.filter(status=ActionItem.Status.DONE, completed_at__isnull=False)
    on_time = Q(due_date__isnull=False, completed_at__date__lte=F("due_date"))
    medians = {}
    if postgres:
        medians = {"median": _Median(F("completed_at") - F("created_at"), output_field=DurationField())}
    completed = _grouped(done, "completed_at", n=Count("pk"), on_time=Count("pk", filter=on_time), **medians)
    add(
        completed,
        action_items_completed="n",
        action_items_completed_on_time="on_time",
        **({"median_days_to_complete": "median"} if postgres else {}),
    )
    add(
        _grouped(items.filter(ActionItem.objects.overdue_condition(today)), "due_date", n=Count("pk")),
        action_items_overdue="n",
    )
    cases = cases.annotate(country=F("lead_agency__country__code"), theme=Value(""))
    add(_grouped(cases, "opened_on", n=Count("pk")), cases_opened="n")
    add(_grouped(cases.filter(closed_on__isnull=False), "closed_on", n=Count("pk")), cases_closed="n")
    traces = CaseSubject.objects.filter(
        case__in=cases_counted_for(anonymous),
        kind=CaseSubject.Kind.FIREARM,
        trace_requested_on__isnull=False,
        trace_result_on__isnull=False,
    ).annotate(country=F("case__lead_agency__country__code"), theme=Value(""))
    trace_medians = {}
    if postgres:
        trace_medians = {
            "median": _Median(F("trace_result_on") - F("trace_requested_on"), output_field=DurationField())
        }
    add(
        _grouped(traces, "trace_result_on", n=Count("pk"), **trace_medians),
        traces_completed="n",
        **({"median_trace_days": "median"} if postgres else {}),
    )
    if not postgres:
        _medians_in_python(cells, done, traces)
    return cells


def _medians_in_python(cells, done, traces) -> None:
    """SQLite has no percentile_cont: the durations, one query each, and the median here."""
    durations = defaultdict(list)
    for created, completed, country, theme in done.values_list("created_at", "completed_at", "country", "theme"):
        key = (_month(timezone.localtime(completed)), country or NONE, theme or NONE)
        durations[key, "median_days_to_complete"].append((completed - created).total_seconds() / 86400)
    for requested, result, country in traces.values_list("trace_requested_on", "trace_result_on", "country"):
        durations[(_month(result), country or NONE, NONE), "median_trace_days"].append((result - requested).days)
    for (key, column), values in durations.items():
        cells[key][column] = statistics.median(values)


def suppressed(cell: dict) -> dict:
    """The published figures of one cell: counts from 1 to SUPPRESSED_BELOW - 1 and medians
    over fewer than SUPPRESSED_BELOW values left empty (None)."""
    row = {}
    for name, _text in COUNTS:
        value = cell.get(name) or 0
        row[name] = None if 0 < value < SUPPRESSED_BELOW else value
    for name, count, _text in MEDIANS:
        days = _days(cell.get(name))
        row[name] = None if days is None or (cell.get(count) or 0) < SUPPRESSED_BELOW else round(days, 1)
    return row


def metric_rows(*, today: datetime.date | None = None) -> list[dict]:
    """The published rows, ordered by month, country, theme."""
    cells = metric_cells(today=today)
    return [
        {"month": month, "country": country, "theme": theme, **suppressed(cells[month, country, theme])}
        for month, country, theme in sorted(cells)
    ]


register(
    Dataset(
        name="accountability-metrics",
        title=gettext_lazy("Accountability metrics"),
        description=gettext_lazy(
            "Per month, country and framework theme: action items opened, completed, completed on time and "
            "overdue, median days to complete; public cases opened and closed; days from a firearm trace "
            "request to its result. Counts under 3 are suppressed."
        ),
        primary_key=("month", "country", "theme"),
        columns=COLUMNS,
        rows=lambda: iter(metric_rows()),
    )
)
