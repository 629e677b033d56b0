"""Reads with rules: search, coverage by containment, and counterparts (docs/SPEC.md §2); and what the
catalog pages show (the coverage matrix, the agency and jurisdiction pages), each in a fixed
number of queries whatever the size of the catalog."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.cache import catalog_cache_key
from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Jurisdiction,
    Mandate,
    Office,
    Source,
    localized,
)
from agencies.search import query_words
from agencies.source_kinds import SourceKind, kind_of_url
from registry.models import Role, role_of


def agency_search(queryset: QuerySet, query: str) -> QuerySet:
    """Agencies whose names, acronyms, former or alternate names contain every word of the
    query (case- and accent-insensitive, partial words); exact acronym matches first, then
    names that start with the query; within each, federal agencies first (most searches are
    for them: `fiscalia general` means the FGR before a state's Fiscalía General)."""
    words = query_words(query)
    if not words:
        return queryset
    whole = " ".join(words)
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=word)
    exact_acronym = Q(search_acronyms__contains=f" {whole} ")
    # The folded acronyms are part of search_text too, so an exact acronym already matches
    # `condition`: one trigram index answers the filter, the acronym only ranks.
    return (
        queryset.filter(condition)
        .annotate(
            search_rank=Case(
                When(exact_acronym, then=Value(0)),
                When(search_text__startswith=whole, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .annotate(
            level_rank=Case(
                When(level=Agency.Level.FEDERAL, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("search_rank", "level_rank", "name")
    )


def _all_words(queryset: QuerySet, query: str) -> QuerySet:
    condition = Q()
    for word in query_words(query):
        condition &= Q(search_text__contains=word)
    return queryset.filter(condition)


def jurisdiction_search(queryset: QuerySet, query: str) -> QuerySet:
    """Jurisdictions by code (exact, any case) or by name in either language (case- and
    accent-insensitive, partial words: `nuevo leon` finds Nuevo León)."""
    code = query.strip()
    words = query_words(query)
    if not words:
        return queryset.filter(code__iexact=code) if code else queryset
    return _all_words(queryset, query) | queryset.filter(code__iexact=code)


def agency_name_search(queryset: QuerySet, query: str) -> QuerySet:
    """Other names of agencies; case- and accent-insensitive, partial words."""
    return _all_words(queryset, query)


def office_search(queryset: QuerySet, query: str) -> QuerySet:
    """Offices by name (either language) or city; case- and accent-insensitive."""
    return _all_words(queryset, query)


def contact_search(queryset: QuerySet, query: str) -> QuerySet:
    """Contacts by name, title or e-mail, never blocked ones. Only for signed-in users."""
    return _all_words(queryset.visible(), query)


def jurisdictions_covering(jurisdiction: Jurisdiction) -> list[int]:
    """The jurisdiction and every place that contains it: a mandate over any of them covers it."""
    return [jurisdiction.pk, *jurisdiction.ancestor_ids()]


def jurisdictions_within(jurisdiction_ids: list[int]) -> QuerySet:
    """The given jurisdictions and everything they contain."""
    contained = Q(pk__in=jurisdiction_ids)
    for pk in jurisdiction_ids:
        contained |= Q(lineage__contains=f"/{pk}/")
    return Jurisdiction.objects.filter(contained)


def agencies_with_function(queryset: QuerySet, function: FunctionalArea | str) -> QuerySet:
    """The active agencies holding a mandate in force for the function. Written for the
    planner: the function's id as a scalar subquery (no join to the functional areas) and
    the agency's own `active` on the outer query (no join back to the agencies), so that at
    national scale the holders are one bitmap scan of the mandates' function index."""
    if isinstance(function, FunctionalArea):
        function_id = function.pk
    else:
        function_id = Subquery(FunctionalArea.objects.filter(slug=function).values("pk")[:1])
    holders = Mandate.objects.in_force().filter(function_id=function_id).values("agency_id")
    return queryset.filter(active=True, pk__in=holders)


def agencies_covering(queryset: QuerySet, jurisdiction: Jurisdiction) -> QuerySet:
    """Agencies holding an active mandate over the jurisdiction or a place containing it."""
    holders = Mandate.objects.active().filter(jurisdictions__id__in=jurisdictions_covering(jurisdiction))
    return queryset.filter(pk__in=holders.values("agency_id"))


def agencies_with_function_covering(queryset: QuerySet, function: str, jurisdiction: Jurisdiction) -> QuerySet:
    """Agencies whose one active mandate for the function covers the jurisdiction."""
    holders = Mandate.objects.active().filter(
        function__slug=function, jurisdictions__id__in=jurisdictions_covering(jurisdiction)
    )
    return queryset.filter(pk__in=holders.values("agency_id"))


@dataclass
class Counterpart:
    agency: Agency
    basis: str
    role: str | None
    contacts: list[Contact] = field(default_factory=list)
    # Whether someone can be reached there for the function (reachable_agencies), and, where
    # no one can, the best-ranked counterpart of the same country who can: whom to ask instead.
    reachable: bool = False
    referral: Agency | None = None


BASES = ["link", "national", "border", "international"]
# The rank of each basis (by its index in BASES) for a local body: link, border, national, international.
LOCAL_BASIS_ORDER = (0, 2, 1, 3)
LOCAL_LEVELS = {
    Agency.Level.MUNICIPAL,
    Agency.Level.COUNTY,
    Agency.Level.TRIBAL,
    Agency.Level.UNIVERSITY,
    Agency.Level.OTHER,
}
ROLES = [Mandate.Role.PRIMARY, Mandate.Role.SUPPORTING, Mandate.Role.CONCURRENT, None]
COUNTERPARTS_CACHE_SECONDS = 60
# How long the agency list keeps the count of a filter and a page as sent (agencies/api/views.py).
LIST_COUNT_CACHE_SECONDS = 60
LIST_PAGE_CACHE_SECONDS = 60
# Each counterpart comes with its best few liaisons for the function (active first, most
# recently verified first); the agency page lists them all.
CONTACTS_PER_COUNTERPART = 3


# One counterpart of a ranking: agency id, basis code (BASES), role code (ROLES), whether it is
# reachable (1 or 0), and the agency id of its referral (None when reachable or nobody is).
RankRow = tuple[int, int, int, int, int | None]


class RankedCounterparts(Sequence):
    """The ranked counterparts, read a slice at a time: the ranking itself is a list of
    codes (RankRow); the agencies of a slice, their referrals and their contacts are read
    when the slice is asked for (two or three queries whatever its length), so a page of
    the API costs the same whether the agency has ten counterparts or ten thousand."""

    def __init__(self, ranking: list[RankRow], function: FunctionalArea, *, with_contacts: bool):
        self.ranking = ranking
        self.function = function
        self.with_contacts = with_contacts

    def __len__(self) -> int:
        return len(self.ranking)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._load(self.ranking[index])
        return self._load([self.ranking[index]])[0]

    def __iter__(self):
        return iter(self[:])

    def _load(self, rows: list[RankRow]) -> list[Counterpart]:
        if not rows:
            return []
        found = _counterparts_of(rows)
        if self.with_contacts:
            _attach_liaison_contacts(found, self.function)
        return found


def agency_history_parts(agency: Agency, *, with_contacts: bool) -> dict[str, QuerySet]:
    """What the agency page's "changes" show (registry/history.py): the agency, its other
    names, mandates, offices and counterpart links — public facts — and its contacts only for
    viewers who may see points of contact, never a blocked contact (hidden everywhere)."""
    from agencies.models import AgencyName, Office

    parts = {
        "agency": Agency.history.filter(id=agency.pk),
        "agencyname": AgencyName.history.filter(agency_id=agency.pk),
        "mandate": Mandate.history.filter(agency_id=agency.pk),
        "office": Office.history.filter(agency_id=agency.pk),
        "counterpartlink": CounterpartLink.history.filter(Q(agency_a_id=agency.pk) | Q(agency_b_id=agency.pk)),
    }
    if with_contacts:
        blocked = Contact.objects.filter(blocked_at__isnull=False).values("id")
        parts["contact"] = Contact.history.filter(agency_id=agency.pk).exclude(id__in=blocked)
    return parts


def first_counterparts(rankings: list[RankedCounterparts], count: int) -> list[list[Counterpart]]:
    """The first `count` counterparts of each ranking, their agencies read in one query
    (the agency page shows a few per function); without contacts."""
    heads = [ranked.ranking[:count] for ranked in rankings]
    agencies = _agencies_of([row for head in heads for row in head])
    return [_counterparts_of(head, agencies) for head in heads]


def _agencies_of(rows: list[RankRow]) -> dict[int, Agency]:
    """The agencies the rows name, counterparts and referrals alike: one query."""
    wanted = {row[0] for row in rows} | {row[4] for row in rows if row[4] is not None}
    return Agency.objects.select_related("country").in_bulk(wanted)


def _counterparts_of(rows: list[RankRow], agencies: dict[int, Agency] | None = None) -> list[Counterpart]:
    if agencies is None:
        agencies = _agencies_of(rows)
    return [
        Counterpart(
            agencies[agency_id],
            BASES[basis],
            ROLES[role],
            reachable=bool(reachable),
            referral=agencies.get(referral) if referral is not None else None,
        )
        for agency_id, basis, role, reachable, referral in rows
        if agency_id in agencies
    ]


def counterparts_for(*, agency: Agency, function: FunctionalArea, with_contacts: bool) -> RankedCounterparts:
    """The agencies of other countries that hold an active mandate for the function, ranked
    (docs/SPEC.md §2): explicit links, then national mandates, then mandates over a jurisdiction
    bordering one the agency covers, then binational and international bodies (no country)
    whose mandate covers a place the agency covers or one across its border; for a local body
    (LOCAL_LEVELS: a city police, a sheriff) the border counterparts come before the national
    ones. Within a basis:
    the reachable first (an active liaison contact for the function, or an office with a
    public phone or e-mail: reachable_agencies), then primary before supporting, federal
    before other levels, then by name. A counterpart no one can be reached at names its
    referral: the best-ranked reachable counterpart of its own country (for a binational or
    international body, of any), so the finder never ends at a name with nobody to call.

    The ranking is computed in SQL (one row per counterpart, ids and codes only) and kept
    in the cache for a minute under the catalog's version, which every catalog write
    changes (agencies/cache.py): a write is visible at once."""
    key = catalog_cache_key("counterparts-v2", agency.pk, function.pk)
    ranking = cache.get(key)
    if ranking is None:
        ranking = _rank_counterparts(agency, function)
        cache.set(key, ranking, COUNTERPARTS_CACHE_SECONDS)
    return RankedCounterparts(ranking, function, with_contacts=with_contacts)


def _ancestors(lineage: str) -> set[int]:
    return {int(part) for part in lineage.strip("/").split("/") if part}


def _rank_counterparts(agency: Agency, function: FunctionalArea) -> list[RankRow]:
    """The RankRow of every counterpart, in rank order. Seven queries (eight when a linked
    agency records no mandate for the function)."""
    links = CounterpartLink.objects.filter(function=function).filter(Q(agency_a=agency) | Q(agency_b=agency))
    linked = {b if a == agency.pk else a for a, b in links.values_list("agency_a_id", "agency_b_id")}

    own_rows = list(
        Mandate.objects.active()
        .filter(agency=agency, function=function)
        .exclude(jurisdictions__id=None)
        .values_list("jurisdictions__id", "jurisdictions__lineage")
    )
    if not own_rows and agency.jurisdiction_id:
        own_rows = list(Jurisdiction.objects.filter(pk=agency.jurisdiction_id).values_list("pk", "lineage"))
    own_places = {pk for pk, _lineage in own_rows}
    # The places the agency covers and those containing them: where an intergovernmental body
    # that works alongside it holds its mandate.
    own_reach = own_places.union(*(_ancestors(lineage) for _pk, lineage in own_rows))
    across = _places_across_the_border_of(own_places)

    # One row per (mandate, place) that can qualify; the best (basis, role) of each agency wins.
    mandates = Mandate.objects.active().filter(function=function).exclude(agency=agency)
    if agency.country_id:
        # Binational and international bodies (no country) count as another country.
        mandates = mandates.exclude(agency__country_id=agency.country_id)
    stateless = Q(agency__country_id__isnull=True)
    mandates = mandates.filter(
        Q(agency__in=linked)
        | Q(jurisdictions__id=F("agency__country_id"))
        | (~stateless & Q(jurisdictions__id__in=across))
        | (stateless & Q(jurisdictions__id__in=across | own_reach))
    )
    basis = Case(
        When(agency__in=linked, then=Value(0)),
        # Never "border": a binational or international body ranks after every national one.
        When(stateless, then=Value(3)),
        When(jurisdictions__id=F("agency__country_id"), then=Value(1)),
        default=Value(2),
    )
    role = Case(
        When(role=Mandate.Role.PRIMARY, then=Value(0)),
        When(role=Mandate.Role.CONCURRENT, then=Value(2)),
        default=Value(1),
    )
    rows = (
        mandates.order_by()
        .values("agency_id", "agency__level", "agency__name", "agency__country_id")
        .annotate(best=Min(ExpressionWrapper(basis * 4 + role, output_field=IntegerField())))
        .values_list("agency_id", "best", "agency__level", "agency__name", "agency__country_id")
    )
    ranked = [
        (agency_id, best // 4, best % 4, level, name, country) for agency_id, best, level, name, country in rows
    ]
    missing_links = linked - {row[0] for row in ranked}
    if missing_links:
        # A documented pairing counts even where the partner records no mandate for the function.
        others = Agency.objects.filter(active=True, pk__in=missing_links).exclude(pk=agency.pk)
        if agency.country_id:
            others = others.exclude(country_id=agency.country_id)
        ranked += [
            (pk, 0, 3, level, name, country)
            for pk, level, name, country in others.values_list("pk", "level", "name", "country_id")
        ]
    # Within a basis, the counterparts a liaison can reach come first (README, decisions).
    reachable = reachable_agencies([row[0] for row in ranked], function)
    # A local body's (a city police, a sheriff) first counterparts are the bodies across its own
    # stretch of the line; the other country's national bodies follow (README, "Ordinary policing").
    order = LOCAL_BASIS_ORDER if agency.level in LOCAL_LEVELS else (0, 1, 2, 3)
    ranked.sort(
        key=lambda row: (order[row[1]], row[0] not in reachable, row[2], row[3] != Agency.Level.FEDERAL, row[4])
    )
    # Whom to ask where no one can be reached: the first reachable counterpart of the same
    # country (a binational or international body has none of its own: the first of all).
    first_reachable: dict[int | None, int] = {}
    for agency_id, _basis, _role, _level, _name, country in ranked:
        if agency_id in reachable:
            first_reachable.setdefault(country, agency_id)
            first_reachable.setdefault(None, agency_id)
    return [
        (agency_id, basis, role, 1, None)
        if agency_id in reachable
        else (agency_id, basis, role, 0, first_reachable.get(country))
        for agency_id, basis, role, _level, _name, country in ranked
    ]


def reachable_agencies(agency_ids: list[int], function: FunctionalArea) -> set[int]:
    """Which of the agencies someone can reach for the function: an active liaison contact for
    it (not blocked), or an office with a public phone or e-mail. Two queries; the id lists are
    the contacts' and offices' own, so a ranking of thousands sends no list of thousands."""
    if not agency_ids:
        return set()
    wanted = set(agency_ids)
    with_contact = (
        Contact.objects.visible().filter(active=True, functions=function).values_list("agency_id", flat=True).distinct()
    )
    # Any office with a public channel: a consulate answers for its embassy whatever the
    # function, and the finder's "try the agency's offices" hint says the same.
    with_office = Office.objects.filter(~Q(phone="") | ~Q(email="")).values_list("agency_id", flat=True).distinct()
    return wanted & (set(with_contact) | set(with_office))


def _places_across_the_border_of(place_ids: set[int]) -> set[int]:
    """The places a mandate may cover to reach across the line from the given ones (or from
    anything they contain): each bordering place, every place containing it, and the places
    inside it that record no border of their own. A port of entry reaches only the states its
    own borders name (Laredo is not across from Chihuahua because Texas is), and a judicial
    district only through the ports its mandates list (the Southern District of Texas is not
    across from Chihuahua either). Two queries over the jurisdictions (a few thousand rows)."""
    if not place_ids:
        return set()
    covered = jurisdictions_within(list(place_ids))
    rows = Jurisdiction.objects.filter(borders__in=covered).values_list("pk", "lineage").distinct()
    bordering: set[int] = set()
    reaching: set[int] = set()
    for pk, lineage in rows:
        bordering.add(pk)
        reaching.update(_ancestors(lineage))
    if bordering:
        inside = (
            jurisdictions_within(list(bordering))
            .exclude(kind=Jurisdiction.Kind.JUDICIAL_DISTRICT)
            .filter(borders__isnull=True)
        )
        reaching.update(inside.values_list("pk", flat=True))
    return reaching | bordering


def liaison_contacts(function: FunctionalArea) -> QuerySet:
    """Visible contacts who are liaison for the function: active first, most recently verified first."""
    return (
        Contact.objects.visible()
        .filter(functions=function)
        .select_related("agency", "office")
        .prefetch_related("functions")
        .liaison_order()
    )


def _attach_liaison_contacts(ranked: list[Counterpart], function: FunctionalArea) -> None:
    """The first few liaison contacts of each counterpart (their order: liaison_contacts),
    cut in SQL: an agency's dozens of field liaisons do not make a page heavier."""
    first = Window(
        RowNumber(),
        partition_by=F("agency_id"),
        order_by=[F("active").desc(), F("verified_on").desc(nulls_last=True), F("name").asc()],
    )
    contacts = (
        liaison_contacts(function)
        .select_related(None)
        .select_related("office")
        .filter(agency_id__in=[c.agency.pk for c in ranked])
        .annotate(place=first)
        .filter(place__lte=CONTACTS_PER_COUNTERPART)
    )
    by_agency: dict[int, list[Contact]] = {}
    for contact in contacts:
        by_agency.setdefault(contact.agency_id, []).append(contact)
    for counterpart in ranked:
        counterpart.contacts = by_agency.get(counterpart.agency.pk, [])
        for contact in counterpart.contacts:
            contact.agency = counterpart.agency


class SourceKinds:
    """The kind (primary or secondary) of each cited URL: the stored Source rows, read in one
    query the first time, else the domain rule of agencies/source_kinds.py (a URL an editor
    added that the reference data does not list)."""

    def __init__(self):
        self._stored: dict[str, str] | None = None

    def __getitem__(self, url: str) -> str:
        if self._stored is None:
            self._stored = dict(Source.objects.values_list("url", "kind"))
        return self._stored.get(url) or kind_of_url(url)

    def described(self, urls) -> list[dict]:
        """[{"url", "kind"}] for each URL, in order."""
        return [{"url": url, "kind": self[url]} for url in urls or []]


# ---------------------------------------------------------------- the catalog pages

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


COVERAGE_CACHE_SECONDS = 60


def coverage_matrix_cached() -> CoverageMatrix:
    """coverage_matrix(), kept for a minute under the catalog's version, which every catalog
    write replaces (agencies/cache.py). A cell's first agencies are ranked by their label in
    the active language, so each language has its own copy."""
    key = catalog_cache_key("coverage-matrix", get_language() or settings.LANGUAGE_CODE)
    matrix = cache.get(key)
    if matrix is None:
        matrix = coverage_matrix()
        cache.set(key, matrix, COVERAGE_CACHE_SECONDS)
    return matrix


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
        "identifiers": list(agency.identifiers.order_by("scheme", "value")),
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


# Leads first, then supporting mandates, then the concurrent general powers of local bodies.
ROLE_RANK = Case(
    When(role=Mandate.Role.PRIMARY, then=Value(0)),
    When(role=Mandate.Role.SUPPORTING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
MANDATE_ORDER = [ROLE_RANK.asc(), F("agency__name").asc(), F("pk").asc()]
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
            rank=by_function(RowNumber(), order_by=MANDATE_ORDER),
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
        "identifiers": list(jurisdiction.identifiers.order_by("scheme", "value")),
        "mandate_groups": groups,
        "mandate_page": mandate_page,
        "offices": offices,
        "office_count": offices[0].total if offices else 0,
    }


def may_see_contacts(user) -> bool:
    """Points of contact are personal data: signed-in officials with a role only."""
    return role_of(user) != Role.PUBLIC


NATIONAL_LEVELS = [Agency.Level.FEDERAL, Agency.Level.BINATIONAL, Agency.Level.INTERNATIONAL]


def national_bodies_by_country() -> list[dict]:
    """The national bodies (federal, binational, international) by country, binational and
    international ones last; the state and municipal ones (thousands at national scale) are
    only counted per country (`others`): the search finds them. Three queries."""
    active = Agency.objects.filter(active=True)
    agencies = (
        active.filter(level__in=NATIONAL_LEVELS)
        .select_related("country")
        .only("slug", "acronym", "name", "name_es", "level", "country__code", "country__name", "country__name_es")
        .order_by("country__code", "acronym", "name")
    )
    groups: dict[str, dict] = {}
    for agency in agencies:
        key = agency.country.code if agency.country_id else ""
        if key not in groups:
            label = agency.country.display_name if agency.country_id else _("Binational and international bodies")
            groups[key] = {"label": label, "code": key, "agencies": [], "others": 0}
        groups[key]["agencies"].append(agency)
    others = active.exclude(level__in=NATIONAL_LEVELS).filter(country__isnull=False)
    for code, count in others.order_by().values_list("country__code").annotate(count=Count("id")):
        groups.setdefault(code, {"label": code, "code": code, "agencies": [], "others": 0})["others"] = count
    ordered = [groups[k] for k in sorted(groups, key=lambda k: (k == "", k))]
    for group in ordered:
        group["agencies"].sort(key=lambda agency: (agency.acronym or agency.display_name).casefold())
    return ordered


def catalog_search(query: str, *, limit: int, with_contacts: bool) -> dict:
    """The search page's agencies, places, offices and (for those who may see them) contacts."""
    other_names = Prefetch("other_names", queryset=AgencyName.objects.order_by("kind", "name"))
    agencies = list(
        agency_search(Agency.objects.select_related("country").prefetch_related(other_names), query)[:limit]
    )
    offices = list(
        office_search(Office.objects.select_related("agency", "jurisdiction"), query).order_by("name")[:limit]
    )
    # Places: counties and municipalities too (`cochise`, `piedras negras`); wider places first.
    places = list(
        jurisdiction_search(Jurisdiction.objects.select_related("parent"), query).order_by(
            Case(When(kind=Jurisdiction.Kind.MUNICIPALITY, then=1), default=0), "name", "code"
        )[:limit]
    )
    contacts = []
    if with_contacts:
        contacts = list(contact_search(Contact.objects.select_related("agency"), query).order_by("name")[:limit])
    return {"agencies": agencies, "places": places, "offices": offices, "contacts": contacts}


def agency_page_counterparts(groups: list[FunctionCounterparts], count: int) -> None:
    """The agency page shows the first `count` counterparts per function: read in one query."""
    for group, first in zip(groups, first_counterparts([g.counterparts for g in groups], count), strict=True):
        group.counterparts = first


def counterparts_page(*, agency: Agency, function: FunctionalArea, with_contacts: bool, page, per_page: int) -> dict:
    """A page of the agency's counterparts for the function, with their contacts as far as the
    viewer may see them, and which of their agencies have an office with a public channel.

    The ranking reads its agencies a slice at a time: a page of them (and their contacts) is
    read once, here; at national scale an agency can have thousands of counterparts."""
    ranked = counterparts_for(agency=agency, function=function, with_contacts=with_contacts)
    page = Paginator(ranked, per_page).get_page(page)
    counterparts = list(page.object_list)
    for counterpart in counterparts:
        counterpart.contacts = visible_contacts(counterpart.contacts)
    with_channel = set()
    if with_contacts:
        # The "try the agency's offices" hint only where an office has a public channel.
        with_channel = agencies_with_an_office_channel([c.agency.pk for c in counterparts])
    return {"counterparts": counterparts, "offices_with_channel": with_channel, "page": page}


def agencies_labelled(slugs) -> dict[str, str]:
    """Each agency's label (acronym, else name in the active language) by slug: one query."""
    return {
        values["slug"]: values["acronym"] or localized(values["name"], values["name_es"])
        for values in Agency.objects.filter(slug__in=list(slugs)).values("slug", "acronym", "name", "name_es")
    }


def jurisdictions_named(codes) -> dict[str, str]:
    """Each jurisdiction's name in the active language by code: one query."""
    return {j.code: j.display_name for j in Jurisdiction.objects.filter(code__in=list(codes))}
