"""Catalog API: thin viewsets (queryset, serializer, filterset, permission) plus the
counterparts action."""

import hashlib

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from agencies import filtersets, selectors
from agencies.api import serializers
from agencies.cache import catalog_cache_key
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
from registry.api.pagination import RegistryPagination
from registry.api.permissions import PublicReadAdminWrite, SignedInReadAdminWrite
from registry.api.viewsets import RegistryViewSet


class JurisdictionViewSet(RegistryViewSet):
    queryset = Jurisdiction.objects.select_related("parent").prefetch_related("borders")
    serializer_class = serializers.JurisdictionSerializer
    brief_serializer_class = serializers.JurisdictionBriefSerializer
    filterset_class = filtersets.JurisdictionFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {"code": "code", "name": "name", "kind": "kind"}
    lookup_field = "code"
    lookup_value_regex = "[^/]+"


class FunctionalAreaViewSet(RegistryViewSet):
    queryset = FunctionalArea.objects.all()
    serializer_class = serializers.FunctionalAreaSerializer
    brief_serializer_class = serializers.FunctionalAreaBriefSerializer
    filterset_class = filtersets.FunctionalAreaFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {"slug": "slug", "name": "name"}
    lookup_field = "slug"


class PageWithItsCount(RegistryPagination):
    """The page and the number of rows matching in one query instead of two: the count is
    an uncorrelated subquery of the page query (PostgreSQL runs it once, as an InitPlan),
    so the filter is planned and sent once. (A COUNT(*) OVER () window would buffer every
    matching row, whole, before the first: slower than the COUNT over the whole catalog.)
    An empty page (an offset past the end) asks for the count alone, as usual."""

    def paginate_queryset(self, queryset, request, view=None):
        if not isinstance(queryset, QuerySet) or queryset.query.distinct or queryset.query.combinator:
            # The counterparts' ranking (a list), or rows a plain COUNT(*) would miscount.
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        matching = queryset.order_by().annotate(whole=Value(1)).values("whole").annotate(n=Count("*")).values("n")
        counted = queryset.annotate(matching_count=Subquery(matching, output_field=IntegerField()))
        page = list(counted[self.offset : self.offset + self.limit])
        self.count = page[0].matching_count if page else self.get_count(queryset)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return page


def _identifier(model, column: str, field: str) -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef(column)).order_by().values(field)[:1])


class AgencyViewSet(RegistryViewSet):
    queryset = Agency.objects.select_related("country", "jurisdiction", "parent").prefetch_related("other_names")
    serializer_class = serializers.AgencySerializer
    brief_serializer_class = serializers.AgencyBriefSerializer
    filterset_class = filtersets.AgencyFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {
        "slug": "slug",
        "name": "name",
        "acronym": "acronym",
        "level": "level",
        "kind": "kind",
        "country": "country__code",
    }
    pagination_class = PageWithItsCount
    lookup_field = "slug"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.is_brief():
            return Agency.objects.select_related("country")
        if self.action == "counterparts":
            return Agency.objects.all()  # the ranking reads only the agency's own columns
        if self.action == "list":
            return self.list_queryset()
        return queryset

    @staticmethod
    def list_queryset():
        """A page of agencies as the list shows it, in one query whatever its length, plus
        one for the other names of its agencies: the identifiers of the country, home
        jurisdiction and parent are read by subqueries (PostgreSQL evaluates them for the
        rows of the page only, after the sort, and builds no related objects), the search
        columns are not read. Only for reading: an agency read without its search columns
        must not be saved (save() would write only the columns it read)."""
        names = AgencyName.objects.only("agency_id", "name", "language", "kind", "end_date")
        return (
            Agency.objects.defer("lineage", "search_text", "search_acronyms")
            .annotate(
                country_code=_identifier(Jurisdiction, "country_id", "code"),
                jurisdiction_code=_identifier(Jurisdiction, "jurisdiction_id", "code"),
                parent_slug=_identifier(Agency, "parent_id", "slug"),
            )
            .prefetch_related(
                Prefetch("other_names", queryset=names, to_attr=serializers.AgencySerializer.LISTED_NAMES)
            )
        )

    @extend_schema(
        parameters=[OpenApiParameter("function", OpenApiTypes.STR, required=True, description="Functional area slug")],
        responses=serializers.CounterpartSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def counterparts(self, request, slug=None):
        """The ranked counterparts of this agency for a function, with liaison contacts for
        signed-in users. Paginated like every list; the ranking is computed in a fixed
        number of queries and the page is cut from it.

        A JSON page is kept as sent (its bytes) for a minute under the catalog's version
        (agencies/cache.py), so a catalog write is visible at once; the key holds
        everything the bytes depend on: host and path (the page links), language (the
        display names), and whether the reader may see contacts. A page served from the
        cache reads neither the agency nor the function."""
        function_slug = request.query_params.get("function", "")
        with_contacts = selectors.may_see_contacts(request.user)
        as_json = request.accepted_renderer.format == "json"
        asked = hashlib.sha256(f"{request.get_host()}\n{request.get_full_path()}".encode()).hexdigest()[:40]
        key = catalog_cache_key("counterparts-page", asked, int(with_contacts), get_language())
        cached = cache.get(key) if as_json else None
        if cached is not None:
            body, content_type = cached
            return HttpResponse(body, content_type=content_type)
        response = self.get_paginated_response(self._counterparts_rows(function_slug, with_contacts))
        if not as_json:
            return response  # the browsable API: rendered as usual
        body = request.accepted_renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
        cache.set(key, (body, request.accepted_media_type), selectors.COUNTERPARTS_CACHE_SECONDS)
        return HttpResponse(body, content_type=request.accepted_media_type)

    def _counterparts_rows(self, function_slug: str, with_contacts: bool) -> list:
        agency = self.get_object()
        if not function_slug:
            raise ValidationError({"function": [_("Give the slug of a functional area, e.g. firearms-tracing.")]})
        function = FunctionalArea.objects.filter(slug=function_slug).first()
        if function is None:
            raise ValidationError(
                {"function": [_("Unknown functional area “%(slug)s”.") % {"slug": function_slug[:80]}]}
            )
        ranked = selectors.counterparts_for(agency=agency, function=function, with_contacts=with_contacts)
        page = self.paginate_queryset(ranked)
        return serializers.CounterpartSerializer(page, many=True, context=self.get_serializer_context()).data


class AgencyNameViewSet(RegistryViewSet):
    queryset = AgencyName.objects.select_related("agency")
    serializer_class = serializers.AgencyNameSerializer
    brief_serializer_class = serializers.AgencyNameBriefSerializer
    filterset_class = filtersets.AgencyNameFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {"name": "name", "agency": "agency__slug", "kind": "kind", "language": "language"}


class IdentifierViewSet(RegistryViewSet):
    queryset = Identifier.objects.select_related("agency", "jurisdiction")
    serializer_class = serializers.IdentifierSerializer
    brief_serializer_class = serializers.IdentifierBriefSerializer
    filterset_class = filtersets.IdentifierFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {"id": "id", "scheme": "scheme", "value": "value"}


class MandateViewSet(RegistryViewSet):
    queryset = Mandate.objects.select_related("agency", "function").prefetch_related("jurisdictions")
    serializer_class = serializers.MandateSerializer
    brief_serializer_class = serializers.MandateBriefSerializer
    filterset_class = filtersets.MandateFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {
        "id": "id",
        "agency": "agency__slug",
        "function": "function__slug",
        "role": "role",
        "valid_from": "valid_from",
    }


class OfficeViewSet(RegistryViewSet):
    queryset = Office.objects.select_related("agency", "jurisdiction")
    serializer_class = serializers.OfficeSerializer
    brief_serializer_class = serializers.OfficeBriefSerializer
    filterset_class = filtersets.OfficeFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {"name": "name", "agency": "agency__slug", "city": "city", "jurisdiction": "jurisdiction__code"}


class ContactViewSet(RegistryViewSet):
    # Contacts blocked under a personal-data request are hidden everywhere, from everyone.
    queryset = Contact.objects.visible().select_related("agency", "office").prefetch_related("functions")
    serializer_class = serializers.ContactSerializer
    brief_serializer_class = serializers.ContactBriefSerializer
    filterset_class = filtersets.ContactFilterSet
    permission_classes = [SignedInReadAdminWrite]
    ordering_fields = {"name": "name", "agency": "agency__slug", "updated_at": "updated_at"}


class CounterpartLinkViewSet(RegistryViewSet):
    queryset = CounterpartLink.objects.select_related("agency_a", "agency_b", "function")
    serializer_class = serializers.CounterpartLinkSerializer
    brief_serializer_class = serializers.CounterpartLinkBriefSerializer
    filterset_class = filtersets.CounterpartLinkFilterSet
    permission_classes = [PublicReadAdminWrite]
    ordering_fields = {
        "id": "id",
        "agency_a": "agency_a__slug",
        "agency_b": "agency_b__slug",
        "function": "function__slug",
        "signed_on": "signed_on",
    }
