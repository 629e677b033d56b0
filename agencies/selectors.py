"""Reads with rules: search, coverage by containment, and counterparts (SPEC §2)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Min, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from agencies.cache import catalog_cache_key
from agencies.models import Agency, Contact, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office, Source
from agencies.search import query_words
from agencies.source_kinds import kind_of_url


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
    slug = function.slug if isinstance(function, FunctionalArea) else function
    holders = Mandate.objects.active().filter(function__slug=slug).values("agency_id")
    return queryset.filter(pk__in=holders)


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


BASES = ["link", "national", "border", "international"]
ROLES = [Mandate.Role.PRIMARY, Mandate.Role.SUPPORTING, None]
COUNTERPARTS_CACHE_SECONDS = 60
# Each counterpart comes with its best few liaisons for the function (active first, most
# recently verified first); the agency page lists them all.
CONTACTS_PER_COUNTERPART = 3


class RankedCounterparts(Sequence):
    """The ranked counterparts, read a slice at a time: the ranking itself is a list of
    (agency id, basis, role) codes; the agencies of a slice, and their contacts, are read
    when the slice is asked for (two or three queries whatever its length), so a page of
    the API costs the same whether the agency has ten counterparts or ten thousand."""

    def __init__(self, ranking: list[tuple[int, int, int]], function: FunctionalArea, *, with_contacts: bool):
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

    def _load(self, rows: list[tuple[int, int, int]]) -> list[Counterpart]:
        if not rows:
            return []
        agencies = Agency.objects.select_related("country").in_bulk([agency_id for agency_id, _b, _r in rows])
        found = [
            Counterpart(agencies[agency_id], BASES[basis], ROLES[role])
            for agency_id, basis, role in rows
            if agency_id in agencies
        ]
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
    agencies = Agency.objects.select_related("country").in_bulk({row[0] for head in heads for row in head})
    return [
        [Counterpart(agencies[pk], BASES[basis], ROLES[role]) for pk, basis, role in head if pk in agencies]
        for head in heads
    ]


def counterparts_for(*, agency: Agency, function: FunctionalArea, with_contacts: bool) -> RankedCounterparts:
    """The agencies of other countries that hold an active mandate for the function, ranked
    (SPEC §2): explicit links, then national mandates, then mandates over a jurisdiction
    bordering one the agency covers, then binational and international bodies (no country)
    whose mandate covers a place the agency covers or one across its border. Within a basis:
    the reachable first (an active liaison contact for the function, or an office with a
    public phone or e-mail: reachable_agencies), then primary before supporting, federal
    before other levels, then by name.

    The ranking is computed in SQL (one row per counterpart, ids and codes only) and kept
    in the cache for a minute under the catalog's version, which every catalog write
    changes (agencies/cache.py): a write is visible at once."""
    key = catalog_cache_key("counterparts", agency.pk, function.pk)
    ranking = cache.get(key)
    if ranking is None:
        ranking = _rank_counterparts(agency, function)
        cache.set(key, ranking, COUNTERPARTS_CACHE_SECONDS)
    return RankedCounterparts(ranking, function, with_contacts=with_contacts)


def _ancestors(lineage: str) -> set[int]:
    return {int(part) for part in lineage.strip("/").split("/") if part}


def _rank_counterparts(agency: Agency, function: FunctionalArea) -> list[tuple[int, int, int]]:
    """(agency id, basis code, role code) of every counterpart, in rank order. Seven queries
    (eight when a linked agency records no mandate for the function)."""
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
    role = Case(When(role=Mandate.Role.PRIMARY, then=Value(0)), default=Value(1))
    rows = (
        mandates.order_by()
        .values("agency_id", "agency__level", "agency__name")
        .annotate(best=Min(ExpressionWrapper(basis * 2 + role, output_field=IntegerField())))
        .values_list("agency_id", "best", "agency__level", "agency__name")
    )
    ranked = [(agency_id, best // 2, best % 2, level, name) for agency_id, best, level, name in rows]
    missing_links = linked - {row[0] for row in ranked}
    if missing_links:
        # A documented pairing counts even where the partner records no mandate for the function.
        others = Agency.objects.filter(active=True, pk__in=missing_links).exclude(pk=agency.pk)
        if agency.country_id:
            others = others.exclude(country_id=agency.country_id)
        ranked += [(pk, 0, 2, level, name) for pk, level, name in others.values_list("pk", "level", "name")]
    # Within a basis, the counterparts a liaison can reach come first (README, decisions).
    reachable = reachable_agencies([row[0] for row in ranked], function)
    ranked.sort(key=lambda row: (row[1], row[0] not in reachable, row[2], row[3] != Agency.Level.FEDERAL, row[4]))
    return [(agency_id, basis, role) for agency_id, basis, role, _level, _name in ranked]


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
    with_office = (
        Office.objects.filter(agency__mandates__function=function)
        .filter(~Q(phone="") | ~Q(email=""))
        .values_list("agency_id", flat=True)
        .distinct()
    )
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
