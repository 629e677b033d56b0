"""Cases and action items of docs/SPEC.md §3: who is doing what, by when, and on what shared case."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.models import TrackedModel


class Theme(models.TextChoices):
    """The Bicentennial Framework goals and the four recommendation areas."""

    PROTECT_OUR_PEOPLE = "protect-our-people", _("Goal: protect our people")
    PREVENT_TRANSBORDER_CRIME = "prevent-transborder-crime", _("Goal: prevent transborder crime")
    PURSUE_CRIMINAL_NETWORKS = "pursue-criminal-networks", _("Goal: pursue criminal networks")
    COORDINATION = "coordination", _("Coordination")
    FORENSICS_DATA_SHARING = "forensics-data-sharing", _("Forensics and data sharing")
    INDUSTRY_ACCOUNTABILITY = "industry-accountability", _("Industry accountability")
    PREVENTION_SUBNATIONAL = "prevention-subnational", _("Prevention and subnational")


class CaseQuerySet(models.QuerySet):
    def public(self):
        return self.filter(sensitivity=Case.Sensitivity.PUBLIC)


class Case(TrackedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    class Sensitivity(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted")

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, editable=False, help_text=_("e.g. ENL-2026-0042")
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.RESTRICTED, db_index=True
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    jurisdictions = models.ManyToManyField(
        "agencies.Jurisdiction", verbose_name=_("jurisdictions"), blank=True, related_name="cases"
    )
    # Kept equal to the agency of the one `lead` participant by the services (one column to filter on).
    lead_agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="led_cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(_("fictional demo record"), default=False, editable=False)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[jurisdictions])

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="case_title_not_empty"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closed_after_opened",
            ),
        ]
        indexes = [
            # The lists' order (a page is the first rows of this index that the user may see).
            models.Index(F("opened_on").desc(), F("id").desc(), name="case_opened_order"),
            # The metrics' check for changes (MAX over an index).
            models.Index(fields=["updated_at"], name="case_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A case cannot close before it opened.")})

    @property
    def is_restricted(self) -> bool:
        return self.sensitivity == self.Sensitivity.RESTRICTED

    @staticmethod
    def next_reference(year: int) -> str:
        prefix = f"ENL-{year}-"
        last = (
            Case.objects.filter(reference__startswith=prefix).order_by("-reference").values_list("reference", flat=True)
        ).first()
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{number:04d}"

    def save(self, *args, **kwargs):
        if self.reference:
            return super().save(*args, **kwargs)
        year = (self.opened_on or timezone.localdate()).year
        # Two writers may pick the same number; the unique index refuses one, which retries.
        for _attempt in range(5):
            self.reference = self.next_reference(year)
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                if Case.objects.filter(reference=self.reference).exists():
                    self.pk = None
                    continue
                raise
        raise IntegrityError("Could not allocate a case reference")


class CaseParticipant(TrackedModel):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        SUPPORT = "support", _("Support")
        OBSERVER = "observer", _("Observer")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="participants")
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="case_participations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.SUPPORT)
    contact = models.ForeignKey(
        "agencies.Contact",
        verbose_name=_("liaison contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_participations",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["case_id", "role", "agency_id"]
        verbose_name = _("case participant")
        verbose_name_plural = _("case participants")
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="caseparticipant_one_per_agency"),
            models.UniqueConstraint(fields=["case"], condition=Q(role="lead"), name="caseparticipant_one_lead"),
        ]
        indexes = [
            models.Index(fields=["agency", "case"], name="caseparticipant_agency_case"),
            models.Index(fields=["updated_at"], name="caseparticipant_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} · {self.agency} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.contact_id and self.agency_id and self.contact.agency_id != self.agency_id:
            raise ValidationError({"contact": _("The liaison contact must belong to the participating agency.")})


class CaseSubject(TrackedModel):
    class Kind(models.TextChoices):
        FIREARM = "firearm", _("Firearm")
        DEALER = "dealer", _("Dealer")
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")
        VEHICLE = "vehicle", _("Vehicle")
        PHONE = "phone", _("Phone number")
        ADDRESS = "address", _("Address")

    class TraceStatus(models.TextChoices):
        NOT_REQUESTED = "", _("Not requested")
        REQUESTED = "requested", _("Requested")
        IN_PROGRESS = "in-progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    identifier = models.CharField(
        _("identifier"), max_length=300, help_text=_("Serial number, license, name, VIN, phone number or address")
    )
    normalized_key = models.CharField(_("normalized key"), max_length=400, editable=False, db_index=True)
    note = models.TextField(_("note"), blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, help_text=_("For a person, when known"))
    # Firearm (follow-the-guns) details.
    make = models.CharField(_("make"), max_length=120, blank=True, help_text=_("Manufacturer of a firearm"))
    model = models.CharField(_("model"), max_length=120, blank=True)
    caliber = models.CharField(_("caliber"), max_length=40, blank=True)
    recovered_on = models.DateField(_("recovered on"), null=True, blank=True)
    recovered_in = models.ForeignKey(
        "agencies.Jurisdiction",
        verbose_name=_("recovered in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recovered_subjects",
    )
    trace_number = models.CharField(_("trace request number"), max_length=60, blank=True)
    trace_status = models.CharField(_("trace status"), max_length=16, choices=TraceStatus.choices, blank=True)
    # When the trace was asked for and when its result came back: the accountability
    # metrics' time from request to result (opendata/metrics.py).
    trace_requested_on = models.DateField(_("trace requested on"), null=True, blank=True)
    trace_result_on = models.DateField(_("trace result on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["case_id", "kind", "normalized_key"]
        verbose_name = _("case subject")
        verbose_name_plural = _("case subjects")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "normalized_key"], name="casesubject_once_per_case"),
            models.CheckConstraint(condition=~Q(normalized_key=""), name="casesubject_key_not_empty"),
        ]
        indexes = [models.Index(fields=["kind", "normalized_key"], name="casesubject_match")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.identifier}"

    def compute_key(self) -> str:
        from cases.normalize import subject_key

        # A malformed date is reported by clean_fields(); the key then ignores it.
        birth_date = self.birth_date if isinstance(self.birth_date, datetime.date) else None
        return subject_key(self.kind, self.identifier or "", make=self.make or "", birth_date=birth_date)

    def clean(self) -> None:
        if self.kind == self.Kind.FIREARM and not self.make.strip():
            raise ValidationError({"make": _("Give the manufacturer of the firearm.")})
        firearm_only = ("model", "caliber", "trace_number", "trace_status", "trace_requested_on", "trace_result_on")
        if self.kind != self.Kind.FIREARM:
            for name in firearm_only:
                if getattr(self, name):
                    raise ValidationError({name: _("Only a firearm carries this detail.")})
            if self.recovered_on or self.recovered_in_id:
                raise ValidationError({"recovered_on": _("Only a firearm carries recovery details.")})
        if self.trace_result_on and not self.trace_requested_on:
            raise ValidationError({"trace_requested_on": _("Give the day the trace was requested.")})
        if self.trace_result_on and self.trace_requested_on and self.trace_result_on < self.trace_requested_on:
            raise ValidationError({"trace_result_on": _("A trace result cannot come before its request.")})
        if self.birth_date and self.kind != self.Kind.PERSON:
            raise ValidationError({"birth_date": _("Only a person has a date of birth.")})
        if self.kind:
            try:
                self.normalized_key = self.compute_key()
            except ValueError as exc:
                raise ValidationError({"identifier": str(exc)}) from exc

    def save(self, *args, **kwargs):
        self.normalized_key = self.compute_key()
        super().save(*args, **kwargs)


class ActionItemQuerySet(models.QuerySet):
    def overdue(self, on: datetime.date | None = None):
        return self.filter(self.overdue_condition(on))

    @staticmethod
    def overdue_condition(on: datetime.date | None = None) -> Q:
        on = on or timezone.localdate()
        return Q(due_date__lt=on) & ~Q(status__in=ActionItem.CLOSED_STATUSES)


class ActionItem(TrackedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in-progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    CLOSED_STATUSES = ("done", "cancelled")
    # The workflow: from each status, where it may go.
    TRANSITIONS = {
        "open": ("in-progress", "blocked", "cancelled"),
        "in-progress": ("done", "blocked", "cancelled"),
        "blocked": ("in-progress", "cancelled"),
        "done": (),
        "cancelled": (),
    }
    NEEDS_REASON = ("blocked", "cancelled")

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
        help_text=_("Empty for a bilateral commitment outside any case"),
    )
    owner = models.ForeignKey(
        "agencies.Agency", verbose_name=_("owner agency"), on_delete=models.PROTECT, related_name="owned_action_items"
    )
    assignee = models.ForeignKey(
        "agencies.Contact",
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_action_items",
    )
    supporting_agencies = models.ManyToManyField(
        "agencies.Agency", verbose_name=_("supporting agencies"), blank=True, related_name="supported_action_items"
    )
    function = models.ForeignKey(
        "agencies.FunctionalArea",
        verbose_name=_("functional area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    theme = models.CharField(_("framework theme"), max_length=32, choices=Theme.choices, blank=True, db_index=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    due_date = models.DateField(_("due date"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    status_reason = models.TextField(_("status reason"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(_("fictional demo record"), default=False, editable=False)

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[supporting_agencies])

    class Meta:
        ordering = [models.F("due_date").asc(nulls_last=True), "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="actionitem_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False) | ~Q(status="done"),
                name="actionitem_done_has_completed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="actionitem_owner_status"),
            # An agency's open items by due date: its overdue list, in the list's order (an
            # ascending b-tree keeps NULLs last, as the ordering asks; SQLite has no NULLS LAST
            # in CREATE INDEX).
            models.Index(
                "owner",
                "due_date",
                "id",
                condition=~Q(status__in=["done", "cancelled"]),
                name="actionitem_owner_open_due",
            ),
            # The lists' order.
            models.Index("due_date", "id", name="actionitem_due_order"),
            models.Index(fields=["priority"], name="actionitem_priority"),
            # The metrics' check for changes (MAX over an index).
            models.Index(fields=["updated_at"], name="actionitem_updated_at"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return bool(self.due_date and self.due_date < timezone.localdate() and self.status not in self.CLOSED_STATUSES)

    def allowed_transitions(self) -> tuple[str, ...]:
        return self.TRANSITIONS.get(self.status, ())

    def clean(self) -> None:
        if self.assignee_id and self.owner_id and self.assignee.agency_id != self.owner_id:
            raise ValidationError({"assignee": _("The assignee must be a contact of the owner agency.")})


class ActionUpdate(models.Model):
    """One entry of an action item's timeline: a note, or a status change with its reason."""

    item = models.ForeignKey(
        ActionItem, verbose_name=_("action item"), on_delete=models.CASCADE, related_name="updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"), blank=True)
    old_status = models.CharField(_("old status"), max_length=12, choices=ActionItem.Status.choices, blank=True)
    new_status = models.CharField(_("new status"), max_length=12, choices=ActionItem.Status.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["item_id", "created_at", "id"]
        verbose_name = _("action update")
        verbose_name_plural = _("action updates")
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | ~Q(new_status=""), name="actionupdate_not_empty"),
        ]

    def __str__(self) -> str:
        if self.new_status:
            return f"{self.old_status} → {self.new_status}"
        return self.text[:60]

    @property
    def updated_at(self):
        return self.created_at


class CaseReadLog(models.Model):
    """Who read a restricted case, when, and through what door. Append-only."""

    class Via(models.TextChoices):
        API = "api", _("API")
        WEB = "web", _("Web")
        CALENDAR = "calendar", _("Calendar feed")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="read_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="case_reads"
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now, db_index=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("case read")
        verbose_name_plural = _("case read log")

    def __str__(self) -> str:
        return f"{self.user} · {self.case.reference} · {self.read_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The read log is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The read log is append-only."))


class ReminderLog(models.Model):
    """An action item reminded to a recipient on a day: at most once a day each."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.EmailField()
    sent_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["item", "recipient", "sent_on"], name="reminderlog_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.recipient} ({self.sent_on})"
