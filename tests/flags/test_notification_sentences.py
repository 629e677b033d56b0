"""The flag e-mails read as whole sentences in both languages: kind and severity by their
labels (“nueva alerta de traslape de mandatos, gravedad alta”), the rest of a long digest
counted with ngettext."""

import re

import pytest
from django.core import mail
from django.utils import translation

from flags.models import Flag, FlagKind
from flags.notifications import _digest
from tests.factories import UserFactory
from tests.flags.builders import mandate, run_queued_tasks, two_investigators

pytestmark = pytest.mark.django_db


@pytest.fixture
def overlap_for_spanish_coordinator():
    geo, investigation, atf, hsi = two_investigators()
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
    # Full addresses (ENLACE_SITE_URL): a bare path is no link in a mail program (issue 16).
    assert f"Revísela en su cola de alertas: https://enlace.example.gov/flags/?flag={flag.pk}" in spanish.body
    for message in (spanish, english):
        assert not re.search(r"(?<![\w:/.])/[a-z]", message.body), message.body
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
        assert f"  https://enlace.example.gov/flags/?flag={flag.pk}\n" in body
        assert body.count("https://enlace.example.gov/flags/") == 21  # 20 flags written out, and the queue
        _subject, body = _digest([flag] * 23, reader)
        assert "… y 3 alertas más." in body
    with translation.override("en"):
        assert "… and 1 more flag." in _digest([flag] * 21, reader)[1]
