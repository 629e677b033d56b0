"""Webhook receivers on the cases and flags signals: each decides which endpoints may hear
the event (interchange/webhooks.py) and records the deliveries in the same transaction."""

from django.dispatch import receiver

from cases.selectors import case_visible_to_agency
from cases.signals import action_item_status_changed, case_participant_added, case_participant_removed
from flags.signals import flag_status_changed, flags_opened, flags_status_changed
from interchange import webhooks
from interchange.models import WebhookEvent

RESOLVED_STATUSES = {"acknowledged", "resolved", "dismissed"}


@receiver(flags_opened, dispatch_uid="interchange-flags-opened")
def on_flags_opened(sender, flag_ids, **kwargs):
    webhooks.enqueue_flag_events(WebhookEvent.FLAG_OPENED, [(flag_id, None) for flag_id in flag_ids])


@receiver(flags_status_changed, dispatch_uid="interchange-flags-status-changed")
def on_flags_status_changed(sender, changes, **kwargs):
    # A reopened flag is announced by flags_opened.
    resolved = [(flag_id, old) for flag_id, old, new in changes if new in RESOLVED_STATUSES]
    webhooks.enqueue_flag_events(WebhookEvent.FLAG_RESOLVED, resolved)


@receiver(flag_status_changed, dispatch_uid="interchange-flag-status-changed")
def on_flag_status_changed(sender, flag, old_status=None, new_status=None, **kwargs):
    if new_status in RESOLVED_STATUSES:
        webhooks.enqueue_flag_events(WebhookEvent.FLAG_RESOLVED, [(flag.pk, old_status)])


@receiver(action_item_status_changed, dispatch_uid="interchange-action-item-status")
def on_action_item_status_changed(sender, item, old_status=None, new_status=None, **kwargs):
    event = WebhookEvent.ACTION_ITEM_STATUS_CHANGED
    endpoints = webhooks.endpoints_for(event, visible=lambda agency_id: case_visible_to_agency(item.case, agency_id))
    webhooks.enqueue(event, webhooks.action_item_payload(item, old_status, new_status), endpoints)


@receiver(case_participant_added, dispatch_uid="interchange-participant-added")
def on_participant_added(sender, case, participant, **kwargs):
    event = WebhookEvent.CASE_PARTICIPANT_ADDED
    endpoints = webhooks.endpoints_for(event, visible=lambda agency_id: case_visible_to_agency(case, agency_id))
    webhooks.enqueue(event, webhooks.participant_payload(case, participant.agency, participant.role), endpoints)


@receiver(case_participant_removed, dispatch_uid="interchange-participant-removed")
def on_participant_removed(sender, case, agency, **kwargs):
    # Judged after the removal: the removed agency no longer hears about a restricted case.
    event = WebhookEvent.CASE_PARTICIPANT_REMOVED
    endpoints = webhooks.endpoints_for(event, visible=lambda agency_id: case_visible_to_agency(case, agency_id))
    webhooks.enqueue(event, webhooks.participant_payload(case, agency, None), endpoints)
