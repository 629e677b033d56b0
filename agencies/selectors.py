"""Reads with rules: search, coverage by containment, and counterparts (SPEC §2)."""

from dataclasses import dataclass, field

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from agencies.models import Agency, Contact, CounterpartLink, FunctionalArea, Jurisdiction, Mandate
from agencies.search import query_words


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
    return (
        queryset.filter(condition | exact_acronym)
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


BASIS_ORDER = {"link": 0, "national": 1, "border": 2}
ROLE_ORDER = {Mandate.Role.PRIMARY: 0, Mandate.Role.SUPPORTING: 1, None: 2}


def counterparts_for(*, agency: Agency, function: FunctionalArea, with_contacts: bool) -> list[Counterpart]:
    """The agencies of other countries that hold an active mandate for the function, ranked
    (SPEC §2): explicit links, then national mandates (primary before supporting), then
    mandates over a jurisdiction bordering one the agency covers. Within a basis: primary
    before supporting, federal before other levels, then by name. A fixed number of queries."""
    others = Agency.objects.filter(active=True).exclude(pk=agency.pk)
    if agency.country_id:
        # Binational and international bodies (no country) count as another country.
        others = others.exclude(country_id=agency.country_id)
    links = CounterpartLink.objects.filter(function=function).filter(Q(agency_a=agency) | Q(agency_b=agency))
    linked = {b if a == agency.pk else a for a, b in links.values_list("agency_a_id", "agency_b_id")}

    own_places = set(
        Mandate.objects.active()
        .filter(agency=agency, function=function)
        .values_list("jurisdictions__id", flat=True)
        .exclude(jurisdictions__id=None)
    )
    if not own_places and agency.jurisdiction_id:
        own_places = {agency.jurisdiction_id}
    bordering, reaching = _places_across_the_border_of(own_places)

    # Only mandates that can qualify leave the database: linked agencies, national mandates,
    # and mandates over (or inside) a place across the border. The ranking below decides.
    can_qualify = (
        Q(agency__in=linked)
        | Q(jurisdictions__id=F("agency__country_id"))
        | Q(jurisdictions__id__in=reaching)
    )
    for place in bordering:
        can_qualify |= Q(jurisdictions__lineage__contains=f"/{place}/")
    qualifying = Mandate.objects.active().filter(can_qualify, function=function, agency__in=others)
    mandates = list(
        Mandate.objects.filter(pk__in=qualifying.values("pk"))
        .select_related("agency", "agency__country")
        .prefetch_related("jurisdictions")
    )

    best: dict[int, Counterpart] = {}

    def offer(candidate: Counterpart) -> None:
        current = best.get(candidate.agency.pk)
        key = (BASIS_ORDER[candidate.basis], ROLE_ORDER[candidate.role])
        if current is None or key < (BASIS_ORDER[current.basis], ROLE_ORDER[current.role]):
            best[candidate.agency.pk] = candidate

    for mandate in mandates:
        other = mandate.agency
        places = {j.pk for j in mandate.jurisdictions.all()}
        if other.pk in linked:
            offer(Counterpart(other, "link", mandate.role))
        elif other.country_id and other.country_id in places:
            offer(Counterpart(other, "national", mandate.role))
        elif places & reaching or any(set(j.ancestor_ids()) & bordering for j in mandate.jurisdictions.all()):
            offer(Counterpart(other, "border", mandate.role))
    missing_links = linked - set(best)
    if missing_links:
        # A documented pairing counts even where the partner records no mandate for the function.
        for other in others.filter(pk__in=missing_links).select_related("country"):
            offer(Counterpart(other, "link", None))
    ranked = sorted(
        best.values(),
        key=lambda c: (
            BASIS_ORDER[c.basis],
            ROLE_ORDER[c.role],
            c.agency.level != Agency.Level.FEDERAL,
            c.agency.name,
        ),
    )
    if with_contacts and ranked:
        _attach_liaison_contacts(ranked, function)
    return ranked


def _places_across_the_border_of(place_ids: set[int]) -> tuple[set[int], set[int]]:
    """The places across the line from the given ones (or from anything they contain), and
    those places together with every place containing them. A mandate reaches the border
    when it is over one of the second set or inside one of the first. One query."""
    if not place_ids:
        return set(), set()
    covered = jurisdictions_within(list(place_ids))
    rows = Jurisdiction.objects.filter(borders__in=covered).values_list("pk", "lineage").distinct()
    bordering: set[int] = set()
    reaching: set[int] = set()
    for pk, lineage in rows:
        bordering.add(pk)
        reaching.add(pk)
        reaching.update(int(part) for part in lineage.strip("/").split("/") if part)
    return bordering, reaching


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
    by_agency: dict[int, list[Contact]] = {}
    for contact in liaison_contacts(function).filter(agency_id__in=[c.agency.pk for c in ranked]):
        by_agency.setdefault(contact.agency_id, []).append(contact)
    for counterpart in ranked:
        counterpart.contacts = by_agency.get(counterpart.agency.pk, [])
