"""Writes of the flags app: reconcile what the detectors find with the stored flags, and
change a flag's status on a person's decision.

`sync_flags(kind=..., ids=...)` is the one way flags are opened, refreshed, reopened and
closed by the registry, for the whole registry (ids=None, `detect_flags`) or for a scope
(the incremental updates of flags/receivers.py); both run the same detector query.
"""

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from flags.detectors import DETECTORS, Finding, find_flags, in_list
from flags.models import LIVE_STATUSES, Flag, FlagAgency, FlagEvent, FlagKind, FlagStatus, SystemNote
from flags.signals import flag_status_changed, flags_opened, flags_status_changed
from registry.models import Role, role_of
from registry.observability import observe_flag_sync

OBJECT_FIELDS = (
    "agency_id",
    "function_id",
    "mandate_id",
    "other_mandate_id",
    "contact_id",
    "case_id",
    "other_case_id",
    "subject_id",
    "other_subject_id",
    "action_item_id",
    "other_action_item_id",
)
# Where each concerned object is in those fields.
OBJECT_INDEX = {name: index for index, name in enumerate(OBJECT_FIELDS)}


@dataclass
class SyncResult:
    opened: int = 0
    reopened: int = 0
    closed: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: "SyncResult") -> "SyncResult":
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        return self

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.reopened or self.closed or self.updated)


# --- reconciliation --------------------------------------------------------------------

# Ids per statement when a write names flags by id.
BATCH = 5000
# The fields the registry sets from a finding, and those of a status change.
STATE_FIELDS = ["severity", "for_admin_staff", "params", "inputs_digest", *(name[:-3] for name in OBJECT_FIELDS)]
STATUS_FIELDS = ["status", "closed_at", "status_changed_at", "status_changed_by", "status_note", "status_system_note"]


@dataclass(frozen=True)
class _Stored:
    """What a sync needs of a stored flag to compare it with a finding (no model instance)."""

    pk: int
    status: str
    inputs_digest: str
    state: tuple

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


@dataclass
class _Changes:
    """What one sync writes, collected before any write so that each kind of write is one
    statement (or one COPY) for the whole sync rather than one per flag."""

    opened: list[Finding] = field(default_factory=list)
    opened_ids: list[int] = field(default_factory=list)
    updated: list[Flag] = field(default_factory=list)
    reopened: list[tuple[Flag, str]] = field(default_factory=list)
    closed: list[tuple[Flag, str]] = field(default_factory=list)
    # Flags whose addressees change: flag id → the agencies it is addressed to now.
    readdressed: dict[int, frozenset[int]] = field(default_factory=dict)


def sync_flags(*, kind: str, ids: Iterable[int] | None = None) -> SyncResult:
    """Make the stored flags of `kind` within the scope (`ids` of the detector's scope
    dimension; None for everything) agree with what the detector finds now:
    open new flags, refresh live ones, reopen a resolved or dismissed flag only if its inputs
    changed, and close live flags whose cause disappeared.

    The writes are set-based: the flags, their addressees, history rows and events of each
    change are written in bulk, the listeners hear once per sync (`flags_opened`,
    `flags_status_changed`) and the coordinators get one digest each."""
    detector = DETECTORS[kind]
    scope = None if ids is None else {int(pk) for pk in ids if pk is not None}
    result = SyncResult()
    if scope is not None and not scope:
        return result
    started = time.perf_counter()
    with transaction.atomic():
        findings = {finding.key: finding for finding in find_flags(kind, scope)}
        stored_flags = Flag.objects.filter(kind=kind)
        if scope is not None:
            # Also by key: a flag found now may have been stored under another scope.
            stored_flags = stored_flags.filter(detector.stored_scope(scope) | Q(key__in=list(findings)))
        stored = _stored(stored_flags)
        addressed = _addressees(kind, [flag.pk for flag in stored.values()], everything=scope is None)
        now = timezone.now()
        changes = _Changes()
        for key, finding in findings.items():
            flag = stored.get(key)
            if flag is None:
                changes.opened.append(finding)
                result.opened += 1
                continue
            readdressed = addressed.get(flag.pk, frozenset()) != finding.agency_ids
            if readdressed:
                changes.readdressed[flag.pk] = finding.agency_ids
            if flag.is_live or flag.inputs_digest == finding.digest:
                changed = not _same_state(finding, flag)
                if changed:
                    changes.updated.append(_applied(Flag(pk=flag.pk, kind=kind, key=key), finding, now))
                if readdressed or changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            else:
                reopened = _applied(Flag(pk=flag.pk, kind=kind, key=key), finding, now)
                _set_status(reopened, FlagStatus.OPEN, SystemNote.REOPENED, now)
                reopened.opened_at = now
                changes.reopened.append((reopened, flag.status))
                result.reopened += 1
        for key, flag in stored.items():
            if key not in findings and flag.is_live:
                closed = Flag(pk=flag.pk, kind=kind, key=key)
                _set_status(closed, FlagStatus.RESOLVED, SystemNote.CAUSE_DISAPPEARED, now)
                # An empty digest: if the cause comes back, whatever its inputs, the flag reopens.
                closed.inputs_digest = ""
                changes.closed.append((closed, flag.status))
                result.closed += 1
        _write(kind, changes, now)
        _announce(changes)
    observe_flag_sync(kind, scope is None, time.perf_counter() - started)
    return result


def sync_all_flags() -> dict[str, SyncResult]:
    """The full recomputation of every kind (what `detect_flags` runs)."""
    return {kind: sync_flags(kind=kind) for kind in FlagKind.values}


def _stored(flags) -> dict[str, _Stored]:
    """The stored flags by key, locked for the sync, read as plain rows. The parameters are
    read as the database writes them out (text), not decoded: see `_same_state`."""
    objects = [name[:-3] for name in OBJECT_FIELDS]
    rows = (
        flags.select_for_update(of=("self",))
        .order_by()
        .annotate(params_text=Cast("params", TextField()))
        .values_list("pk", "key", "status", "severity", "for_admin_staff", "params_text", "inputs_digest", *objects)
    )
    stored = {}
    for pk, key, status, severity, for_admin_staff, params, digest, *concerned in rows:
        state = (severity, for_admin_staff, params, digest, tuple(concerned))
        stored[key] = _Stored(pk=pk, status=status, inputs_digest=digest, state=state)
    return stored


def _addressees(kind: str, flag_ids: list[int], *, everything: bool) -> dict[int, frozenset[int]]:
    """The agencies each stored flag is addressed to."""
    rows = FlagAgency.objects.order_by()
    if everything:
        pairs = rows.filter(flag__kind=kind).values_list("flag_id", "agency_id")
    else:
        pairs = [
            pair
            for chunk in _chunks(flag_ids)
            for pair in rows.filter(flag_id__in=chunk).values_list("flag_id", "agency_id")
        ]
    addressed: dict[int, set[int]] = {}
    for flag_id, agency_id in pairs:
        addressed.setdefault(flag_id, set()).add(agency_id)
    return {flag_id: frozenset(agencies) for flag_id, agencies in addressed.items()}


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _concerned(finding: Finding) -> tuple:
    """The finding's concerned objects in the order of OBJECT_FIELDS, None where absent."""
    concerned = [None] * len(OBJECT_FIELDS)
    for name, value in finding.objects.items():
        concerned[OBJECT_INDEX[name]] = value
    return tuple(concerned)


# JSON text as PostgreSQL writes a jsonb value out, for the values of flag parameters (a
# dict whose keys are in jsonb's order: shorter first, then by bytes; integers, ASCII
# strings, None, booleans and lists of them).
_jsonb_text = json.JSONEncoder(ensure_ascii=False).encode


def _same_state(finding: Finding, stored: _Stored) -> bool:
    """Whether the stored flag holds what the finding would write (as `_applied` sets it).

    The stored parameters are compared as text with the finding's written out as jsonb
    writes them, which spares decoding ~150,000 of them on a rerun; when the texts differ
    (another key order, a database that writes JSON otherwise) the stored value is decoded
    and compared as the value it is, so the text is only ever a shortcut."""
    severity, for_admin_staff, params, digest, concerned = stored.state
    if (
        finding.digest != digest
        or finding.severity != severity
        or finding.for_admin_staff != for_admin_staff
        or _concerned(finding) != concerned
    ):
        return False
    if params is None:
        return finding.params is None
    if isinstance(params, str):
        return params == _jsonb_text(finding.params) or json.loads(params) == finding.params
    return params == finding.params


def _applied(flag: Flag, finding: Finding, now) -> Flag:
    flag.severity = finding.severity
    flag.for_admin_staff = finding.for_admin_staff
    flag.params = finding.params
    flag.inputs_digest = finding.digest
    for name in OBJECT_FIELDS:
        setattr(flag, name, finding.objects.get(name))
    flag.updated_at = now
    return flag


def _set_status(flag: Flag, status: str, system_note: str, now) -> None:
    """A status change made by the registry itself."""
    flag.status = status
    flag.closed_at = None if status in LIVE_STATUSES else now
    flag.status_changed_at = now
    flag.status_changed_by = None
    flag.status_note = ""
    flag.status_system_note = system_note
    flag.updated_at = now


def _write(kind: str, changes: _Changes, now) -> None:
    user_id = _history_user_id()
    if changes.opened:
        changes.opened_ids = _insert_new_flags(kind, changes.opened, now)
        _write_history(changes.opened_ids, "+", user_id, now)
        _write_events(changes.opened_ids, "", now)
    if changes.readdressed:
        flag_ids = list(changes.readdressed)
        for chunk in _chunks(flag_ids):
            FlagAgency.objects.filter(flag_id__in=chunk).delete()
        _address(changes.readdressed.items())
    if changes.updated:
        Flag.objects.bulk_update(changes.updated, [*STATE_FIELDS, "updated_at"], batch_size=500)
        _write_history([flag.pk for flag in changes.updated], "~", user_id, now)
    reopened = [flag for flag, _old in changes.reopened]
    if reopened:
        Flag.objects.bulk_update(reopened, [*STATE_FIELDS, *STATUS_FIELDS, "opened_at", "updated_at"], batch_size=500)
    closed = [flag for flag, _old in changes.closed]
    if closed:
        Flag.objects.bulk_update(closed, [*STATUS_FIELDS, "inputs_digest", "updated_at"], batch_size=500)
    moved = [*changes.reopened, *changes.closed]
    if moved:
        _write_history([flag.pk for flag, _old in moved], "~", user_id, now)
        by_old_status: dict[str, list[int]] = {}
        for flag, old_status in moved:
            by_old_status.setdefault(old_status, []).append(flag.pk)
        for old_status, flag_ids in by_old_status.items():
            _write_events(flag_ids, old_status, now)


def _insert_new_flags(kind: str, findings: list[Finding], now) -> list[int]:
    """Write the new flags and their addressees; return their ids, in the findings' order.

    On PostgreSQL the ids are drawn from the table's sequence first and the rows streamed
    with COPY (a first `detect_flags` opens tens of thousands); elsewhere through the ORM."""
    if connection.vendor != "postgresql":
        created = Flag.objects.bulk_create(
            [_applied(_new_flag(kind, finding.key, now), finding, now) for finding in findings], batch_size=500
        )
        flag_ids = [flag.pk for flag in created]
        _address((flag_id, finding.agency_ids) for flag_id, finding in zip(flag_ids, findings, strict=True))
        return flag_ids
    table = Flag._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(findings)],
        )
        flag_ids = [row[0] for row in cursor.fetchall()]
        names = ", ".join(
            [
                "id", "kind", "key", "inputs_digest", "severity", "status", "for_admin_staff", "params",
                *OBJECT_FIELDS,
                "opened_at", "closed_at", "status_changed_at", "status_changed_by_id", "status_note",
                "status_system_note", "created_at", "updated_at",
            ]
        )  # fmt: skip
        # COPY's text format, written here rather than by psycopg row by row (a first run
        # writes ~150,000 flags). Every text field but `params` is a hex digest or a code of
        # ours, with no tab, newline or backslash; the JSON of `params` is ASCII with its
        # control characters escaped, so only its backslashes need doubling.
        stamp = now.isoformat()
        head = f"\t{_copy_text(str(kind))}\t"
        tail = f"\t{stamp}\t\\N\t{stamp}\t\\N\t\t{SystemNote.OPENED!s}\t{stamp}\t{stamp}\n"
        status = str(FlagStatus.OPEN)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for start in range(0, len(findings), BATCH):
                lines = []
                for flag_id, finding in zip(
                    flag_ids[start : start + BATCH], findings[start : start + BATCH], strict=True
                ):
                    concerned = ["\\N" if value is None else str(value) for value in _concerned(finding)]
                    params = json.dumps(finding.params)
                    if "\\" in params:
                        params = params.replace("\\", "\\\\")
                    objects = "\t".join(concerned)
                    lines.append(
                        f"{flag_id}{head}{finding.key}\t{finding.digest}\t{finding.severity!s}\t{status}\t"
                        f"{'t' if finding.for_admin_staff else 'f'}\t{params}\t{objects}{tail}"
                    )
                copy.write("".join(lines))
        through = FlagAgency._meta.db_table
        with cursor.cursor.copy(f"COPY {through} (flag_id, agency_id) FROM STDIN") as copy:
            for start in range(0, len(findings), BATCH):
                copy.write(
                    "".join(
                        [
                            f"{flag_id}\t{agency_id}\n"
                            for flag_id, finding in zip(
                                flag_ids[start : start + BATCH], findings[start : start + BATCH], strict=True
                            )
                            for agency_id in sorted(finding.agency_ids)
                        ]
                    )
                )
    return flag_ids


def _address(addressees: Iterable[tuple[int, frozenset[int]]]) -> None:
    """Write each flag's addressees (flag id, its agencies) through the ORM."""
    FlagAgency.objects.bulk_create(
        [
            FlagAgency(flag_id=flag_id, agency_id=agency_id)
            for flag_id, agencies in addressees
            for agency_id in sorted(agencies)
        ],
        batch_size=BATCH,
    )


def _copy_text(value: str) -> str:
    """A text field in COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _new_flag(kind: str, key: str, now) -> Flag:
    return Flag(
        kind=kind,
        key=key,
        status=FlagStatus.OPEN,
        opened_at=now,
        status_changed_at=now,
        status_system_note=SystemNote.OPENED,
    )


def _history_user_id() -> int | None:
    """Who the history rows name: the signed-in user of the request that caused the sync, as
    simple_history's own rows would; nobody for `detect_flags`."""
    user = Flag.history.model.get_default_history_user(Flag())
    return getattr(user, "pk", None)


def _ids_condition(flag_ids: list[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        # The array as one text literal, cast by the server: psycopg would write the tens
        # of thousands of ids of a first run out one by one.
        return "id = ANY(CAST(%s AS bigint[]))", ["{" + ",".join(map(str, flag_ids)) + "}"]
    return in_list("id", flag_ids)


def _write_history(flag_ids: list[int], history_type: str, user_id: int | None, now) -> None:
    """One historical row per flag, copied from the flag rows just written (what
    simple_history writes on save), without loading them back into Python."""
    history = Flag.history.model
    names = ", ".join(connection.ops.quote_name(tracked.column) for tracked in history.tracked_fields)
    for chunk in _chunks(flag_ids, BATCH * 10):
        condition, params = _ids_condition(chunk)
        # Only table and column names are formatted in; every value is a query parameter.
        sql = f"""
            INSERT INTO {history._meta.db_table}
                ({names}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {names}, %s, NULL, %s, %s FROM {Flag._meta.db_table} WHERE {condition}
        """  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, history_type, user_id, *params])


def _write_events(flag_ids: list[int], old_status: str, now) -> None:
    """The event of a status change the registry made, for each flag, from its new status."""
    for chunk in _chunks(flag_ids, BATCH * 10):
        condition, params = _ids_condition(chunk)
        # Only table names are formatted in; every value is a query parameter.
        sql = f"""
            INSERT INTO {FlagEvent._meta.db_table} (flag_id, old_status, new_status, note, system_note, user_id, at)
            SELECT id, %s, status, '', status_system_note, NULL, %s FROM {Flag._meta.db_table} WHERE {condition}
        """  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [old_status, now, *params])


def _announce(changes: _Changes) -> None:
    """Tell the listeners once for the whole sync, and queue the coordinators' digests for
    after the commit."""
    from flags.notifications import queue_digests

    moved = [(flag.pk, old, flag.status) for flag, old in [*changes.reopened, *changes.closed]]
    if moved:
        flags_status_changed.send(sender=Flag, changes=moved, user=None)
    opened = [*changes.opened_ids, *(flag.pk for flag, _old in changes.reopened)]
    if opened:
        flags_opened.send(sender=Flag, flag_ids=opened)
        transaction.on_commit(lambda: queue_digests(opened))


def _record(flag: Flag, old_status: str, *, user=None, note: str = "", system_note: str = "") -> None:
    FlagEvent.objects.create(
        flag=flag,
        old_status=old_status,
        new_status=flag.status,
        note=note,
        system_note=system_note,
        user=user,
        at=flag.status_changed_at,
    )


# --- incremental scopes, optionally deferred ---------------------------------------------

_pending = threading.local()


def request_sync(kind: str, ids: Iterable[int] | None) -> None:
    """Sync a scope now, or at the end of the enclosing `deferred_flag_sync()` block."""
    batch = getattr(_pending, "batch", None)
    if batch is None:
        sync_flags(kind=kind, ids=ids)
        return
    if ids is None:
        batch[kind] = None
    elif kind not in batch:
        batch[kind] = set(ids)
    elif batch[kind] is not None:
        batch[kind].update(ids)


@contextmanager
def deferred_flag_sync() -> Iterator[None]:
    """Collect the scopes that writes inside the block touch and sync each once at its end:
    for bulk loaders, which would otherwise recompute after every row. Use it inside the
    loader's transaction so the flags are written in the same one."""
    if getattr(_pending, "batch", None) is not None:
        yield
        return
    _pending.batch = {}
    try:
        yield
        batch = _pending.batch
    finally:
        _pending.batch = None
    for kind, ids in batch.items():
        sync_flags(kind=kind, ids=ids)


# --- a person's decision ---------------------------------------------------------------

# Where a person may take a flag from each status; the registry alone reopens.
USER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    FlagStatus.OPEN: (FlagStatus.ACKNOWLEDGED, FlagStatus.RESOLVED, FlagStatus.DISMISSED),
    FlagStatus.ACKNOWLEDGED: (FlagStatus.RESOLVED, FlagStatus.DISMISSED),
    FlagStatus.RESOLVED: (),
    FlagStatus.DISMISSED: (),
}
USER_STATUSES = (FlagStatus.ACKNOWLEDGED, FlagStatus.RESOLVED, FlagStatus.DISMISSED)


def user_can_act_on(user, flag: Flag) -> bool:
    """Admin staff act on every flag; coordinators on flags addressed to their agency."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return True
    if role != Role.COORDINATOR or user.agency_id is None:
        return False
    # The addressees as read with the flag when a list prefetched them (no query per row).
    return user.agency_id in {agency.pk for agency in flag.agencies.all()}


def can_review_flags(user) -> bool:
    """The flag queue is for coordinators and admin staff."""
    return role_of(user) in (Role.COORDINATOR, Role.ADMIN_STAFF)


def _status_labels(statuses) -> str:
    """The statuses as the reader's language names them: a slug is never shown in a message."""
    return ", ".join(str(FlagStatus(status).label) for status in statuses)


def flag_set_status(*, flag: Flag, user, status: str, note: str = "") -> Flag:
    """Acknowledge, resolve or dismiss a flag, with a note (required to dismiss).

    Raises PermissionDenied when the user may not act on it, ValidationError naming
    `status` or `note` when the change is not allowed."""
    note = (note or "").strip()
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if not user_can_act_on(user, flag):
            raise PermissionDenied(
                _("Only coordinators of an agency the flag is addressed to, or admin staff, may act on it.")
            )
        if status not in USER_STATUSES:
            allowed_labels = _status_labels(USER_STATUSES)
            raise ValidationError({"status": _("Choose one of: %(allowed)s.") % {"allowed": allowed_labels}})
        allowed = USER_TRANSITIONS.get(flag.status, ())
        if status not in allowed:
            if allowed:
                message = _("A flag that is “%(current)s” can become: %(allowed)s.") % {
                    "current": flag.get_status_display(),
                    "allowed": _status_labels(allowed),
                }
            else:
                message = _("This flag is already “%(current)s”; the registry reopens it if its inputs change.") % {
                    "current": flag.get_status_display()
                }
            raise ValidationError({"status": message})
        if status == FlagStatus.DISMISSED and not note:
            raise ValidationError({"note": _("Say why the flag is dismissed.")})
        old_status = flag.status
        now = timezone.now()
        flag.status = status
        flag.status_changed_at = now
        flag.status_changed_by = user
        flag.status_note = note
        flag.status_system_note = ""
        flag.closed_at = None if status in LIVE_STATUSES else now
        flag.full_clean(exclude=["key", "params"])
        flag.save()
        _record(flag, old_status, user=user, note=note)
        flag_status_changed.send(sender=Flag, flag=flag, old_status=old_status, new_status=status, user=user)
    return flag
