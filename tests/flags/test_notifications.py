"""When a flag opens, the coordinators of each addressed agency get an e-mail in their
language, after the transaction commits, and see the flag in their queue."""

import pytest
from django.core import mail
from django.db import transaction

from flags.models import Flag, FlagKind
from flags.services import flag_set_status
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.flags.builders import agency, function, liaison, mandate, places, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    fgr = agency("mx-fgr", geo["MX"])
    liaison(atf, investigation)
    liaison(hsi, investigation)
    people = {
        "atf_en": UserFactory(role="coordinator", agency=atf, email="en@atf.example", language="en"),
        "hsi_es": UserFactory(role="coordinator", agency=hsi, email="es@hsi.example", language="es"),
        "atf_liaison": UserFactory(role="liaison-officer", agency=atf, email="liaison@atf.example"),
        "atf_inactive": UserFactory(role="coordinator", agency=atf, email="gone@atf.example", is_active=False),
        "fgr": UserFactory(role="coordinator", agency=fgr, email="coord@fgr.example"),
        "atf_no_mail": UserFactory(role="coordinator", agency=atf, email=""),
    }
    mandate(atf, investigation, [geo["US"]])
    return {"geo": geo, "atf": atf, "hsi": hsi, "function": investigation, "people": people}


def open_overlap(scene):
    return mandate(scene["hsi"], scene["function"], [scene["geo"]["US-TX"]])


def test_coordinators_of_each_addressed_agency_get_one_email_in_their_language(
    scene, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_overlap(scene)
    assert mail.outbox == []  # queued for the background worker, not sent by the writer
    run_queued_tasks()
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"en@atf.example", "es@hsi.example"}
    english, spanish = by_recipient["en@atf.example"], by_recipient["es@hsi.example"]
    assert "ATF and HSI both hold a primary mandate for criminal investigation over Texas" in english.body
    assert english.subject == "Enlace: new mandate overlap flag, high severity"
    # The vocabulary is bilingual in the catalog: the Spanish reader gets the Spanish name.
    assert "investigación criminal" in spanish.body
    assert "criminal investigation" not in spanish.body


def test_the_flag_is_in_their_queue(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        open_overlap(scene)
    flag = Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)
    response = client_for(scene["people"]["hsi_es"]).get("/api/v1/flags/", {"status": "open"})
    assert [item["id"] for item in response.json()["results"]] == [flag.pk]


def test_no_email_when_the_transaction_rolls_back(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                open_overlap(scene)
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert callbacks == []
    run_queued_tasks()
    assert mail.outbox == []
    assert not Flag.objects.filter(kind=FlagKind.MANDATE_OVERLAP).exists()


def test_a_reopened_flag_notifies_again_and_a_decision_does_not(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = open_overlap(scene)
    run_queued_tasks()
    flag = Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        flag_set_status(flag=flag, user=scene["people"]["atf_en"], status="dismissed", note="Known")
    run_queued_tasks()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        theirs.jurisdictions.add(scene["geo"]["US-AZ"])
    run_queued_tasks()
    assert sorted(message.to[0] for message in mail.outbox) == ["en@atf.example", "es@hsi.example"]
