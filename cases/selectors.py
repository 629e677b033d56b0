"""Reads with rules over cases and action items: who may see what (docs/SPEC.md §1, §3), the read
log of restricted cases, and the metrics.

Visibility is one SQL condition per model, so a list, a count and an aggregate all see the
same rows and a restricted case never leaks through a total.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseReadLog, CaseSubject, Theme
from registry.api.ordering import choice_rank
from registry.models import Role, role_of

# Priority from low to urgent: "-priority" puts the most urgent first.
PRIORITY_RANK = choice_rank(
    "priority",
    [ActionItem.Priority.LOW, ActionItem.Priority.NORMAL, ActionItem.Priority.HIGH, ActionItem.Priority.URGENT],
)

# What lists of cases and of action items may be sorted by (the API's ?ordering= and the pages').
CASE_ORDERING = {
    "reference": "reference",
    "title": "title",
    "status": "status",
    "opened_on": "opened_on",
    "updated_at": "updated_at",
    "lead_agency": "lead_agency__slug",
}
ACTION_ITEM_ORDERING = {
    "due_date": "due_date",
    "title": "title",
    "status": "status",
    "priority": PRIORITY_RANK,
    "updated_at": "updated_at",
    "owner": "owner__slug",
}


def case_visibility(user, prefix: str = "") -> Q | None:
    """The condition on a case (reached through `prefix`, e.g. "case__") under which the user
    may see it; None means everything, Q(pk__in=[]) nothing.

    Written as `sensitivity = 'public' OR id IN (the agency's cases)`: the agency's cases come
    from the (agency, case) index once, and the list can walk the index of its ordering, where
    a correlated EXISTS per row forced a scan and a count of every case."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return None
    if role == Role.PUBLIC:
        return Q(pk__in=[])
    return agency_case_visibility(user.agency_id, prefix)


def agency_case_visibility(agency_id: int | None, prefix: str = "") -> Q:
    """What an agency's users (and its webhook endpoints) may see of cases: the public ones,
    and those the agency takes part in; without an agency, the public ones."""
    public = Q(**{f"{prefix}sensitivity": Case.Sensitivity.PUBLIC})
    if agency_id is None:
        return public
    return public | Q(**{f"{prefix}pk__in": _agency_case_ids(agency_id)})


def case_visible_to_agency(case: Case | None, agency_id: int) -> bool:
    """Whether the agency may see the case (agency_case_visibility); a bilateral commitment
    without a case is seen by every agency."""
    if case is None:
        return True
    return Case.objects.filter(agency_case_visibility(agency_id), pk=case.pk).exists()


def _agency_case_ids(agency_id: int) -> QuerySet:
    """The ids of the cases the agency takes part in, from the (agency, case) index."""
    return CaseParticipant.objects.filter(agency_id=agency_id).values("case_id")


def cases_visible_to(user) -> QuerySet:
    condition = case_visibility(user)
    queryset = Case.objects.all()
    return queryset if condition is None else queryset.filter(condition)


def count_cases_visible_to(user, refine: Callable[[QuerySet], QuerySet] | None = None) -> int:
    """The exact number of cases_visible_to(user), narrowed by `refine` (the list's filters), in
    one query.

    For a user of an agency it is counted as two disjoint sets: the public cases, and the
    cases that are not public in which the agency takes part. The first is read from the
    sensitivity index alone, the second from the agency's participations then each case by
    its key; a COUNT of `public OR id IN (…)` reads every case of the registry instead. Both
    sets are within what the user may see, they do not overlap, and together they are all of
    it (case_visibility), so the total is the same."""
    refine = refine or (lambda queryset: queryset)
    if role_of(user) in (Role.ADMIN_STAFF, Role.PUBLIC) or user.agency_id is None:
        return refine(cases_visible_to(user)).count()
    public = Case.objects.filter(sensitivity=Case.Sensitivity.PUBLIC)
    own = Case.objects.exclude(sensitivity=Case.Sensitivity.PUBLIC).filter(pk__in=_agency_case_ids(user.agency_id))
    arms = [refine(queryset).order_by().values("pk") for queryset in (public, own)]
    return arms[0].union(arms[1], all=True).count()


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


def suggested_partners(agency_id: int | None, *, case: Case | None = None, limit: int = 20) -> list:
    """A short list of agencies to suggest as participants: the active agencies that most often
    work cases with the given agency (most cases first, then by id), less the agency itself and
    those already in `case`; in order of acronym and name, with only the columns a suggestion
    shows. Bounded whatever the size of the catalog.

    One hand-written query, prepared on PostgreSQL (every case page a coordinator opens runs
    it): through the ORM, building and planning the nested query cost twice running it."""
    from agencies.models import Agency

    if agency_id is None:
        return []
    cursor_for = getattr(connection, "prepared_cursor", connection.cursor)
    with cursor_for() as cursor:
        cursor.execute(_partners_sql(), [agency_id, agency_id, case.pk if case is not None else 0, limit])
        rows = cursor.fetchall()
    return [Agency.from_db(connection.alias, ["id", *Agency.name_columns], list(row)) for row in rows]


@functools.cache
def _partners_sql() -> str:
    """Parameters: the agency, the agency again (excluded), the case whose participants are
    excluded (0 for none), the limit."""
    from agencies.models import Agency

    quote = connection.ops.quote_name
    participant, agency = CaseParticipant._meta, Agency._meta
    table = quote(participant.db_table)
    case_column = quote(participant.get_field("case").column)
    agency_column = quote(participant.get_field("agency").column)
    # Only table and column names of the models are formatted in; the values are parameters.
    names = ", ".join(quote(agency.get_field(name).column) for name in ("id", *Agency.name_columns))
    names_of_a = ", ".join(f"a.{quote(agency.get_field(name).column)}" for name in ("id", *Agency.name_columns))
    return (
        f"SELECT {names} FROM ("  # noqa: S608
        f"SELECT {names_of_a} FROM ("
        f"SELECT p.{agency_column} AS id, COUNT(*) AS cases FROM {table} p "
        f"WHERE p.{case_column} IN (SELECT {case_column} FROM {table} WHERE {agency_column} = %s) "
        f"AND p.{agency_column} <> %s "
        f"AND p.{agency_column} NOT IN (SELECT {agency_column} FROM {table} WHERE {case_column} = %s) "
        f"GROUP BY p.{agency_column}) ranked "
        f"JOIN {quote(agency.db_table)} a ON a.id = ranked.id AND a.{quote(agency.get_field('active').column)} "
        f"ORDER BY ranked.cases DESC, a.id LIMIT %s) top ORDER BY {quote('acronym')}, {quote('name')}"
    )


def suggested_participants(case: Case, limit: int = 20) -> list:
    """Agencies to suggest when adding a participant to the case: the lead agency's usual
    partners that do not take part yet."""
    return suggested_partners(case.lead_agency_id, case=case, limit=limit)


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


class _Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median computed by the database."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


METRICS_CACHE_SECONDS = 60
OWNERS_SHOWN = 100


def _metrics_audience(user) -> str:
    """Users who count the same rows share figures: admin staff, one agency's users, or the
    public view (anonymous users, and signed-in users without an agency, who see public cases)."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return "all"
    if role == Role.PUBLIC or user.agency_id is None:
        return "public"
    return f"agency-{user.agency_id}"


def _metrics_fingerprint() -> str:
    """What the figures were computed from: the last change and the last id of items, cases and
    participants (every save moves `updated_at`; a participant removed touches its case). Each
    is a MAX over an index, so the check costs one cheap query."""
    parts = []
    for model in (ActionItem, Case, CaseParticipant):
        table = connection.ops.quote_name(model._meta.db_table)
        # Table names from the models' own options, no input: safe to format in.
        parts.append(f"(SELECT MAX(updated_at) FROM {table}), (SELECT MAX(id) FROM {table})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        state = "|".join(str(value) for value in cursor.fetchone())
    return hashlib.blake2b(state.encode(), digest_size=12).hexdigest()


def metrics_for(user, *, today: datetime.date | None = None) -> dict:
    """Aggregates over what the user may count (anonymous: public cases and case-less
    commitments); no titles, no names.

    Computing them reads every countable item (hundreds of milliseconds at national scale), so
    they are kept per audience for at most METRICS_CACHE_SECONDS, and recomputed at once
    when an item, a case or a participant has changed since (see _metrics_fingerprint). Writes
    that bypass save() (bulk loads) show within a minute."""
    today = today or timezone.localdate()
    key = f"cases:metrics:{_metrics_audience(user)}:{today.isoformat()}:{_metrics_fingerprint()}"
    figures = cache.get(key)
    if figures is None:
        figures = compute_metrics(user, today=today)
        cache.set(key, figures, METRICS_CACHE_SECONDS)
    return figures


def _median_days_in_python(items: QuerySet, done: Q) -> float | None:
    """The median days to complete where the database has no percentile_cont (SQLite)."""
    durations = sorted(
        (completed - created).total_seconds() / 86400
        for created, completed in items.filter(done).values_list("created_at", "completed_at")
    )
    if not durations:
        return None
    middle = len(durations) // 2
    median = durations[middle] if len(durations) % 2 else (durations[middle - 1] + durations[middle]) / 2
    return round(median, 1)


def compute_metrics(user, *, today: datetime.date | None = None) -> dict:
    """The figures of metrics_for, from the database: one aggregate with FILTER clauses for
    the totals, the statuses, the themes and (on PostgreSQL) the median; one GROUP BY each for owners (the OWNERS_SHOWN
    busiest) and countries; one for cases opened and closed per month."""
    today = today or timezone.localdate()
    items = action_items_counted_for(user).order_by()
    cases = cases_counted_for(user).order_by()

    done = Q(status=ActionItem.Status.DONE)
    completed = done & Q(completed_at__isnull=False)
    median = {}
    if connection.vendor == "postgresql":
        duration = F("completed_at") - F("created_at")
        median = {"median": _Median(duration, filter=completed, output_field=DurationField())}
    statuses = {
        f"status_{n}": (value, Count("pk", filter=Q(status=value))) for n, value in enumerate(ActionItem.Status.values)
    }
    themes = {f"theme_{n}": (value, Count("pk", filter=Q(theme=value))) for n, value in enumerate(["", *Theme.values])}
    totals = items.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=ActionItem.objects.overdue_condition(today)),
        done=Count("pk", filter=done),
        done_with_due=Count("pk", filter=done & Q(due_date__isnull=False)),
        done_on_time=Count("pk", filter=done & Q(due_date__isnull=False, completed_at__date__lte=F("due_date"))),
        **{alias: count for alias, (_value, count) in statuses.items()},
        **{alias: count for alias, (_value, count) in themes.items()},
        **median,
    )

    def counted(pairs: dict) -> list[dict]:
        rows = [{"key": value, "count": totals[alias]} for alias, (value, _count) in pairs.items() if totals[alias]]
        return sorted(rows, key=lambda row: row["key"])

    by_owner = [
        {"key": row["key"] or "", "count": row["count"]}
        for row in items.values(key=F("owner__slug"))
        .annotate(count=Count("pk"))
        .order_by("-count", "key")[:OWNERS_SHOWN]
    ]
    by_country = [
        {"key": row["key"] or "", "count": row["count"]}
        for row in items.values(key=F("owner__country__code")).annotate(count=Count("pk")).order_by("key")
    ]
    if median:
        median = None if totals["median"] is None else round(totals["median"].total_seconds() / 86400, 1)
    else:
        median = _median_days_in_python(items, completed)

    opened = cases.annotate(month=TruncMonth("opened_on"), kind=Value("opened")).values("kind", "month")
    closed = (
        cases.filter(closed_on__isnull=False)
        .annotate(month=TruncMonth("closed_on"), kind=Value("closed"))
        .values("kind", "month")
    )
    months: dict[str, dict] = {}
    for row in opened.annotate(count=Count("pk")).union(closed.annotate(count=Count("pk")), all=True):
        months.setdefault(row["month"].strftime("%Y-%m"), {"opened": 0, "closed": 0})[row["kind"]] = row["count"]

    return {
        "action_items": {
            "total": totals["total"],
            "by_status": counted(statuses),
            "by_owner": by_owner,
            "by_country": by_country,
            "by_theme": counted(themes),
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


def case_history_parts(case: Case) -> dict[str, QuerySet]:
    """What a case's "changes" show (registry/history.py) to whoever may read the case: the
    case, its participants, subjects and action items."""
    return {
        "case": Case.history.filter(id=case.pk),
        "caseparticipant": CaseParticipant.history.filter(case_id=case.pk),
        "casesubject": CaseSubject.history.filter(case_id=case.pk),
        "actionitem": ActionItem.history.filter(case_id=case.pk),
    }


def action_item_history_parts(item: ActionItem) -> dict[str, QuerySet]:
    """An action item's own changes (its updates are its timeline, shown beside them)."""
    return {"actionitem": ActionItem.history.filter(id=item.pk)}


# ---------------------------------------------------------------- what the pages show


def case_list_rows(cases: QuerySet) -> QuerySet:
    """The cases with what the list shows of each: lead agency, open items and participants.

    Counted per row by subqueries, not by joins and GROUP BY: the paginator's COUNT then
    leaves them out, instead of joining every visible case with its items and participants."""
    open_items = (
        ActionItem.objects.filter(case_id=OuterRef("pk"))
        .exclude(status__in=ActionItem.CLOSED_STATUSES)
        .order_by()
        .values("case_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    participant_count = (
        CaseParticipant.objects.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return cases.select_related("lead_agency").annotate(
        open_items=Coalesce(Subquery(open_items), 0),
        participant_count=Coalesce(Subquery(participant_count), 0),
    )


def overdue_first(queryset: QuerySet) -> QuerySet:
    """Overdue items first, then by due date."""
    return queryset.annotate(
        overdue_rank=SqlCase(
            When(ActionItem.objects.overdue_condition(), then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue_rank", "due_date", "id")


def action_list_for(user, *, mine: bool, status: str) -> QuerySet:
    """The action items the user may see: only their agency's with `mine`; `status` "live"
    for those not closed, or one status (anything else: every status)."""
    items = action_items_visible_to(user).select_related("owner", "case", "assignee", "function")
    if mine and user.agency_id:
        items = items.filter(owner_id=user.agency_id)
    if status == "live":
        items = items.exclude(status__in=ActionItem.CLOSED_STATUSES)
    return overdue_first(items)


def _related(relation: str, columns) -> list[str]:
    return [f"{relation}__{column}" for column in columns]


# An agency's long texts: not shown on a case page.
AGENCY_LONG_COLUMNS = ("description", "description_es", "sources", "search_text", "search_acronyms")
ITEM_COLUMNS = ("title", "case_id", "owner_id", "function_id", "due_date", "status")
UPDATE_COLUMNS = ("item_id", "author_id", "created_at", "text", "old_status", "new_status")
CASE_PAGE_UPDATES = 100


def case_for_page(user, pk: int, *, lock: bool = False) -> Case:
    """The case the user may see (else Http404), with its participants as the page shows them
    (rights are checked against them); locked for a write with `lock`."""
    from agencies.models import Agency

    participants = (
        CaseParticipant.objects.select_related("agency", "contact")
        .only(
            "case_id",
            "agency_id",
            "role",
            "contact_id",
            *_related("agency", Agency.name_columns),
            "contact__name",
            "contact__email",
        )
        .order_by("role", "agency__name")
    )
    queryset = (
        cases_visible_to(user)
        .select_related("lead_agency", "created_by")
        .defer(*_related("lead_agency", AGENCY_LONG_COLUMNS))
        .prefetch_related(Prefetch("participants", queryset=participants))
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


def case_page(case: Case) -> dict:
    """What a case page shows beside the case: participants, subjects, items (overdue first)
    and the latest updates, with the columns the page shows (a case has dozens of items)."""
    from agencies.models import Agency, FunctionalArea

    items = overdue_first(case.action_items.select_related("owner", "function")).only(
        *ITEM_COLUMNS,
        *_related("owner", Agency.name_columns),
        *_related("function", FunctionalArea.name_columns),
    )
    timeline = (
        ActionUpdate.objects.filter(item__case=case)
        .select_related("item", "author")
        .only(*UPDATE_COLUMNS, "item__title", "author__username")
        .order_by("-created_at", "-id")[:CASE_PAGE_UPDATES]
    )
    return {
        "participants": list(case.participants.all()),
        "subjects": list(case.subjects.order_by("kind", "identifier")),
        "items": list(items),
        "timeline": list(timeline),
    }


def action_item_for_page(user, pk: int, *, lock: bool = False) -> ActionItem:
    """The action item the user may see (else Http404); locked for a write with `lock`."""
    queryset = action_items_visible_to(user).select_related("owner", "case", "assignee", "function")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


# ---------------------------------------------------------------- exports (web/views: ?export=csv|xlsx)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def case_export(cases: QuerySet) -> tuple[list[str], Iterable[list]]:
    """The cases (already narrowed to what the user may see) as a table, one row a case; the
    headers in the user's language. Two queries whatever the number of cases."""
    headers = [
        _label(Case, "reference"),
        _label(Case, "title"),
        _label(Case, "status"),
        _label(Case, "sensitivity"),
        _label(Case, "lead_agency"),
        _label(Case, "opened_on"),
        _label(Case, "closed_on"),
        _("Open items"),
        _("Participants"),
    ]
    rows = (
        [
            case.reference,
            case.title,
            case.get_status_display(),
            case.get_sensitivity_display(),
            case.lead_agency.slug if case.lead_agency_id else "",
            case.opened_on,
            case.closed_on,
            case.open_items,
            case.participant_count,
        ]
        for case in case_list_rows(cases)
    )
    return headers, rows


def action_item_export(items: QuerySet) -> tuple[list[str], Iterable[list]]:
    """The action items (already narrowed to what the user may see) as a table; the case by
    its reference, agencies and functions by slug."""
    headers = [
        "id",
        _label(ActionItem, "title"),
        _label(ActionItem, "case"),
        _label(ActionItem, "owner"),
        _label(ActionItem, "function"),
        _label(ActionItem, "status"),
        _label(ActionItem, "priority"),
        _label(ActionItem, "due_date"),
        _("Overdue"),
    ]
    rows = (
        [
            item.pk,
            item.title,
            item.case.reference if item.case_id else "",
            item.owner.slug if item.owner_id else "",
            item.function.slug if item.function_id else "",
            item.get_status_display(),
            item.get_priority_display(),
            item.due_date,
            item.overdue,
        ]
        for item in items.select_related("case", "owner", "function")
    )
    return headers, rows
