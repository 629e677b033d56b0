"""Deadline reminders by e-mail: items due within a few days and overdue ones, to the
assignee or, without one, to the owner agency's coordinators, in the recipient's language,
each item at most once a day per recipient."""

import datetime
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import ActionItem, ReminderLog
from registry.models import Role, User
from registry.site import absolute_url

DUE_WITHIN_DAYS = 3


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str


@dataclass
class ReminderRun:
    sent: int = 0
    already_sent: int = 0
    without_recipient: int = 0


def items_to_remind(today: datetime.date):
    """Open, in-progress and blocked items due by `today + DUE_WITHIN_DAYS`, overdue ones included."""
    return (
        ActionItem.objects.exclude(status__in=ActionItem.CLOSED_STATUSES)
        .filter(due_date__isnull=False, due_date__lte=today + datetime.timedelta(days=DUE_WITHIN_DAYS))
        .select_related("owner", "owner__country", "assignee", "case")
        .order_by("due_date", "id")
    )


def _contact_language(contact, owner, users_by_email: dict[str, User]) -> str:
    """The language of the contact's account when there is one, else Spanish for a contact who
    speaks only Spanish, or Spanish and English at a Mexican agency; else English."""
    user = users_by_email.get(contact.email.lower())
    if user is not None:
        return user.language
    if contact.speaks_es and not contact.speaks_en:
        return "es"
    if contact.speaks_es and owner.country_id and owner.country.code == "MX":
        return "es"
    return "en"


def recipients_by_item(items: list[ActionItem]) -> dict[int, list[Recipient]]:
    """Who gets each item's reminder; two queries whatever the number of items."""
    owner_ids = {item.owner_id for item in items}
    coordinators: dict[int, list[Recipient]] = {}
    for user in (
        User.objects.filter(agency_id__in=owner_ids, groups__name=Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .order_by("username")
        .distinct()
    ):
        coordinators.setdefault(user.agency_id, []).append(
            Recipient(user.email, user.get_full_name() or user.username, user.language)
        )
    assignee_emails = {item.assignee.email.lower() for item in items if _reachable(item.assignee)}
    users_by_email = (
        {user.email.lower(): user for user in User.objects.filter(email__in=assignee_emails, is_active=True)}
        if assignee_emails
        else {}
    )
    result = {}
    for item in items:
        contact = item.assignee
        if _reachable(contact):
            # The assignee belongs to the owner agency (a rule of the model).
            language = _contact_language(contact, item.owner, users_by_email)
            result[item.pk] = [Recipient(contact.email, contact.name, language)]
        else:
            result[item.pk] = coordinators.get(item.owner_id, [])
    return result


def _reachable(contact) -> bool:
    return bool(contact and contact.active and contact.blocked_at is None and contact.email)


def _subject_and_sentence(item: ActionItem, days: int) -> tuple[str, str]:
    """The subject and the opening sentence, each written whole for due today, due in N
    days and overdue by N days: a fragment pasted into another sentence reads wrong in
    Spanish (“Acción que vencida hace 12 días”)."""
    values = {"title": item.title, "agency": item.owner.display_name, "days": abs(days)}
    if days == 0:
        subject = _("[Enlace] Action item due today: %(title)s")
        sentence = _("This action item of %(agency)s is due today.")
    elif days > 0:
        subject = ngettext(
            "[Enlace] Action item due in %(days)d day: %(title)s",
            "[Enlace] Action item due in %(days)d days: %(title)s",
            days,
        )
        sentence = ngettext(
            "This action item of %(agency)s is due in %(days)d day.",
            "This action item of %(agency)s is due in %(days)d days.",
            days,
        )
    else:
        subject = ngettext(
            "[Enlace] Action item overdue by %(days)d day: %(title)s",
            "[Enlace] Action item overdue by %(days)d days: %(title)s",
            -days,
        )
        sentence = ngettext(
            "This action item of %(agency)s is overdue by %(days)d day.",
            "This action item of %(agency)s is overdue by %(days)d days.",
            -days,
        )
    return subject % values, sentence % values


def render(item: ActionItem, recipient: Recipient, today: datetime.date) -> tuple[str, str]:
    """Subject and body in the recipient's language."""
    with translation.override(recipient.language):
        subject, sentence = _subject_and_sentence(item, (item.due_date - today).days)
        lines = [
            _("Hello %(name)s,") % {"name": recipient.name},
            "",
            sentence,
            "",
            _("Action item: %(title)s") % {"title": item.title},
            _("Due date: %(date)s") % {"date": item.due_date.isoformat()},
            _("Status: %(status)s") % {"status": item.get_status_display()},
        ]
        if item.case_id:
            lines.append(_("Case: %(reference)s") % {"reference": item.case.reference})
        lines += [
            "",
            _("Update it in Enlace: %(url)s") % {"url": absolute_url(reverse("web:action", args=[item.pk]))},
            "",
            _("You receive this reminder at most once a day per item while it is due soon or overdue."),
        ]
        return subject, "\n".join(lines)


def send_reminders(*, today: datetime.date | None = None, dry_run: bool = False) -> ReminderRun:
    today = today or timezone.localdate()
    items = list(items_to_remind(today))
    recipients = recipients_by_item(items)
    done = set(
        ReminderLog.objects.filter(item__in=[item.pk for item in items], sent_on=today).values_list(
            "item_id", "recipient"
        )
    )
    run = ReminderRun()
    for item in items:
        if not recipients[item.pk]:
            run.without_recipient += 1
        for recipient in recipients[item.pk]:
            if (item.pk, recipient.email) in done:
                run.already_sent += 1
                continue
            if dry_run:
                run.sent += 1
                continue
            subject, body = render(item, recipient, today)
            try:
                # The log row and the message stand or fall together: a failed send is retried next run.
                with transaction.atomic():
                    ReminderLog.objects.create(item=item, recipient=recipient.email, sent_on=today)
                    send_mail(subject, body, None, [recipient.email])
            except IntegrityError:
                run.already_sent += 1  # another run sent it meanwhile
                continue
            done.add((item.pk, recipient.email))
            run.sent += 1
    return run
