"""Webhooks against a real HTTP server on loopback started by the test: the signature
verifies, a failing endpoint is retried with backoff, restricted data never goes where it
must not, and the change that causes an event never waits for the partner's server."""

import datetime
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.models import ActionItem, Case, CaseParticipant
from flags.signals import flags_opened
from interchange import webhooks
from interchange.models import WebhookDelivery, WebhookEndpoint
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db
SECRET = "partner-shared-secret-0123456789"


class Receiver:
    """A partner's webhook receiver: records each request, answers the next scripted status."""

    def __init__(self, statuses=None):
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"busy, try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/enlace"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def agencies(places):
    return {
        "lead": AgencyFactory(slug="us-atf"),
        "support": AgencyFactory(slug="mx-fgr", country=places["MX"], jurisdiction=places["MX"]),
        "outsider": AgencyFactory(slug="mx-sedena", country=places["MX"], jurisdiction=places["MX"]),
    }


@pytest.fixture
def lead_officer(agencies):
    return UserFactory(username="lead-coordinator", role="coordinator", agency=agencies["lead"])


def restricted_case(agencies) -> Case:
    case = Case.objects.create(
        reference="ENL-2026-0042",
        title="Secret trafficking route",
        sensitivity="restricted",
        lead_agency=agencies["lead"],
    )
    CaseParticipant.objects.create(case=case, agency=agencies["lead"], role="lead")
    CaseParticipant.objects.create(case=case, agency=agencies["support"], role="support")
    return case


def endpoint(url, *, agency=None, events=("action_item.status_changed",), secret=SECRET) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=f"partner {agency}", url=url, secret=secret, events=list(events), agency=agency
    )


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    # The worker closes stale connections between tasks; in-process, that would be the
    # test's own (transactional) connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_delivery_is_signed_and_the_signature_verifies(
    receiver, agencies, lead_officer, django_capture_on_commit_callbacks
):
    case = restricted_case(agencies)
    endpoint(receiver.url)
    item = ActionItem.objects.create(title="Trace 12 pistols", case=case, owner=agencies["lead"])

    with django_capture_on_commit_callbacks(execute=True):
        services.action_item_transition(item=item, user=lead_officer, status="in-progress")
    run_worker()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Enlace-Signature"], expected)
    assert request["headers"]["X-Enlace-Event"] == "action_item.status_changed"
    body = json.loads(request["body"])
    assert body["event"] == "action_item.status_changed"
    assert body["data"]["action_item"]["status"] == "in-progress"
    assert body["data"]["action_item"]["old_status"] == "open"
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-Enlace-Delivery"] == str(delivery.pk)
    assert delivery.status == "delivered" and delivery.response_status == 200 and delivery.response_body == "ok"
    assert delivery.attempts == 1 and delivery.delivered_at is not None


def test_a_wrong_secret_does_not_verify(receiver, agencies):
    endpoint_ = endpoint(receiver.url, secret="the-real-secret")
    delivery = webhooks.enqueue("action_item.status_changed", {"x": 1}, [endpoint_])[0]

    webhooks.attempt(delivery.pk)

    body = receiver.requests[0]["body"]
    forged = "sha256=" + hmac.new(b"a-guessed-secret", body, hashlib.sha256).hexdigest()
    assert receiver.requests[0]["headers"]["X-Enlace-Signature"] != forged


def test_a_failing_endpoint_is_retried_with_backoff_then_delivered(agencies):
    failing = Receiver(statuses=[500, 503])
    try:
        delivery = webhooks.enqueue("action_item.status_changed", {"n": 1}, [endpoint(failing.url)])[0]

        def attempt():
            """The attempt, and the moments just before and after it: the retry is due one
            backoff after the attempt, however long the attempt took."""
            before = timezone.now()
            result = webhooks.attempt(delivery.pk)
            return result, before, timezone.now()

        first, before, after = attempt()
        assert first.status == "pending" and first.attempts == 1 and first.response_status == 500
        assert first.response_body == "busy, try later"
        one_minute = datetime.timedelta(minutes=1)
        assert before + one_minute <= first.next_attempt_at <= after + one_minute
        second, before, after = attempt()
        assert second.status == "pending" and second.attempts == 2
        five_minutes = datetime.timedelta(minutes=5)
        assert before + five_minutes <= second.next_attempt_at <= after + five_minutes
        third = webhooks.attempt(delivery.pk)
    finally:
        failing.close()

    assert third.status == "delivered" and third.attempts == 3
    assert len(failing.requests) == 3
    assert len({r["headers"]["X-Enlace-Delivery"] for r in failing.requests}) == 1, "the same delivery each time"


def test_an_endpoint_that_keeps_failing_is_given_up_after_five_attempts(agencies):
    failing = Receiver(statuses=[500] * 10)
    try:
        delivery = webhooks.enqueue("action_item.status_changed", {"n": 1}, [endpoint(failing.url)])[0]
        for _ in range(7):
            webhooks.attempt(delivery.pk)
    finally:
        failing.close()

    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 5
    assert len(failing.requests) == 5


def test_an_unreachable_endpoint_is_logged_and_retried(agencies):
    closed = Receiver()
    url = closed.url
    closed.close()  # nothing listens there any more
    delivery = webhooks.enqueue("action_item.status_changed", {"n": 1}, [endpoint(url)])[0]

    result = webhooks.attempt(delivery.pk)

    assert result.status == "pending" and result.response_status is None and result.error


def test_restricted_case_events_never_reach_an_agency_that_does_not_participate(
    agencies, lead_officer, django_capture_on_commit_callbacks
):
    participant, outsider, admin_level = Receiver(), Receiver(), Receiver()
    try:
        case = restricted_case(agencies)
        endpoint(participant.url, agency=agencies["support"])
        endpoint(outsider.url, agency=agencies["outsider"])
        endpoint(admin_level.url)
        item = ActionItem.objects.create(title="Trace 12 pistols", case=case, owner=agencies["lead"])

        with django_capture_on_commit_callbacks(execute=True):
            services.action_item_transition(item=item, user=lead_officer, status="in-progress")
        run_worker()
    finally:
        for server in (participant, outsider, admin_level):
            server.close()

    assert len(participant.requests) == 1 and len(admin_level.requests) == 1
    assert outsider.requests == []
    assert not WebhookDelivery.objects.filter(endpoint__agency=agencies["outsider"]).exists()
    assert b"ENL-2026-0042" in participant.requests[0]["body"]


def test_participant_events_follow_visibility(agencies, lead_officer, django_capture_on_commit_callbacks):
    joining, outsider = Receiver(), Receiver()
    events = ["case.participant_added", "case.participant_removed"]
    try:
        case = restricted_case(agencies)
        endpoint(joining.url, agency=agencies["outsider"], events=events)
        endpoint(outsider.url, agency=AgencyFactory(slug="us-cbp"), events=events)

        with django_capture_on_commit_callbacks(execute=True):
            services.participant_add(case=case, user=lead_officer, agency=agencies["outsider"], role="observer")
        with django_capture_on_commit_callbacks(execute=True):
            services.participant_remove(case=case, user=lead_officer, agency=agencies["outsider"])
        run_worker()
    finally:
        joining.close()
        outsider.close()

    # The agency that joined hears that it joined, not (once out of the restricted case) what follows.
    assert [json.loads(r["body"])["event"] for r in joining.requests] == ["case.participant_added"]
    assert outsider.requests == []


def test_flag_events_go_only_to_the_agencies_they_are_addressed_to(agencies, django_capture_on_commit_callbacks):
    from flags.models import Flag

    addressed, other = Receiver(), Receiver()
    try:
        endpoint(addressed.url, agency=agencies["lead"], events=["flag.opened"])
        endpoint(other.url, agency=agencies["outsider"], events=["flag.opened"])
        flag = Flag.objects.create(kind="missing-contact", key="k1", severity="low", agency=agencies["lead"])
        flag.agencies.add(agencies["lead"])

        with django_capture_on_commit_callbacks(execute=True):
            flags_opened.send(sender=Flag, flag_ids=[flag.pk])
        run_worker()
    finally:
        addressed.close()
        other.close()

    assert len(addressed.requests) == 1 and other.requests == []
    assert json.loads(addressed.requests[0]["body"])["data"]["flag"]["agencies"] == ["us-atf"]


def test_the_change_does_not_wait_for_the_partner(receiver, agencies, lead_officer, django_capture_on_commit_callbacks):
    endpoint(receiver.url)
    item = ActionItem.objects.create(title="Bilateral commitment", owner=agencies["lead"])

    with django_capture_on_commit_callbacks(execute=True):
        services.action_item_transition(item=item, user=lead_officer, status="in-progress")

    # Committed and queued, but nothing sent until the background worker runs.
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == "pending"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert len(receiver.requests) == 1


def test_a_rolled_back_change_sends_nothing(receiver, agencies, django_capture_on_commit_callbacks):
    endpoint(receiver.url)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhooks.enqueue("action_item.status_changed", {"n": 1}, list(WebhookEndpoint.objects.all()))

    # The callbacks were captured and never run, as after a rollback.
    assert len(callbacks) == 1
    run_worker()
    assert receiver.requests == []
