"""Reconciliation in bulk: a sync writes every flag it opens with its addressees, history row
and opening event, in a number of queries that does not grow with the flags; the listeners
hear once per sync; each coordinator gets one digest; an incremental update reads its scope only."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flags.models import Flag, FlagEvent, FlagKind
from flags.services import deferred_flag_sync, sync_flags
from interchange.models import WebhookDelivery, WebhookEndpoint
from tests.factories import ContactFactory, UserFactory
from tests.flags.builders import agency, case, firearm, live, places, run_queued_tasks

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.date(2000, 1, 1)


@pytest.fixture
def geo():
    return places()


def stale_contacts(owner, count):
    return [ContactFactory(agency=owner, verified_on=LONG_AGO) for _ in range(count)]


def queries_of_a_first_run(kind) -> tuple[int, int]:
    Flag.objects.filter(kind=kind).delete()
    with CaptureQueriesContext(connection) as queries:
        result = sync_flags(kind=kind)
    return result.opened, len(queries)


def test_each_new_flag_is_written_with_its_addressees_history_and_opening_event(geo):
    atf = agency("us-atf", geo["US"])
    contacts = stale_contacts(atf, 3)
    Flag.objects.all().delete()

    result = sync_flags(kind=FlagKind.STALE_CONTACT)

    assert result.opened == 3
    flags = list(Flag.objects.filter(kind=FlagKind.STALE_CONTACT).order_by("contact_id"))
    assert [flag.contact_id for flag in flags] == [contact.pk for contact in contacts]
    for flag in flags:
        assert flag.status == "open" and flag.inputs_digest and flag.created_at and flag.updated_at
        assert list(flag.agencies.all()) == [atf]
        assert list(flag.history.values_list("history_type", "status")) == [("+", "open")]
        assert list(FlagEvent.objects.filter(flag=flag).values_list("old_status", "new_status", "system_note")) == [
            ("", "open", "opened")
        ]
    # Unchanged on a rerun: nothing written, nothing reopened.
    again = sync_flags(kind=FlagKind.STALE_CONTACT)
    assert (again.opened, again.unchanged) == (0, 3)
    assert all(flag.history.count() == 1 for flag in flags)


def test_a_first_run_costs_the_same_queries_for_two_flags_or_seven(geo):
    atf = agency("us-atf", geo["US"])
    stale_contacts(atf, 2)
    opened, few = queries_of_a_first_run(FlagKind.STALE_CONTACT)
    assert opened == 2
    stale_contacts(agency("us-hsi", geo["US"]), 5)
    opened, many = queries_of_a_first_run(FlagKind.STALE_CONTACT)
    assert opened == 7
    assert many == few


def test_closing_in_bulk_keeps_the_history_and_says_why(geo):
    atf = agency("us-atf", geo["US"])
    contacts = stale_contacts(atf, 4)
    with deferred_flag_sync():
        for contact in contacts:
            contact.verified_on = timezone.localdate()
            contact.save()
    assert live(FlagKind.STALE_CONTACT) == []
    for flag in Flag.objects.filter(kind=FlagKind.STALE_CONTACT):
        assert flag.status == "resolved" and flag.inputs_digest == "" and flag.closed_at
        assert flag.last_note == "The cause disappeared: the registry closed this flag."
        assert list(flag.history.order_by("history_id").values_list("history_type", "status")) == [
            ("+", "open"),
            ("~", "resolved"),
        ]
        assert list(FlagEvent.objects.filter(flag=flag).order_by("id").values_list("old_status", "new_status")) == [
            ("", "open"),
            ("open", "resolved"),
        ]


def test_each_coordinator_gets_one_digest_per_sync(geo, django_capture_on_commit_callbacks):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    UserFactory(role="coordinator", agency=atf, email="coord@atf.example", language="en")
    UserFactory(role="coordinator", agency=hsi, email="coord@hsi.example", language="es")
    with django_capture_on_commit_callbacks(execute=True), deferred_flag_sync():
        stale_contacts(atf, 3)
        stale_contacts(hsi, 1)
    run_queued_tasks()

    by_recipient = {}
    for message in mail.outbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    assert sorted(by_recipient) == ["coord@atf.example", "coord@hsi.example"]
    (atf_digest,) = by_recipient["coord@atf.example"]
    assert atf_digest.subject == "Enlace: 3 new flags"
    assert atf_digest.body.count("/flags/?flag=") == 3
    # One flag: the single-flag message, not a digest.
    (hsi_message,) = by_recipient["coord@hsi.example"]
    assert hsi_message.body.count("/flags/?flag=") == 1
    assert "Enlace" in hsi_message.subject and "3" not in hsi_message.subject


def test_webhooks_hear_a_sync_in_bulk_and_only_of_their_agency(geo, django_capture_on_commit_callbacks):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    for_atf = WebhookEndpoint.objects.create(
        name="atf", url="https://atf.example/hook", secret="s" * 32, events=["flag.opened"], agency=atf
    )
    everybody = WebhookEndpoint.objects.create(
        name="hub", url="https://hub.example/hook", secret="s" * 32, events=["flag.opened"]
    )
    stale_contacts(atf, 2)
    stale_contacts(hsi, 3)
    WebhookDelivery.objects.all().delete()

    opened, few = queries_of_a_first_run(FlagKind.STALE_CONTACT)
    assert opened == 5
    deliveries = WebhookDelivery.objects.filter(event="flag.opened")
    assert deliveries.filter(endpoint=everybody).count() == 5
    assert deliveries.filter(endpoint=for_atf).count() == 2
    for delivery in deliveries.filter(endpoint=for_atf):
        assert delivery.payload["flag"]["agencies"] == ["us-atf"]
        assert set(delivery.payload["flag"]) == {"id", "kind", "severity", "status", "agencies"}

    stale_contacts(hsi, 4)
    WebhookDelivery.objects.all().delete()
    opened, many = queries_of_a_first_run(FlagKind.STALE_CONTACT)
    assert opened == 9 and many == few
    assert WebhookDelivery.objects.filter(endpoint=everybody).count() == 9


def test_an_incremental_update_reads_its_scope_only(geo):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    ours, theirs = case(atf), case(hsi)
    firearm(theirs, "AB-1")
    firearm(theirs, "CD-1")
    firearm(ours, "cd1")  # a flag already stored in the scope

    def queries_of_a_match() -> tuple[int, object]:
        with CaptureQueriesContext(connection) as queries:
            subject = firearm(ours, "ab1")
        return len(queries), subject

    count, subject = queries_of_a_match()
    assert len(live(FlagKind.SUBJECT_MATCH)) == 2
    # Many more matches elsewhere in the registry...
    for number in range(5):
        firearm(case(atf), f"ZZ-{number}")
        firearm(case(hsi), f"ZZ-{number}")
    assert len(live(FlagKind.SUBJECT_MATCH)) == 7
    subject.delete()
    assert len(live(FlagKind.SUBJECT_MATCH)) == 6
    # ...and the same update costs the same.
    again, subject = queries_of_a_match()
    assert len(live(FlagKind.SUBJECT_MATCH)) == 7
    assert again == count
