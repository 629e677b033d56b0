"""Open data: what the public may see, one table per resource (web/views/opendata.py serves them)."""

from django.db.models import QuerySet

from agencies.models import Agency, AgencyName, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office
from agencies.selectors import SourceKinds
from agencies.source_kinds import SourceKind


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
        "primary_sources",
    ]
    kinds = SourceKinds()
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
            _join([url for url in a.sources or [] if kinds[url] == SourceKind.PRIMARY]),
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
    columns = [
        *("id", "agency", "function", "role", "jurisdictions", "legal_basis", "valid_from", "valid_to", "source"),
        "source_kind",
    ]
    kinds = SourceKinds()
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
            kinds[m.source] if m.source else "",
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
