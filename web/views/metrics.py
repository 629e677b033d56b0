"""The metrics page: cases.selectors.metrics_for drawn as SVG bar charts (no script, no CDN)."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.selectors import agencies_labelled, jurisdictions_named
from cases.models import ActionItem, Theme
from cases.selectors import metrics_for
from opendata.charts import accountability_charts
from registry.models import Role, role_of

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 190
BAR_SPACE = 300


def bar_chart(rows: list[tuple[str, int]]) -> dict:
    """Geometry of a horizontal bar chart drawn as SVG by the template (no script, no CDN)."""
    top = max((value for _label, value in rows), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "width": max(round(BAR_SPACE * value / top), 1 if value else 0),
                "value_x": LABEL_WIDTH + max(round(BAR_SPACE * value / top), 0) + 6,
            }
        )
    return {
        "bars": bars,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "width": LABEL_WIDTH + BAR_SPACE + 50,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def month_chart(per_month: list[dict]) -> dict:
    """Cases opened and closed per month, as paired vertical bars."""
    rows = per_month[-12:]
    top = max([max(r["opened"], r["closed"]) for r in rows] or [0]) or 1
    height, slot = 160, 60
    months = []
    for index, row in enumerate(rows):
        x = 40 + index * slot
        opened_h = round(height * row["opened"] / top)
        closed_h = round(height * row["closed"] / top)
        months.append(
            {
                "label": row["month"],
                "short": row["month"],
                "opened": row["opened"],
                "closed": row["closed"],
                "x": x,
                "x2": x + 18,
                "label_x": x + 17,
                "opened_y": 10 + height - opened_h,
                "opened_h": opened_h,
                "closed_y": 10 + height - closed_h,
                "closed_h": closed_h,
            }
        )
    return {
        "months": months,
        "width": 60 + len(rows) * slot,
        "height": height + 40,
        "axis_y": height + 10,
        "label_y": height + 28,
    }


@require_GET
def metrics(request):
    data = metrics_for(request.user)
    items = data["action_items"]
    statuses = dict(ActionItem.Status.choices)
    themes = dict(Theme.choices)
    owners = agencies_labelled(r["key"] for r in items["by_owner"])
    countries = jurisdictions_named(r["key"] for r in items["by_country"])
    by_owner = sorted(items["by_owner"], key=lambda r: -r["count"])[:15]
    rate = items["on_time_completion_rate"]
    context = {
        "section": "metrics",
        "items": items,
        "on_time_percent": None if rate is None else round(rate * 100),
        "status_chart": bar_chart([(str(statuses.get(r["key"], r["key"])), r["count"]) for r in items["by_status"]]),
        "owner_chart": bar_chart([(owners.get(r["key"], r["key"]), r["count"]) for r in by_owner]),
        "country_chart": bar_chart(
            [(countries.get(r["key"], r["key"] or _("No country")), r["count"]) for r in items["by_country"]]
        ),
        "theme_chart": bar_chart(
            [(str(themes.get(r["key"], r["key"] or _("No theme"))), r["count"]) for r in items["by_theme"]]
        ),
        "month_chart": month_chart(data["cases"]["per_month"]),
        "per_month": data["cases"]["per_month"],
        "is_public_view": role_of(request.user) == Role.PUBLIC,
        **accountability_charts(),
    }
    return render(request, "web/metrics.html", context)
