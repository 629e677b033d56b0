"""Reads for the pages: the coverage matrix, the agency and jurisdiction pages (open data is
opendata/).

Each function runs a fixed number of queries, whatever the size of the catalog.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import get_language

from agencies.models import (
    Agency,
    Contact,
    FunctionalArea,
    Jurisdiction,
    Mandate,
    Office,
    localized,
)
from agencies.selectors import SourceKinds, counterparts_for
from agencies.source_kinds import SourceKind

CELL_AGENCIES_SHOWN = 8
JURISDICTION_GROUP_SHOWN = 10  # mandates per function on a jurisdiction page; "See all" for the rest
MANDATES_PER_PAGE = 50  # a jurisdiction page for one function
JURISDICTION_OFFICES_SHOWN = 50
JURISDICTION_CHILDREN_SHOWN = 60

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
    """One function in one column. Only the first CELL_AGENCIES_SHOWN local holders are kept
    (at national scale a state's cell can hold hundreds; the cell's "details" link lists them
    all), with how many more there are and how many hold it country-wide."""

    column: CoverageColumn
    shown_agencies: list[CellAgency] = field(default_factory=list)
    more_count: int = 0
    nationwide_count: int = 0
    overlap: bool = False
    missing: bool = False

    @property
    def local_count(self) -> int:
        return len(self.shown_agencies) + self.more_count

    @property
    def holder_count(self) -> int:
        return self.local_count + self.nationwide_count


@dataclass
class CoverageRow:
    function: FunctionalArea
    cells: list[CoverageCell]


@dataclass
class OutsideHolder:
    """A body the matrix's cells leave out: binational or international (no country), or one
    country's office serving in the other (ATF's Mexico Country Office); with its functions."""

    agency: Agency
    functions: list[FunctionalArea]
    where: list[Jurisdiction]


@dataclass
class CoverageMatrix:
    columns: list[CoverageColumn]
    rows: list[CoverageRow]
    elsewhere: list[OutsideHolder] = field(default_factory=list)


def _outside_holders() -> list[OutsideHolder]:
    """One query: the active mandates of bodies without a country, or based in a country
    other than their own."""
    mandates = (
        Mandate.objects.active()
        .filter(
            Q(agency__country__isnull=True)
            | (Q(agency__jurisdiction__kind=Jurisdiction.Kind.COUNTRY) & ~Q(agency__jurisdiction=F("agency__country")))
        )
        .select_related("agency", "function")
        .prefetch_related("jurisdictions")
    )
    holders: dict[int, OutsideHolder] = {}
    for mandate in mandates:
        holder = holders.setdefault(mandate.agency_id, OutsideHolder(mandate.agency, [], []))
        holder.functions.append(mandate.function)
        holder.where.extend(j for j in mandate.jurisdictions.all() if j not in holder.where)
    for holder in holders.values():
        holder.functions.sort(key=lambda f: f.display_name)
        holder.where.sort(key=lambda j: j.code)
    # Binational and international bodies first, then by name.
    return sorted(holders.values(), key=lambda h: (h.agency.country_id is not None, h.agency.display_name))


def _border_states() -> list[Jurisdiction]:
    states = (
        Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE, borders__isnull=False, parent__isnull=False)
        .select_related("parent")
        .distinct()
    )
    rank = {code: index for index, code in enumerate(BORDER_ORDER)}
    return sorted(states, key=lambda j: (j.parent.code != "US", rank.get(j.code, len(rank)), j.code))


# Per (function, column) cell: its holders' totals, whether its primaries collide, and its
# first few local holders, all of the column's country (a U.S. office in Mexico, a binational
# or an international body is listed apart: CoverageMatrix.elsewhere). place_column maps
# each place to the columns it counts in (its own, a state's country as national, anything
# inside a border state) with the column's country; an agency holds a cell
# with its best mandate there (best = 2 × not primary + national: primary wins, then local).
# Table names come from the models and every value is a parameter.
_COVERAGE_SQL = """
WITH place_column(place_id, column_id, nationwide, country_id) AS ({places}),
active_ AS ({active}),
holders AS (
    SELECT m.function_id, pc.column_id, m.agency_id,
           MIN(CASE WHEN m.role = %s THEN 0 ELSE 2 END + pc.nationwide) AS best
    FROM active_ m
    JOIN {mandate_place} mp ON mp.mandate_id = m.id
    JOIN place_column pc ON pc.place_id = mp.jurisdiction_id
    JOIN {agency} ha ON ha.id = m.agency_id AND ha.country_id = pc.country_id
    GROUP BY m.function_id, pc.column_id, m.agency_id
),
described AS (
    SELECT h.function_id, h.column_id, h.best, a.slug, a.acronym, a.name, a.name_es,
           COALESCE(a.country_id, 0) AS country_,
           a.lineage || CAST(a.id AS TEXT) || '/' AS path,
           CASE WHEN a.acronym <> '' THEN a.acronym WHEN %s = 1 AND a.name_es <> '' THEN a.name_es
                ELSE a.name END AS label
    FROM holders h
    JOIN {agency} a ON a.id = h.agency_id
),
cells AS (
    SELECT function_id, column_id, SUM(CASE WHEN best %% 2 = 0 THEN 1 ELSE 0 END) AS local_count,
           COUNT(*) AS holder_count
    FROM holders
    GROUP BY function_id, column_id
),
-- A path (lineage + own id) extends the paths of the agency's ancestors, so it sorts after
-- them: the last path of a country's primaries is the deepest, and they collide unless each
-- is a prefix of it (one chain of command).
deepest AS (
    SELECT function_id, column_id, country_, MAX(path {collate}) AS path
    FROM described
    WHERE best < 2
    GROUP BY function_id, column_id, country_
),
colliding AS (
    SELECT d.function_id, d.column_id
    FROM described d
    JOIN deepest x ON x.function_id = d.function_id AND x.column_id = d.column_id AND x.country_ = d.country_
    WHERE d.best < 2 AND SUBSTR(x.path, 1, LENGTH(d.path)) <> d.path
    GROUP BY d.function_id, d.column_id
),
ranked AS (
    SELECT function_id, column_id, slug, acronym, name, name_es, best,
           ROW_NUMBER() OVER (PARTITION BY function_id, column_id ORDER BY best, label {collate}, slug) AS rank_
    FROM described
    WHERE best %% 2 = 0
)
SELECT c.function_id, c.column_id, c.local_count, c.holder_count,
       CASE WHEN o.function_id IS NULL THEN 0 ELSE 1 END AS overlap,
       r.slug, r.acronym, r.name, r.name_es, r.best
FROM cells c
LEFT JOIN colliding o ON o.function_id = c.function_id AND o.column_id = c.column_id
LEFT JOIN ranked r ON r.function_id = c.function_id AND r.column_id = c.column_id AND r.rank_ <= %s
ORDER BY c.function_id, c.column_id, r.rank_
"""


def _coverage_holders(columns: list[CoverageColumn], spanish: bool) -> list[tuple]:
    quote = connection.ops.quote_name
    jurisdiction = quote(Jurisdiction._meta.db_table)
    direct, direct_params, inside, inside_params = [], [], [], []
    for column in columns:
        target = column.jurisdiction.pk
        country = column.country.pk
        direct.append("(%s, %s, 0, %s)")
        direct_params += [target, target, country]
        if not column.country_wide:
            direct.append("(%s, %s, 1, %s)")
            direct_params += [country, target, country]
            # Each LIKE a constant prefix, so that it reads the lineage index.
            inside.append(f"SELECT id, %s, 0, %s FROM {jurisdiction} WHERE lineage LIKE %s")  # noqa: S608
            inside_params += [target, country, column.jurisdiction.lineage_for_children() + "%"]
    active_sql, active_params = (
        Mandate.objects.active().order_by().values("id", "function_id", "agency_id", "role").query.sql_with_params()
    )
    sql = _COVERAGE_SQL.format(
        places=" UNION ALL ".join(["VALUES " + ", ".join(direct), *inside]),
        active=active_sql,
        mandate_place=quote(Mandate.jurisdictions.through._meta.db_table),
        agency=quote(Agency._meta.db_table),
        # Python's order of the labels (code points), which the "C" and BINARY collations keep.
        collate='COLLATE "C"' if connection.vendor == "postgresql" else "",
    )
    params = [
        *direct_params,
        *inside_params,
        *active_params,
        Mandate.Role.PRIMARY,
        int(spanish),
        CELL_AGENCIES_SHOWN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def coverage_matrix() -> CoverageMatrix:
    """Functional areas × (each border country, then its border states): who holds an active
    mandate there (containment counts), where two primary mandates of one country collide,
    and where a side of the line has nobody while the other side has someone. A column counts
    only the mandates of its own country's bodies; the others are listed apart (elsewhere).
    Six queries;
    the database ranks the holders and returns only the first CELL_AGENCIES_SHOWN of a cell.

    A state's cell counts a mandate over the state or a place inside it as local, one over
    its whole country as national. An agency appears once per cell with its best mandate:
    primary before supporting, then local before national. A cell lists its local holders
    (every holder in a country-wide column) primary first, then by label (acronym, else the
    name in the active language) in code-point order, then slug; the label depends on the
    language, so the view keeps one matrix per language."""
    functions = list(FunctionalArea.objects.order_by("name"))
    states = _border_states()
    columns: list[CoverageColumn] = []
    seen_countries: set[int] = set()
    for state in states:
        if state.parent_id not in seen_countries:
            seen_countries.add(state.parent_id)
            columns.append(CoverageColumn(state.parent, state.parent, True))
        columns.append(CoverageColumn(state, state.parent, False))
    across: dict[int, set[int]] = defaultdict(set)
    through = Jurisdiction.borders.through
    for source, target in through.objects.filter(from_jurisdiction_id__in=[s.pk for s in states]).values_list(
        "from_jurisdiction_id", "to_jurisdiction_id"
    ):
        across[source].add(target)

    cells: dict[tuple[int, int], CoverageCell] = {}
    by_id = {column.jurisdiction.pk: column for column in columns}
    if columns:
        spanish = (get_language() or "en").startswith("es")
        for row in _coverage_holders(columns, spanish):
            function_id, column_id, local_count, holder_count, overlap, slug, acronym, name, name_es, best = row
            column = by_id[column_id]
            cell = cells.get((function_id, column_id))
            if cell is None:
                cell = cells[function_id, column_id] = CoverageCell(
                    column,
                    more_count=max(0, local_count - CELL_AGENCIES_SHOWN),
                    nationwide_count=holder_count - local_count,
                    overlap=bool(overlap),
                )
            if slug is not None:
                role = Mandate.Role.PRIMARY if best == 0 else Mandate.Role.SUPPORTING
                cell.shown_agencies.append(CellAgency(slug, acronym, name, name_es, role, column.country_wide))

    matrix_rows = []
    for function in functions:
        row_cells = []
        for column in columns:
            target = column.jurisdiction.pk
            cell = cells.get((function.pk, target))
            if cell is None:
                if column.country_wide:
                    across_line = [c.jurisdiction.pk for c in columns if c.country_wide and c.country != column.country]
                else:
                    across_line = across.get(target, ())
                cell = CoverageCell(column, missing=any((function.pk, pk) in cells for pk in across_line))
            row_cells.append(cell)
        matrix_rows.append(CoverageRow(function, row_cells))
    return CoverageMatrix(columns, matrix_rows, _outside_holders())


def agencies_with_an_office_channel(agency_ids: list[int]) -> set[int]:
    """Which of the agencies have an office with a public phone or e-mail (one query)."""
    if not agency_ids:
        return set()
    offices = Office.objects.filter(agency_id__in=agency_ids).filter(~Q(phone="") | ~Q(email=""))
    return set(offices.values_list("agency_id", flat=True).distinct())


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
    kinds = SourceKinds()
    for mandate in mandates:
        mandate.source_kind = kinds[mandate.source] if mandate.source else ""
    return {
        "sources": [{**item, "label": SourceKind(item["kind"]).label} for item in kinds.described(agency.sources)],
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


@dataclass
class MandateGroup:
    """One function's mandates on a jurisdiction page: the first few, and how many in all."""

    function: FunctionalArea
    mandates: list[Mandate]
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.mandates)


MANDATE_ORDER = ["role", "agency__name", "pk"]
# What the page shows of a mandate: its agency's and function's long descriptions stay behind.
MANDATE_FIELDS_SHOWN = [
    "role",
    "legal_basis",
    "agency__slug",
    "agency__acronym",
    "agency__name",
    "agency__name_es",
    "function__slug",
    "function__name",
    "function__name_es",
]


def _mandates_covering(jurisdiction: Jurisdiction) -> QuerySet:
    """Active mandates over the jurisdiction or a place containing it, each once (a filter on
    the places rather than a join, so that counting and ranking see every mandate once)."""
    places = Mandate.jurisdictions.through.objects.filter(
        jurisdiction_id__in=[jurisdiction.pk, *jurisdiction.ancestor_ids()]
    ).values("mandate_id")
    return (
        Mandate.objects.active().filter(pk__in=places).select_related("agency", "function").only(*MANDATE_FIELDS_SHOWN)
    )


def _nearest_page(page: str | None, last: int) -> int:
    """The page asked for, or the nearest one that exists (the first for anything not a number)."""
    try:
        number = int(page or 1)
    except ValueError:
        return 1
    return max(1, min(number, last))


def jurisdiction_page(jurisdiction: Jurisdiction, *, function: FunctionalArea | None, page: str | None = None) -> dict:
    """Who holds what over the place: without a function, the first JURISDICTION_GROUP_SHOWN
    mandates of each function and how many it has; with one, a page of that function's
    mandates. The places it contains (municipalities last) and the offices there are cut to
    their first few, with a count. A fixed number of queries, whatever the size of the catalog."""
    mandates = _mandates_covering(jurisdiction)
    groups: list[MandateGroup] = []
    mandate_page = None
    if function is None:
        by_function = partial(Window, partition_by=F("function_id"))
        ranked = mandates.annotate(
            rank=by_function(RowNumber(), order_by=[F(name).asc() for name in MANDATE_ORDER]),
            function_total=by_function(Count("pk")),
        ).filter(rank__lte=JURISDICTION_GROUP_SHOWN)
        by_id: dict[int, MandateGroup] = {}
        for mandate in ranked.order_by("function_id", "rank"):
            group = by_id.get(mandate.function_id)
            if group is None:
                group = by_id[mandate.function_id] = MandateGroup(mandate.function, [], mandate.function_total)
            group.mandates.append(mandate)
        groups = sorted(by_id.values(), key=lambda g: g.function.display_name)
    else:
        paginator = Paginator(mandates.filter(function=function).order_by(*MANDATE_ORDER), MANDATES_PER_PAGE)
        mandate_page = paginator.page(_nearest_page(page, paginator.num_pages))
        if mandate_page.object_list:
            groups = [MandateGroup(function, list(mandate_page.object_list), mandate_page.paginator.count)]
    # A state holds hundreds of municipalities and offices: the first few of each, with a count.
    here = Jurisdiction.objects.filter(Q(pk=jurisdiction.pk) | Q(parent=jurisdiction)).values("pk")
    offices = list(
        Office.objects.filter(jurisdiction__in=here)
        .select_related("agency")
        .only("name", "name_es", "city", "agency__slug", "agency__acronym", "agency__name", "agency__name_es")
        .annotate(total=Window(Count("pk")))
        .order_by("agency__name", "name", "pk")[:JURISDICTION_OFFICES_SHOWN]
    )
    municipality_last = Case(When(kind=Jurisdiction.Kind.MUNICIPALITY, then=1), default=0)
    children = list(
        jurisdiction.children.annotate(total=Window(Count("pk"))).order_by(municipality_last, "kind", "code")[
            :JURISDICTION_CHILDREN_SHOWN
        ]
    )
    return {
        "ancestors": sorted(
            Jurisdiction.objects.filter(pk__in=jurisdiction.ancestor_ids()), key=lambda j: len(j.lineage)
        ),
        "children": children,
        "more_children": children[0].total - len(children) if children else 0,
        "borders": list(jurisdiction.borders.order_by("code")),
        "mandate_groups": groups,
        "mandate_page": mandate_page,
        "offices": offices,
        "office_count": offices[0].total if offices else 0,
    }
