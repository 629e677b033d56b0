"""The public catalog as Popolo JSON (https://www.popoloproject.com/specs/) for open-data users.

Organizations are the agencies, areas the jurisdictions. Offices' public channels become
the organizations' contact details. No persons, memberships or posts: the people (and the
desks) who hold positions are points of contact, which are personal data and never public.
"""

from urllib.parse import urlsplit, urlunsplit

from django.db.models import Prefetch
from django.utils.encoding import iri_to_uri

from agencies.models import Agency, AgencyName, Identifier, Jurisdiction, Office
from agencies.selectors import SourceKinds

# The document holds both languages: `name` in English (Popolo has one name), the Spanish
# name as an other name and as `name_es`; the answer says so (Content-Language: en, es).
CONTENT_LANGUAGE = "en, es"
SLUG_SCHEME = "enlace-slug"


def as_uri(url: str) -> str:
    """A URL as an RFC 3986 URI, which Popolo's "uri" format asks for: a non-ASCII host in
    IDNA form, any other non-ASCII character percent-encoded (“/fiscalía” → “/fiscal%C3%ADa”)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = host
    netloc = parts.netloc.replace(host, ascii_host) if host else parts.netloc
    return iri_to_uri(urlunsplit(parts._replace(netloc=netloc)))


ACRONYM_SCHEME = "acronym"


def popolo_catalog() -> dict:
    """The whole public catalog in six queries (one reads the sources' kinds), in a stable order (slug, code)."""
    agencies = (
        Agency.objects.select_related("parent", "jurisdiction", "country")
        .prefetch_related(
            Prefetch("other_names", queryset=AgencyName.objects.order_by("kind", "language", "name")),
            Prefetch("offices", queryset=Office.objects.select_related("jurisdiction").order_by("name", "pk")),
            Prefetch("identifiers", queryset=Identifier.objects.order_by("scheme", "value")),
        )
        .order_by("slug")
    )
    areas = Jurisdiction.objects.select_related("parent").order_by("code")
    kinds = SourceKinds()
    return {
        "organizations": [_organization(agency, kinds) for agency in agencies],
        "areas": [_area(place) for place in areas],
        "posts": [],
    }


def _organization(agency: Agency, kinds: SourceKinds) -> dict:
    other_names = []
    if agency.name_es and agency.name_es != agency.name:
        other_names.append({"name": agency.name_es, "note": "official name (es)"})
    for other in agency.other_names.all():
        entry = {"name": other.name, "note": f"{other.kind} ({other.language})"}
        if other.end_date:
            entry["end_date"] = other.end_date.isoformat()
        other_names.append(entry)
    identifiers = [{"scheme": SLUG_SCHEME, "identifier": agency.slug}]
    if agency.acronym:
        identifiers.append({"scheme": ACRONYM_SCHEME, "identifier": agency.acronym})
    # Official codes of other registries (the FBI's ORI, issue 14), by their own scheme names.
    identifiers += [{"scheme": other.scheme, "identifier": other.value} for other in agency.identifiers.all()]
    area = agency.jurisdiction or agency.country
    organization = {
        "id": agency.slug,
        "name": agency.name,
        "other_names": other_names,
        "identifiers": identifiers,
        "classification": agency.kind or agency.level,
        "parent_id": agency.parent.slug if agency.parent_id else None,
        "area_id": area.code if area else None,
        "founding_date": agency.valid_from.isoformat() if agency.valid_from else None,
        "dissolution_date": agency.valid_to.isoformat() if agency.valid_to else None,
        "contact_details": _office_channels(agency),
        "links": [{"url": as_uri(agency.website), "note": "website"}] if agency.website else [],
        # Popolo's source note carries the kind: "primary" or "secondary" (agencies/source_kinds.py).
        "sources": [{"url": as_uri(item["url"]), "note": item["kind"]} for item in kinds.described(agency.sources)],
        "created_at": agency.created_at.isoformat(),
        "updated_at": agency.updated_at.isoformat(),
        # Enlace's own terms, beside Popolo's: the level of government and whether it is active.
        "level": agency.level,
        "active": agency.active,
        "name_es": agency.name_es,
    }
    return organization


def _office_channels(agency: Agency) -> list[dict]:
    """Offices' public phone and e-mail (docs/SPEC.md §1: public channels are open data)."""
    channels = []
    for office in agency.offices.all():
        if office.phone:
            channels.append({"type": "voice", "value": str(office.phone), "label": office.name})
        if office.email:
            channels.append({"type": "email", "value": office.email, "label": office.name})
    return channels


def _area(place: Jurisdiction) -> dict:
    return {
        "id": place.code,
        "name": place.name,
        "identifier": place.code,
        "classification": place.kind,
        "parent_id": place.parent.code if place.parent_id else None,
        "sources": [{"url": as_uri(place.source)}] if place.source else [],
        "created_at": place.created_at.isoformat(),
        "updated_at": place.updated_at.isoformat(),
        "name_es": place.name_es,
    }
