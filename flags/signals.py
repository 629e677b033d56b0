"""Signals the flag services send, for listeners above this app (webhooks, notifications).

Each is sent inside the transaction that made the change; listeners that call out of the
process should use `transaction.on_commit`. The registry's own changes are announced once per
sync, for all the flags it changed at once, so that a listener can act on them in bulk.
"""

from django.dispatch import Signal

# sender=Flag; kwargs: flag_ids (a list: opened for the first time, or reopened, by the registry)
flags_opened = Signal()
# sender=Flag; kwargs: changes (a list of (flag id, old_status, new_status)), user=None: the
# registry reopened or closed these flags
flags_status_changed = Signal()
# sender=Flag; kwargs: flag, old_status, new_status, user: a person's decision
flag_status_changed = Signal()
