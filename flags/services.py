"""Writes of the flags app: reconcile what the detectors find with the stored flags, and
change a flag's status on a person's decision.

`sync_flags(kind=..., ids=...)` is the one way flags are opened, refreshed, reopened and
closed by the registry, for the whole registry (ids=None, `detect_flags`) or for a scope
(the incremental updates of flags/receivers.py); both run the same detector query.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from flags.detectors import DETECTORS, Finding
from flags.models import LIVE_STATUSES, Flag, FlagEvent, FlagKind, FlagStatus, SystemNote
from flags.signals import flag_opened, flag_status_changed
from registry.models import Role, role_of

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


def sync_flags(*, kind: str, ids: Iterable[int] | None = None) -> SyncResult:
    """Make the stored flags of `kind` within the scope (`ids` of the detector's scope
    dimension; None for everything) agree with what the detector finds now:
    open new flags, refresh live ones, reopen a resolved or dismissed flag only if its inputs
    changed, and close live flags whose cause disappeared."""
    detector = DETECTORS[kind]
    scope = None if ids is None else {int(pk) for pk in ids if pk is not None}
    result = SyncResult()
    if scope is not None and not scope:
        return result
    with transaction.atomic():
        findings = {finding.key: finding for finding in detector.find(scope)}
        stored_flags = Flag.objects.filter(kind=kind).prefetch_related(
            Prefetch("agencies", queryset=Agency.objects.only("id"))
        )
        if scope is not None:
            # Also by key: a flag found now may have been stored under another scope.
            stored_flags = stored_flags.filter(detector.stored_scope(scope) | Q(key__in=list(findings)))
        stored = {flag.key: flag for flag in stored_flags.select_for_update(of=("self",))}
        for key, finding in findings.items():
            flag = stored.get(key)
            if flag is None:
                _open(finding)
                result.opened += 1
            elif flag.is_live or flag.inputs_digest == finding.digest:
                if _refresh(flag, finding):
                    result.updated += 1
                else:
                    result.unchanged += 1
            else:
                _reopen(flag, finding)
                result.reopened += 1
        for key, flag in stored.items():
            if key not in findings and flag.is_live:
                _close_without_cause(flag)
                result.closed += 1
    return result


def sync_all_flags() -> dict[str, SyncResult]:
    """The full recomputation of every kind (what `detect_flags` runs)."""
    return {kind: sync_flags(kind=kind) for kind in FlagKind.values}


def _agency_ids(flag: Flag) -> frozenset[int]:
    return frozenset(agency.pk for agency in flag.agencies.all())


def _apply(flag: Flag, finding: Finding) -> None:
    flag.severity = finding.severity
    flag.for_admin_staff = finding.for_admin_staff
    flag.params = finding.params
    flag.inputs_digest = finding.digest
    for name in OBJECT_FIELDS:
        setattr(flag, name, finding.objects.get(name))


def _state(flag: Flag) -> tuple:
    return (
        flag.severity,
        flag.for_admin_staff,
        flag.params,
        flag.inputs_digest,
        tuple(getattr(flag, name) for name in OBJECT_FIELDS),
    )


def _refresh(flag: Flag, finding: Finding) -> bool:
    """Bring a flag's details up to date without touching its status; True if anything changed."""
    before = _state(flag)
    _apply(flag, finding)
    changed = False
    if _state(flag) != before:
        flag.save()
        changed = True
    if _agency_ids(flag) != finding.agency_ids:
        flag.agencies.set(finding.agency_ids)
        changed = True
    return changed


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


def _announce_opened(flag: Flag) -> None:
    from flags.notifications import notify_flag_opened

    flag_opened.send(sender=Flag, flag=flag)
    flag_id = flag.pk
    transaction.on_commit(lambda: notify_flag_opened(flag_id))


def _open(finding: Finding) -> Flag:
    now = timezone.now()
    flag = Flag(
        kind=finding.kind,
        key=finding.key,
        status=FlagStatus.OPEN,
        opened_at=now,
        status_changed_at=now,
        status_system_note=SystemNote.OPENED,
    )
    _apply(flag, finding)
    flag.save()
    flag.agencies.set(finding.agency_ids)
    _record(flag, "", system_note=SystemNote.OPENED)
    _announce_opened(flag)
    return flag


def _reopen(flag: Flag, finding: Finding) -> None:
    old_status = flag.status
    now = timezone.now()
    _apply(flag, finding)
    flag.status = FlagStatus.OPEN
    flag.opened_at = now
    flag.closed_at = None
    flag.status_changed_at = now
    flag.status_changed_by = None
    flag.status_note = ""
    flag.status_system_note = SystemNote.REOPENED
    flag.save()
    if _agency_ids(flag) != finding.agency_ids:
        flag.agencies.set(finding.agency_ids)
    _record(flag, old_status, system_note=SystemNote.REOPENED)
    flag_status_changed.send(sender=Flag, flag=flag, old_status=old_status, new_status=flag.status, user=None)
    _announce_opened(flag)


def _close_without_cause(flag: Flag) -> None:
    old_status = flag.status
    now = timezone.now()
    flag.status = FlagStatus.RESOLVED
    flag.closed_at = now
    flag.status_changed_at = now
    flag.status_changed_by = None
    flag.status_note = ""
    flag.status_system_note = SystemNote.CAUSE_DISAPPEARED
    # An empty digest: if the cause comes back, whatever its inputs, the flag reopens.
    flag.inputs_digest = ""
    flag.save()
    _record(flag, old_status, system_note=SystemNote.CAUSE_DISAPPEARED)
    flag_status_changed.send(sender=Flag, flag=flag, old_status=old_status, new_status=flag.status, user=None)


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
    return flag.agencies.filter(pk=user.agency_id).exists()


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
            raise ValidationError({"status": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(USER_STATUSES)}})
        allowed = USER_TRANSITIONS.get(flag.status, ())
        if status not in allowed:
            if allowed:
                message = _("A flag that is %(current)s can become: %(allowed)s.") % {
                    "current": flag.status,
                    "allowed": ", ".join(allowed),
                }
            else:
                message = _("This flag is already %(current)s; the registry reopens it if its inputs change.") % {
                    "current": flag.status
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
