"""The reminder e-mails read as whole sentences in both languages: due today, due in one or
N days, overdue by one or N days (ngettext, never “1 days” nor “Acción que vencida hace 12
días”), the status by its label."""

import datetime

import pytest
from django.utils import timezone

from cases.reminders import Recipient, render
from tests.cases.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

SPANISH = Recipient("ana@example.mx", "Ana", "es")
ENGLISH = Recipient("ana@example.gov", "Ana", "en")

# days until the due date → (English subject and sentence, Spanish subject and sentence)
CASES = {
    0: (
        ("[Enlace] Action item due today: Rastreo", "This action item of FGR is due today."),
        ("[Enlace] Acción que vence hoy: Rastreo", "Esta acción de FGR vence hoy."),
    ),
    1: (
        ("[Enlace] Action item due in 1 day: Rastreo", "This action item of FGR is due in 1 day."),
        ("[Enlace] Acción que vence en 1 día: Rastreo", "Esta acción de FGR vence en 1 día."),
    ),
    3: (
        ("[Enlace] Action item due in 3 days: Rastreo", "This action item of FGR is due in 3 days."),
        ("[Enlace] Acción que vence en 3 días: Rastreo", "Esta acción de FGR vence en 3 días."),
    ),
    -1: (
        ("[Enlace] Action item overdue by 1 day: Rastreo", "This action item of FGR is overdue by 1 day."),
        ("[Enlace] Acción vencida hace 1 día: Rastreo", "Esta acción de FGR venció hace 1 día."),
    ),
    -12: (
        ("[Enlace] Action item overdue by 12 days: Rastreo", "This action item of FGR is overdue by 12 days."),
        ("[Enlace] Acción vencida hace 12 días: Rastreo", "Esta acción de FGR venció hace 12 días."),
    ),
}


@pytest.fixture
def fgr_item(fgr):
    def make(days: int, status: str = "blocked"):
        fgr.name, fgr.name_es = "FGR", "FGR"  # display_name is the full name: keep the sentence short
        fgr.save()
        today = timezone.localdate()
        item = ActionItemFactory(
            owner=fgr, title="Rastreo", due_date=today + datetime.timedelta(days=days), status=status
        )
        return item, today

    return make


@pytest.mark.parametrize("days", list(CASES))
def test_each_reminder_subject_and_sentence_is_whole_in_both_languages(fgr_item, days):
    item, today = fgr_item(days)
    (en_subject, en_sentence), (es_subject, es_sentence) = CASES[days]
    subject, body = render(item, ENGLISH, today)
    assert subject == en_subject
    assert en_sentence in body.splitlines()
    assert "Status: Blocked" in body.splitlines()
    subject, body = render(item, SPANISH, today)
    assert subject == es_subject
    lines = body.splitlines()
    assert lines[0] == "Hola, Ana:"
    assert es_sentence in lines
    assert "Estado: Bloqueado" in lines, "the status by its Spanish label, not “blocked”"
    assert f"Actualícela en Enlace: https://enlace.example.gov/actions/{item.pk}/" in lines  # a full address
    assert "que vencida" not in body and "vencida hace" not in "\n".join(lines[1:])


def test_the_spanish_body_has_no_english_left(fgr_item):
    item, today = fgr_item(-12, status="in-progress")
    _subject, body = render(item, SPANISH, today)
    for english in ("blocked", "in-progress", "overdue", "due", "days", "Action item"):
        assert english not in body
    assert "Estado: En curso" in body
