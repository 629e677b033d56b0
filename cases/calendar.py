"""The personal deadline calendar: the action items of the user's agency as an iCalendar
feed at a secret address, so deadlines show where people look."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from cases import selectors
from cases.models import ActionItem, Case, CaseReadLog


def feed_path(token: str) -> str:
    return reverse("cases-calendar-feed", kwargs={"token": token})


def _summary(item: ActionItem) -> str:
    prefix = f"[{item.case.reference}] " if item.case_id else ""
    marker = _("OVERDUE") + ": " if item.overdue else ""
    return f"{marker}{prefix}{item.title}"


def feed_for(user) -> bytes:
    """One all-day event per dated action item of the user's agency that the user may see."""
    items = []
    if user.agency_id is not None:
        items = list(
            selectors.action_items_visible_to(user)
            .filter(owner_id=user.agency_id, due_date__isnull=False)
            .select_related("case", "owner")
            .order_by("due_date", "id")
        )
    selectors.record_case_reads(
        case_ids=[i.case_id for i in items if i.case_id and i.case.sensitivity == Case.Sensitivity.RESTRICTED],
        user=user,
        via=CaseReadLog.Via.CALENDAR,
    )
    host = (settings.ALLOWED_HOSTS or ["enlace"])[0].lstrip(".") or "enlace"
    stamp = timezone.now()
    with translation.override(user.language or "en"):
        calendar = Calendar()
        calendar.add("prodid", "-//Enlace//Action items//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", _("Enlace: action items of %(agency)s") % {"agency": user.agency or "—"})
        for item in items:
            event = Event()
            event.add("uid", f"action-item-{item.pk}@{host}")
            event.add("dtstamp", stamp)
            event.add("dtstart", item.due_date)
            event.add("dtend", item.due_date + datetime.timedelta(days=1))
            event.add("summary", _summary(item))
            details = [
                _("Status: %(status)s") % {"status": item.get_status_display()},
                _("Priority: %(priority)s") % {"priority": item.get_priority_display()},
            ]
            if item.case_id:
                details.append(_("Case: %(reference)s") % {"reference": item.case.reference})
            if item.description:
                details.append(item.description)
            event.add("description", "\n".join(details))
            event.add("last-modified", item.updated_at)
            if item.status in ActionItem.CLOSED_STATUSES:
                event.add("status", "CANCELLED" if item.status == ActionItem.Status.CANCELLED else "CONFIRMED")
            event.add("categories", [item.theme] if item.theme else ["enlace"])
            calendar.add_component(event)
    return calendar.to_ical()
