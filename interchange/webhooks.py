"""Webhooks for partner systems: which endpoints hear an event, what they are sent, and how
a delivery is signed, sent, logged and retried.

Confidentiality rule: an endpoint registered for an agency receives an event only when a
user of that agency could see what it is about (a restricted case only when the agency
participates in it; a flag only when it is addressed to the agency). Otherwise the
delivery is skipped entirely, not redacted: a partner system cannot even learn that
something happened. Endpoints without an agency are admin-level and receive everything.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from interchange.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("enlace.webhooks")

SIGNATURE_HEADER = "X-Enlace-Signature"
EVENT_HEADER = "X-Enlace-Event"
DELIVERY_HEADER = "X-Enlace-Delivery"
# Wait before attempts 2, 3, 4 and 5; after the fifth failure the delivery is given up.
BACKOFF = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT = 2000


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    envelope = {"id": str(delivery.pk), "event": delivery.event, "data": delivery.payload}
    return json.dumps(envelope, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")).encode()


# What an agency may see -------------------------------------------------------------

# What an agency may see of a case: cases.selectors.case_visible_to_agency, the rule the API
# and the pages use.


def endpoints_for(event: str, *, visible) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to the event whose agency may see it (`visible(agency_id)`)."""
    chosen = []
    for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk"):
        if event not in (endpoint.events or []):
            continue
        if endpoint.agency_id is None or visible(endpoint.agency_id):
            chosen.append(endpoint)
    return chosen


# Payloads: identifiers and states, never free text about people --------------------


def _case_summary(case: Case | None) -> dict | None:
    if case is None:
        return None
    return {"id": case.pk, "reference": case.reference, "sensitivity": case.sensitivity, "status": case.status}


def action_item_payload(item, old_status: str, new_status: str) -> dict:
    return {
        "action_item": {
            "id": item.pk,
            "owner": item.owner.slug if item.owner_id else None,
            "status": new_status,
            "old_status": old_status,
            "due_date": item.due_date,
            "case": _case_summary(item.case),
        }
    }


def participant_payload(case: Case, agency, role: str | None) -> dict:
    return {"case": _case_summary(case), "participant": {"agency": agency.slug, "role": role}}


# Enqueueing ------------------------------------------------------------------------


def enqueue(event: str, payload: dict, endpoints: list[WebhookEndpoint]) -> list[WebhookDelivery]:
    """Record one delivery per endpoint now (in the caller's transaction) and hand them to
    the background worker once that transaction commits: a rolled-back change sends nothing,
    and the request that caused the event never waits for a partner's server."""
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            next_attempt_at=timezone.now(),
        )
        for endpoint in endpoints
    ]
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _schedule(ids))
    return deliveries


def enqueue_flag_events(event: str, items: list[tuple[int, str | None]]) -> list[WebhookDelivery]:
    """`enqueue` for many flags at once, (flag id, old status or None) each: the endpoints
    are read once, the flags and their addressees once for all, and the deliveries written
    in bulk. An endpoint of an agency hears only of the flags addressed to that agency."""
    from flags.models import Flag, FlagAgency

    if not items:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk")
        if event in (endpoint.events or [])
    ]
    if not endpoints:
        return []
    flags: dict[int, tuple] = {}
    addressees: dict[int, dict[int, str]] = {}
    flag_ids = [flag_id for flag_id, _old_status in items]
    for start in range(0, len(flag_ids), 5000):
        chunk = flag_ids[start : start + 5000]
        for flag_id, *details in Flag.objects.filter(pk__in=chunk).values_list("pk", "kind", "severity", "status"):
            flags[flag_id] = details
        rows = FlagAgency.objects.filter(flag_id__in=chunk).order_by()
        for flag_id, agency_id, slug in rows.values_list("flag_id", "agency_id", "agency__slug"):
            addressees.setdefault(flag_id, {})[agency_id] = slug
    now = timezone.now()
    deliveries = []
    for flag_id, old_status in items:
        if flag_id not in flags:
            continue
        kind, severity, status = flags[flag_id]
        agencies = addressees.get(flag_id, {})
        details = {"id": flag_id, "kind": kind, "severity": severity, "status": status}
        details["agencies"] = sorted(agencies.values())
        if old_status is not None:
            details["old_status"] = old_status
        payload = json.loads(json.dumps({"flag": details}, cls=DjangoJSONEncoder))
        deliveries.extend(
            WebhookDelivery(endpoint=endpoint, event=event, payload=payload, next_attempt_at=now)
            for endpoint in endpoints
            if endpoint.agency_id is None or endpoint.agency_id in agencies
        )
    deliveries = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _schedule(ids))
    return deliveries


def _schedule(ids: list[int], run_after: datetime.datetime | None = None) -> None:
    from interchange.tasks import deliver_webhook

    for delivery_id in ids:
        task = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
        task.enqueue(delivery_id)


# Sending ---------------------------------------------------------------------------


def attempt(delivery_id: int) -> WebhookDelivery | None:
    """Send one delivery once; on failure schedule the next attempt with backoff."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery
    endpoint = delivery.endpoint
    body = body_of(delivery)
    request = urllib.request.Request(  # noqa: S310 (the URL is an http(s) URL validated by URLField)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Enlace-Webhooks/1",
            SIGNATURE_HEADER: sign(endpoint.secret, body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.pk),
        },
    )
    delivery.attempts += 1
    delivery.error = ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            delivery.response_status = response.status
            delivery.response_body = response.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        delivery.response_status = exc.code
        delivery.response_body = exc.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        delivery.error = f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        delivery.response_status = None
        delivery.response_body = ""
        delivery.error = str(getattr(exc, "reason", exc))[:500]
    succeeded = not delivery.error and delivery.response_status is not None and 200 <= delivery.response_status < 300
    now = timezone.now()
    if succeeded:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save()
    logger.info(
        "webhook %s %s to %s: attempt %s, %s",
        delivery.pk,
        delivery.event,
        endpoint.url,
        delivery.attempts,
        delivery.error or delivery.response_status,
    )
    if delivery.status == WebhookDelivery.Status.PENDING:
        _schedule([delivery.pk], run_after=delivery.next_attempt_at)
    return delivery
