"""Partner registries and the private set intersection runs with them (docs/federation.md).

A partner is another Enlace instance, run by another government, with which this one
compares the normalized keys of case subjects without handing over its lists: each side
learns only which of its own keys the other also holds. Every run is recorded on both
sides; a match becomes a subject-match flag (federation/detectors.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models import TrackedModel

DEFAULT_KINDS = ["firearm", "dealer"]


def default_kinds() -> list[str]:
    return list(DEFAULT_KINDS)


class Partner(TrackedModel):
    name = models.CharField(_("name"), max_length=200)
    instance_id = models.SlugField(
        _("instance id"),
        max_length=100,
        unique=True,
        help_text=_("The key id the partner signs its requests with (its ENLACE_FEDERATION_ID)"),
    )
    base_url = models.URLField(_("base URL"), max_length=300, help_text=_("e.g. https://enlace.example.gob.mx"))
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Nothing is exchanged with a disabled partner")
    )
    public_key = models.CharField(_("public key"), max_length=64, help_text=_("The partner's Ed25519 key, base64"))
    next_public_key = models.CharField(
        _("next public key"), max_length=64, blank=True, help_text=_("Also accepted while the partner rotates its key")
    )
    agencies = models.ManyToManyField(
        "agencies.Agency",
        verbose_name=_("agencies it speaks for"),
        related_name="federation_partners",
        blank=True,
    )
    kinds = models.JSONField(
        _("subject kinds compared"), default=default_kinds, help_text=_("Agreed by both sides, e.g. firearm, dealer")
    )
    pad_multiple = models.PositiveIntegerField(
        _("pad sets to a multiple of"), default=1, help_text=_("1: set sizes are disclosed exactly")
    )
    max_set_size = models.PositiveIntegerField(_("largest set accepted"), default=100_000)
    max_growth_per_run = models.PositiveIntegerField(
        _("largest growth per run"), default=1_000, help_text=_("Keys a partner's set may grow by since its last run")
    )
    alert_growth = models.PositiveIntegerField(
        _("growth that alerts admin staff"), default=100, help_text=_("Growth since the last run that raises an alert")
    )
    max_runs_per_day = models.PositiveIntegerField(_("runs per day"), default=4)
    # Retries of the scheduled exchange while the partner is down.
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=[agencies])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("federation partner")
        verbose_name_plural = _("federation partners")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from cases.models import CaseSubject
        from federation.signing import verify_key

        known = set(CaseSubject.Kind.values)
        if not isinstance(self.kinds, list) or not self.kinds or not set(self.kinds) <= known:
            raise ValidationError({"kinds": _("Choose one or more of: %s.") % ", ".join(sorted(known))})
        for name in ("public_key", "next_public_key"):
            value = getattr(self, name)
            if value:
                try:
                    verify_key(value)
                except ValueError:
                    raise ValidationError({name: _("Give an Ed25519 public key in base64 (32 bytes).")}) from None

    def verify_keys(self):
        from federation.signing import verify_key

        return [verify_key(value) for value in (self.public_key, self.next_public_key) if value]


class Run(models.Model):
    """One comparison of one kind with one partner, as this side saw it: the audit record
    both sides keep (who, when, sizes, matches). The keys themselves are never stored here."""

    class Role(models.TextChoices):
        INITIATOR = "initiator", _("Initiator")
        RESPONDER = "responder", _("Responder")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="runs")
    run_id = models.CharField(_("run id"), max_length=40, db_index=True)
    kind = models.CharField(_("subject kind"), max_length=16)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for the schedule or the partner's request"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    local_count = models.PositiveIntegerField(_("our keys"), null=True, blank=True)
    local_sent = models.PositiveIntegerField(_("our points sent (padded)"), null=True, blank=True)
    local_digest = models.CharField(_("our set digest"), max_length=64, blank=True)
    local_salt = models.CharField(_("our digest salt"), max_length=64, blank=True)
    remote_count = models.PositiveIntegerField(_("partner's keys (as signed)"), null=True, blank=True)
    remote_sent = models.PositiveIntegerField(_("partner's points"), null=True, blank=True)
    remote_digest = models.CharField(_("partner's set digest (as signed)"), max_length=64, blank=True)
    remote_signature = models.CharField(_("partner's signature of its commitment"), max_length=100, blank=True)
    matches = models.PositiveIntegerField(_("matches"), null=True, blank=True)
    opened = models.PositiveIntegerField(_("new matches"), default=0)
    closed = models.PositiveIntegerField(_("matches gone"), default=0)
    bytes_sent = models.PositiveBigIntegerField(_("bytes sent"), default=0)
    bytes_received = models.PositiveBigIntegerField(_("bytes received"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("federation run")
        verbose_name_plural = _("federation runs")
        constraints = [models.UniqueConstraint(fields=["partner", "run_id", "kind", "role"], name="run_once")]

    def __str__(self) -> str:
        return f"{self.partner} {self.kind} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class PendingExchange(models.Model):
    """The responder's state between a partner's two requests of one run: its secret scalar,
    the order of its keys and the partner's points it blinded. Deleted when the run ends
    or expires; never leaves this database."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="pending")
    secret = models.BinaryField()
    order = models.JSONField(default=list)
    doubled = models.BinaryField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"pending {self.run_id}"


class Match(models.Model):
    """A key of ours that a partner also holds, for one kind. Stable across runs (the handle
    of the last run changes, the match does not); `active` false once it disappeared."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="matches")
    kind = models.CharField(_("subject kind"), max_length=16)
    normalized_key = models.CharField(_("normalized key"), max_length=400)
    handle = models.CharField(_("match handle of the last run"), max_length=32, blank=True)
    remote = models.JSONField(_("partner's side"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    first_matched_at = models.DateTimeField(_("first matched at"), default=timezone.now)
    last_matched_at = models.DateTimeField(_("last matched at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["partner_id", "kind", "normalized_key"]
        verbose_name = _("federated match")
        verbose_name_plural = _("federated matches")
        constraints = [
            models.UniqueConstraint(fields=["partner", "kind", "normalized_key"], name="federated_match_once")
        ]
        indexes = [models.Index(fields=["kind", "normalized_key"], name="federated_match_key")]

    def __str__(self) -> str:
        return f"{self.partner} {self.kind} #{self.pk}"


class Nonce(models.Model):
    """Nonces of the partner's signed requests within the allowed clock skew: a replay is refused."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "nonce"], name="federation_nonce_once")]

    def __str__(self) -> str:
        return self.nonce


class Alert(models.Model):
    """Something about a partner that admin staff should look at (a set growing fast, a
    refused run). Also e-mailed to admin staff."""

    class Kind(models.TextChoices):
        FAST_GROWTH = "fast-growth", _("Set grew fast")
        OVER_LIMIT = "over-limit", _("Over its limits")
        BAD_SIGNATURE = "bad-signature", _("Unsigned, badly signed or replayed request")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("federation alert")
        verbose_name_plural = _("federation alerts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
