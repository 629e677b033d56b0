"""Signals the case services send, for listeners above this app (flags, webhooks).

Each is sent inside the service's transaction, after the write; listeners that call out
of the process should use `transaction.on_commit`.
"""

from django.dispatch import Signal

# sender=Case; kwargs: case, participant, user
case_participant_added = Signal()
# sender=Case; kwargs: case, agency, user
case_participant_removed = Signal()
# sender=ActionItem; kwargs: item, old_status, new_status, user
action_item_status_changed = Signal()
