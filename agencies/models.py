"""The catalog of docs/SPEC.md §2: who does what, where, on what basis, and whom to call."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from agencies.search import fold
from agencies.source_kinds import SourceKind
from registry.models import TrackedModel


def localized(english: str, spanish: str) -> str:
    """The Spanish text for Spanish users when there is one, else the English."""
    if spanish and (get_language() or "en").startswith("es"):
        return spanish
    return english


class LineageMixin(models.Model):
    """A tree stored with each node's ancestor ids ("/3/17/"), so that ancestor and
    containment tests are one SQL LIKE instead of a recursive walk."""

    lineage = models.CharField(max_length=255, default="/", editable=False, db_index=True)

    class Meta:
        abstract = True

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.lineage.strip("/").split("/") if part]

    def lineage_for_children(self) -> str:
        return f"{self.lineage}{self.pk}/"

    def _cycle_error(self) -> ValidationError:
        return ValidationError({"parent": _("An object cannot be its own ancestor.")})

    def check_parent(self) -> None:
        parent = self.parent
        if parent is None or self.pk is None:
            return
        if parent.pk == self.pk or self.pk in parent.ancestor_ids():
            raise self._cycle_error()

    def save(self, *args, **kwargs):
        self.check_parent()
        old_lineage = self.lineage
        self.lineage = self.parent.lineage_for_children() if self.parent_id else "/"
        super().save(*args, **kwargs)
        if old_lineage != self.lineage:
            # Keep every descendant's lineage in step with a moved subtree.
            for child in type(self).objects.filter(parent_id=self.pk):
                child.save(update_fields=["lineage"])


class Jurisdiction(LineageMixin, TrackedModel):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        STATE = "state", _("State")
        PORT_OF_ENTRY = "port-of-entry", _("Port of entry")
        MUNICIPALITY = "municipality", _("Municipality")
        COUNTY = "county", _("County")
        JUDICIAL_DISTRICT = "judicial-district", _("Judicial district")

    code = models.CharField(_("code"), max_length=32, unique=True, help_text=_("ISO 3166 code, or a port code"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    borders = models.ManyToManyField(
        "self",
        verbose_name=_("borders"),
        symmetrical=True,
        blank=True,
        help_text=_("Jurisdictions that touch this one across an international line"),
    )
    source = models.URLField(_("source"), max_length=500, blank=True)
    # Folded (lower case, no accents) English and Spanish names, for search.
    search_text = models.TextField(editable=False, default="")

    history = HistoricalRecords(m2m_fields=[borders], excluded_fields=["search_text"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        # Codes are looked up case-insensitively (`?jurisdiction=us-tx`): UPPER(code) = UPPER(...).
        indexes = [models.Index(Upper("code"), name="jurisdiction_code_upper")]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="jurisdiction_code_not_empty"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="jurisdiction_not_own_parent"),
        ]

    # What identifies and names it (str, display_name): all a reference to it reads.
    name_columns = ("code", "name", "name_es")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_es)

    def clean(self) -> None:
        self.check_parent()

    def save(self, *args, **kwargs):
        self.search_text = " ".join(fold(text) for text in (self.name, self.name_es) if text)
        super().save(*args, **kwargs)


class FunctionalArea(TrackedModel):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name (English)"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120)
    description = models.TextField(_("description (English)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("functional area")
        verbose_name_plural = _("functional areas")

    # What identifies and names it (str, display_name): all a reference to it reads.
    name_columns = ("slug", "name", "name_es")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_es)


class Agency(LineageMixin, TrackedModel):
    class Level(models.TextChoices):
        FEDERAL = "federal", _("Federal")
        # An agency's level is an adjective in Spanish (“estatal”), a jurisdiction's kind a noun (“estado”).
        STATE = "state", pgettext_lazy("agency level", "State")
        MUNICIPAL = "municipal", _("Municipal")
        COUNTY = "county", pgettext_lazy("agency level", "County")
        TRIBAL = "tribal", _("Tribal")
        UNIVERSITY = "university", _("University or college")
        OTHER = "other", _("Other")
        BINATIONAL = "binational", _("Binational")
        INTERNATIONAL = "international", _("International")

    class Kind(models.TextChoices):
        LAW_ENFORCEMENT = "law-enforcement", _("Law enforcement")
        PROSECUTION = "prosecution", _("Prosecution")
        REGULATORY = "regulatory", _("Regulatory")
        CUSTOMS = "customs", _("Customs")
        MILITARY = "military", _("Military")
        INTELLIGENCE = "intelligence", _("Intelligence")
        DIPLOMATIC = "diplomatic", _("Diplomatic")
        POLICY = "policy", _("Policy")
        FINANCIAL = "financial", _("Financial")

    slug = models.SlugField(_("slug"), max_length=80, unique=True, help_text=_("Stable public id, e.g. us-atf"))
    acronym = models.CharField(_("acronym"), max_length=40, blank=True, db_index=True)
    name = models.CharField(_("official name (English)"), max_length=300)
    name_es = models.CharField(_("official name (Spanish)"), max_length=300, blank=True)
    country = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("country"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        limit_choices_to={"kind": "country"},
        help_text=_("Empty for binational and international bodies"),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("home jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="home_agencies",
        help_text=_("Where the agency serves: its country, or its state"),
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(_("description (English)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, help_text=_("URLs the facts come from"))
    # Folded (lower case, no accents) names, acronyms and other names, for search.
    search_text = models.TextField(editable=False, default="")
    search_acronyms = models.CharField(max_length=500, editable=False, default="")

    history = HistoricalRecords(excluded_fields=["search_text", "search_acronyms", "lineage"])

    class Meta:
        # The id breaks ties between equal names, so that pages never overlap; the index
        # serves the list's default order (a page is read off it, not sorted from the catalog).
        ordering = ["name", "id"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        indexes = [
            models.Index(fields=["kind"], name="agency_kind"),
            models.Index(fields=["name", "id"], name="agency_name_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="agency_slug_not_empty"),
            models.CheckConstraint(condition=~Q(name=""), name="agency_official_english_name_not_empty"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="agency_not_own_parent"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="agency_valid_to_after_valid_from",
            ),
        ]

    # What identifies and names it (str, display_name): all a reference to it reads.
    name_columns = ("slug", "acronym", "name", "name_es")

    def __str__(self) -> str:
        return f"{self.acronym} – {self.display_name}" if self.acronym else self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_es)

    def clean(self) -> None:
        self.check_parent()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("Valid to must not be before valid from.")})
        if self.country_id and self.country.kind != Jurisdiction.Kind.COUNTRY:
            raise ValidationError({"country": _("Choose a jurisdiction of kind country.")})

    def refresh_search_text(self, *, save: bool = True) -> None:
        """Recompute the folded search columns from the names of this agency."""
        other = list(self.other_names.values_list("name", "kind")) if self.pk else []
        acronyms = [self.acronym] + [name for name, kind in other if kind == AgencyName.Kind.ACRONYM]
        texts = [self.name, self.name_es, self.acronym] + [name for name, _kind in other]
        self.search_text = " ".join(fold(text) for text in texts if text)
        self.search_acronyms = " " + " ".join(sorted({fold(a) for a in acronyms if a})) + " "
        if save and self.pk:
            type(self).objects.filter(pk=self.pk).update(
                search_text=self.search_text, search_acronyms=self.search_acronyms
            )

    def save(self, *args, **kwargs):
        self.refresh_search_text(save=False)
        super().save(*args, **kwargs)


class AgencyName(TrackedModel):
    """Other names of an agency, after Popolo's other_names."""

    class Kind(models.TextChoices):
        ACRONYM = "acronym", _("Acronym")
        FORMER = "former", _("Former name")
        ALTERNATE = "alternate", _("Alternate name")
        TRANSLATION = "translation", _("Translation")

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(_("name"), max_length=300)
    language = models.CharField(_("language"), max_length=2, choices=[("en", _("English")), ("es", _("Spanish"))])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("When the name stopped being used"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    search_text = models.TextField(editable=False, default="")  # the folded name, for search

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["agency_id", "kind", "name"]
        verbose_name = _("agency name")
        verbose_name_plural = _("agency names")
        constraints = [
            models.UniqueConstraint(fields=["agency", "name", "language", "kind"], name="agencyname_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="agencyname_not_empty"),
        ]
        # The kind and language filters of the API, which lists may also be sorted by.
        indexes = [
            models.Index(fields=["kind"], name="agencyname_kind"),
            models.Index(fields=["language"], name="agencyname_language"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = fold(self.name)
        super().save(*args, **kwargs)
        self.agency.refresh_search_text()

    def delete(self, *args, **kwargs):
        agency = self.agency
        result = super().delete(*args, **kwargs)
        agency.refresh_search_text()
        return result


class MandateQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None):
        """Mandates whose dates hold on the day (today), whatever their agency."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )

    def active(self, on: datetime.date | None = None):
        """Mandates in force, of an active agency."""
        return self.in_force(on).filter(agency__active=True)

    def covering(self, jurisdiction: "Jurisdiction"):
        """Mandates over the jurisdiction itself or any place containing it."""
        return self.filter(jurisdictions__id__in=[jurisdiction.pk, *jurisdiction.ancestor_ids()]).distinct()


class Mandate(TrackedModel):
    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary (statutory lead)")
        SUPPORTING = "supporting", _("Supporting")
        # General police powers shared by law with other bodies over the same place (a city's
        # police, its county's sheriff, the state police): never a lead, so never an overlap.
        CONCURRENT = "concurrent", _("Concurrent (general powers, shared)")

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="mandates")
    function = models.ForeignKey(
        FunctionalArea, verbose_name=_("functional area"), on_delete=models.PROTECT, related_name="mandates"
    )
    jurisdictions = models.ManyToManyField(Jurisdiction, verbose_name=_("jurisdictions"), related_name="mandates")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, db_index=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    description = models.TextField(_("description (English)"), blank=True)
    description_es = models.TextField(_("description (Spanish)"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.URLField(_("source"), max_length=500, blank=True)

    objects = MandateQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[jurisdictions])

    class Meta:
        ordering = ["agency_id", "function_id"]
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        indexes = [models.Index(fields=["function", "role"], name="mandate_function_role")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="mandate_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} · {self.function} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("Valid to must not be before valid from.")})


class Office(TrackedModel):
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="offices")
    name = models.CharField(_("name (English)"), max_length=300)
    name_es = models.CharField(_("name (Spanish)"), max_length=300, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offices",
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    address = models.TextField(_("address"), blank=True)
    phone = PhoneNumberField(_("public phone"), blank=True)
    email = models.EmailField(_("public e-mail"), blank=True)
    is_virtual = models.BooleanField(_("virtual office"), default=False)
    source = models.URLField(_("source"), max_length=500, blank=True)
    search_text = models.TextField(editable=False, default="")

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["agency_id", "name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return localized(self.name, self.name_es)

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_es)

    def save(self, *args, **kwargs):
        self.search_text = " ".join(fold(text) for text in (self.name, self.name_es, self.city) if text)
        super().save(*args, **kwargs)


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known IANA time zone, such as America/Mexico_City."), params={"value": value}
        )


class ContactQuerySet(models.QuerySet):
    def visible(self):
        """Contacts not blocked under a personal-data request (ARCO opposition/cancellation)."""
        return self.filter(blocked_at__isnull=True)

    def liaison_order(self):
        """Active contacts first, then the most recently verified."""
        return self.order_by("-active", models.F("verified_on").desc(nulls_last=True), "name")


class Contact(TrackedModel):
    """A point of contact: a person or a functional desk. Personal data: never public."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="contacts")
    office = models.ForeignKey(
        Office, verbose_name=_("office"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    is_desk = models.BooleanField(_("functional desk"), default=False, help_text=_("A desk rather than a person"))
    title = models.CharField(pgettext_lazy("contact", "title"), max_length=200, blank=True)
    functions = models.ManyToManyField(
        FunctionalArea, verbose_name=_("liaison for"), blank=True, related_name="contacts"
    )
    email = models.EmailField(_("e-mail"), blank=True, validators=[validate_email])
    phone = PhoneNumberField(_("phone"), blank=True)
    mobile = PhoneNumberField(_("mobile phone"), blank=True)
    speaks_en = models.BooleanField(_("speaks English"), default=False)
    speaks_es = models.BooleanField(_("speaks Spanish"), default=False)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    verified_on = models.DateField(_("verified on"), null=True, blank=True, db_index=True)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    is_demo = models.BooleanField(_("fictional demo record"), default=False, editable=False)
    blocked_at = models.DateTimeField(
        _("blocked at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when a personal-data request blocks the record: hidden everywhere, kept for audit"),
    )
    search_text = models.TextField(editable=False, default="")

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[functions], excluded_fields=["search_text"])

    class Meta:
        ordering = ["agency_id", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["agency", "active"], name="contact_agency_active")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = " ".join(fold(text) for text in (self.name, self.title, self.email) if text)
        super().save(*args, **kwargs)

    @property
    def languages(self) -> list[str]:
        return [code for code, speaks in (("en", self.speaks_en), ("es", self.speaks_es)) if speaks]


class CounterpartLink(TrackedModel):
    """A documented pairing of two agencies for a functional area (an MOU, a letter of intent)."""

    agency_a = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="+")
    agency_b = models.ForeignKey(
        Agency, verbose_name=_("counterpart agency"), on_delete=models.CASCADE, related_name="+"
    )
    function = models.ForeignKey(
        FunctionalArea, verbose_name=_("functional area"), on_delete=models.PROTECT, related_name="counterpart_links"
    )
    instrument = models.CharField(_("instrument"), max_length=300, help_text=_("The agreement behind the pairing"))
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    source = models.URLField(_("source"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["function_id", "agency_a_id", "agency_b_id"]
        verbose_name = _("counterpart link")
        verbose_name_plural = _("counterpart links")
        constraints = [
            models.UniqueConstraint(fields=["agency_a", "agency_b", "function"], name="counterpartlink_unique"),
            models.CheckConstraint(condition=~Q(agency_a=models.F("agency_b")), name="counterpartlink_two_agencies"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_a} ↔ {self.agency_b} ({self.function})"

    def clean(self) -> None:
        if self.agency_a_id and self.agency_a_id == self.agency_b_id:
            raise ValidationError({"agency_b": _("A counterpart link needs two different agencies.")})
        reverse = CounterpartLink.objects.filter(
            agency_a_id=self.agency_b_id, agency_b_id=self.agency_a_id, function_id=self.function_id
        ).exclude(pk=self.pk)
        if self.agency_a_id and self.function_id and reverse.exists():
            raise ValidationError(_("These agencies are already linked for this functional area."))


class Source(TrackedModel):
    """One URL the catalog cites, and whether it is a primary or a secondary source
    (the rule of agencies/source_kinds.py). Written by the reference-data loader."""

    Kind = SourceKind

    url = models.URLField(_("URL"), max_length=500, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    reference = models.CharField(
        _("reference id"), max_length=20, blank=True, help_text=_("The id in agencies/data/sources.csv, e.g. S74")
    )
    kind = models.CharField(_("kind of source"), max_length=10, choices=SourceKind.choices, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["reference", "url"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.url


class Identifier(TrackedModel):
    """An official code of an agency or a place, after Popolo's `identifiers`: a scheme and a
    value, unique within the scheme (the FBI's ORI, a county's FIPS code, an INEGI key)."""

    class Scheme(models.TextChoices):
        FBI_ORI = "fbi-ori", _("FBI Originating Agency Identifier (ORI)")
        US_FIPS_COUNTY = "us-fips-county", _("U.S. county FIPS code")
        INEGI_MUNICIPALITY = "inegi-municipality", _("INEGI municipality key")

    scheme = models.CharField(_("scheme"), max_length=40, choices=Scheme.choices)
    value = models.CharField(_("value"), max_length=64)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.CASCADE, related_name="identifiers"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="identifiers",
    )
    source = models.URLField(_("source"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "value"]
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="identifier_unique_per_scheme"),
            models.CheckConstraint(condition=~Q(value=""), name="identifier_value_not_empty"),
            models.CheckConstraint(
                condition=Q(agency__isnull=False, jurisdiction__isnull=True)
                | Q(agency__isnull=True, jurisdiction__isnull=False),
                name="identifier_of_one_agency_or_one_jurisdiction",
                violation_error_message=_("An identifier belongs to exactly one agency or one jurisdiction."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"
