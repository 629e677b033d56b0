"""Observability (docs/observability.md): Prometheus metrics behind a protected endpoint, and the
fields every JSON log line carries.

Metrics use prometheus_client itself (the Prometheus project's own Python client). With several
gunicorn workers each is a process of its own: deploy/gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR, every worker writes its values to memory-mapped files there, and a
scrape of any worker sums them all (prometheus_client's multiprocess mode).

What a request costs (RequestIdMiddleware calls `record_request` once): one counter increment
and two histogram observations on children cached by label, and one integer added per SQL
query. Routes are the URL patterns (`api/v1/agencies/<slug:slug>/`), never the paths: a bounded
set of series, and no identifier or token of a path in a label.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.db.backends.signals import connection_created
from django.http import Http404, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

UNMATCHED_ROUTE = "<unmatched>"

REQUESTS = Counter(
    "enlace_http_requests",
    "HTTP requests answered, by route (URL pattern), method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "enlace_http_request_duration_seconds",
    "Time from the first middleware to the response, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REQUEST_QUERIES = Histogram(
    "enlace_http_request_db_queries",
    "SQL queries run by one request, by route (a list endpoint's count does not grow with its page).",
    ["route"],
    buckets=(0, 1, 2, 4, 8, 12, 16, 24, 32, 64, 128),
)
DB_QUERIES = Counter(
    "enlace_db_queries",
    "SQL queries run, by database alias (default: the primary; replica1..: read replicas).",
    ["database"],
)
FLAG_SYNC = Histogram(
    "enlace_flag_sync_duration_seconds",
    "Time of one flag sync (flags.services.sync_flags), by kind and scope (full or incremental).",
    ["kind", "scope"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
REPLICA_FALLBACKS = Counter(
    "enlace_db_replica_unavailable",
    "Times a read replica was found unreachable and its reads went to the primary.",
    ["database"],
)

# The request being answered (its log lines' user and route) and its SQL query count.
_current_request: contextvars.ContextVar = contextvars.ContextVar("enlace_request", default=None)
_query_count: contextvars.ContextVar = contextvars.ContextVar("enlace_query_count", default=None)

# Label children by label values: `.labels()` takes a lock and builds a tuple each call.
_request_children: dict[tuple[str, str, int], tuple] = {}
_query_children: dict[str, object] = {}


def _children(route: str, method: str, status: int) -> tuple:
    key = (route, method, status)
    found = _request_children.get(key)
    if found is None:
        found = (
            REQUESTS.labels(route, method, str(status)),
            LATENCY.labels(route),
            REQUEST_QUERIES.labels(route),
        )
        _request_children[key] = found
    return found


def route_of(request) -> str:
    """The URL pattern that answered (DRF's router patterns are regular expressions: without
    their closing `$`)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_ROUTE
    return (match.route or match.view_name or UNMATCHED_ROUTE).removesuffix("$")


def start_request(request):
    """Called first in a request: returns what `end_request` needs."""
    return _current_request.set(request), _query_count.set([0])


def end_request(tokens) -> None:
    request_token, count_token = tokens
    _current_request.reset(request_token)
    _query_count.reset(count_token)


def record_request(request, status: int, seconds: float) -> None:
    counter, latency, queries = _children(route_of(request), request.method or "-", status)
    counter.inc()
    latency.observe(seconds)
    box = _query_count.get()
    queries.observe(box[0] if box else 0)


# --- SQL queries ----------------------------------------------------------------------------


def _count_query(execute, sql, params, many, context):
    box = _query_count.get()
    if box is not None:
        box[0] += 1
    alias = context["connection"].alias
    child = _query_children.get(alias)
    if child is None:
        child = _query_children[alias] = DB_QUERIES.labels(alias)
    child.inc()
    return execute(sql, params, many, context)


def _install_query_counter(sender, connection, **kwargs) -> None:
    # The wrapper list belongs to the connection object, which outlives reconnections.
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


connection_created.connect(_install_query_counter, dispatch_uid="enlace-query-counter")


def observe_flag_sync(kind: str, full: bool, seconds: float) -> None:
    FLAG_SYNC.labels(kind, "full" if full else "incremental").observe(seconds)


# --- log records ----------------------------------------------------------------------------


def _user_id(request):
    """The signed-in user's id when the request has already loaded its user (never loads it:
    a log line must not cost a session query)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped if user._wrapped is not empty else request.__dict__.get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def annotate_record(record) -> None:
    """The user id and route of the request being answered, on a log record (None outside one)."""
    request = _current_request.get()
    if not hasattr(record, "user_id"):
        record.user_id = _user_id(request) if request is not None else None
    if not hasattr(record, "route"):
        record.route = route_of(request) if request is not None else None


# --- the endpoint ---------------------------------------------------------------------------


class TaskQueueCollector:
    """The background task queue as the database holds it (django-tasks' db backend): tasks by
    queue and status, and the age of the oldest task waiting to run. Read at scrape time, so
    the worker process needs no metrics of its own."""

    def collect(self):
        from django.db.models import Count, Min
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        tasks = GaugeMetricFamily(
            "enlace_tasks", "Background tasks stored, by queue and status.", labels=["queue", "status"]
        )
        oldest = GaugeMetricFamily(
            "enlace_tasks_oldest_ready_age_seconds",
            "Seconds the oldest task ready to run has waited past its run time (0: none waiting).",
            labels=["queue"],
        )
        up = GaugeMetricFamily("enlace_tasks_queue_readable", "1 when the task queue could be read from the database.")
        try:
            rows = DBTaskResult.objects.using("default").values("queue_name", "status").annotate(n=Count("id"))
            for row in rows.order_by():
                tasks.add_metric([row["queue_name"], row["status"]], row["n"])
            now = timezone.now()
            ready = (
                DBTaskResult.objects.using("default")
                .filter(status="READY", run_after__lte=now)
                .values("queue_name")
                .annotate(first=Min("run_after"))
                .order_by()
            )
            waited = dict.fromkeys(settings.TASKS["default"].get("QUEUES", ["default"]), 0.0)
            for row in ready:
                waited[row["queue_name"]] = max(0.0, (now - row["first"]).total_seconds())
            for queue, seconds in waited.items():
                oldest.add_metric([queue], seconds)
            up.add_metric([], 1)
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        yield tasks
        yield oldest
        yield up


def metrics_allowed(request) -> bool:
    """A scraper with `Authorization: Bearer <ENLACE_METRICS_TOKEN>`, or a signed-in admin
    staff member (with the second factor the role needs)."""
    token = settings.ENLACE_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    from registry.models import Role, role_of

    return role_of(request.user) == Role.ADMIN_STAFF


def _base_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@never_cache
@require_GET
def metrics(request):
    """Prometheus text exposition. Anyone else gets 404 (the endpoint is not advertised)."""
    if not metrics_allowed(request):
        raise Http404
    tasks = CollectorRegistry(auto_describe=False)
    tasks.register(TaskQueueCollector())
    body = generate_latest(_base_registry()) + generate_latest(tasks)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- the JSON log formatter -------------------------------------------------------------------


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter, one JSON object a line, without the request object
    that Django's own loggers attach (its text holds the path and query string): the
    `django.request` lines name the route instead of the path."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "taskName", "color_message"])
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def format(self, record):
        request = record.__dict__.get("request")
        if request is not None and hasattr(request, "method"):
            # Django logs a 4xx/5xx answer after the middleware (so outside the request's
            # context): its request, not the context, says which request it was.
            record = logging.makeLogRecord(record.__dict__)
            record.request_id = getattr(request, "request_id", record.__dict__.get("request_id", "-"))
            record.user_id = _user_id(request)
            record.route = route_of(request)
            args = record.args
            if (
                record.name.startswith("django.")
                and isinstance(args, tuple)
                and len(args) == 2
                and isinstance(args[1], str)
            ):
                record.args = (args[0], record.route)  # "Not Found: %s", path
        return super().format(record)
