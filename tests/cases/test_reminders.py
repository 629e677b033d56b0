"""send_reminders: who gets what, once a day, in their language."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from cases.models import ReminderLog
from cases.reminders import send_reminders
from tests.cases.factories import ActionItemFactory, CaseFactory
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def days(today):
    """days(n): the date n days from today (negative: n days ago)."""
    return lambda n: today + datetime.timedelta(days=n)


@pytest.fixture
def fgr_named(fgr):
    fgr.name = "Attorney General's Office of Mexico"
    fgr.name_es = "Fiscalía General de la República"
    fgr.save()
    return fgr


def test_due_soon_and_overdue_items_are_reminded_once_a_day(atf, today, days):
    contact = ContactFactory(agency=atf, email="ana@example.gov", speaks_es=False)
    due = ActionItemFactory(owner=atf, assignee=contact, title="Due in two days", due_date=days(2))
    late = ActionItemFactory(owner=atf, assignee=contact, title="Late", due_date=days(-4), status="blocked")
    ActionItemFactory(owner=atf, assignee=contact, title="Far away", due_date=days(4))
    ActionItemFactory(owner=atf, assignee=contact, title="Cancelled", due_date=days(-1), status="cancelled")
    ActionItemFactory(owner=atf, assignee=contact, title="No date")

    run = send_reminders(today=today)
    assert run.sent == 2
    assert sorted(m.subject for m in mail.outbox) == [
        "[Enlace] Action item due in 2 days: Due in two days",
        "[Enlace] Action item overdue by 4 days: Late",
    ]
    assert all(m.to == ["ana@example.gov"] for m in mail.outbox)
    assert set(ReminderLog.objects.values_list("item_id", flat=True)) == {due.pk, late.pk}

    again = send_reminders(today=today)
    assert (again.sent, again.already_sent) == (0, 2)
    assert len(mail.outbox) == 2

    send_reminders(today=days(1))  # the next day: reminded again, and "Far away" is now due in 3 days
    assert len(mail.outbox) == 5


def test_without_assignee_the_owner_coordinators_get_it(atf, hsi, today):
    UserFactory(username="coord.a", role="coordinator", agency=atf, email="a@atf.example.gov")
    UserFactory(username="coord.b", role="coordinator", agency=atf, email="b@atf.example.gov")
    UserFactory(username="liaison.a", role="liaison-officer", agency=atf, email="l@atf.example.gov")
    UserFactory(username="coord.hsi", role="coordinator", agency=hsi, email="h@hsi.example.gov")
    ActionItemFactory(owner=atf, title="Unassigned", due_date=today)
    run = send_reminders(today=today)
    assert run.sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@atf.example.gov", "b@atf.example.gov"]
    assert "due today" in mail.outbox[0].subject


def test_an_inactive_assignee_falls_back_to_coordinators(atf, today):
    UserFactory(username="coord.a", role="coordinator", agency=atf, email="a@atf.example.gov")
    gone = ContactFactory(agency=atf, active=False)
    ActionItemFactory(owner=atf, assignee=gone, due_date=today)
    send_reminders(today=today)
    assert [m.to for m in mail.outbox] == [["a@atf.example.gov"]]


def test_message_in_the_recipients_language(fgr_named, today, days):
    UserFactory(username="coord.fgr", role="coordinator", agency=fgr_named, email="c@fgr.example.mx", language="es")
    UserFactory(username="coord.fgr.en", role="coordinator", agency=fgr_named, email="e@fgr.example.mx", language="en")
    ActionItemFactory(owner=fgr_named, title="Compartir datos", due_date=days(1))
    send_reminders(today=today)
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "Fiscalía General de la República" in by_recipient["c@fgr.example.mx"]
    assert "Attorney General's Office of Mexico" in by_recipient["e@fgr.example.mx"]
    assert "Attorney General's Office of Mexico" not in by_recipient["c@fgr.example.mx"]


def test_contact_language_follows_their_account_or_their_languages(fgr_named, atf, today, days):
    spanish_only = ContactFactory(agency=fgr_named, email="solo@fgr.example.mx", speaks_en=False, speaks_es=True)
    with_account = ContactFactory(agency=atf, email="maria@atf.example.gov", speaks_en=True, speaks_es=True)
    UserFactory(username="maria", role="liaison-officer", agency=atf, email="maria@atf.example.gov", language="es")
    ActionItemFactory(owner=fgr_named, assignee=spanish_only, due_date=days(1))
    ActionItemFactory(owner=atf, assignee=with_account, due_date=days(1))
    atf.name_es = "Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos"
    atf.save()
    send_reminders(today=today)
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "Fiscalía General de la República" in by_recipient["solo@fgr.example.mx"]
    assert "Oficina de Alcohol" in by_recipient["maria@atf.example.gov"]


def test_case_reference_is_in_the_message(atf, today, days):
    contact = ContactFactory(agency=atf)
    case = CaseFactory(lead_agency=atf)
    ActionItemFactory(owner=atf, assignee=contact, case=case, due_date=days(3))
    send_reminders(today=today)
    assert case.reference in mail.outbox[0].body


def test_the_command(atf, capsys, today, days):
    ActionItemFactory(owner=atf, assignee=ContactFactory(agency=atf), due_date=days(0))
    call_command("send_reminders", "--date", today.isoformat(), "--dry-run")
    assert "Would send 1 reminder(s)" in capsys.readouterr().out
    assert mail.outbox == []
    call_command("send_reminders", "--date", today.isoformat())
    assert "Sent 1 reminder(s)" in capsys.readouterr().out
    call_command("send_reminders", "--date", today.isoformat())
    assert "Sent 0 reminder(s); 1 already sent today" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_the_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "tomorrow")


def test_query_count_does_not_grow_with_items(atf, django_assert_max_num_queries, today, days):
    contact = ContactFactory(agency=atf)
    for n in range(15):
        ActionItemFactory(owner=atf, assignee=contact, due_date=days(n % 3))
    send_reminders(today=today)
    # Already sent: reading what to remind and to whom stays a handful of queries.
    with django_assert_max_num_queries(6):
        send_reminders(today=today)
