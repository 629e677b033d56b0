"""What the interchange keeps: a log of catalog imports, and webhook endpoints with their
deliveries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogImport(models.Model):
    """One applied catalog import: who brought which file in, and what it did."""

    resource = models.CharField(_("resource"), max_length=20)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("catalog import")
        verbose_name_plural = _("catalog imports")

    def __str__(self) -> str:
        return f"{self.resource} · {self.filename}"


class WebhookEvent(models.TextChoices):
    FLAG_OPENED = "flag.opened", _("Flag opened")
    FLAG_RESOLVED = "flag.resolved", _("Flag resolved, acknowledged or dismissed")
    ACTION_ITEM_STATUS_CHANGED = "action_item.status_changed", _("Action item status changed")
    CASE_PARTICIPANT_ADDED = "case.participant_added", _("Case participant added")
    CASE_PARTICIPANT_REMOVED = "case.participant_removed", _("Case participant removed")


class WebhookEndpoint(models.Model):
    """A partner system's URL that wants to hear about some events. An endpoint registered
    for an agency is sent only what a user of that agency may see."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, help_text=_("Shared secret for the HMAC-SHA256 signature"))
    events = models.JSONField(_("events"), default=list, help_text=_("Which events to deliver"))
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text=_("Empty: an admin-level endpoint that may receive everything"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        known = set(WebhookEvent.values)
        if not isinstance(self.events, list) or not self.events or not set(self.events) <= known:
            raise ValidationError({"events": _("Choose one or more of: %s.") % ", ".join(sorted(known))})


class WebhookDelivery(models.Model):
    """One event for one endpoint, with every attempt's outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed for good")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response body (first 2,000 characters)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
