"""Webhook receivers on the cases and flags signals (filled in with the webhooks)."""
