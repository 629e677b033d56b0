"""Writes with rules over cases and action items (docs/SPEC.md §1, §3).

Every function is keyword-only, checks the user's right first (PermissionDenied), validates
with the model's full_clean() (ValidationError naming the field), writes inside one
transaction through ordinary save() (listeners of post_save see every write), and sends the
signals of cases/signals.py.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject
from cases.signals import action_item_status_changed, case_participant_added, case_participant_removed
from registry.models import Role, role_of

# ---------------------------------------------------------------- rights


def _agency_participates(case: Case, agency_id: int | None) -> bool:
    if agency_id is None:
        return False
    loaded = getattr(case, "_prefetched_objects_cache", {}).get("participants")
    if loaded is not None:  # read with the case (every participant, never a filtered subset)
        return any(participant.agency_id == agency_id for participant in loaded)
    return case.participants.filter(agency_id=agency_id).exists()


def can_open_case(user) -> bool:
    """Coordinators of an agency open cases (their agency takes part, and leads by default)."""
    return role_of(user) == Role.COORDINATOR and user.agency_id is not None


def can_manage_case(user, case: Case) -> bool:
    """Coordinators of a participating agency edit the case, its participants and its items."""
    return role_of(user) == Role.COORDINATOR and _agency_participates(case, user.agency_id)


def can_add_subject(user, case: Case) -> bool:
    """Liaison officers and coordinators of a participating agency add subjects."""
    return role_of(user) in (Role.COORDINATOR, Role.LIAISON_OFFICER) and _agency_participates(case, user.agency_id)


def can_manage_item(user, item: ActionItem) -> bool:
    """Who edits an item (and, with can_work_item, moves it and writes its updates). On a case:
    coordinators of a participating agency. A case-less commitment has no case to share it, so
    it is its owner's alone: the owner's coordinators, and admin staff; a supporting agency reads it."""
    role = role_of(user)
    if item.case_id is None:
        if role == Role.ADMIN_STAFF:
            return True
        return role == Role.COORDINATOR and user.agency_id is not None and item.owner_id == user.agency_id
    if role != Role.COORDINATOR or user.agency_id is None:
        return False
    return item.owner_id == user.agency_id or _agency_participates(item.case, user.agency_id)


def can_work_item(user, item: ActionItem) -> bool:
    """Liaison officers and coordinators of the owner agency move the item and write updates;
    whoever may edit it may too."""
    return works_for_owner(user, item) or can_manage_item(user, item)


def works_for_owner(user, item: ActionItem) -> bool:
    """A liaison officer or coordinator of the item's owner agency (no query: a list asks it per row)."""
    return (
        role_of(user) in (Role.COORDINATOR, Role.LIAISON_OFFICER)
        and user.agency_id is not None
        and user.agency_id == item.owner_id
    )


def only_coordinators_open_cases() -> str:
    return _("Only coordinators of an agency open cases.")


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _clean_and_save(instance, **kwargs) -> None:
    instance.full_clean(**kwargs)
    instance.save()


# ---------------------------------------------------------------- cases


def _participant_specs(participants: Iterable) -> list[tuple[Agency, str, Contact | None]]:
    """Participants given as CaseParticipant-like mappings or (agency, role[, contact]) tuples."""
    specs = []
    for entry in participants:
        if isinstance(entry, Mapping):
            specs.append((entry["agency"], entry.get("role") or CaseParticipant.Role.SUPPORT, entry.get("contact")))
        else:
            agency, role, *rest = entry
            specs.append((agency, role, rest[0] if rest else None))
    return specs


@transaction.atomic
def case_open(
    *,
    user,
    title: str,
    summary: str,
    sensitivity: str,
    jurisdictions: Iterable[Jurisdiction] = (),
    lead: Agency | None = None,
    participants: Iterable = (),
    opened_on: datetime.date | None = None,
    is_demo: bool = False,
) -> Case:
    """Open a case. The user's agency takes part; it leads unless `lead` names another agency."""
    _require(can_open_case(user), only_coordinators_open_cases())
    specs = _participant_specs(participants)
    lead = lead or next((agency for agency, role, _c in specs if role == CaseParticipant.Role.LEAD), None)
    lead = lead or user.agency
    others = [spec for spec in specs if spec[0].pk != lead.pk]
    if lead.pk != user.agency_id and all(agency.pk != user.agency_id for agency, _r, _c in others):
        others.append((user.agency, CaseParticipant.Role.SUPPORT, None))
    lead_contact = next((contact for agency, _r, contact in specs if agency.pk == lead.pk), None)

    case = Case(
        title=title,
        summary=summary or "",
        sensitivity=sensitivity,
        lead_agency=lead,
        created_by=user,
        is_demo=is_demo,
        opened_on=opened_on or timezone.localdate(),
    )
    _clean_and_save(case, exclude=["reference"])
    if jurisdictions:
        case.jurisdictions.set(jurisdictions)
    seen = {lead.pk}
    _add_participant(case=case, user=user, agency=lead, role=CaseParticipant.Role.LEAD, contact=lead_contact)
    for agency, role, contact in others:
        if agency.pk in seen:
            raise ValidationError({"participants": _("An agency takes part in a case only once.")})
        if role == CaseParticipant.Role.LEAD:
            raise ValidationError({"participants": _("A case has exactly one lead.")})
        seen.add(agency.pk)
        _add_participant(case=case, user=user, agency=agency, role=role, contact=contact)
    return case


CASE_FIELDS = ("title", "summary", "sensitivity", "status", "opened_on")


@transaction.atomic
def case_update(*, case: Case, user, jurisdictions: Iterable[Jurisdiction] | None = None, **fields: Any) -> Case:
    """Edit a case's title, summary, sensitivity, jurisdictions, or move it between open and active."""
    _require(can_manage_case(user, case), _("Only coordinators of a participating agency edit this case."))
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    status = fields.get("status")
    if status is not None and status != case.status:
        movable = {Case.Status.OPEN, Case.Status.ACTIVE}
        if status not in movable or case.status not in movable:
            raise ValidationError(
                {"status": _("Use close and archive to end a case; here a case only moves between open and active.")}
            )
    for name, value in fields.items():
        setattr(case, name, value)
    _clean_and_save(case)
    if jurisdictions is not None:
        case.jurisdictions.set(jurisdictions)
    return case


@transaction.atomic
def case_close(*, case: Case, user) -> Case:
    _require(can_manage_case(user, case), _("Only coordinators of a participating agency close this case."))
    if case.status not in (Case.Status.OPEN, Case.Status.ACTIVE):
        raise ValidationError({"status": _("Only an open or active case can be closed.")})
    case.status = Case.Status.CLOSED
    case.closed_on = max(timezone.localdate(), case.opened_on)
    _clean_and_save(case)
    return case


@transaction.atomic
def case_archive(*, case: Case, user) -> Case:
    _require(can_manage_case(user, case), _("Only coordinators of a participating agency archive this case."))
    if case.status != Case.Status.CLOSED:
        raise ValidationError({"status": _("Close the case before archiving it.")})
    case.status = Case.Status.ARCHIVED
    _clean_and_save(case)
    return case


def _touch(case: Case) -> None:
    """A change of participants is a change of the case: its ETag moves (no history row of its own)."""
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    case.updated_at = now


def _add_participant(*, case: Case, user, agency: Agency, role: str, contact: Contact | None) -> CaseParticipant:
    participant = CaseParticipant(case=case, agency=agency, role=role, contact=contact)
    _clean_and_save(participant, validate_constraints=False)
    _touch(case)
    case_participant_added.send(sender=Case, case=case, participant=participant, user=user)
    return participant


@transaction.atomic
def participant_add(
    *, case: Case, user, agency: Agency, role: str = CaseParticipant.Role.SUPPORT, contact: Contact | None = None
) -> CaseParticipant:
    """Add an agency to a case (a supporting one unless `role` says otherwise, as in case_open).
    Naming a new lead makes the former lead a supporting participant."""
    _require(can_manage_case(user, case), _("Only coordinators of a participating agency add participants."))
    if role not in CaseParticipant.Role.values:
        raise ValidationError({"role": _("Choose lead, support or observer.")})
    if case.participants.filter(agency=agency).exists():
        raise ValidationError({"agency": _("This agency already takes part in the case.")})
    if role == CaseParticipant.Role.LEAD:
        for former in case.participants.filter(role=CaseParticipant.Role.LEAD):
            former.role = CaseParticipant.Role.SUPPORT
            former.save()
        case.lead_agency = agency
        case.save()
    return _add_participant(case=case, user=user, agency=agency, role=role, contact=contact)


@transaction.atomic
def participant_remove(*, case: Case, user, agency: Agency) -> None:
    """Remove an agency from a case; never the lead, nor an agency that still owns open items of it."""
    _require(can_manage_case(user, case), _("Only coordinators of a participating agency remove participants."))
    participant = case.participants.filter(agency=agency).first()
    if participant is None:
        raise ValidationError({"agency": _("This agency does not take part in the case.")})
    if participant.role == CaseParticipant.Role.LEAD:
        raise ValidationError({"agency": _("Name another lead before removing the lead agency.")})
    still_owns = case.action_items.filter(owner=agency).exclude(status__in=ActionItem.CLOSED_STATUSES)
    if still_owns.exists():
        raise ValidationError(
            {"agency": _("This agency still owns open action items of the case; reassign or cancel them first.")}
        )
    participant.delete()
    _touch(case)
    case_participant_removed.send(sender=Case, case=case, agency=agency, user=user)


# ---------------------------------------------------------------- subjects

SUBJECT_DETAILS = (
    "make",
    "model",
    "caliber",
    "recovered_on",
    "recovered_in",
    "trace_number",
    "trace_status",
    "trace_requested_on",
    "trace_result_on",
)
# What a subject holds beside its kind and identifier; the API serializer lists these too.
SUBJECT_FIELDS = ("note", "birth_date", *SUBJECT_DETAILS)
NULLABLE = (
    "recovered_on",
    "recovered_in",
    "trace_requested_on",
    "trace_result_on",
    "birth_date",
    "assignee",
    "function",
    "due_date",
    "case",
)


def _blank_if_none(name: str, value: Any) -> Any:
    """Text fields store "" for nothing; nullable ones keep None."""
    return "" if value is None and name not in NULLABLE else value


@transaction.atomic
def subject_add(*, case: Case, user, kind: str, identifier: str, **details: Any) -> CaseSubject:
    """Record something the case is about; its normalized key is what other cases match on."""
    _require(can_add_subject(user, case), _("Only users of a participating agency add subjects to this case."))
    unknown = set(details) - set(SUBJECT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown detail of a subject.") for name in sorted(unknown)})
    if case.status == Case.Status.ARCHIVED:
        raise ValidationError({"case": _("An archived case takes no new subjects.")})
    subject = CaseSubject(case=case, kind=kind, identifier=identifier, created_by=user)
    for name, value in details.items():
        setattr(subject, name, _blank_if_none(name, value))
    subject.full_clean(exclude=["normalized_key"], validate_constraints=False)
    if CaseSubject.objects.filter(case=case, kind=kind, normalized_key=subject.normalized_key).exists():
        raise ValidationError({"identifier": _("This subject is already recorded on the case.")})
    subject.save()
    return subject


@transaction.atomic
def subject_update(*, subject: CaseSubject, user, **details: Any) -> CaseSubject:
    """Change a subject's details (e.g. a firearm's trace status)."""
    _require(can_add_subject(user, subject.case), _("Only users of a participating agency edit subjects."))
    unknown = set(details) - {*SUBJECT_FIELDS, "identifier"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    for name, value in details.items():
        setattr(subject, name, _blank_if_none(name, value))
    subject.full_clean(exclude=["normalized_key"])
    subject.save()
    return subject


@transaction.atomic
def subject_remove(*, subject: CaseSubject, user) -> None:
    _require(can_manage_case(user, subject.case), _("Only coordinators of a participating agency remove subjects."))
    subject.delete()


# ---------------------------------------------------------------- action items

ITEM_FIELDS = ("title", "description", "assignee", "function", "theme", "priority", "due_date", "owner", "case")


def _check_item_place(item: ActionItem, user) -> None:
    """An item of a case is owned by a participant; a case-less one involves the user's agency."""
    if item.case_id is not None:
        if not _agency_participates(item.case, item.owner_id):
            raise ValidationError({"owner": _("The owner must take part in the case.")})
        if item.case.status in (Case.Status.CLOSED, Case.Status.ARCHIVED) and item._state.adding:
            raise ValidationError({"case": _("A closed or archived case takes no new action items.")})


@transaction.atomic
def action_item_create(
    *,
    user,
    owner: Agency,
    title: str,
    description: str = "",
    case: Case | None = None,
    assignee: Contact | None = None,
    supporting_agencies: Iterable[Agency] = (),
    function: FunctionalArea | None = None,
    theme: str = "",
    priority: str = ActionItem.Priority.NORMAL,
    due_date: datetime.date | None = None,
    is_demo: bool = False,
) -> ActionItem:
    """Create an action item. On a case: coordinators of a participating agency, for a
    participating owner. A case-less commitment: coordinators whose agency owns or supports it."""
    role = role_of(user)
    _require(role == Role.COORDINATOR and user.agency_id, _("Only coordinators create action items."))
    supporting = list(supporting_agencies)
    if case is not None:
        _require(can_manage_case(user, case), _("Only coordinators of a participating agency add items to a case."))
    elif owner.pk != user.agency_id and all(agency.pk != user.agency_id for agency in supporting):
        raise PermissionDenied(_("A commitment outside any case must be owned or supported by your agency."))
    item = ActionItem(
        title=title,
        description=description or "",
        case=case,
        owner=owner,
        assignee=assignee,
        function=function,
        theme=theme or "",
        priority=priority or ActionItem.Priority.NORMAL,
        due_date=due_date,
        created_by=user,
        is_demo=is_demo,
    )
    _check_item_place(item, user)
    _clean_and_save(item)
    if supporting:
        item.supporting_agencies.set(supporting)
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, user, supporting_agencies: Iterable[Agency] | None = None, **fields: Any
) -> ActionItem:
    """Edit what an item is about, who owns it and by when; status moves through
    action_item_transition. Its case is fixed once created."""
    _require(can_manage_item(user, item), _("Only coordinators of the agencies involved edit this action item."))
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if "case" in fields and getattr(fields["case"], "pk", None) != item.case_id:
        # A move would show the item to its new place's readers: a restricted case's item made case-less is public.
        raise ValidationError(
            {"case": _("An action item stays in the case it was created in (or outside any case); create a new one.")}
        )
    for name, value in fields.items():
        setattr(item, name, _blank_if_none(name, value))
    _check_item_place(item, user)
    _clean_and_save(item)
    if supporting_agencies is not None:
        item.supporting_agencies.set(list(supporting_agencies))
    return item


def _status_label(status: str) -> str:
    """The status as the reader's language names it: a slug is never shown in a message."""
    return str(ActionItem.Status(status).label)


def transition_error(item: ActionItem, status: str) -> ValidationError:
    allowed = item.allowed_transitions()
    if allowed:
        message = _("An item that is “%(current)s” cannot become “%(status)s”; it may become: %(allowed)s.") % {
            "current": item.get_status_display(),
            "status": _status_label(status),
            "allowed": ", ".join(_status_label(value) for value in allowed),
        }
    else:
        message = _("An item that is “%(current)s” is finished and cannot change status.") % {
            "current": item.get_status_display()
        }
    return ValidationError({"status": message})


def _reason_missing(status: str) -> str:
    # One sentence per status: “blocked” and “cancelled” are not said alike in Spanish.
    if status == ActionItem.Status.BLOCKED:
        return _("Say why the item is blocked.")
    if status == ActionItem.Status.CANCELLED:
        return _("Say why the item is cancelled.")
    return _("Say why the item is “%(status)s”.") % {"status": _status_label(status)}


@transaction.atomic
def action_item_transition(*, item: ActionItem, user, status: str, reason: str = "") -> ActionItem:
    """Move an item along an allowed edge; `blocked` and `cancelled` need a reason, `done`
    stamps completed_at. Every move adds a timeline entry."""
    _require(can_work_item(user, item), _("Only the owner agency's officers move this action item."))
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": status}})
    if status not in item.allowed_transitions():
        raise transition_error(item, status)
    reason = (reason or "").strip()
    if status in ActionItem.NEEDS_REASON and not reason:
        raise ValidationError({"status_reason": _reason_missing(status)})
    old_status = item.status
    item.status = status
    item.status_reason = reason
    item.completed_at = timezone.now() if status == ActionItem.Status.DONE else None
    _clean_and_save(item)
    ActionUpdate.objects.create(item=item, author=user, text=reason, old_status=old_status, new_status=status)
    action_item_status_changed.send(sender=ActionItem, item=item, old_status=old_status, new_status=status, user=user)
    return item


@transaction.atomic
def action_update_add(*, item: ActionItem, user, text: str) -> ActionUpdate:
    """Append a note to the item's timeline."""
    _require(can_work_item(user, item), _("Only officers of the agencies involved write updates on this item."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the update.")})
    update = ActionUpdate(item=item, author=user, text=text)
    _clean_and_save(update)
    # The item's ETag and "last change" follow its timeline (no new history row for a note).
    now = timezone.now()
    ActionItem.objects.filter(pk=item.pk).update(updated_at=now)
    item.updated_at = now
    return update


# ---------------------------------------------------------------- calendar


def calendar_token_rotate(*, user) -> str:
    """Give the user a new secret calendar URL token; the old URL stops working."""
    from registry.models import new_calendar_token

    _require(user.is_authenticated, _("Sign in to rotate your calendar address."))
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user.calendar_token
