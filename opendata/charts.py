"""The accountability metrics as charts for the metrics page: a monthly line (action items
opened, completed on time, overdue) and bars per framework theme, each with the numbers
behind it in a table. Drawn by the template as SVG (no script, nothing from elsewhere: the
Content-Security-Policy allows neither). The figures are the open dataset's, summed over
countries (the line) or months (the bars), then suppressed as the dataset is."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from cases.models import Theme
from opendata.metrics import COUNTS, NONE, SUPPRESSED_BELOW, metric_cells, suppressed

MONTHS_SHOWN = 12
LINE_SERIES = ("action_items_opened", "action_items_completed_on_time", "action_items_overdue")
# Colour-blind-safe (Okabe–Ito), told apart by their dash pattern too.
LINE_STYLES = (("#0072b2", ""), ("#009e73", "6 3"), ("#d55e00", "2 3"))
BAR_SERIES = ("action_items_opened", "action_items_completed", "action_items_completed_on_time", "action_items_overdue")
WIDTH, HEIGHT, LEFT, TOP, SLOT = 640, 180, 40, 10, 48
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_SPACE = 22, 8, 220, 300


def _totals(cells: dict, key_of) -> dict[str, Counter]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for key, cell in cells.items():
        for name, _text in COUNTS:
            totals[key_of(key)][name] += cell.get(name) or 0
    return totals


def _line(rows: list[dict]) -> dict:
    top = max([row[name] or 0 for row in rows for name in LINE_SERIES] or [0]) or 1
    series = []
    for index, name in enumerate(LINE_SERIES):
        points = []
        for position, row in enumerate(rows):
            value = row[name]
            if value is None:
                continue  # suppressed: no point, the line goes straight past it
            x = LEFT + position * SLOT + SLOT // 2
            y = TOP + HEIGHT - round(HEIGHT * value / top)
            points.append({"x": x, "y": y, "value": value, "month": row["month"]})
        series.append(
            {
                "name": name,
                "colour": LINE_STYLES[index][0],
                "dash": LINE_STYLES[index][1],
                "points": points,
                "path": " ".join(f"{p['x']},{p['y']}" for p in points),
            }
        )
    return {
        "series": series,
        "labels": [{"x": LEFT + i * SLOT + SLOT // 2, "text": row["month"][2:]} for i, row in enumerate(rows)],
        "width": LEFT + len(rows) * SLOT + 10,
        "height": TOP + HEIGHT + 30,
        "axis_y": TOP + HEIGHT,
        "label_y": TOP + HEIGHT + 20,
        "top": top,
    }


def _bars(rows: list[dict], name: str) -> dict:
    top = max([row[name] or 0 for row in rows] or [0]) or 1
    bars = []
    for index, row in enumerate(rows):
        value = row[name]
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = round(BAR_SPACE * (value or 0) / top)
        bars.append(
            {
                "label": row["label"],
                "value": value,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "width": width,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "bars": bars,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "width": LABEL_WIDTH + BAR_SPACE + 50,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def accountability_charts(*, today: datetime.date | None = None) -> dict:
    """The page's charts and tables, from the metrics' grouped queries (a fixed number)."""
    cells = metric_cells(today=today)
    by_month = _totals(cells, lambda key: key[0])
    months = sorted(by_month)[-MONTHS_SHOWN:]
    month_rows = [{"month": month, **suppressed(by_month[month])} for month in months]
    by_theme = _totals({k: v for k, v in cells.items() if k[2] != NONE}, lambda key: key[2])
    labels = dict(Theme.choices)
    theme_rows = [
        {"theme": theme, "label": str(labels.get(theme, theme)), **suppressed(by_theme[theme])}
        for theme in Theme.values
        if theme in by_theme
    ]
    return {
        "accountability": {
            "months": month_rows,
            "line": _line(month_rows),
            "themes": theme_rows,
            "theme_bars": _bars(theme_rows, "action_items_completed_on_time"),
            "suppressed_below": SUPPRESSED_BELOW,
        }
    }
