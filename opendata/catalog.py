"""The catalog's public datasets: the API's lists as an anonymous reader gets them, whole.

Each reads its viewset's queryset and serializer, so a page download and the API's
`?format=csv` cannot drift apart. Contacts are not open data (personal data)."""

from django.apps import apps
from django.utils.translation import gettext_lazy

from agencies.api import serializers
from agencies.api import views as api
from opendata.datasets import Dataset, ForeignKey, register

AGENCY = ("agencies", "slug")
PLACE = ("jurisdictions", "code")
FUNCTION = ("functions", "slug")


def _fk(column: str, target: tuple[str, str]) -> ForeignKey:
    return ForeignKey(column, *target)


def _viewset_rows(viewset):
    def queryset():
        return viewset.queryset.all()

    return queryset


register(
    Dataset(
        name="agencies",
        title=gettext_lazy("Agencies"),
        description=gettext_lazy("Every agency: names in both languages, country, level, kind, parent, sources."),
        primary_key=("slug",),
        queryset=api.AgencyViewSet.list_queryset,
        serializer=serializers.AgencySerializer,
        foreign_keys=(_fk("parent", AGENCY), _fk("country", PLACE), _fk("jurisdiction", PLACE)),
        importable=True,
    )
)
register(
    Dataset(
        name="agency-names",
        title=gettext_lazy("Other names"),
        description=gettext_lazy("Acronyms, former, alternate and translated names of agencies."),
        primary_key=("id",),
        queryset=_viewset_rows(api.AgencyNameViewSet),
        serializer=serializers.AgencyNameSerializer,
        foreign_keys=(_fk("agency", AGENCY),),
        importable=True,
    )
)
register(
    Dataset(
        name="functions",
        title=gettext_lazy("Functional areas"),
        description=gettext_lazy("The controlled bilingual vocabulary of functions."),
        primary_key=("slug",),
        queryset=_viewset_rows(api.FunctionalAreaViewSet),
        serializer=serializers.FunctionalAreaSerializer,
    )
)
register(
    Dataset(
        name="jurisdictions",
        title=gettext_lazy("Jurisdictions"),
        description=gettext_lazy("Countries, states and ports of entry, with their parents."),
        primary_key=("code",),
        queryset=_viewset_rows(api.JurisdictionViewSet),
        serializer=serializers.JurisdictionSerializer,
        foreign_keys=(_fk("parent", PLACE),),
    )
)
register(
    Dataset(
        name="mandates",
        title=gettext_lazy("Mandates"),
        description=gettext_lazy("Who holds which function where, in what role, on what legal basis."),
        primary_key=("id",),
        queryset=_viewset_rows(api.MandateViewSet),
        serializer=serializers.MandateSerializer,
        foreign_keys=(_fk("agency", AGENCY), _fk("function", FUNCTION)),
        importable=True,
    )
)
register(
    Dataset(
        name="offices",
        title=gettext_lazy("Offices"),
        description=gettext_lazy("Offices of agencies with their public phone and e-mail."),
        primary_key=("id",),
        queryset=_viewset_rows(api.OfficeViewSet),
        serializer=serializers.OfficeSerializer,
        foreign_keys=(_fk("agency", AGENCY), _fk("jurisdiction", PLACE)),
        importable=True,
    )
)
register(
    Dataset(
        name="counterpart-links",
        title=gettext_lazy("Counterpart links"),
        description=gettext_lazy("Documented pairings of agencies for a function."),
        primary_key=("id",),
        queryset=_viewset_rows(api.CounterpartLinkViewSet),
        serializer=serializers.CounterpartLinkSerializer,
        foreign_keys=(_fk("agency_a", AGENCY), _fk("agency_b", AGENCY), _fk("function", FUNCTION)),
    )
)


def _register_identifiers() -> None:
    """The identifiers table (issue 14, branch h-border) is published when it exists: a model
    `agencies.Identifier` with an API viewset `IdentifierViewSet` and serializer
    `IdentifierSerializer`. Until then there is nothing to publish and no dataset is listed."""
    try:
        apps.get_model("agencies", "Identifier")
    except LookupError:
        return
    viewset = getattr(api, "IdentifierViewSet", None)
    serializer = getattr(serializers, "IdentifierSerializer", None)
    if viewset is None or serializer is None:
        return
    register(
        Dataset(
            name="identifiers",
            title=gettext_lazy("Identifiers"),
            description=gettext_lazy("Official identifiers of agencies in other registries."),
            primary_key=("id",),
            queryset=_viewset_rows(viewset),
            serializer=serializer,
            foreign_keys=(_fk("agency", AGENCY), _fk("jurisdiction", PLACE)),
        )
    )


_register_identifiers()

# The accountability metrics (opendata/metrics.py) come last on the page.
from opendata import metrics  # noqa: E402, F401
