"""Filters of the catalog API (docs/API.md). Every filter is backed by an index."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies import selectors
from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Identifier,
    Jurisdiction,
    Mandate,
    Office,
)


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    def search(self, queryset, name, value):
        raise NotImplementedError


class JurisdictionFilterSet(SearchFilterSet):
    kind = django_filters.ChoiceFilter(choices=Jurisdiction.Kind.choices)
    parent = django_filters.CharFilter(field_name="parent__code")
    borders = django_filters.CharFilter(field_name="borders__code", label=_("Borders the jurisdiction"))

    class Meta:
        model = Jurisdiction
        fields = ["kind", "parent", "borders"]

    def search(self, queryset, name, value):
        return selectors.jurisdiction_search(queryset, value)


class FunctionalAreaFilterSet(SearchFilterSet):
    class Meta:
        model = FunctionalArea
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(slug__icontains=value) | Q(name__icontains=value) | Q(name_es__icontains=value))


class AgencyFilterSet(SearchFilterSet):
    country = django_filters.CharFilter(field_name="country__code")
    level = django_filters.ChoiceFilter(choices=Agency.Level.choices)
    kind = django_filters.ChoiceFilter(choices=Agency.Kind.choices)
    parent = django_filters.CharFilter(field_name="parent__slug")
    active = django_filters.BooleanFilter()
    function = django_filters.CharFilter(method="filter_function", label=_("Holds an active mandate for the function"))
    jurisdiction = django_filters.CharFilter(
        method="filter_jurisdiction", label=_("Holds a mandate covering the jurisdiction (containment included)")
    )

    class Meta:
        model = Agency
        fields = ["country", "level", "kind", "parent", "active"]

    def search(self, queryset, name, value):
        return selectors.agency_search(queryset, value)

    def filter_function(self, queryset, name, value):
        if self.form.cleaned_data.get("jurisdiction"):
            return queryset  # Both given: filter_jurisdiction asks for one mandate with both.
        return selectors.agencies_with_function(queryset, value)

    def filter_jurisdiction(self, queryset, name, value):
        jurisdiction = Jurisdiction.objects.filter(code__iexact=value).first()
        if jurisdiction is None:
            return queryset.none()
        function = self.form.cleaned_data.get("function")
        if function:
            return selectors.agencies_with_function_covering(queryset, function, jurisdiction)
        return selectors.agencies_covering(queryset, jurisdiction)


class IdentifierFilterSet(SearchFilterSet):
    scheme = django_filters.ChoiceFilter(choices=Identifier.Scheme.choices)
    value = django_filters.CharFilter()
    agency = django_filters.CharFilter(field_name="agency__slug")
    jurisdiction = django_filters.CharFilter(field_name="jurisdiction__code")

    class Meta:
        model = Identifier
        fields = ["scheme", "value", "agency", "jurisdiction"]

    def search(self, queryset, name, value):
        return queryset.filter(value__iexact=value.strip())


class AgencyNameFilterSet(SearchFilterSet):
    agency = django_filters.CharFilter(field_name="agency__slug")
    kind = django_filters.ChoiceFilter(choices=AgencyName.Kind.choices)
    language = django_filters.CharFilter()

    class Meta:
        model = AgencyName
        fields = ["agency", "kind", "language"]

    def search(self, queryset, name, value):
        return selectors.agency_name_search(queryset, value)


class MandateFilterSet(SearchFilterSet):
    agency = django_filters.CharFilter(field_name="agency__slug")
    function = django_filters.CharFilter(field_name="function__slug")
    role = django_filters.ChoiceFilter(choices=Mandate.Role.choices)
    jurisdiction = django_filters.CharFilter(method="filter_jurisdiction", label=_("Covers the jurisdiction"))

    class Meta:
        model = Mandate
        fields = ["agency", "function", "role"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(legal_basis__icontains=value) | Q(description__icontains=value))

    def filter_jurisdiction(self, queryset, name, value):
        jurisdiction = Jurisdiction.objects.filter(code__iexact=value).first()
        if jurisdiction is None:
            return queryset.none()
        return queryset.covering(jurisdiction)


class OfficeFilterSet(SearchFilterSet):
    agency = django_filters.CharFilter(field_name="agency__slug")
    jurisdiction = django_filters.CharFilter(field_name="jurisdiction__code")

    class Meta:
        model = Office
        fields = ["agency", "jurisdiction"]

    def search(self, queryset, name, value):
        return selectors.office_search(queryset, value)


class ContactFilterSet(SearchFilterSet):
    agency = django_filters.CharFilter(field_name="agency__slug")
    function = django_filters.CharFilter(method="filter_function", label=_("Liaison for the function"))
    language = django_filters.ChoiceFilter(
        choices=[("en", _("English")), ("es", _("Spanish"))], method="filter_language"
    )
    active = django_filters.BooleanFilter()

    class Meta:
        model = Contact
        fields = ["agency", "active"]

    def search(self, queryset, name, value):
        return selectors.contact_search(queryset, value)

    def filter_function(self, queryset, name, value):
        return queryset.filter(
            pk__in=Contact.functions.through.objects.filter(functionalarea__slug=value).values("contact_id")
        )

    def filter_language(self, queryset, name, value):
        return queryset.filter(**{f"speaks_{value}": True})


class CounterpartLinkFilterSet(SearchFilterSet):
    agency = django_filters.CharFilter(method="filter_agency")
    function = django_filters.CharFilter(field_name="function__slug")

    class Meta:
        model = CounterpartLink
        fields = ["function"]

    def search(self, queryset, name, value):
        return queryset.filter(instrument__icontains=value)

    def filter_agency(self, queryset, name, value):
        return queryset.filter(Q(agency_a__slug=value) | Q(agency_b__slug=value))
