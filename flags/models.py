"""Flags of docs/SPEC.md §4: something found in the registry that needs a human decision.

A flag is identified by its kind and a stable `key` computed from the identities of what it
was derived from (two mandates, a contact, two case subjects...). `inputs_digest` hashes the
input values that matter, so a resolved or dismissed flag comes back only when they change.
The reason is stored as parameters (ids), and rendered in the reader's language when read.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FlagKind(models.TextChoices):
    MANDATE_OVERLAP = "mandate-overlap", _("Mandate overlap")
    SUBJECT_MATCH = "subject-match", _("Subject match")
    DUPLICATE_ACTION = "duplicate-action", _("Duplicate action")
    MISSING_CONTACT = "missing-contact", _("Missing contact")
    STALE_CONTACT = "stale-contact", _("Stale contact")


class FlagSeverity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


# Statuses in which a flag still asks for attention.
LIVE_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)
CLOSED_STATUSES = (FlagStatus.RESOLVED, FlagStatus.DISMISSED)


class SystemNote(models.TextChoices):
    """Notes the registry writes itself; stored as a code, rendered in the reader's language."""

    OPENED = "opened", _("The registry raised this flag.")
    REOPENED = "reopened", _("The registry reopened this flag: what it was computed from changed.")
    CAUSE_DISAPPEARED = "cause-disappeared", _("The cause disappeared: the registry closed this flag.")


class FlagQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=LIVE_STATUSES)


def concerned(model: str, verbose_name, *, db_index: bool = False) -> models.ForeignKey:
    """What a flag concerns. Indexed only where a scoped sync looks flags up (agency,
    functional area, case): every index is written for each of the registry's flags."""
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=db_index,
        related_name="+",
    )


class FlagAgency(models.Model):
    """An agency a flag is addressed to. Kept (unconstrained) when the agency is deleted, so
    that deleting an agency never fights the flags written while it goes."""

    # No index of its own: the unique (flag, agency) index serves lookups by flag.
    flag = models.ForeignKey("Flag", on_delete=models.CASCADE, db_index=False)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        verbose_name = _("flag addressee")
        verbose_name_plural = _("flag addressees")
        constraints = [models.UniqueConstraint(fields=["flag", "agency"], name="flagagency_unique")]

    def __str__(self) -> str:
        return f"#{self.flag_id} → {self.agency_id}"


HISTORY_UNINDEXED = [
    "kind",
    "severity",
    "status",
    "opened_at",
    "status_changed_by",
    "agency",
    "function",
    "mandate",
    "other_mandate",
    "contact",
    "case",
    "other_case",
    "subject",
    "other_subject",
    "action_item",
    "other_action_item",
]


class Flag(models.Model):
    # Indexed by (kind, status) and (kind, key).
    kind = models.CharField(_("kind"), max_length=20, choices=FlagKind.choices)
    key = models.CharField(_("key"), max_length=64, editable=False, help_text=_("Stable hash of what it concerns"))
    inputs_digest = models.CharField(
        _("inputs digest"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Hash of the inputs; empty once the cause disappeared"),
    )
    severity = models.CharField(_("severity"), max_length=8, choices=FlagSeverity.choices)
    status = models.CharField(_("status"), max_length=14, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    agencies = models.ManyToManyField(
        "agencies.Agency", verbose_name=_("addressed to"), through=FlagAgency, related_name="flags", blank=True
    )
    for_admin_staff = models.BooleanField(_("addressed to admin staff"), default=False)
    params = models.JSONField(_("reason parameters"), default=dict, blank=True, editable=False)

    # What the flag concerns, by id: a flag (and its history) outlives the objects, and a
    # deleted object's id still finds the flags to close. No database constraint for that.
    agency = concerned("agencies.Agency", _("agency"), db_index=True)
    function = concerned("agencies.FunctionalArea", _("functional area"), db_index=True)
    mandate = concerned("agencies.Mandate", _("mandate"))
    other_mandate = concerned("agencies.Mandate", _("other mandate"))
    contact = concerned("agencies.Contact", _("contact"))
    case = concerned("cases.Case", _("case"), db_index=True)
    other_case = concerned("cases.Case", _("other case"), db_index=True)
    subject = concerned("cases.CaseSubject", _("case subject"))
    other_subject = concerned("cases.CaseSubject", _("other case subject"))
    action_item = concerned("cases.ActionItem", _("action item"))
    other_action_item = concerned("cases.ActionItem", _("other action item"))

    opened_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the registry changed it"),
    )
    status_note = models.TextField(_("status note"), blank=True)
    status_system_note = models.CharField(
        _("system note"), max_length=20, choices=SystemNote.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FlagQuerySet.as_manager()
    # The history is read per flag (by id) and by date: its other columns need no index,
    # which every flag the registry writes would otherwise pay for.
    history = HistoricalRecords(excluded_fields=["params"], no_db_index=HISTORY_UNINDEXED)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="flag_unique_key_per_kind")]
        indexes = [
            models.Index(fields=["kind", "status"], name="flag_kind_status"),
            # Plain indexes: no varchar_pattern_ops twins, nobody searches these by prefix.
            models.Index(fields=["status"], name="flag_status"),
            models.Index(fields=["severity"], name="flag_severity"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def last_note(self) -> str:
        """The note of the last status change, in the reader's language when the registry wrote it."""
        if self.status_system_note:
            return str(SystemNote(self.status_system_note).label)
        return self.status_note


class FlagEvent(models.Model):
    """One status change of a flag. Append-only: the flag's timeline."""

    flag = models.ForeignKey(Flag, verbose_name=_("flag"), on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(_("old status"), max_length=14, choices=FlagStatus.choices, blank=True)
    new_status = models.CharField(_("new status"), max_length=14, choices=FlagStatus.choices)
    note = models.TextField(_("note"), blank=True)
    system_note = models.CharField(_("system note"), max_length=20, choices=SystemNote.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the registry made the change"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["flag_id", "at", "id"]
        verbose_name = _("flag event")
        verbose_name_plural = _("flag events")

    def __str__(self) -> str:
        return f"#{self.flag_id}: {self.old_status or '—'} → {self.new_status}"

    @property
    def display_note(self) -> str:
        if self.system_note:
            return str(SystemNote(self.system_note).label)
        return self.note

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Flag events are append-only.")
        super().save(*args, **kwargs)
