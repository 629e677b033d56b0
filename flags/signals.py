"""Signals the flag services send, for listeners above this app (webhooks, notifications).

Each is sent inside the transaction that made the change; listeners that call out of the
process should use `transaction.on_commit`.
"""

from django.dispatch import Signal

# sender=Flag; kwargs: flag (opened for the first time, or reopened)
flag_opened = Signal()
# sender=Flag; kwargs: flag, old_status, new_status, user (None when the registry changed it)
flag_status_changed = Signal()
