"""The curated reference dataset (docs/SPEC.md §5): read `agencies/data/*.csv`, validate every row,
then upsert by natural keys in one transaction.

Idempotent: a record whose file values already match is not saved again, so a second run
writes nothing (no new history rows either). Edit protection: every loader save carries the
change reason `reference data` and no user; a record whose latest history row says otherwise
was changed by someone else since, and is kept as it is (its differences are reported)
unless `force` is given.
"""

import csv
import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models, transaction
from django.utils.translation import gettext as _

from agencies.cache import catalog_written
from agencies.models import Agency, AgencyName, FunctionalArea, Jurisdiction, Mandate, Office, Source
from agencies.source_kinds import SourceKind, is_official, kind_of_url
from registry.bulk import bulk_writes

LOADER_REASON = "reference data"
DATA_DIR = Path(__file__).resolve().parent / "data"
LIST_SEPARATOR = ";"

FILES = [
    "sources.csv",
    "jurisdictions.csv",
    "ports_of_entry.csv",
    "borders.csv",
    "functional_areas.csv",
    "agencies.csv",
    "agency_names.csv",
    "mandates.csv",
    "offices.csv",
]

COLUMNS = {
    "sources.csv": ["id", "title", "kind", "urls"],
    "jurisdictions.csv": ["code", "kind", "name", "name_es", "parent", "source"],
    "ports_of_entry.csv": ["code", "cbp_port_code", "name", "name_es", "us_state", "mx_states", "sources"],
    "borders.csv": ["a", "b", "source"],
    "functional_areas.csv": ["slug", "name", "name_es", "description", "description_es"],
    "agencies.csv": [
        "slug",
        "acronym",
        "name",
        "name_es",
        "country",
        "jurisdiction",
        "level",
        "kind",
        "parent",
        "website",
        "description",
        "description_es",
        "valid_from",
        "valid_to",
        "sources",
    ],
    "agency_names.csv": ["agency", "name", "language", "kind", "end_date", "note"],
    "mandates.csv": ["agency", "function", "jurisdictions", "role", "legal_basis", "source", "other_sources", "note"],
    "offices.csv": ["agency", "name", "name_es", "jurisdiction", "city", "address", "phone", "email", "source"],
}


# --- Errors and the report -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # line number in the file; the header is line 1
    column: str
    message: str

    def __str__(self) -> str:
        return _("%(file)s, row %(row)s, column “%(column)s”: %(message)s") % {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ReferenceDataError(Exception):
    """The data files are not valid; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Difference:
    """A field where the file and a record edited by someone else disagree."""

    file: str
    record: str
    field: str
    file_value: str
    database_value: str

    def __str__(self) -> str:
        return _("%(file)s: %(record)s, %(field)s: file has “%(file_value)s”, database has “%(database_value)s”") % {
            "file": self.file,
            "record": self.record,
            "field": self.field,
            "file_value": self.file_value,
            "database_value": self.database_value,
        }


@dataclass
class FileCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # differs from the file, but edited by someone else: left as it is

    def __str__(self) -> str:
        return _("%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(kept)s kept") % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
        }


@dataclass
class LoadReport:
    counts: dict[str, FileCounts] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    border_notes: object = None  # agencies.border.BorderNotes when the border layer was loaded

    def total(self, outcome: str) -> int:
        return sum(getattr(counts, outcome) for counts in self.counts.values())


# --- Reading and validation ------------------------------------------------------------------


@dataclass
class Row:
    file: str
    number: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def items(self, column: str) -> list[str]:
        return [part.strip() for part in self.values[column].split(LIST_SEPARATOR) if part.strip()]


class _Validator:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.problems: list[Problem] = []
        self.url = URLValidator()

    def problem(self, row: Row, column: str, message: str) -> None:
        self.problems.append(Problem(row.file, row.number, column, message))

    def read(self, name: str) -> list[Row]:
        path = self.data_dir / name
        if not path.exists():
            self.problems.append(Problem(name, 0, "", _("the file is missing")))
            return []
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            expected = COLUMNS[name]
            missing = [column for column in expected if column not in header]
            unknown = [column for column in header if column not in expected]
            for column in missing:
                self.problems.append(Problem(name, 1, column, _("the column is missing")))
            for column in unknown:
                self.problems.append(Problem(name, 1, column, _("unknown column")))
            if missing:
                return []
            rows = []
            for record in reader:
                number = reader.line_num
                if None in record:
                    self.problems.append(Problem(name, number, "", _("more values than columns")))
                    continue
                rows.append(Row(name, number, {key: (value or "").strip() for key, value in record.items()}))
            return rows

    def required(self, row: Row, *columns: str) -> bool:
        ok = True
        for column in columns:
            if not row[column]:
                self.problem(row, column, _("a value is required"))
                ok = False
        return ok

    def choice(self, row: Row, column: str, choices, *, blank: bool = False) -> None:
        value = row[column]
        allowed = [str(value) for value, _label in choices]
        if (value or not blank) and value not in allowed:
            self.problem(
                row,
                column,
                _("“%(value)s” is not one of %(allowed)s") % {"value": value, "allowed": ", ".join(allowed)},
            )

    def date(self, row: Row, column: str) -> datetime.date | None:
        if not row[column]:
            return None
        try:
            return datetime.date.fromisoformat(row[column])
        except ValueError:
            self.problem(row, column, _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": row[column]})
            return None

    def web_address(self, row: Row, column: str, value: str) -> None:
        try:
            self.url(value)
        except ValidationError:
            self.problem(row, column, _("“%(value)s” is not a valid URL") % {"value": value})

    def unique(self, seen: dict, key, row: Row, column: str) -> None:
        if key in seen:
            self.problem(row, column, _("duplicate of row %(row)s") % {"row": seen[key]})
        else:
            seen[key] = row.number


@dataclass
class Dataset:
    """The validated contents of the data files, in load order."""

    sources: dict[str, list[str]]
    source_rows: dict[str, Row]  # by id: title and kind
    jurisdictions: list[Row]  # parents before children
    borders: list[tuple[Row, str, str]]
    functions: list[Row]
    agencies: list[Row]  # parents before children
    names: list[Row]
    mandates: list[Row]
    offices: list[Row] = field(default_factory=list)

    def first_url(self, source_id: str) -> str:
        return self.sources[source_id][0] if source_id else ""

    def kind(self, source_id: str) -> str:
        return self.source_rows[source_id]["kind"]

    def url_kinds(self) -> dict[str, tuple[str, Row]]:
        """Every URL of the files, with its kind (source_kinds.kind_of_url) and its source row."""
        kinds: dict[str, tuple[str, Row]] = {}
        for source_id, urls in self.sources.items():
            row = self.source_rows[source_id]
            for url in urls:
                kinds.setdefault(url, (kind_of_url(url, row["kind"]), row))
        return kinds

    def is_primary(self, source_id: str) -> bool:
        """A primary source whose first URL (the one single-URL records store) is official."""
        return self.kind(source_id) == SourceKind.PRIMARY and is_official(self.sources[source_id][0])

    def urls(self, source_ids: list[str]) -> list[str]:
        urls: list[str] = []
        for source_id in source_ids:
            urls.extend(url for url in self.sources[source_id] if url not in urls)
        return urls


def _parents_first(rows: list[Row], key: str, parent: str, v: _Validator) -> list[Row]:
    """Order rows so that each parent comes before its children; report unknown parents and cycles."""
    by_key = {row[key]: row for row in rows}
    ordered: list[Row] = []
    placed: set[str] = set()
    for row in rows:
        chain: list[Row] = []
        current = row
        while current is not None and current[key] not in placed:
            if current in chain:
                v.problem(row, parent, _("the parent chain is a cycle"))
                chain = []
                break
            chain.append(current)
            current = by_key.get(current[parent]) if current[parent] else None
        for item in reversed(chain):
            placed.add(item[key])
            ordered.append(item)
    return ordered


def read_dataset(data_dir: Path = DATA_DIR) -> Dataset:
    """Read and validate every file; raise ReferenceDataError naming each bad file, row and column."""
    v = _Validator(data_dir)
    rows = {name: v.read(name) for name in FILES}

    sources: dict[str, list[str]] = {}
    source_rows: dict[str, Row] = {}
    seen: dict = {}
    seen_urls: dict = {}
    for row in rows["sources.csv"]:
        if v.required(row, "id", "kind", "urls"):
            v.unique(seen, row["id"], row, "id")
            v.choice(row, "kind", SourceKind.choices)
            urls = row["urls"].split()
            for url in urls:
                v.web_address(row, "urls", url)
                v.unique(seen_urls, url, row, "urls")
            if row["kind"] == SourceKind.PRIMARY and not is_official(urls[0]):
                v.problem(
                    row,
                    "urls",
                    _("a primary source's first URL must be on an official domain (see agencies/source_kinds.py)"),
                )
            sources[row["id"]] = urls
            source_rows[row["id"]] = row

    def is_primary(source_id: str) -> bool:
        row = source_rows.get(source_id)
        return row is not None and row["kind"] == SourceKind.PRIMARY and is_official(sources[source_id][0])

    def source_ids(row: Row, column: str, *, required: bool) -> None:
        ids = row.items(column)
        if required and not ids:
            v.problem(row, column, _("at least one source is required"))
        for source_id in ids:
            if source_id not in sources:
                v.problem(row, column, _("unknown source “%(value)s” (see sources.csv)") % {"value": source_id})

    # Jurisdictions: the general file and the ports of entry, one code space.
    jurisdictions: list[Row] = []
    kinds: dict[str, str] = {}
    seen = {}
    for row in rows["jurisdictions.csv"]:
        if v.required(row, "code", "kind", "name", "name_es", "source"):
            v.choice(row, "kind", Jurisdiction.Kind.choices)
            v.unique(seen, row["code"], row, "code")
            source_ids(row, "source", required=True)
            kinds[row["code"]] = row["kind"]
            jurisdictions.append(row)
    port_rows = []
    for row in rows["ports_of_entry.csv"]:
        if v.required(row, "code", "cbp_port_code", "name", "name_es", "us_state", "mx_states", "sources"):
            v.unique(seen, row["code"], row, "code")
            if row["code"] != f"US-POE-{row['cbp_port_code']}":
                v.problem(row, "code", _("the code must be US-POE- followed by the CBP port code"))
            source_ids(row, "sources", required=True)
            kinds[row["code"]] = Jurisdiction.Kind.PORT_OF_ENTRY
            port_rows.append(row)
    for row in jurisdictions:
        if row["parent"] and row["parent"] not in kinds:
            v.problem(row, "parent", _("unknown jurisdiction “%(value)s”") % {"value": row["parent"]})
    borders: list[tuple[Row, str, str]] = []
    for row in port_rows:
        if kinds.get(row["us_state"]) != Jurisdiction.Kind.STATE or not row["us_state"].startswith("US-"):
            v.problem(row, "us_state", _("“%(value)s” is not a U.S. state") % {"value": row["us_state"]})
        for code in row.items("mx_states"):
            if kinds.get(code) != Jurisdiction.Kind.STATE or not code.startswith("MX-"):
                v.problem(row, "mx_states", _("“%(value)s” is not a Mexican state") % {"value": code})
            else:
                borders.append((row, row["code"], code))
        # A port's parent is its U.S. state; build a row in the jurisdictions shape.
        jurisdictions.append(
            Row(
                row.file,
                row.number,
                {
                    "code": row["code"],
                    "kind": Jurisdiction.Kind.PORT_OF_ENTRY,
                    "name": row["name"],
                    "name_es": row["name_es"],
                    "parent": row["us_state"],
                    "source": row.items("sources")[0] if row.items("sources") else "",
                },
            )
        )
    jurisdictions = _parents_first(jurisdictions, "code", "parent", v)

    seen = {}
    for row in rows["borders.csv"]:
        if v.required(row, "a", "b", "source"):
            for column in ("a", "b"):
                if row[column] not in kinds:
                    v.problem(row, column, _("unknown jurisdiction “%(value)s”") % {"value": row[column]})
            if row["a"] == row["b"]:
                v.problem(row, "b", _("a jurisdiction cannot border itself"))
            v.unique(seen, frozenset((row["a"], row["b"])), row, "b")
            source_ids(row, "source", required=True)
            borders.append((row, row["a"], row["b"]))

    functions = []
    seen = {}
    for row in rows["functional_areas.csv"]:
        if v.required(row, "slug", "name", "name_es"):
            v.unique(seen, row["slug"], row, "slug")
            functions.append(row)
    function_slugs = set(seen)

    agencies = []
    seen = {}
    for row in rows["agencies.csv"]:
        if not v.required(row, "slug", "name", "level", "sources"):
            continue
        v.unique(seen, row["slug"], row, "slug")
        v.choice(row, "level", Agency.Level.choices)
        v.choice(row, "kind", Agency.Kind.choices, blank=True)
        if row["country"] and kinds.get(row["country"]) != Jurisdiction.Kind.COUNTRY:
            v.problem(row, "country", _("“%(value)s” is not a country") % {"value": row["country"]})
        if row["jurisdiction"] and row["jurisdiction"] not in kinds:
            v.problem(row, "jurisdiction", _("unknown jurisdiction “%(value)s”") % {"value": row["jurisdiction"]})
        if row["website"]:
            v.web_address(row, "website", row["website"])
        valid_from, valid_to = v.date(row, "valid_from"), v.date(row, "valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            v.problem(row, "valid_to", _("must not be before valid_from"))
        source_ids(row, "sources", required=True)
        # An unknown id is reported above; the checks that depend on it would only repeat it.
        known = all(source_id in sources for source_id in row.items("sources"))
        if known and row.items("sources") and not any(is_primary(source_id) for source_id in row.items("sources")):
            v.problem(row, "sources", _("cite at least one primary source (sources.csv → kind primary)"))
        agencies.append(row)
    agency_slugs = set(seen)
    agency_rows = {row["slug"]: row for row in agencies}
    for row in agencies:
        if row["parent"] and row["parent"] not in agency_slugs:
            v.problem(row, "parent", _("unknown agency “%(value)s”") % {"value": row["parent"]})
    agencies = _parents_first(agencies, "slug", "parent", v)

    names = []
    seen = {}
    for row in rows["agency_names.csv"]:
        if not v.required(row, "agency", "name", "language", "kind"):
            continue
        if row["agency"] not in agency_slugs:
            v.problem(row, "agency", _("unknown agency “%(value)s”") % {"value": row["agency"]})
        v.choice(row, "language", AgencyName._meta.get_field("language").choices)
        v.choice(row, "kind", AgencyName.Kind.choices)
        v.date(row, "end_date")
        v.unique(seen, (row["agency"], row["name"], row["language"], row["kind"]), row, "name")
        names.append(row)

    mandates = []
    seen = {}
    for row in rows["mandates.csv"]:
        if not v.required(row, "agency", "function", "jurisdictions", "role", "source"):
            continue
        if row["agency"] not in agency_slugs:
            v.problem(row, "agency", _("unknown agency “%(value)s”") % {"value": row["agency"]})
        if row["function"] not in function_slugs:
            v.problem(row, "function", _("unknown functional area “%(value)s”") % {"value": row["function"]})
        for code in row.items("jurisdictions"):
            if code not in kinds:
                v.problem(row, "jurisdictions", _("unknown jurisdiction “%(value)s”") % {"value": code})
        v.choice(row, "role", Mandate.Role.choices)
        if row["role"] == Mandate.Role.PRIMARY and not row["note"]:
            v.problem(row, "note", _("a primary role needs a note saying why the agency is the statutory lead"))
        if row["role"] == Mandate.Role.PRIMARY and not row["legal_basis"]:
            v.problem(row, "legal_basis", _("a primary role needs the statute that makes the agency the lead"))
        if not row["legal_basis"] and not row["note"]:
            v.problem(row, "note", _("a mandate without a legal basis needs a note saying why there is none"))
        source_ids(row, "source", required=True)
        if len(row.items("source")) > 1:
            v.problem(row, "source", _("give one source id; list the others in other_sources"))
        elif row["source"] in sources and not is_primary(row["source"]):
            v.problem(row, "source", _("the source must be primary (sources.csv → kind primary)"))
        source_ids(row, "other_sources", required=False)
        agency = agency_rows.get(row["agency"])
        cited = set(agency.items("sources")) if agency else set()
        for source_id in row.items("other_sources"):
            if source_id in sources and cited <= set(sources) and source_id not in cited:
                v.problem(
                    row,
                    "other_sources",
                    _("“%(value)s” must also be among the agency's sources, where it is shown") % {"value": source_id},
                )
        v.unique(seen, (row["agency"], row["function"]), row, "function")
        mandates.append(row)

    offices = []
    seen = {}
    for row in rows["offices.csv"]:
        if not v.required(row, "agency", "name", "source"):
            continue
        if row["agency"] not in agency_slugs:
            v.problem(row, "agency", _("unknown agency “%(value)s”") % {"value": row["agency"]})
        if row["jurisdiction"] and row["jurisdiction"] not in kinds:
            v.problem(row, "jurisdiction", _("unknown jurisdiction “%(value)s”") % {"value": row["jurisdiction"]})
        if row["phone"] and _e164(row["phone"]) is None:
            message = _("“%(value)s” is not a valid phone number in E.164 form (+52…)")
            v.problem(row, "phone", message % {"value": row["phone"]})
        if row["email"]:
            try:
                EmailValidator()(row["email"])
            except ValidationError:
                v.problem(row, "email", _("“%(value)s” is not a valid e-mail address") % {"value": row["email"]})
        source_ids(row, "source", required=True)
        if len(row.items("source")) > 1:
            v.problem(row, "source", _("give one source id"))
        elif row["source"] in sources and not is_primary(row["source"]):
            v.problem(row, "source", _("the source must be primary (sources.csv → kind primary)"))
        v.unique(seen, (row["agency"], row["name"]), row, "name")
        offices.append(row)

    if v.problems:
        raise ReferenceDataError(v.problems)
    return Dataset(sources, source_rows, jurisdictions, borders, functions, agencies, names, mandates, offices)


def _e164(value: str) -> str | None:
    """The number in E.164 form when it is a valid one written with its country code, else None."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- Writing ---------------------------------------------------------------------------------


def edited_by_someone_else(instance: models.Model) -> bool:
    """True when the latest real change of the record was not the loader's (or is unknown).

    History rows that change nothing but the stored tree path (a parent's move re-saves its
    descendants) or nothing at all, made without a user, are not edits and are skipped."""
    records = list(instance.history.order_by("-history_date", "-history_id")[:20])
    for record, previous in zip(records, [*records[1:], None], strict=True):
        if record.history_user_id is None and record.history_change_reason == LOADER_REASON:
            return False
        if record.history_user_id is not None or previous is None:
            return True
        if set(record.diff_against(previous).changed_fields) - {"lineage"}:
            return True
    return True


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return "; ".join(str(item) for item in value)
    return str(value)


class CountingWriter:
    """What a reference-data writer holds: its rows, whether to overwrite admins' edits, and
    the report it counts each file's outcomes in (agencies/border.py writes the same way)."""

    def __init__(self, data, *, force: bool, report: LoadReport):
        self.data = data
        self.force = force
        self.report = report

    def counts(self, name: str) -> FileCounts:
        return self.report.counts.setdefault(name, FileCounts())


class _Writer(CountingWriter):
    data: Dataset

    def save(self, instance: models.Model, row: Row) -> None:
        try:
            # The file checks above cover the check constraints (and the database enforces them);
            # validating them here would cost one query each per row.
            instance.full_clean(validate_constraints=False)
        except ValidationError as error:
            problems = [
                Problem(row.file, row.number, column, " ".join(messages))
                for column, messages in error.message_dict.items()
            ]
            raise ReferenceDataError(problems) from error
        instance._change_reason = LOADER_REASON
        instance.save()

    def set_related(self, instance: models.Model, attribute: str, ids: set[int]) -> None:
        instance._change_reason = LOADER_REASON
        getattr(instance, attribute).set(ids)

    def upsert(
        self,
        *,
        row: Row,
        record: str,
        existing: models.Model | None,
        new: Callable[[], models.Model],
        values: dict,
        related: dict[str, set[int]] | None = None,
        shown: dict[str, Callable] | None = None,
    ) -> models.Model:
        """Create, update, leave unchanged, or keep (edited by someone else) one record."""
        counts = self.counts(row.file)
        counts.rows += 1
        related = related or {}
        if existing is None:
            instance = new()
            for name, value in values.items():
                setattr(instance, name, value)
            self.save(instance, row)
            for attribute, ids in related.items():
                if ids:
                    self.set_related(instance, attribute, ids)
            counts.created += 1
            return instance
        changed = {name: value for name, value in values.items() if getattr(existing, name) != value}
        changed_related = {
            attribute: ids
            for attribute, ids in related.items()
            if {obj.pk for obj in getattr(existing, attribute).all()} != ids
        }
        if not changed and not changed_related:
            counts.unchanged += 1
            return existing
        if not self.force and edited_by_someone_else(existing):
            counts.kept += 1
            shown = shown or {}
            for name, value in changed.items():
                show = shown.get(name, _shown)
                self.report.differences.append(
                    Difference(row.file, record, name.removesuffix("_id"), show(value), show(getattr(existing, name)))
                )
            for attribute, ids in changed_related.items():
                show = shown.get(attribute, _shown)
                current = {obj.pk for obj in getattr(existing, attribute).all()}
                self.report.differences.append(Difference(row.file, record, attribute, show(ids), show(current)))
            return existing
        for name, value in changed.items():
            setattr(existing, name, value)
        if changed:
            self.save(existing, row)
        for attribute, ids in changed_related.items():
            self.set_related(existing, attribute, ids)
        counts.updated += 1
        return existing

    # Each kind of record.

    def sources(self) -> None:
        existing = {s.url: s for s in Source.objects.all()}
        for url, (kind, row) in self.data.url_kinds().items():
            self.upsert(
                row=row,
                record=url,
                existing=existing.get(url),
                new=lambda url=url: Source(url=url),
                values={"title": row["title"], "reference": row["id"], "kind": kind},
            )

    def jurisdictions(self) -> dict[str, Jurisdiction]:
        places = {j.code: j for j in Jurisdiction.objects.all()}
        by_pk = {place.pk: place for place in places.values()}
        for row in self.data.jurisdictions:
            code = row["code"]
            parent = places.get(row["parent"]) if row["parent"] else None
            current = places.get(code)
            if parent and current and current.parent_id and current.parent_id != parent.pk:
                # A place the border layer put inside a county of the file's state (a port of
                # entry) stays there: a more precise place inside the file's parent is no change.
                inner = by_pk.get(current.parent_id)
                if inner is not None and inner.kind == Jurisdiction.Kind.COUNTY and inner.parent_id == parent.pk:
                    parent = inner
            places[code] = self.upsert(
                row=row,
                record=code,
                existing=places.get(code),
                new=lambda code=code: Jurisdiction(code=code),
                values={
                    "kind": row["kind"],
                    "name": row["name"],
                    "name_es": row["name_es"],
                    "parent_id": parent.pk if parent else None,
                    "source": self.data.first_url(row["source"]),
                },
                shown={"parent_id": self._code_of},
            )
        return places

    def _code_of(self, pk) -> str:
        return Jurisdiction.objects.filter(pk=pk).values_list("code", flat=True).first() or "" if pk else ""

    def borders(self, places: dict[str, Jurisdiction]) -> None:
        """Add the borders of the files; never remove one (an admin may have added it)."""
        through = Jurisdiction.borders.through
        pairs = set(through.objects.values_list("from_jurisdiction_id", "to_jurisdiction_id"))
        counts = self.counts("borders.csv")
        for row, code_a, code_b in self.data.borders:
            a, b = places[code_a], places[code_b]
            counts.rows += 1
            if (a.pk, b.pk) in pairs:
                counts.unchanged += 1
                continue
            if not self.force and (edited_by_someone_else(a) or edited_by_someone_else(b)):
                counts.kept += 1
                self.report.differences.append(
                    Difference(row.file, f"{code_a} – {code_b}", "borders", _("bordering"), _("not bordering"))
                )
                continue
            a._change_reason = LOADER_REASON
            a.borders.add(b)
            pairs.update({(a.pk, b.pk), (b.pk, a.pk)})
            counts.created += 1

    def functions(self) -> dict[str, FunctionalArea]:
        areas = {f.slug: f for f in FunctionalArea.objects.all()}
        for row in self.data.functions:
            slug = row["slug"]
            areas[slug] = self.upsert(
                row=row,
                record=slug,
                existing=areas.get(slug),
                new=lambda slug=slug: FunctionalArea(slug=slug),
                values={
                    "name": row["name"],
                    "name_es": row["name_es"],
                    "description": row["description"],
                    "description_es": row["description_es"],
                },
            )
        return areas

    def agencies(self, places: dict[str, Jurisdiction]) -> dict[str, Agency]:
        agencies = {a.slug: a for a in Agency.objects.all()}
        slugs = {}

        def slug_of(pk) -> str:
            if not slugs:
                slugs.update({a.pk: a.slug for a in agencies.values()})
            return slugs.get(pk, "") if pk else ""

        for row in self.data.agencies:
            slug = row["slug"]
            parent = agencies.get(row["parent"]) if row["parent"] else None
            country = places[row["country"]] if row["country"] else None
            home = places[row["jurisdiction"]] if row["jurisdiction"] else None
            agencies[slug] = self.upsert(
                row=row,
                record=slug,
                existing=agencies.get(slug),
                new=lambda slug=slug: Agency(slug=slug),
                values={
                    "acronym": row["acronym"],
                    "name": row["name"],
                    "name_es": row["name_es"],
                    "country_id": country.pk if country else None,
                    "jurisdiction_id": home.pk if home else None,
                    "level": row["level"],
                    "kind": row["kind"],
                    "parent_id": parent.pk if parent else None,
                    "website": row["website"],
                    "description": row["description"],
                    "description_es": row["description_es"],
                    "valid_from": datetime.date.fromisoformat(row["valid_from"]) if row["valid_from"] else None,
                    "valid_to": datetime.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                    "sources": self.data.urls(row.items("sources")),
                },
                shown={"parent_id": slug_of, "country_id": self._code_of, "jurisdiction_id": self._code_of},
            )
        return agencies

    def names(self, agencies: dict[str, Agency]) -> None:
        existing = {(n.agency_id, n.name, n.language, n.kind): n for n in AgencyName.objects.all()}
        for row in self.data.names:
            agency = agencies[row["agency"]]
            key = (agency.pk, row["name"], row["language"], row["kind"])
            self.upsert(
                row=row,
                record=f"{row['agency']} “{row['name']}” ({row['language']}, {row['kind']})",
                existing=existing.get(key),
                new=lambda agency=agency, key=key: AgencyName(agency=agency, name=key[1], language=key[2], kind=key[3]),
                values={
                    "end_date": datetime.date.fromisoformat(row["end_date"]) if row["end_date"] else None,
                    "note": row["note"],
                },
            )

    def mandates(self, agencies: dict[str, Agency], areas: dict[str, FunctionalArea], places) -> None:
        existing: dict[tuple[int, int], Mandate] = {}
        for mandate in Mandate.objects.prefetch_related("jurisdictions").order_by("pk"):
            existing.setdefault((mandate.agency_id, mandate.function_id), mandate)
        codes = {j.pk: j.code for j in places.values()}
        for row in self.data.mandates:
            agency, function = agencies[row["agency"]], areas[row["function"]]
            self.upsert(
                row=row,
                record=f"{row['agency']} · {row['function']}",
                existing=existing.get((agency.pk, function.pk)),
                new=lambda agency=agency, function=function: Mandate(agency=agency, function=function),
                values={
                    "role": row["role"],
                    "legal_basis": row["legal_basis"],
                    "source": self.data.first_url(row["source"]),
                },
                related={"jurisdictions": {places[code].pk for code in row.items("jurisdictions")}},
                shown={"jurisdictions": lambda ids: "; ".join(sorted(codes.get(pk, str(pk)) for pk in ids))},
            )

    def offices(self, agencies: dict[str, Agency], places: dict[str, Jurisdiction]) -> None:
        """Offices by (agency, name). A phone or address the file leaves empty is written empty:
        the file records only what an official source shows (an admin's addition is kept, as
        every admin edit is)."""
        existing: dict[tuple[int, str], Office] = {}
        for office in Office.objects.order_by("pk"):
            existing.setdefault((office.agency_id, office.name), office)
        for row in self.data.offices:
            agency = agencies[row["agency"]]
            home = places[row["jurisdiction"]] if row["jurisdiction"] else None
            self.upsert(
                row=row,
                record=f"{row['agency']} “{row['name']}”",
                existing=existing.get((agency.pk, row["name"])),
                new=lambda agency=agency, name=row["name"]: Office(agency=agency, name=name),
                values={
                    "name_es": row["name_es"],
                    "jurisdiction_id": home.pk if home else None,
                    "city": row["city"],
                    "address": row["address"],
                    "phone": _e164(row["phone"]) or "" if row["phone"] else "",
                    "email": row["email"],
                    "source": self.data.first_url(row["source"]),
                },
                shown={"jurisdiction_id": self._code_of},
            )


def load_reference_data(
    *,
    data_dir: Path = DATA_DIR,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    border: bool = False,
    border_dir: Path | None = None,
) -> LoadReport:
    """Validate the data files, then create or update the catalog from them in one transaction.

    Records changed by someone else since the loader last wrote them are kept and their
    differences reported, unless `force` is true. Raises ReferenceDataError on bad data.
    `border`: the border layer too (agencies/border.py, from `border_dir`, by default
    data_dir/border), in the same transaction; its notes are in `report.border_notes`.
    """
    say = progress or (lambda message: None)
    dataset = read_dataset(data_dir)
    say(_("Data files are valid: %(sources)s sources.") % {"sources": len(dataset.sources)})
    report = LoadReport()
    writer = _Writer(dataset, force=force, report=report)

    def done(*files: str) -> None:
        for name in files:
            say(f"{name}: {writer.counts(name)}")

    with transaction.atomic(), bulk_writes():
        writer.sources()
        done("sources.csv")
        places = writer.jurisdictions()
        done("jurisdictions.csv", "ports_of_entry.csv")
        writer.borders(places)
        done("borders.csv")
        areas = writer.functions()
        done("functional_areas.csv")
        agencies = writer.agencies(places)
        done("agencies.csv")
        writer.names(agencies)
        done("agency_names.csv")
        writer.mandates(agencies, areas, places)
        done("mandates.csv")
        writer.offices(agencies, places)
        done("offices.csv")
        if border:
            from agencies.border import load_border

            _report, report.border_notes = load_border(
                data_dir=border_dir or data_dir / "border", force=force, report=report, progress=say
            )
        catalog_written()  # bulk writes send no signals: the kept catalog pages must go
    return report


def dataset_counts(data_dir: Path = DATA_DIR) -> dict[str, int]:
    """What the data files hold, for the README and the closing note."""
    data = read_dataset(data_dir)
    counts: dict[str, int] = defaultdict(int)
    for row in data.jurisdictions:
        counts[f"jurisdictions:{row['kind']}"] += 1
    counts["borders"] = len(data.borders)
    for row in data.agencies:
        counts[f"agencies:{row['country'] or row['level']}"] += 1
    counts["names"] = len(data.names)
    for row in data.mandates:
        counts[f"mandates:{row['role']}"] += 1
    counts["functional_areas"] = len(data.functions)
    counts["offices"] = len(data.offices)
    counts["offices:with phone"] = sum(1 for row in data.offices if row["phone"])
    for url, (kind, _row) in data.url_kinds().items():
        counts[f"source urls:{kind}"] += 1
        counts[f"source urls:{'official' if is_official(url) else 'other'}"] += 1
    return dict(counts)
