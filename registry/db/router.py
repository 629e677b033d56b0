"""Reads on PostgreSQL's streaming replicas, writes on the primary (docs/deploy.md § Read
replicas). Installed only when DATABASE_REPLICA_URLS names replicas (aliases replica1, ...).

Which database a query goes to:
- outside a web request (db_worker, the scheduler, management commands, the shell): the primary;
- in a request whose method writes (POST, PUT, PATCH, DELETE): the primary, all of it;
- in a read request: a replica, unless
  - the client wrote a moment ago (read-your-writes): a request that wrote pins its credential
    (the API token or the session cookie, hashed) to the primary for ENLACE_REPLICA_PIN_SECONDS,
    in the shared cache, so that every worker sends its next reads to the primary too (the idea
    of django-multidb-router's pinning, keyed on the credential instead of a cookie so API
    clients that keep no cookies get it as well);
  - the request has written already (other than QUIET_WRITES: the read log, the session), or runs inside an explicit
    transaction block (`transaction.atomic()` within the request's own): the primary;
  - the model is one that must always be read fresh (PRIMARY_ONLY: sessions, tokens, the task
    queue, lockouts, idempotency keys);
  - every replica is down: the primary. A replica that refuses a connection is marked down for
    ENLACE_REPLICA_DOWN_SECONDS (per process: a connection attempt at most that often, with a
    short connect_timeout); a read request that failed on a replica is answered again once,
    from the primary (ReplicaMiddleware), so a replica lost mid-request costs no error.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger("enlace.db")

PRIMARY = "default"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRIMARY_ONLY = frozenset(
    {
        "sessions.Session",
        "authtoken.Token",
        "django_tasks_db.DBTaskResult",
        "registry.IdempotencyKey",
        "axes.AccessAttempt",
        "axes.AccessFailureLog",
        "axes.AccessLog",
    }
)
# Writes a read request makes as a side effect (the audit of what it read, the session's
# activity time): they pin neither the request nor the client, who never reads them back.
QUIET_WRITES = frozenset(
    {"cases.CaseReadLog", "sessions.Session", "registry.SecurityEvent", "axes.AccessLog", "axes.AccessAttempt"}
)
PIN_KEY = "enlace:replica-pin:"

# alias -> time.monotonic() until which the replica is taken for down (this process).
_down_until: dict[str, float] = {}


class _RequestState:
    __slots__ = ("credentials", "pin_checked", "pinned", "replica", "used_replica", "wrote")

    def __init__(self, credentials: list[str], pinned: bool):
        self.credentials = credentials
        self.pinned = pinned
        self.pin_checked = pinned
        self.wrote = False
        self.replica: str | None = None
        self.used_replica: str | None = None


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar("enlace_replica_state", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def _pin_key(credential: str) -> str:
    return PIN_KEY + hashlib.sha256(credential.encode()).hexdigest()[:40]


def _credentials(request) -> list[str]:
    found = []
    authorization = request.headers.get("Authorization", "")
    if authorization:
        found.append("auth:" + authorization)
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session:
        found.append("session:" + session)
    return found


def mark_down(alias: str) -> None:
    from registry.observability import REPLICA_FALLBACKS

    _down_until[alias] = time.monotonic() + settings.ENLACE_REPLICA_DOWN_SECONDS
    REPLICA_FALLBACKS.labels(alias).inc()
    logger.warning("read replica %s unavailable; its reads go to the primary", alias)
    try:
        connections[alias].close()
    except DatabaseError:
        connections[alias].connection = None


def replica_failed(alias: str) -> bool:
    """Whether the replica's connection saw an error in this request or is no longer usable."""
    replica = connections[alias]
    return bool(replica.errors_occurred) or not replica.is_usable()


def _reachable(alias: str) -> bool:
    """Connects (or checks the kept connection once per request); False marks it down."""
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError:
        mark_down(alias)
        return False
    return True


def _is_pinned(state: _RequestState) -> bool:
    if state.pinned:
        return True
    if not state.pin_checked:
        state.pin_checked = True
        if state.credentials:
            try:
                state.pinned = any(cache.get_many([_pin_key(c) for c in state.credentials]).values())
            except Exception:  # the cache is unreachable: read-your-writes cannot be promised elsewhere
                state.pinned = True
    if state.pinned:
        return True
    primary = connections[PRIMARY]
    # An explicit transaction block inside the request's own (a savepoint): it reads what it writes.
    return bool(primary.in_atomic_block and primary.savepoint_ids)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or model._meta.label in PRIMARY_ONLY or _is_pinned(state):
            return PRIMARY
        if state.replica is None:
            candidates = [alias for alias in replica_aliases() if _down_until.get(alias, 0.0) <= time.monotonic()]
            random.shuffle(candidates)
            state.replica = next((alias for alias in candidates if _reachable(alias)), PRIMARY)
        state.used_replica = state.replica if state.replica != PRIMARY else state.used_replica
        return state.replica

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None and model._meta.label not in QUIET_WRITES:
            state.wrote = True
            state.pinned = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Sets up the routing of one request (first after RequestIdMiddleware), pins the client's
    credential after a write, and answers a read request again from the primary when a replica
    failed under it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in SAFE_METHODS
        state = _RequestState(_credentials(request), pinned=not safe)
        token = _state.set(state)
        try:
            response = self.get_response(request)
            if response.status_code == 503 and safe and state.used_replica:
                # The database was unreachable: the replica (then left alone a while), or the
                # primary (then the second answer is a 503 as well).
                if replica_failed(state.used_replica):
                    mark_down(state.used_replica)
                state.pinned = True
                response = self.get_response(request)
            if state.wrote or not safe:
                self._pin(state, response)
            return response
        finally:
            _state.reset(token)

    @staticmethod
    def _pin(state: _RequestState, response) -> None:
        credentials = list(state.credentials)
        new_session = response.cookies.get(settings.SESSION_COOKIE_NAME)
        if new_session is not None and new_session.value:
            credentials.append("session:" + new_session.value)
        if not credentials:
            return
        try:
            cache.set_many(dict.fromkeys((_pin_key(c) for c in credentials), 1), settings.ENLACE_REPLICA_PIN_SECONDS)
        except Exception:
            logger.warning("could not pin a client to the primary (cache unavailable)")
