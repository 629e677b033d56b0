"""Requests a person makes about their personal data: Mexico's ARCO rights (access,
rectification, cancellation, opposition — Ley General de Protección de Datos Personales en
Posesión de Sujetos Obligados) and the matching U.S. privacy practice. Each request keeps
when it came, when and how it was answered, and by whom."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Contact


class PersonalDataRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("Access: a copy of everything held")
        RECTIFICATION = "rectification", _("Rectification: correct the data")
        CANCELLATION = "cancellation", _("Cancellation: block, then erase")
        OPPOSITION = "opposition", _("Opposition: stop using the data (block)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("person (contact record)"),
        on_delete=models.PROTECT,
        related_name="personal_data_requests",
    )
    requester = models.CharField(
        _("requester"), max_length=200, blank=True, help_text=_("Who asked, as they identified themselves")
    )
    received_on = models.DateField(_("received on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.TextField(_("outcome"), blank=True, help_text=_("What was done, or why it was refused"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("personal-data request")
        verbose_name_plural = _("personal-data requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.received_on}"

    def clean(self) -> None:
        if self.answered_on and self.received_on and self.answered_on < self.received_on:
            raise ValidationError({"answered_on": _("A request cannot be answered before it was received.")})
        if self.status != self.Status.RECEIVED and not self.answered_on:
            raise ValidationError({"answered_on": _("Say when the request was answered.")})
