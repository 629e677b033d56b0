"""Catalog import from CSV and XLSX: a row-by-row preview, then an all-or-nothing apply.

Every row goes through the catalog's API serializer (which runs the model's full_clean()),
so an imported row obeys exactly the rules of the API and the admin. Rows are matched to
existing records by natural key, so importing a corrected file updates instead of
duplicating. Row numbers are spreadsheet row numbers: the header is row 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from rest_framework import serializers as drf_serializers
from rest_framework.validators import UniqueValidator
from simple_history.utils import bulk_create_with_history

from agencies.api import serializers as catalog
from agencies.cache import catalog_written
from agencies.models import Agency, AgencyName, Contact, Mandate, Office
from flags.services import deferred_flag_sync
from interchange.tabular import LIST_SEPARATOR, NUMBER, UnreadableFile, looks_like_formula, read_table

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
FILE_COLUMN = ""


@dataclass(frozen=True)
class CatalogResource:
    """How one catalog list is imported: its serializer and the columns that identify a row."""

    name: str
    model: type[models.Model]
    serializer_class: type[drf_serializers.ModelSerializer]
    key: tuple[str, ...]
    lookup: Callable[[dict], dict]
    list_columns: frozenset[str] = frozenset()
    phone_columns: frozenset[str] = frozenset()
    # New rows are inserted in batches (bulk_create with their history rows) instead of one
    # save() each: what makes 10,000 agencies fit in a minute. Only for a model whose save()
    # the importer can reproduce (Agency: folded search text and lineage).
    bulk_create: bool = False


def _agency_key(data: dict) -> dict:
    return {"agency__slug": data.get("agency")}


def _contact_lookup(data: dict) -> dict:
    if data.get("email"):
        return {**_agency_key(data), "email__iexact": data["email"]}
    return {**_agency_key(data), "name": data.get("name"), "email": ""}


RESOURCES: dict[str, CatalogResource] = {
    resource.name: resource
    for resource in [
        CatalogResource(
            name="agencies",
            model=Agency,
            serializer_class=catalog.AgencySerializer,
            key=("slug",),
            lookup=lambda data: {"slug": data.get("slug")},
            list_columns=frozenset({"sources"}),
            bulk_create=True,
        ),
        CatalogResource(
            name="agency-names",
            model=AgencyName,
            serializer_class=catalog.AgencyNameSerializer,
            key=("agency", "name", "language", "kind"),
            lookup=lambda data: {
                **_agency_key(data),
                "name": data.get("name"),
                "language": data.get("language"),
                "kind": data.get("kind"),
            },
        ),
        CatalogResource(
            name="mandates",
            model=Mandate,
            serializer_class=catalog.MandateSerializer,
            key=("agency", "function"),
            lookup=lambda data: {**_agency_key(data), "function__slug": data.get("function")},
            list_columns=frozenset({"jurisdictions"}),
        ),
        CatalogResource(
            name="offices",
            model=Office,
            serializer_class=catalog.OfficeSerializer,
            key=("agency", "name"),
            lookup=lambda data: {**_agency_key(data), "name": data.get("name")},
            phone_columns=frozenset({"phone"}),
        ),
        CatalogResource(
            name="contacts",
            model=Contact,
            serializer_class=catalog.ContactSerializer,
            key=("agency", "email"),
            lookup=_contact_lookup,
            list_columns=frozenset({"functions", "languages"}),
            phone_columns=frozenset({"phone", "mobile"}),
        ),
    ]
}


@dataclass
class RowMessage:
    column: str
    message: str


@dataclass
class RowOutcome:
    row: int
    action: str
    key: str = ""
    messages: list[RowMessage] = field(default_factory=list)


@dataclass
class ImportPreview:
    """What an import did, or would do: one outcome per data row, plus file-level errors."""

    resource: str
    rows: list[RowOutcome] = field(default_factory=list)
    file_errors: list[RowMessage] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(row.action != REFUSED for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in (CREATED, UPDATED, UNCHANGED, REFUSED)}

    def errors(self) -> list[str]:
        """Every refusal as one line naming the row and column."""
        lines = [
            _("File, column “%(column)s”: %(message)s") % vars(m) if m.column else m.message for m in self.file_errors
        ]
        for outcome in self.rows:
            for m in outcome.messages:
                lines.append(
                    _("Row %(row)s, column “%(column)s”: %(message)s")
                    % {"row": outcome.row, "column": m.column or "—", "message": m.message}
                )
        return lines


class _Refused(Exception):
    def __init__(self, messages: list[RowMessage]):
        self.messages = messages


def import_catalog(*, resource: str, content: bytes, filename: str = "", apply: bool) -> ImportPreview:
    """Read a CSV or XLSX file and import its rows into one catalog list.

    With apply=False nothing is kept (a preview). With apply=True the rows are written in
    one transaction, and only when no row is refused: one bad row and nothing is written.
    """
    spec = RESOURCES[resource]
    preview = ImportPreview(resource=resource)
    try:
        dataset = read_table(content, filename)
    except UnreadableFile as exc:
        preview.file_errors.append(RowMessage(FILE_COLUMN, str(exc)))
        return preview
    headers = list(dataset.headers)
    if not _check_headers(spec, headers, preview):
        return preview

    rows = [(number, dict(zip(headers, cells, strict=False))) for number, cells in enumerate(dataset, start=2)]
    rows = [(number, row) for number, row in rows if any((cell or "").strip() for cell in row.values())]
    if not rows:
        preview.file_errors.append(RowMessage(FILE_COLUMN, _("The file has a header row but no data rows.")))
        return preview

    with transaction.atomic():
        # The flags are recomputed once for the file, not after each row (a mandate row
        # cost three recomputations: 145 reference mandates took 23 s instead of 2).
        with deferred_flag_sync():
            outcomes = _run_rows(spec, rows)
        preview.rows = sorted(outcomes, key=lambda outcome: outcome.row)
        preview.applied = apply and preview.ok
        if not preview.applied:
            transaction.set_rollback(True)
    return preview


def _check_headers(spec: CatalogResource, headers: list[str], preview: ImportPreview) -> bool:
    serializer_fields = spec.serializer_class().fields
    seen: set[str] = set()
    for header in headers:
        if not header:
            preview.file_errors.append(RowMessage(FILE_COLUMN, _("A column in the header row has no name.")))
        elif header in seen:
            preview.file_errors.append(RowMessage(header, _("This column appears twice in the header row.")))
        elif header not in serializer_fields:
            preview.file_errors.append(
                RowMessage(
                    header,
                    _("Unknown column. The columns of %(resource)s are: %(columns)s.")
                    % {"resource": spec.name, "columns": ", ".join(serializer_fields)},
                )
            )
        seen.add(header)
    required = [name for name in spec.key if name != "email"] or list(spec.key)
    for name in required:
        if name not in headers:
            preview.file_errors.append(
                RowMessage(name, _("This column is missing: it identifies each row, so the file needs it."))
            )
    return not preview.file_errors


def _run_rows(spec: CatalogResource, rows: list[tuple[int, dict]]) -> list[RowOutcome]:
    validator = _RowValidator(spec)
    if spec.key == ("slug",):
        validator.load_existing([(row.get("slug") or "").strip() for _number, row in rows])
    outcomes: list[RowOutcome] = []
    seen_keys: dict[tuple, int] = {}
    for number, row in _dependency_order(spec, rows):
        if validator.pending and (row.get("parent") or "").strip() in validator.pending_keys:
            validator.flush()
        outcome = RowOutcome(row=number, action=REFUSED)
        outcomes.append(outcome)
        try:
            data = _row_data(spec, row, validator.fields)
            key = tuple(str(data.get(name) or "").lower() for name in _key_columns(spec, data))
            outcome.key = " / ".join(str(data.get(name) or "") for name in _key_columns(spec, data))
            if key in seen_keys:
                raise _Refused(
                    [
                        RowMessage(
                            _key_columns(spec, data)[0],
                            _("Duplicates row %(row)s: the same %(key)s appears twice in the file.")
                            % {"row": seen_keys[key], "key": ", ".join(_key_columns(spec, data))},
                        )
                    ]
                )
            seen_keys[key] = number
            outcome.action = _apply_row(spec, data, validator, outcome)
        except _Refused as refused:
            outcome.action = REFUSED
            outcome.messages = refused.messages
    validator.flush()
    return outcomes


class _RowValidator:
    """One serializer reused for every row, with related objects looked up once per import:
    building a ModelSerializer and resolving the same slugs again for each of 10,000 rows
    would cost more than the writes."""

    BATCH = 500

    def __init__(self, spec: CatalogResource):
        self.spec = spec
        self.pending: list[tuple[models.Model, RowOutcome]] = []
        self.existing: dict[str, models.Model] | None = None
        self.pending_keys: set[str] = set()
        self.serializer = spec.serializer_class()
        self.fields = self.serializer.fields
        # The serializer's fields already check each value (type, length, choices, the
        # model's validators, uniqueness, that a slug names a real record); the model's
        # full_clean() then adds clean(), the cross-field rules. Checking each field again
        # there would cost a query per foreign key and per constraint on every row; the
        # database still enforces every constraint when the row is written.
        # Every concrete field is excluded, so no constraint is compiled into a query either.
        checked = [f.name for f in spec.model._meta.concrete_fields]
        self.serializer.full_clean_exclude = lambda: checked
        self.lookups: dict[str, dict] = {}
        for name, serializer_field in self.fields.items():
            related = getattr(serializer_field, "child_relation", serializer_field)
            if isinstance(related, drf_serializers.RelatedField) and not serializer_field.read_only:
                related.to_internal_value = self._cached(name, related.to_internal_value)

    def _cached(self, name: str, resolve):
        cache = self.lookups.setdefault(name, {})

        def to_internal_value(value):
            key = str(value)
            if key not in cache:
                cache[key] = resolve(value)
            return cache[key]

        return to_internal_value

    def validate(self, *, instance, data: dict, partial: bool):
        serializer = self.serializer
        for attribute in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(attribute, None)
        serializer.instance, serializer.initial_data, serializer.partial = instance, data, partial
        return serializer

    def load_existing(self, slugs: list[str]) -> None:
        """Records matched by slug, read in a few queries for the whole file. The slug's own
        uniqueness check is then this lookup: a slug found is an update, one not found is new."""
        self.existing = {}
        for start in range(0, len(slugs), 1000):
            for record in self.spec.model.objects.filter(slug__in=slugs[start : start + 1000]):
                self.existing[record.slug] = record
        self.fields["slug"].validators = [
            v for v in self.fields["slug"].validators if not isinstance(v, UniqueValidator)
        ]

    def add(self, serializer, outcome: RowOutcome) -> None:
        """Queue a new record for a batched insert (see CatalogResource.bulk_create)."""
        instance = self.spec.model(**serializer.validated_data)
        instance.refresh_search_text(save=False)
        instance.lineage = instance.parent.lineage_for_children() if instance.parent_id else "/"
        self.pending.append((instance, outcome))
        self.pending_keys.add(instance.slug)
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending, self.pending_keys = self.pending, [], set()
        try:
            with transaction.atomic():
                bulk_create_with_history([item for item, _outcome in pending], self.spec.model, batch_size=self.BATCH)
            catalog_written()  # a bulk insert sends no post_save: cached catalog reads must go
            return
        except (IntegrityError, DjangoValidationError):
            pass
        # The batch broke a database rule: insert the rows one by one to name the row.
        for instance, outcome in pending:
            instance.pk = None
            try:
                with transaction.atomic():
                    instance.save()
            except (IntegrityError, DjangoValidationError) as exc:
                outcome.action = REFUSED
                outcome.messages = [RowMessage("", _("The row breaks a rule of the registry: %s") % exc)]

    def forget(self, saved) -> None:
        """A saved record may be named by later rows (an agency as a parent): look it up afresh."""
        for cache in self.lookups.values():
            for key in [key for key, value in cache.items() if getattr(value, "pk", None) == saved.pk]:
                del cache[key]


def _key_columns(spec: CatalogResource, data: dict) -> tuple[str, ...]:
    if spec.name == "contacts" and not data.get("email"):
        return ("agency", "name")
    return spec.key


def _dependency_order(spec: CatalogResource, rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Agencies whose parent is a later row of the same file are imported after it."""
    if spec.name != "agencies":
        return rows
    pending = {(row.get("slug") or "").strip() for _number, row in rows}
    ordered: list[tuple[int, dict]] = []
    remaining = list(rows)
    while remaining:
        placed_any = False
        still: list[tuple[int, dict]] = []
        for number, row in remaining:
            parent = (row.get("parent") or "").strip()
            if parent and parent in pending and parent != (row.get("slug") or "").strip():
                still.append((number, row))
                continue
            ordered.append((number, row))
            pending.discard((row.get("slug") or "").strip())
            placed_any = True
        if not placed_any:  # a cycle in the file: let validation name it
            ordered.extend(still)
            break
        remaining = still
    return ordered


def _row_data(spec: CatalogResource, row: dict, serializer_fields) -> dict:
    """The row as serializer input, after the formula-injection check."""
    problems: list[RowMessage] = []
    data: dict = {}
    for column, raw in row.items():
        serializer_field = serializer_fields[column]
        if serializer_field.read_only:
            continue  # exported for reading (id, timestamps, display name): ignored on import
        raw = raw or ""
        if looks_like_formula(raw) and not _allowed_sign(spec, column, raw):
            problems.append(
                RowMessage(
                    column,
                    _(
                        "The cell starts with “%(char)s”, which spreadsheet programs run as a formula. "
                        "Remove the leading character."
                    )
                    % {"char": {"\t": "tab", "\r": "CR"}.get(raw[0], raw[0])},
                )
            )
            continue
        value = raw.strip()
        if column in spec.list_columns:
            data[column] = [item.strip() for item in value.split(LIST_SEPARATOR.strip()) if item.strip()]
        elif value == "":
            if isinstance(serializer_field, drf_serializers.BooleanField):
                continue
            data[column] = None if serializer_field.allow_null else ""
        else:
            data[column] = value
    if problems:
        raise _Refused(problems)
    return data


def _allowed_sign(spec: CatalogResource, column: str, raw: str) -> bool:
    """A phone number in international form (+52 ...) and a plain number are data, not formulas."""
    if NUMBER.match(raw.strip()):
        return True
    if column in spec.phone_columns and raw.startswith("+"):
        try:
            return phonenumbers.is_possible_number(phonenumbers.parse(raw, None))
        except phonenumbers.NumberParseException:
            return False
    return False


def _apply_row(spec: CatalogResource, data: dict, validator: _RowValidator, outcome: RowOutcome) -> str:
    if validator.existing is not None:
        found = validator.existing.get(data.get("slug") or "")
        existing = [found] if found is not None else []
    elif all(data.get(name) for name in _key_columns(spec, data)):
        existing = list(spec.model.objects.filter(**spec.lookup(data))[:2])
    else:
        existing = []
    if len(existing) > 1:
        raise _Refused(
            [RowMessage(spec.key[0], _("Several existing records match this row; fix them in the admin first."))]
        )
    instance = existing[0] if existing else None
    if instance is not None and getattr(instance, "blocked_at", None):
        raise _Refused(
            [RowMessage(spec.key[0], _("This contact is blocked under a personal-data request and cannot be changed."))]
        )
    serializer = validator.validate(instance=instance, data=data, partial=instance is not None)
    if not serializer.is_valid():
        raise _Refused(_messages(serializer.errors))
    if instance is not None and not _differs(instance, serializer.validated_data):
        return UNCHANGED
    if instance is None and spec.bulk_create:
        validator.add(serializer, outcome)
        return CREATED
    try:
        with transaction.atomic():
            saved = serializer.save()
    except (IntegrityError, DjangoValidationError) as exc:
        detail = getattr(exc, "message_dict", None)
        raise _Refused(
            _messages(detail) if detail else [RowMessage("", _("The row breaks a rule of the registry: %s") % exc)]
        ) from exc
    if instance is not None:
        validator.forget(saved)
    return UPDATED if instance is not None else CREATED


def _messages(errors) -> list[RowMessage]:
    messages: list[RowMessage] = []
    for column, problems in (errors or {}).items():
        column = "" if column in {"non_field_errors", "__all__"} else column
        for problem in _flatten(problems):
            messages.append(RowMessage(column, str(problem)))
    return messages


def _flatten(problems) -> list:
    if isinstance(problems, dict):
        return [item for value in problems.values() for item in _flatten(value)]
    if isinstance(problems, list | tuple):
        return [item for value in problems for item in _flatten(value)]
    return [problems]


def _differs(instance: models.Model, attrs: dict) -> bool:
    for name, new in attrs.items():
        model_field = instance._meta.get_field(name)
        if model_field.many_to_many:
            current = set(getattr(instance, name).values_list("pk", flat=True))
            if current != {item.pk for item in new}:
                return True
            continue
        current = getattr(instance, name)
        if model_field.is_relation:
            if (current.pk if current else None) != (new.pk if new else None):
                return True
        elif (current or None) != (new or None) and str(current or "") != str(new or ""):
            return True
    return False
