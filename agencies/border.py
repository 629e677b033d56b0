"""The border layer of the reference dataset (`agencies/data/border/`, README there): the
counties of Arizona, California, New Mexico and Texas, every Mexican municipality, the
county–municipality pairs joined by a land crossing, and the FBI's law-enforcement agencies
of the four states with their ORI.

It is written by the reference loader's rules (agencies/reference.py): every record carries
the change reason `reference data` and no user, a record whose file values already match is
not written again (a second run writes nothing), a record someone else changed since is
kept and its differences reported (unless `force`), and everything happens in the caller's
transaction. Because the layer is some 8,000 records, new records are inserted in batches
with their history rows (`bulk_create_with_history`, as `import_catalog` inserts agencies)
instead of one `save()` each; the few records that change are saved one by one.
"""

import csv
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from agencies.cache import bump_catalog_version
from agencies.models import Agency, FunctionalArea, Identifier, Jurisdiction, Mandate, Source
from agencies.reference import (
    DATA_DIR,
    LOADER_REASON,
    CountingWriter,
    Difference,
    LoadReport,
    Problem,
    ReferenceDataError,
    _shown,
    edited_by_someone_else,
)
from agencies.search import fold
from agencies.source_kinds import SourceKind, kind_of_url
from registry.bulk import bulk_written

BORDER_DIR = DATA_DIR / "border"

COUNTIES = "us_counties_az_ca_nm_tx.csv"
MUNICIPALITIES = "mx_municipalities_inegi.csv"
CROSSINGS = "border_crossings_county_municipality.csv"
AGENCIES = "us_law_enforcement_agencies_az_ca_nm_tx.csv"
COLUMNS = {
    COUNTIES: ["statefp", "countyfp", "name"],
    MUNICIPALITIES: ["cve_ent", "cve_mun", "municipio", "entidad"],
    CROSSINGS: [
        "us_port",
        "us_state",
        "us_county_fips",
        "us_county",
        "mx_city",
        "mx_cve_ent",
        "mx_cve_mun",
        "mx_municipality",
    ],
    AGENCIES: [
        "ori",
        "county",
        "latitude",
        "longitude",
        "state_abbr",
        "state",
        "agency_name",
        "agency_type",
        "is_nibrs",
        "nibrs_start_date",
    ],
}

# The sources of the layer (README of agencies/data/border/): the publisher first, then the copy used.
FBI_CDE = "https://cde.ucr.cjis.gov/LATEST/webapp/#/pages/docApi"
FBI_COPY = "https://github.com/rfordatascience/tidytuesday/blob/6486e79/data/2025/2025-02-18/agencies.csv"
CENSUS = "https://www.census.gov/library/reference/code-lists/ansi.html"
CENSUS_COPY = "https://pypi.org/project/addfips/"
INEGI = "https://www.inegi.org.mx/app/ageeml/"
INEGI_COPY = "https://github.com/Caranarq/GeoMex"
SOURCES = {
    FBI_CDE: ("FBI Crime Data Explorer, agency list (U.S. government data)", SourceKind.PRIMARY),
    FBI_COPY: ("TidyTuesday 2025-02-18: the FBI agency list as published (commit 6486e79)", SourceKind.SECONDARY),
    CENSUS: ("U.S. Census Bureau, 2020 county codes (ANSI/FIPS)", SourceKind.PRIMARY),
    CENSUS_COPY: ("addfips package: the Census 2020 county list (counties_2020.csv)", SourceKind.SECONDARY),
    INEGI: ("INEGI, Marco Geoestadístico: catálogo de entidades y municipios (2017)", SourceKind.PRIMARY),
    INEGI_COPY: ("Caranarq/GeoMex: the INEGI index (indice_geoestadistico.csv)", SourceKind.SECONDARY),
}

US_STATES = {"04": "AZ", "06": "CA", "35": "NM", "48": "TX"}
# INEGI state code → ISO 3166-2:MX (the codes of jurisdictions.csv).
MX_STATES = {
    "01": "AGU",
    "02": "BCN",
    "03": "BCS",
    "04": "CAM",
    "05": "COA",
    "06": "COL",
    "07": "CHP",
    "08": "CHH",
    "09": "CMX",
    "10": "DUR",
    "11": "GUA",
    "12": "GRO",
    "13": "HID",
    "14": "JAL",
    "15": "MEX",
    "16": "MIC",
    "17": "MOR",
    "18": "NAY",
    "19": "NLE",
    "20": "OAX",
    "21": "PUE",
    "22": "QUE",
    "23": "ROO",
    "24": "SLP",
    "25": "SIN",
    "26": "SON",
    "27": "TAB",
    "28": "TAM",
    "29": "TLA",
    "30": "VER",
    "31": "YUC",
    "32": "ZAC",
}

# The FBI's agency_type → Agency.Level. "NA" (no type) is `other`: the level is not guessed.
LEVELS = {
    "City": Agency.Level.MUNICIPAL,
    "County": Agency.Level.COUNTY,
    "State Police": Agency.Level.STATE,
    "Other State Agency": Agency.Level.STATE,
    "Tribal": Agency.Level.TRIBAL,
    "University or College": Agency.Level.UNIVERSITY,
    "Other": Agency.Level.OTHER,
    "NA": Agency.Level.OTHER,
}
# The bodies with general police powers over a place of the catalog (README § Ordinary policing):
# a city's police and a county's sheriff over their county, the state police over the state.
GENERAL_POLICING_TYPES = {"City", "County", "State Police"}
GENERAL_POLICING = "general-policing"
STATE_TYPES = {"State Police", "Other State Agency"}


def county_code(fips: str) -> str:
    return f"US-{US_STATES[fips[:2]]}-{fips}"


def municipality_code(key: str) -> str:
    return f"MX-{MX_STATES[key[:2]]}-{key}"


def _new_place(code: str) -> Callable[[], Jurisdiction]:
    return lambda: Jurisdiction(code=code)


def is_placeholder(row: dict) -> bool:
    """An FBI row with no type whose name ends with a colon (`Highway Patrol:`): a heading of
    the FBI's list (a body's area offices), not an agency."""
    return row["agency_type"] in ("", "NA") and row["agency_name"].strip().endswith(":")


def county_key(name: str) -> str:
    """`El Paso County` and the FBI's `EL PASO` → `el paso`; `Doña Ana` → `dona ana`."""
    return fold(name).removesuffix(" county").strip()


@dataclass
class BorderNotes:
    """What the layer could not place, for the data notes (not guessed)."""

    placeholders: list[dict] = field(default_factory=list)
    unmatched: list[tuple[dict, str]] = field(default_factory=list)  # row, the county strings not found
    partly_matched: list[tuple[dict, str]] = field(default_factory=list)
    ports_unmatched: list[str] = field(default_factory=list)


@dataclass
class BorderData:
    counties: list[dict]
    municipalities: list[dict]
    crossings: list[dict]
    agencies: list[dict]  # placeholders left out
    notes: BorderNotes


def _read(data_dir: Path, name: str, problems: list[Problem]) -> list[dict]:
    path = data_dir / name
    if not path.exists():
        problems.append(Problem(name, 0, "", _("the file is missing")))
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in COLUMNS[name] if column not in header]
        for column in missing:
            problems.append(Problem(name, 1, column, _("the column is missing")))
        if missing:
            return []
        rows = []
        for record in reader:
            if None in record:
                problems.append(Problem(name, reader.line_num, "", _("more values than columns")))
                continue
            rows.append({**{k: (v or "").strip() for k, v in record.items()}, "_row": reader.line_num})
        return rows


def read_border(data_dir: Path = BORDER_DIR) -> BorderData:
    """Read and check the four files; raise ReferenceDataError naming each bad file, row and column."""
    problems: list[Problem] = []
    counties = _read(data_dir, COUNTIES, problems)
    municipalities = _read(data_dir, MUNICIPALITIES, problems)
    crossings = _read(data_dir, CROSSINGS, problems)
    agencies = _read(data_dir, AGENCIES, problems)

    def check(name, row, column, ok, message):
        if not ok:
            problems.append(Problem(name, row["_row"], column, message))

    seen: set = set()
    for row in counties:
        check(COUNTIES, row, "statefp", row["statefp"] in US_STATES, _("not one of the four border states"))
        check(COUNTIES, row, "countyfp", len(row["countyfp"]) == 3 and row["countyfp"].isdigit(), _("3 digits"))
        check(COUNTIES, row, "name", bool(row["name"]), _("a value is required"))
        key = row["statefp"] + row["countyfp"]
        check(COUNTIES, row, "countyfp", key not in seen, _("duplicate county"))
        seen.add(key)
    seen = set()
    for row in municipalities:
        check(MUNICIPALITIES, row, "cve_ent", row["cve_ent"] in MX_STATES, _("not an INEGI state code"))
        check(MUNICIPALITIES, row, "cve_mun", len(row["cve_mun"]) == 3 and row["cve_mun"].isdigit(), _("3 digits"))
        check(MUNICIPALITIES, row, "municipio", bool(row["municipio"]), _("a value is required"))
        key = row["cve_ent"] + row["cve_mun"]
        check(MUNICIPALITIES, row, "cve_mun", key not in seen, _("duplicate municipality"))
        seen.add(key)
    county_keys = {row["statefp"] + row["countyfp"] for row in counties}
    municipality_keys = {row["cve_ent"] + row["cve_mun"] for row in municipalities}
    for row in crossings:
        check(CROSSINGS, row, "us_county_fips", row["us_county_fips"] in county_keys, _("unknown county"))
        check(
            CROSSINGS,
            row,
            "mx_cve_mun",
            row["mx_cve_ent"] + row["mx_cve_mun"] in municipality_keys,
            _("unknown municipality"),
        )
    notes = BorderNotes()
    kept = []
    seen = set()
    for row in agencies:
        check(AGENCIES, row, "ori", bool(row["ori"]) and row["ori"] not in seen, _("missing or duplicate ORI"))
        seen.add(row["ori"])
        check(AGENCIES, row, "state_abbr", row["state_abbr"] in US_STATES.values(), _("not a border state"))
        check(AGENCIES, row, "agency_type", row["agency_type"] in LEVELS or not row["agency_type"], _("unknown type"))
        check(AGENCIES, row, "agency_name", bool(row["agency_name"]), _("a value is required"))
        if is_placeholder(row):
            notes.placeholders.append(row)
        else:
            kept.append(row)
    if problems:
        raise ReferenceDataError(problems)
    return BorderData(counties, municipalities, crossings, kept, notes)


# --- Writing ---------------------------------------------------------------------------------


@dataclass
class _Planned:
    key: object
    record: str
    values: dict
    new: Callable[[], models.Model]
    related: set[int] | None = None  # a mandate's places


class _BorderWriter(CountingWriter):
    data: BorderData

    def upsert_all(
        self,
        name: str,
        model: type[models.Model],
        planned: list[_Planned],
        existing: dict,
        *,
        prepare: Callable[[models.Model], None] | None = None,
        through: tuple[str, str] | None = None,
    ) -> dict:
        """Create (in batches), update, leave unchanged or keep each planned record; return them by key.
        `through`: (m2m attribute, the related id column) when `related` holds a set of ids."""
        counts = self.counts(name)
        new: list[models.Model] = []
        new_related: list[tuple[models.Model, set[int]]] = []
        result = dict(existing)
        current_related: dict[int, set[int]] = {}
        if through:
            attribute, column = through
            table = getattr(model, attribute).through
            ids = [obj.pk for obj in existing.values()]
            own = f"{model._meta.model_name}_id"
            for start in range(0, len(ids), 900):
                rows = table.objects.filter(**{f"{own}__in": ids[start : start + 900]}).values_list(own, column)
                for owner, related in rows:
                    current_related.setdefault(owner, set()).add(related)
        for plan in planned:
            counts.rows += 1
            instance = existing.get(plan.key)
            if instance is None:
                instance = plan.new()
                for attr, value in plan.values.items():
                    setattr(instance, attr, value)
                if prepare:
                    prepare(instance)
                new.append(instance)
                if plan.related:
                    new_related.append((instance, plan.related))
                result[plan.key] = instance
                counts.created += 1
                continue
            changed = {attr: value for attr, value in plan.values.items() if getattr(instance, attr) != value}
            related_changed = through is not None and current_related.get(instance.pk, set()) != (plan.related or set())
            if not changed and not related_changed:
                counts.unchanged += 1
                continue
            if not self.force and edited_by_someone_else(instance):
                counts.kept += 1
                for attr, value in changed.items():
                    self.report.differences.append(
                        Difference(
                            name, plan.record, attr.removesuffix("_id"), _shown(value), _shown(getattr(instance, attr))
                        )
                    )
                if related_changed:
                    self.report.differences.append(
                        Difference(
                            name,
                            plan.record,
                            through[0],
                            _shown(sorted(plan.related or ())),
                            _shown(sorted(current_related.get(instance.pk, ()))),
                        )
                    )
                continue
            for attr, value in changed.items():
                setattr(instance, attr, value)
            instance._change_reason = LOADER_REASON
            if changed:
                instance.save()
            if related_changed:
                getattr(instance, through[0]).set(plan.related or set())
            counts.updated += 1
        if new:
            bulk_create_with_history(new, model, batch_size=500, default_change_reason=LOADER_REASON)
            if through and new_related:
                attribute, column = through
                table = getattr(model, attribute).through
                own = f"{model._meta.model_name}_id"
                table.objects.bulk_create(
                    [table(**{own: obj.pk, column: pk}) for obj, ids in new_related for pk in sorted(ids)],
                    batch_size=900,
                )
            bulk_written.send(sender=model, ids=[obj.pk for obj in new])
        return result

    def sources(self) -> None:
        existing = {s.url: s for s in Source.objects.filter(url__in=list(SOURCES))}
        planned = [
            _Planned(
                url,
                url,
                {"title": title, "reference": "", "kind": kind_of_url(url, kind)},
                lambda url=url: Source(url=url),
            )
            for url, (title, kind) in SOURCES.items()
        ]
        self.upsert_all("sources", Source, planned, existing)

    def general_policing(self) -> FunctionalArea:
        existing = {f.slug: f for f in FunctionalArea.objects.filter(slug=GENERAL_POLICING)}
        plan = _Planned(
            GENERAL_POLICING,
            GENERAL_POLICING,
            {
                "name": "General policing",
                "name_es": "Policía general",
                "description": (
                    "General police powers over a place: patrol, response, arrest and the first "
                    "investigation of crimes, held concurrently by a city's police, its county's "
                    "sheriff and the state police."
                ),
                "description_es": (
                    "Facultades generales de policía sobre un lugar: patrullaje, atención, detención "
                    "y primera investigación de delitos, que ejercen en concurrencia la policía de una "
                    "ciudad, el alguacil de su condado y la policía estatal."
                ),
            },
            lambda: FunctionalArea(slug=GENERAL_POLICING),
        )
        return self.upsert_all("functional areas", FunctionalArea, [plan], existing)[GENERAL_POLICING]

    def places(self) -> dict[str, Jurisdiction]:
        states = {j.code: j for j in Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE)}
        missing = sorted(
            ({f"US-{s}" for s in US_STATES.values()} | {f"MX-{s}" for s in MX_STATES.values()}) - set(states)
        )
        if missing:
            message = _("load the reference data first: state %(code)s is missing")
            raise ReferenceDataError([Problem("jurisdictions.csv", 0, "code", message % {"code": ", ".join(missing)})])

        def planned(code: str, kind: str, name: str, parent: str, source: str) -> _Planned:
            # A place has the same name in both languages (the sources give one).
            fields = {"kind": kind, "name": name, "name_es": name, "parent_id": states[parent].pk, "source": source}
            return _Planned(code, code, fields, _new_place(code))

        planned_counties = [
            planned(
                county_code(row["statefp"] + row["countyfp"]),
                Jurisdiction.Kind.COUNTY,
                row["name"],
                f"US-{US_STATES[row['statefp']]}",
                CENSUS,
            )
            for row in self.data.counties
        ]
        planned_municipalities = [
            planned(
                municipality_code(row["cve_ent"] + row["cve_mun"]),
                Jurisdiction.Kind.MUNICIPALITY,
                row["municipio"],
                f"MX-{MX_STATES[row['cve_ent']]}",
                INEGI,
            )
            for row in self.data.municipalities
        ]
        by_pk = {state.pk: state for state in states.values()}

        def prepare(place: Jurisdiction) -> None:
            # What Jurisdiction.save() computes, for the batched insert.
            place.search_text = " ".join(fold(text) for text in (place.name, place.name_es) if text)
            place.lineage = by_pk[place.parent_id].lineage_for_children()

        codes = [plan.key for plan in planned_counties + planned_municipalities]
        existing = {}
        for start in range(0, len(codes), 900):
            existing.update({j.code: j for j in Jurisdiction.objects.filter(code__in=codes[start : start + 900])})
        places = self.upsert_all(COUNTIES, Jurisdiction, planned_counties, existing, prepare=prepare)
        places = self.upsert_all(MUNICIPALITIES, Jurisdiction, planned_municipalities, places, prepare=prepare)
        return places

    def place_identifiers(self, places: dict[str, Jurisdiction]) -> None:
        planned = []
        for row in self.data.counties:
            fips = row["statefp"] + row["countyfp"]
            planned.append(
                self._identifier(
                    Identifier.Scheme.US_FIPS_COUNTY, fips, "jurisdiction_id", places[county_code(fips)].pk, CENSUS
                )
            )
        for row in self.data.municipalities:
            key = row["cve_ent"] + row["cve_mun"]
            planned.append(
                self._identifier(
                    Identifier.Scheme.INEGI_MUNICIPALITY,
                    key,
                    "jurisdiction_id",
                    places[municipality_code(key)].pk,
                    INEGI,
                )
            )
        self._identifiers(
            "identifiers (places)", planned, [Identifier.Scheme.US_FIPS_COUNTY, Identifier.Scheme.INEGI_MUNICIPALITY]
        )

    def _identifier(self, scheme: str, value: str, owner: str, pk: int, source: str) -> _Planned:
        other = "agency_id" if owner == "jurisdiction_id" else "jurisdiction_id"
        return _Planned(
            (scheme, value),
            f"{scheme}:{value}",
            {owner: pk, other: None, "source": source},
            lambda: Identifier(scheme=scheme, value=value),
        )

    def _identifiers(self, name: str, planned: list[_Planned], schemes: list[str]) -> None:
        existing = {(i.scheme, i.value): i for i in Identifier.objects.filter(scheme__in=schemes)}
        self.upsert_all(name, Identifier, planned, existing)

    def crossings(self, places: dict[str, Jurisdiction]) -> None:
        """County–municipality borders, and each port of entry inside its county, bordering its
        municipality. Borders are added, never removed (an admin may have added one)."""
        counts = self.counts(CROSSINGS)
        ports = {}
        for port in Jurisdiction.objects.filter(kind=Jurisdiction.Kind.PORT_OF_ENTRY):
            ports.setdefault(fold(port.name.split(":")[0]), port)
        through = Jurisdiction.borders.through
        pairs = set(through.objects.values_list("from_jurisdiction_id", "to_jurisdiction_id"))
        moves: dict[int, tuple[Jurisdiction, Jurisdiction]] = {}
        wanted: list[tuple[Jurisdiction, Jurisdiction, str]] = []
        for row in self.data.crossings:
            county = places[county_code(row["us_county_fips"])]
            municipality = places[municipality_code(row["mx_cve_ent"] + row["mx_cve_mun"])]
            wanted.append((county, municipality, row["us_port"]))
            # "Laredo (Colombia Solidarity Bridge)" is the Laredo port of ports_of_entry.csv.
            port = ports.get(fold(row["us_port"].split(" (")[0]))
            if port is None:
                self.report_port(row["us_port"])
                continue
            if port.parent_id == county.parent_id or port.parent_id == county.pk:
                moves.setdefault(port.pk, (port, county))
            wanted.append((port, municipality, row["us_port"]))
        for a, b, label in wanted:
            counts.rows += 1
            if (a.pk, b.pk) in pairs:
                counts.unchanged += 1
                continue
            if not self.force and (edited_by_someone_else(a) or edited_by_someone_else(b)):
                counts.kept += 1
                self.report.differences.append(
                    Difference(
                        CROSSINGS, f"{a.code} – {b.code} ({label})", "borders", _("bordering"), _("not bordering")
                    )
                )
                continue
            a._change_reason = LOADER_REASON
            a.borders.add(b)
            pairs.update({(a.pk, b.pk), (b.pk, a.pk)})
            counts.created += 1
        moved = self.counts("ports of entry")
        for port, county in moves.values():
            moved.rows += 1
            if port.parent_id == county.pk:
                moved.unchanged += 1
            elif not self.force and edited_by_someone_else(port):
                moved.kept += 1
                self.report.differences.append(
                    Difference("ports of entry", port.code, "parent", county.code, _shown(port.parent_id))
                )
            else:
                port.parent = county
                port._change_reason = LOADER_REASON
                port.save()
                moved.updated += 1

    def report_port(self, name: str) -> None:
        if name not in self.data.notes.ports_unmatched:
            self.data.notes.ports_unmatched.append(name)

    def agencies(self, places: dict[str, Jurisdiction], function: FunctionalArea) -> None:
        us = Jurisdiction.objects.get(code="US")
        states = {j.code: j for j in Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE, code__startswith="US-")}
        counties: dict[tuple[str, str], Jurisdiction] = {}
        for row in self.data.counties:
            place = places[county_code(row["statefp"] + row["countyfp"])]
            counties[(US_STATES[row["statefp"]], county_key(row["name"]))] = place
        by_ori = {
            i.value: i.agency
            for i in Identifier.objects.filter(scheme=Identifier.Scheme.FBI_ORI, agency__isnull=False).select_related(
                "agency"
            )
        }
        taken = set(Agency.objects.values_list("slug", flat=True))
        planned: list[_Planned] = []
        homes: dict[str, list[Jurisdiction]] = {}
        notes = self.data.notes
        for row in self.data.agencies:
            ori, state_code = row["ori"], row["state_abbr"]
            state = states[f"US-{state_code}"]
            found, unknown = [], []
            for part in (p.strip() for p in row["county"].split(",")):
                place = counties.get((state_code, county_key(part))) if part else None
                if place is None:
                    unknown.append(part or "(empty)")
                elif place not in found:
                    found.append(place)
            if not found:
                notes.unmatched.append((row, ", ".join(unknown)))
            elif unknown:
                notes.partly_matched.append((row, ", ".join(unknown)))
            homes[ori] = found
            level = LEVELS[row["agency_type"] or "NA"]
            home = state if row["agency_type"] in STATE_TYPES or not found else found[0]
            agency = by_ori.get(ori)
            slug = agency.slug if agency is not None else self._slug(row, taken)
            taken.add(slug)
            planned.append(
                _Planned(
                    ori,
                    slug,
                    {
                        "name": " ".join(row["agency_name"].split()),
                        "country_id": us.pk,
                        "jurisdiction_id": home.pk,
                        "level": level,
                        "kind": Agency.Kind.LAW_ENFORCEMENT,
                        "sources": [FBI_CDE, FBI_COPY],
                    },
                    lambda slug=slug: Agency(slug=slug),
                )
            )

        def prepare(agency: Agency) -> None:
            agency.refresh_search_text(save=False)
            agency.lineage = "/"

        # Matched by ORI, never by slug: a slug already taken by another record gets the ORI appended.
        agencies = self.upsert_all(AGENCIES, Agency, planned, dict(by_ori), prepare=prepare)
        self._identifiers(
            "identifiers (agencies)",
            [
                self._identifier(Identifier.Scheme.FBI_ORI, row["ori"], "agency_id", agencies[row["ori"]].pk, FBI_CDE)
                for row in self.data.agencies
            ],
            [Identifier.Scheme.FBI_ORI],
        )
        self.mandates(agencies, homes, states, function)

    def _slug(self, row: dict, taken: set[str]) -> str:
        base = f"us-{row['state_abbr'].lower()}-{slugify(row['agency_name'])[:60].strip('-')}"
        return base if base not in taken else f"{base}-{row['ori'].lower()}"

    def mandates(self, agencies: dict, homes: dict, states: dict, function: FunctionalArea) -> None:
        """General policing, concurrent, over the agency's county (or its state for the state police)."""
        planned = []
        for row in self.data.agencies:
            if row["agency_type"] not in GENERAL_POLICING_TYPES:
                continue
            if row["agency_type"] in STATE_TYPES:
                over = {states[f"US-{row['state_abbr']}"].pk}
            else:
                over = {place.pk for place in homes[row["ori"]]}
            if not over:
                continue  # no county matched: the place is not guessed (data notes)
            agency = agencies[row["ori"]]
            planned.append(
                _Planned(
                    agency.pk,
                    f"{agency.slug} · {GENERAL_POLICING}",
                    {
                        "role": Mandate.Role.CONCURRENT,
                        "legal_basis": "",
                        "description": (
                            "General police powers over its own place, as a local law-enforcement agency "
                            "of the FBI's list; the statute is not recorded."
                        ),
                        "description_es": (
                            "Facultades generales de policía sobre su propio lugar, como agencia local "
                            "de la lista del FBI; la ley no está registrada."
                        ),
                        "source": FBI_CDE,
                    },
                    lambda agency=agency: Mandate(agency=agency, function=function),
                    related=over,
                )
            )
        existing = {}
        for mandate in Mandate.objects.filter(function=function).order_by("pk"):
            existing.setdefault(mandate.agency_id, mandate)
        self.upsert_all(
            "mandates (general policing)", Mandate, planned, existing, through=("jurisdictions", "jurisdiction_id")
        )


def load_border(
    *,
    data_dir: Path = BORDER_DIR,
    force: bool = False,
    report: LoadReport | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[LoadReport, BorderNotes]:
    """Write the border layer. Call it inside the reference loader's transaction and
    `bulk_writes()` block (agencies.reference.load_reference_data(border=True) does)."""
    say = progress or (lambda message: None)
    data = read_border(data_dir)
    report = report if report is not None else LoadReport()
    writer = _BorderWriter(data, force=force, report=report)
    total = 6
    step = 0

    def done(*names: str) -> None:
        nonlocal step
        step += 1
        for name in names:
            say(f"[border {step}/{total}] {name}: {writer.counts(name)}")

    writer.sources()
    function = writer.general_policing()
    done("sources", "functional areas")
    places = writer.places()
    done(COUNTIES, MUNICIPALITIES)
    writer.place_identifiers(places)
    done("identifiers (places)")
    writer.crossings(places)
    done(CROSSINGS, "ports of entry")
    writer.agencies(places, function)
    say(
        _("%(file)s: %(count)s placeholder rows left out (no type, a name ending with “:”)")
        % {"file": AGENCIES, "count": len(data.notes.placeholders)}
    )
    done(AGENCIES, "identifiers (agencies)")
    done("mandates (general policing)")
    if report.total("created") or report.total("updated"):
        bump_catalog_version()
    return report, data.notes


def notes_text(notes: BorderNotes, *, generated_on: datetime.date | None = None) -> str:
    """The data notes of the layer (Markdown): what was left out or could not be placed."""
    lines = ["# Border layer: data notes", ""]
    if generated_on:
        lines += [f"Written by `load_reference_data --border --notes` on {generated_on.isoformat()}.", ""]
    lines += [
        f"- FBI placeholder rows left out (no `agency_type`, a name ending with `:`): {len(notes.placeholders)}",
        f"- FBI rows whose county matches no county of their state (placed in their state; "
        f"only a state police among them holds a general-policing mandate, over its state): "
        f"{len(notes.unmatched)}",
        f"- FBI rows with several counties of which some match none: {len(notes.partly_matched)}",
        f"- crossings whose U.S. port is not in ports_of_entry.csv: {len(notes.ports_unmatched)}"
        + (f" ({', '.join(notes.ports_unmatched)})" if notes.ports_unmatched else ""),
        "",
        "## FBI rows matching no county",
        "",
        "| ORI | state | county (FBI) | name | type |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {row['ori']} | {row['state_abbr']} | {unknown} | {' '.join(row['agency_name'].split())} | "
        f"{row['agency_type']} |"
        for row, unknown in notes.unmatched
    ]
    lines += ["", "## FBI rows with a county that matches none (the others are used)", ""]
    lines += ["| ORI | state | county (FBI) | not found |", "|---|---|---|---|"]
    lines += [
        f"| {row['ori']} | {row['state_abbr']} | {row['county']} | {unknown} |" for row, unknown in notes.partly_matched
    ]
    return "\n".join(lines) + "\n"
