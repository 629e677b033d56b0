"""The reminder and flag e-mails read as whole sentences in both languages: due today, due
in one or N days, overdue by one or N days (ngettext, never “1 days” nor “Acción que
vencida hace 12 días”), statuses and flag kinds by their labels."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from cases.reminders import Recipient, render
from flags.models import Flag, FlagKind
from flags.notifications import _digest
from tests.cases.factories import ActionItemFactory
from tests.factories import UserFactory
from tests.flags.builders import agency, function, liaison, mandate, places, run_queued_tasks

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
    assert f"Actualícela en Enlace: /actions/{item.pk}/" in lines
    assert "que vencida" not in body and "vencida hace" not in "\n".join(lines[1:])


def test_the_spanish_body_has_no_english_left(fgr_item):
    item, today = fgr_item(-12, status="in-progress")
    _subject, body = render(item, SPANISH, today)
    for english in ("blocked", "in-progress", "overdue", "due", "days", "Action item"):
        assert english not in body
    assert "Estado: En curso" in body


@pytest.fixture
def overlap_for_spanish_coordinator():
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    liaison(atf, investigation)
    liaison(hsi, investigation)
    UserFactory(role="coordinator", agency=hsi, email="es@hsi.example", language="es")
    UserFactory(role="coordinator", agency=atf, email="en@atf.example", language="en")
    mandate(atf, investigation, [geo["US"]])
    return hsi, investigation, geo


def test_the_flag_e_mail_names_kind_and_severity_by_their_labels_in_both_languages(
    overlap_for_spanish_coordinator, django_capture_on_commit_callbacks
):
    hsi, investigation, geo = overlap_for_spanish_coordinator
    with django_capture_on_commit_callbacks(execute=True):
        mandate(hsi, investigation, [geo["US-TX"]])
    run_queued_tasks()
    by_recipient = {message.to[0]: message for message in mail.outbox}
    spanish, english = by_recipient["es@hsi.example"], by_recipient["en@atf.example"]
    assert spanish.subject == "Enlace: nueva alerta de traslape de mandatos, gravedad alta"
    assert english.subject == "Enlace: new mandate overlap flag, high severity"
    flag = Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)
    assert f"Revísela en su cola de alertas: /flags/?flag={flag.pk}" in spanish.body
    assert "acuerden cuál de las dos encabeza" in spanish.body
    for slug in ("mandate-overlap", "high", "open"):
        assert slug not in spanish.body and slug not in spanish.subject


def test_a_long_digest_counts_the_rest_with_ngettext(overlap_for_spanish_coordinator):
    hsi, investigation, geo = overlap_for_spanish_coordinator
    mandate(hsi, investigation, [geo["US-TX"]])
    flag = Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)
    reader = UserFactory(role="admin-staff", agency=None)
    with translation.override("es"):
        _subject, body = _digest([flag] * 21, reader)  # the 21st is counted, not written out
        assert "… y 1 alerta más." in body
        _subject, body = _digest([flag] * 23, reader)
        assert "… y 3 alertas más." in body
    with translation.override("en"):
        assert "… and 1 more flag." in _digest([flag] * 21, reader)[1]
