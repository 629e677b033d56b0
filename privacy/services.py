"""Personal data rights over contact records (ARCO). Admin staff only; every step is a
SecurityEvent and, through simple-history, a change of the contact.

Erasure keeps the rows and replaces the personal fields with placeholders, in the contact
and in its historical records: the audit trail keeps *that* the record existed and who
changed it when (needed to account for past case work), but no longer *who the person was*.
"""

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Contact
from privacy.models import PersonalDataRequest

ERASED = "[erased]"
# The fields of a contact that identify or reach the person; erased to these values.
PERSONAL_FIELDS: dict[str, Any] = {"name": ERASED, "title": "", "email": "", "phone": "", "mobile": ""}
CORRECTABLE_FIELDS = {"name", "title", "email", "phone", "mobile", "time_zone", "speaks_en", "speaks_es"}


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def contacts_of_person(*, contact_ids: list[int] | None = None, email: str | None = None) -> models.QuerySet:
    """Every contact record of one person: by id, or by e-mail (case-insensitive), blocked ones included."""
    queryset = Contact.objects.none()
    if contact_ids:
        queryset = Contact.objects.filter(pk__in=contact_ids)
    if email:
        queryset = queryset | Contact.objects.filter(email__iexact=email.strip())
    return queryset.select_related("agency", "office").prefetch_related("functions").order_by("pk")


def references_to(contact: Contact) -> list[dict]:
    """Where else the record is used (case liaisons, action-item assignees, ...), found from
    the model graph so that a new reference to contacts is reported without code changes."""
    found = []
    for model in apps.get_models():
        if model._meta.label_lower.startswith("agencies.historical") or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) is not Contact or field.auto_created:
                continue
            if not (field.many_to_one or field.one_to_one or field.many_to_many):
                continue
            for pk in model.objects.filter(**{field.name: contact}).values_list("pk", flat=True):
                found.append({"model": model._meta.label_lower, "field": field.name, "id": pk})
    return found


def person_export(*, contact_ids: list[int] | None = None, email: str | None = None) -> dict:
    """Everything held about one person (access right): the records, their full history,
    where they are referenced, and the requests already made."""
    contacts = list(contacts_of_person(contact_ids=contact_ids, email=email))
    records = []
    for contact in contacts:
        fields = {
            field.name: _plain(getattr(contact, field.attname))
            for field in Contact._meta.concrete_fields
            if field.name != "search_text"
        }
        fields["functions"] = [function.slug for function in contact.functions.all()]
        history = [
            {
                "at": _plain(row.history_date),
                "type": row.history_type,
                "by": row.history_user.get_username() if row.history_user_id else "",
                "fields": {name: _plain(getattr(row, name, None)) for name in PERSONAL_FIELDS},
            }
            for row in contact.history.select_related("history_user").order_by("history_date")
        ]
        requests = [
            {
                "kind": request.kind,
                "received_on": _plain(request.received_on),
                "answered_on": _plain(request.answered_on),
                "status": request.status,
                "outcome": request.outcome,
            }
            for request in contact.personal_data_requests.all()
        ]
        records.append(
            {
                "contact": fields,
                "agency": contact.agency.slug,
                "history": history,
                "references": references_to(contact),
                "requests": requests,
            }
        )
    return {"generated_at": _plain(timezone.now()), "records": records}


@transaction.atomic
def person_correct(*, contact: Contact, changes: dict[str, Any]) -> Contact:
    """Rectification: change the given personal fields, validated like any edit."""
    unknown = set(changes) - CORRECTABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), _("This field cannot be corrected here.")))
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact._change_reason = "personal-data rectification"
    contact.save()
    return contact


@transaction.atomic
def person_block(*, contact: Contact) -> Contact:
    """Opposition / first step of cancellation: hidden everywhere, kept for audit."""
    if contact.blocked_at is None:
        contact.blocked_at = timezone.now()
        contact.active = False
        contact._change_reason = "personal-data block"
        contact.save()
    return contact


@transaction.atomic
def person_erase(*, contact: Contact) -> Contact:
    """Cancellation: the personal fields become placeholders, in the record and its history."""
    person_block(contact=contact)
    for name, value in PERSONAL_FIELDS.items():
        setattr(contact, name, value)
    contact._change_reason = "personal-data erasure"
    contact.save()
    contact.history.update(**PERSONAL_FIELDS)
    return contact


@transaction.atomic
def request_answer(
    *, request: PersonalDataRequest, outcome: str, user, status: str = PersonalDataRequest.Status.ANSWERED
) -> PersonalDataRequest:
    request.status = status
    request.outcome = outcome
    request.answered_on = timezone.localdate()
    request.handled_by = user
    request.full_clean()
    request.save()
    return request
