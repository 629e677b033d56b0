"""Reads for the pages: the coverage matrix, the agency and jurisdiction pages, open data.

Each function runs a fixed number of queries, whatever the size of the catalog.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Jurisdiction,
    Mandate,
    Office,
    localized,
)
from agencies.selectors import counterparts_for

CELL_AGENCIES_SHOWN = 8

# West to east along the line; states not listed follow in code order.
BORDER_ORDER = ["US-CA", "US-AZ", "US-NM", "US-TX", "MX-BCN", "MX-SON", "MX-CHH", "MX-COA", "MX-NLE", "MX-TAM"]


@dataclass
class CellAgency:
    slug: str
    acronym: str
    name: str
    name_es: str
    role: str
    nationwide: bool

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_es)

    @property
    def label(self) -> str:
        return self.acronym or self.display_name


@dataclass
class CoverageColumn:
    jurisdiction: Jurisdiction
    country: Jurisdiction
    country_wide: bool


@dataclass
class CoverageCell:
    column: CoverageColumn
    agencies: list[CellAgency] = field(default_factory=list)
    overlap: bool = False
    missing: bool = False

    @property
    def local_agencies(self) -> list[CellAgency]:
        return [a for a in self.agencies if not a.nationwide or self.column.country_wide]

    @property
    def shown_agencies(self) -> list[CellAgency]:
        """The first few local agencies: at national scale a state's cell can hold hundreds;
        the cell's "details" link lists them all."""
        return self.local_agencies[:CELL_AGENCIES_SHOWN]

    @property
    def more_count(self) -> int:
        return max(0, len(self.local_agencies) - CELL_AGENCIES_SHOWN)

    @property
    def nationwide_count(self) -> int:
        return 0 if self.column.country_wide else sum(1 for a in self.agencies if a.nationwide)


@dataclass
class CoverageRow:
    function: FunctionalArea
    cells: list[CoverageCell]


@dataclass
class CoverageMatrix:
    columns: list[CoverageColumn]
    rows: list[CoverageRow]


def _border_states() -> list[Jurisdiction]:
    states = (
        Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE, borders__isnull=False, parent__isnull=False)
        .select_related("parent")
        .distinct()
    )
    rank = {code: index for index, code in enumerate(BORDER_ORDER)}
    return sorted(states, key=lambda j: (j.parent.code != "US", rank.get(j.code, len(rank)), j.code))


def coverage_matrix() -> CoverageMatrix:
    """Functional areas × (each border country, then its border states): who holds an active
    mandate there (containment counts), where two primary mandates of one country collide,
    and where a side of the line has nobody while the other side has someone. Five queries."""
    functions = list(FunctionalArea.objects.order_by("name"))
    states = _border_states()
    columns: list[CoverageColumn] = []
    seen_countries: set[int] = set()
    for state in states:
        if state.parent_id not in seen_countries:
            seen_countries.add(state.parent_id)
            columns.append(CoverageColumn(state.parent, state.parent, True))
        columns.append(CoverageColumn(state, state.parent, False))
    state_ids = [s.pk for s in states]
    across: dict[int, set[int]] = defaultdict(set)
    through = Jurisdiction.borders.through
    for source, target in through.objects.filter(from_jurisdiction_id__in=state_ids).values_list(
        "from_jurisdiction_id", "to_jurisdiction_id"
    ):
        across[source].add(target)

    rows = (
        Mandate.jurisdictions.through.objects.filter(mandate__in=Mandate.objects.active())
        .values_list(
            "mandate__function_id", "mandate__agency_id", "mandate__role", "jurisdiction_id", "jurisdiction__lineage"
        )
        .distinct()
    )
    # function -> column jurisdiction -> agency -> (role, nationwide)
    found: dict[int, dict[int, dict[int, tuple[str, bool]]]] = defaultdict(lambda: defaultdict(dict))
    agency_ids: set[int] = set()

    def record(function_id, column_id, agency_id, role, nationwide):
        current = found[function_id][column_id].get(agency_id)
        if current is None or (role == Mandate.Role.PRIMARY and current[0] != Mandate.Role.PRIMARY):
            found[function_id][column_id][agency_id] = (role, nationwide)
        agency_ids.add(agency_id)

    for function_id, agency_id, role, place_id, lineage in rows:
        for column in columns:
            target = column.jurisdiction.pk
            if column.country_wide:
                if place_id == target:
                    record(function_id, target, agency_id, role, True)
            elif place_id == target or f"/{target}/" in lineage:
                record(function_id, target, agency_id, role, False)
            elif place_id == column.country.pk:
                record(function_id, target, agency_id, role, True)

    agencies = {
        a["id"]: a
        for a in Agency.objects.filter(pk__in=agency_ids).values(
            "id", "slug", "acronym", "name", "name_es", "country_id", "lineage"
        )
    }

    def collide(members: list[dict]) -> bool:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a["country_id"] != b["country_id"]:
                    continue
                if f"/{a['id']}/" in b["lineage"] or f"/{b['id']}/" in a["lineage"]:
                    continue
                return True
        return False

    matrix_rows = []
    for function in functions:
        per_column = found.get(function.pk, {})
        cells = []
        for column in columns:
            holders = per_column.get(column.jurisdiction.pk, {})
            cell = CoverageCell(column)
            for agency_id, (role, nationwide) in holders.items():
                a = agencies[agency_id]
                cell.agencies.append(CellAgency(a["slug"], a["acronym"], a["name"], a["name_es"], role, nationwide))
            cell.agencies.sort(key=lambda a: (a.nationwide, a.role != Mandate.Role.PRIMARY, a.label))
            primaries = [agencies[i] for i, (role, _n) in holders.items() if role == Mandate.Role.PRIMARY]
            cell.overlap = collide(primaries)
            if not holders:
                if column.country_wide:
                    others = [c for c in columns if c.country_wide and c.country.pk != column.country.pk]
                    cell.missing = any(per_column.get(c.jurisdiction.pk) for c in others)
                else:
                    cell.missing = any(per_column.get(j) for j in across.get(column.jurisdiction.pk, ()))
            cells.append(cell)
        matrix_rows.append(CoverageRow(function, cells))
    return CoverageMatrix(columns, matrix_rows)


@dataclass
class FunctionCounterparts:
    function: FunctionalArea
    counterparts: list


def agency_page(agency: Agency, *, with_contacts: bool) -> dict:
    """Everything the agency page shows; contacts only when the viewer may see them."""
    mandates = list(
        agency.mandates.select_related("function").prefetch_related("jurisdictions").order_by("function__slug", "role")
    )
    functions = {m.function.pk: m.function for m in mandates}
    ancestors = sorted(Agency.objects.filter(pk__in=agency.ancestor_ids()), key=lambda a: len(a.lineage))
    contacts = []
    if with_contacts:
        contacts = list(
            Contact.objects.visible()
            .filter(agency=agency)
            .select_related("office")
            .prefetch_related("functions")
            .liaison_order()
        )
    counterparts = [
        FunctionCounterparts(function, counterparts_for(agency=agency, function=function, with_contacts=False))
        for function in sorted(functions.values(), key=lambda f: f.display_name)
    ]
    return {
        "ancestors": ancestors,
        "children": list(agency.children.filter(active=True).order_by("name")),
        "other_names": list(agency.other_names.order_by("kind", "name")),
        "mandates": mandates,
        "offices": list(agency.offices.select_related("jurisdiction").order_by("name")),
        "contacts": contacts,
        "counterparts": counterparts,
    }


def visible_contacts(contacts: list[Contact]) -> list[Contact]:
    """Drop contacts blocked under a personal-data request."""
    return [c for c in contacts if c.blocked_at is None]


def jurisdiction_page(jurisdiction: Jurisdiction, *, function: FunctionalArea | None) -> dict:
    mandates = Mandate.objects.active().covering(jurisdiction).select_related("agency", "function")
    if function is not None:
        mandates = mandates.filter(function=function)
    by_function: dict[int, list[Mandate]] = defaultdict(list)
    functions: dict[int, FunctionalArea] = {}
    for mandate in mandates.order_by("function__slug", "role", "agency__name"):
        functions[mandate.function_id] = mandate.function
        by_function[mandate.function_id].append(mandate)
    return {
        "ancestors": sorted(
            Jurisdiction.objects.filter(pk__in=jurisdiction.ancestor_ids()), key=lambda j: len(j.lineage)
        ),
        "children": list(jurisdiction.children.order_by("kind", "code")),
        "borders": list(jurisdiction.borders.order_by("code")),
        "mandate_groups": [
            (functions[pk], by_function[pk]) for pk in sorted(by_function, key=lambda pk: functions[pk].display_name)
        ],
        "offices": list(
            Office.objects.filter(jurisdiction__in=[jurisdiction.pk, *[c.pk for c in jurisdiction.children.all()]])
            .select_related("agency")
            .order_by("agency__name", "name")
        ),
    }


# Open data: what the public may see, one table per resource.
def _join(values) -> str:
    return "; ".join(str(v) for v in values if v)


def _open_agencies() -> tuple[list[str], list[list]]:
    columns = [
        "slug",
        "acronym",
        "name",
        "name_es",
        "country",
        "level",
        "kind",
        "parent",
        "website",
        "active",
        "valid_from",
        "valid_to",
        "sources",
    ]
    rows = [
        [
            a.slug,
            a.acronym,
            a.name,
            a.name_es,
            a.country.code if a.country_id else "",
            a.level,
            a.kind,
            a.parent.slug if a.parent_id else "",
            a.website,
            a.active,
            a.valid_from,
            a.valid_to,
            _join(a.sources or []),
        ]
        for a in Agency.objects.select_related("country", "parent").order_by("slug")
    ]
    return columns, rows


def _open_agency_names() -> tuple[list[str], list[list]]:
    columns = ["agency", "name", "language", "kind", "end_date"]
    rows = [
        [n.agency.slug, n.name, n.language, n.kind, n.end_date]
        for n in AgencyName.objects.select_related("agency").order_by("agency__slug", "kind", "name")
    ]
    return columns, rows


def _open_functions() -> tuple[list[str], list[list]]:
    columns = ["slug", "name", "name_es", "description", "description_es"]
    return columns, [list(row) for row in FunctionalArea.objects.order_by("slug").values_list(*columns)]


def _open_jurisdictions() -> tuple[list[str], list[list]]:
    columns = ["code", "kind", "name", "name_es", "parent"]
    rows = Jurisdiction.objects.order_by("code").values_list("code", "kind", "name", "name_es", "parent__code")
    return columns, [[*row[:4], row[4] or ""] for row in rows]


def _open_mandates() -> tuple[list[str], list[list]]:
    columns = ["id", "agency", "function", "role", "jurisdictions", "legal_basis", "valid_from", "valid_to", "source"]
    mandates = Mandate.objects.select_related("agency", "function").prefetch_related("jurisdictions").order_by("id")
    rows = [
        [
            m.pk,
            m.agency.slug,
            m.function.slug,
            m.role,
            _join(sorted(j.code for j in m.jurisdictions.all())),
            m.legal_basis,
            m.valid_from,
            m.valid_to,
            m.source,
        ]
        for m in mandates
    ]
    return columns, rows


def _open_offices() -> tuple[list[str], list[list]]:
    columns = ["id", "agency", "name", "name_es", "jurisdiction", "city", "address", "phone", "email", "is_virtual"]
    rows = [
        [
            o.pk,
            o.agency.slug,
            o.name,
            o.name_es,
            o.jurisdiction.code if o.jurisdiction_id else "",
            o.city,
            o.address,
            str(o.phone or ""),
            o.email,
            o.is_virtual,
        ]
        for o in Office.objects.select_related("agency", "jurisdiction").order_by("id")
    ]
    return columns, rows


def _open_links() -> tuple[list[str], list[list]]:
    columns = ["agency_a", "agency_b", "function", "instrument", "signed_on", "source"]
    rows = CounterpartLink.objects.order_by("id").values_list(
        "agency_a__slug", "agency_b__slug", "function__slug", "instrument", "signed_on", "source"
    )
    return columns, [list(row) for row in rows]


OPEN_DATASETS = {
    "agencies": _open_agencies,
    "agency-names": _open_agency_names,
    "functions": _open_functions,
    "jurisdictions": _open_jurisdictions,
    "mandates": _open_mandates,
    "offices": _open_offices,
    "counterpart-links": _open_links,
}


def open_dataset(name: str) -> tuple[list[str], list[list]]:
    return OPEN_DATASETS[name]()


def open_dataset_counts() -> dict[str, int]:
    models: dict[str, QuerySet] = {
        "agencies": Agency.objects.all(),
        "agency-names": AgencyName.objects.all(),
        "functions": FunctionalArea.objects.all(),
        "jurisdictions": Jurisdiction.objects.all(),
        "mandates": Mandate.objects.all(),
        "offices": Office.objects.all(),
        "counterpart-links": CounterpartLink.objects.all(),
    }
    return {name: queryset.count() for name, queryset in models.items()}
