"""Reads with rules over cases and action items: who may see what (SPEC §1, §3), the read
log of restricted cases, and the metrics.

Visibility is one SQL condition per model, so a list, a count and an aggregate all see the
same rows and a restricted case never leaks through a total.
"""

import datetime
from collections.abc import Iterable

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseReadLog, CaseSubject
from registry.models import Role, role_of


def _participates(user, case_ref: str) -> Exists:
    return Exists(CaseParticipant.objects.filter(case_id=OuterRef(case_ref), agency_id=user.agency_id))


def case_visibility(user, prefix: str = "") -> Q | None:
    """The condition on a case (reached through `prefix`, e.g. "case__") under which the user
    may see it; None means everything, Q(pk__in=[]) nothing."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return None
    if role == Role.PUBLIC:
        return Q(pk__in=[])
    public = Q(**{f"{prefix}sensitivity": Case.Sensitivity.PUBLIC})
    if user.agency_id is None:
        return public
    return public | Q(_participates(user, f"{prefix}pk" if prefix else "pk"))


def cases_visible_to(user) -> QuerySet:
    condition = case_visibility(user)
    queryset = Case.objects.all()
    return queryset if condition is None else queryset.filter(condition)


def subjects_visible_to(user) -> QuerySet:
    condition = case_visibility(user, "case__")
    queryset = CaseSubject.objects.all()
    return queryset if condition is None else queryset.filter(condition)


def action_items_visible_to(user) -> QuerySet:
    """Items of cases the user may see, and case-less (bilateral) commitments, for signed-in users."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return ActionItem.objects.all()
    if role == Role.PUBLIC:
        return ActionItem.objects.none()
    return ActionItem.objects.filter(Q(case__isnull=True) | case_visibility(user, "case__"))


def action_items_counted_for(user) -> QuerySet:
    """What the metrics count: for anonymous users, case-less commitments and items of public
    cases only; for everybody else what they may see."""
    if role_of(user) == Role.PUBLIC:
        return ActionItem.objects.filter(Q(case__isnull=True) | Q(case__sensitivity=Case.Sensitivity.PUBLIC))
    return action_items_visible_to(user)


def cases_counted_for(user) -> QuerySet:
    if role_of(user) == Role.PUBLIC:
        return Case.objects.public()
    return cases_visible_to(user)


def action_updates_visible_to(user) -> QuerySet:
    return ActionUpdate.objects.filter(item__in=action_items_visible_to(user).values("pk"))


def with_overdue(queryset: QuerySet, on: datetime.date | None = None) -> QuerySet:
    """Filter to overdue items: past due and neither done nor cancelled."""
    return queryset.filter(ActionItem.objects.overdue_condition(on))


def record_case_read(*, case: Case, user, via: str) -> CaseReadLog | None:
    """Write who read a restricted case, when and how. Public cases are not logged."""
    if case.sensitivity != Case.Sensitivity.RESTRICTED or user is None or not user.is_authenticated:
        return None
    return CaseReadLog.objects.create(case=case, user=user, via=via)


def record_case_reads(*, case_ids: Iterable[int | None], user, via: str) -> int:
    """The read log for a page of results: one INSERT for the given restricted cases (the
    caller passes only the ids of restricted cases it shows)."""
    if user is None or not user.is_authenticated:
        return 0
    ids = sorted({pk for pk in case_ids if pk is not None})
    if not ids:
        return 0
    now = timezone.now()
    CaseReadLog.objects.bulk_create([CaseReadLog(case_id=pk, user=user, via=via, read_at=now) for pk in ids])
    return len(ids)


def metrics_for(user, *, today: datetime.date | None = None) -> dict:
    """Aggregates over what the user may count (anonymous: public cases and case-less
    commitments). Each figure is one SQL aggregate; no titles, no names."""
    today = today or timezone.localdate()
    items = action_items_counted_for(user)
    cases = cases_counted_for(user)

    def grouped(field: str) -> list[dict]:
        rows = items.order_by().values(key=F(field)).annotate(count=Count("pk")).order_by("key")
        return [{"key": row["key"] or "", "count": row["count"]} for row in rows]

    done = Q(status=ActionItem.Status.DONE)
    totals = items.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=ActionItem.objects.overdue_condition(today)),
        done=Count("pk", filter=done),
        done_with_due=Count("pk", filter=done & Q(due_date__isnull=False)),
        done_on_time=Count("pk", filter=done & Q(due_date__isnull=False, completed_at__date__lte=F("due_date"))),
    )
    # The median of days to complete: one query fetching the completed items' open and close
    # times, middle taken in Python (PostgreSQL's percentile_cont has no SQLite equivalent).
    durations = sorted(
        (completed - created).total_seconds() / 86400
        for created, completed in items.filter(done, completed_at__isnull=False)
        .order_by()
        .values_list("created_at", "completed_at")
    )
    median = None
    if durations:
        middle = len(durations) // 2
        median = durations[middle] if len(durations) % 2 else (durations[middle - 1] + durations[middle]) / 2
        median = round(median, 1)

    opened = (
        cases.order_by()
        .annotate(month=TruncMonth("opened_on"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("month")
    )
    closed = (
        cases.filter(closed_on__isnull=False)
        .order_by()
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("month")
    )
    months: dict[str, dict] = {}
    for row in opened:
        months.setdefault(row["month"].strftime("%Y-%m"), {"opened": 0, "closed": 0})["opened"] = row["count"]
    for row in closed:
        months.setdefault(row["month"].strftime("%Y-%m"), {"opened": 0, "closed": 0})["closed"] = row["count"]

    return {
        "action_items": {
            "total": totals["total"],
            "by_status": grouped("status"),
            "by_owner": grouped("owner__slug"),
            "by_country": grouped("owner__country__code"),
            "by_theme": grouped("theme"),
            "overdue": totals["overdue"],
            "done": totals["done"],
            "on_time_completion_rate": (
                round(totals["done_on_time"] / totals["done_with_due"], 3) if totals["done_with_due"] else None
            ),
            "median_days_to_complete": median,
        },
        "cases": {
            "per_month": [{"month": month, **counts} for month, counts in sorted(months.items())],
        },
    }
