"""Reads with rules: search, coverage by containment, and counterparts (SPEC §2)."""

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from agencies.models import Agency, Contact, CounterpartLink, FunctionalArea, Jurisdiction, Mandate
from agencies.search import query_words


def agency_search(queryset: QuerySet, query: str) -> QuerySet:
    """Agencies whose names, acronyms, former or alternate names contain every word of the
    query (case- and accent-insensitive, partial words); exact acronym matches first, then
    names that start with the query."""
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
        .order_by("search_rank", "name")
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
    holders = Mandate.objects.filter(jurisdictions__id__in=jurisdictions_covering(jurisdiction)).values("agency_id")
    return queryset.filter(pk__in=holders)


@dataclass
class Counterpart:
    agency: Agency
    basis: str
    role: str | None
    contacts: list[Contact] = field(default_factory=list)


BASIS_ORDER = {"link": 0, "national": 1, "border": 2}
ROLE_ORDER = {Mandate.Role.PRIMARY: 0, Mandate.Role.SUPPORTING: 1, None: 2}


def counterparts_for(*, agency: Agency, function: FunctionalArea, with_contacts: bool) -> list[Counterpart]:
    """The agencies of other countries that hold an active mandate for the function, ranked:
    explicit links, then national mandates (primary before supporting), then mandates over
    a jurisdiction bordering one the agency covers. A fixed number of queries."""
    mandates = list(
        Mandate.objects.active()
        .filter(function=function, agency__country__isnull=False)
        .exclude(agency__country_id=agency.country_id)
        .select_related("agency", "agency__country")
        .prefetch_related("jurisdictions")
    )
    links = CounterpartLink.objects.filter(function=function).filter(Q(agency_a=agency) | Q(agency_b=agency))
    linked = {link.agency_b_id if link.agency_a_id == agency.pk else link.agency_a_id for link in links}

    own_places = {j.pk for m in agency.mandates.active().filter(function=function) for j in m.jurisdictions.all()}
    if not own_places and agency.jurisdiction_id:
        own_places = {agency.jurisdiction_id}
    covered = jurisdictions_within(list(own_places)) if own_places else Jurisdiction.objects.none()
    bordering = Jurisdiction.objects.filter(borders__in=covered).values_list("pk", "lineage")
    # A mandate reaches a bordering place when it is over the place or a place containing it.
    reaching = set()
    for pk, lineage in bordering:
        reaching.add(pk)
        reaching.update(int(part) for part in lineage.strip("/").split("/") if part)

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
        if other.country_id in places:
            offer(Counterpart(other, "national", mandate.role))
        elif places & reaching:
            offer(Counterpart(other, "border", mandate.role))
    missing_links = linked - set(best)
    if missing_links:
        # A documented pairing counts even where the partner records no mandate for the function.
        for other in Agency.objects.filter(pk__in=missing_links, active=True).select_related("country"):
            offer(Counterpart(other, "link", None))
    ranked = sorted(
        best.values(),
        key=lambda c: (BASIS_ORDER[c.basis], ROLE_ORDER[c.role], c.agency.level != Agency.Level.FEDERAL, c.agency.name),
    )
    if with_contacts and ranked:
        contacts = (
            Contact.objects.filter(functions=function, agency_id__in=[c.agency.pk for c in ranked])
            .select_related("agency", "office")
            .prefetch_related("functions")
            .liaison_order()
        )
        by_agency: dict[int, list[Contact]] = {}
        for contact in contacts:
            by_agency.setdefault(contact.agency_id, []).append(contact)
        for counterpart in ranked:
            counterpart.contacts = by_agency.get(counterpart.agency.pk, [])
    return ranked
