"""Catalog API: thin viewsets (queryset, serializer, filterset, permission) plus the
counterparts action."""

import hashlib

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
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
from registry.api.viewsets import RegistryViewSet, not_modified, not_modified_response


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
    """The page and the number of rows matching, in two steps: the ids of the page (with the
    count, when it is not kept), then the page's rows whole. The count of a filter is kept under the
    catalog's version (agencies/cache.py: every catalog write replaces it), so a filter's
    second page, or the same list asked again, reads the page alone: at national scale
    counting 19,000 agencies that hold a function costs ten times the page itself, read
    in the list's order off its index. Not yet kept, the count is an uncorrelated subquery
    of the page query (PostgreSQL runs it once, as an InitPlan), so the filter is planned
    and sent once. (A COUNT(*) OVER () window would buffer every matching row, whole,
    before the first: slower than the COUNT over the whole catalog.) An empty page (an
    offset past the end) asks for the count alone, as usual."""

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
        try:
            sql, params = matching.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:  # a filter that can match nothing (an empty IN list)
            sql, params = "", ()
        key = catalog_cache_key("list-count", hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:40])
        self.count = cache.get(key) if sql else None
        window = slice(self.offset, self.offset + self.limit)
        if self.count is not None:
            ids = list(queryset.values_list("pk", flat=True)[window])
        else:
            counted = queryset.annotate(matching_count=Subquery(matching, output_field=IntegerField()))
            found = list(counted.values_list("pk", "matching_count")[window])
            ids = [pk for pk, _count in found]
            self.count = found[0][1] if found else self.get_count(queryset)
            if sql:
                cache.set(key, self.count, selectors.LIST_COUNT_CACHE_SECONDS)
        # The page's rows, whole, by their ids: the offset is walked on the narrow index of the
        # list's order (PostgreSQL would otherwise build every skipped row, its subqueries too).
        page = list(queryset.filter(pk__in=ids)) if ids else []
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
        return self.cached_json_page(
            request,
            ("counterparts-page", int(with_contacts)),
            lambda: self.get_paginated_response(self._counterparts_rows(function_slug, with_contacts)),
            selectors.COUNTERPARTS_CACHE_SECONDS,
        )

    def list(self, request, *args, **kwargs):
        """A page of the catalog is the same for every reader (public facts): kept as sent, like
        the counterparts, under the catalog's version, with an ETag of its bytes (a client
        whose copy is current gets 304). Invalid filters are refused before anything is kept."""
        return self.cached_json_page(
            request,
            ("agency-list-page",),
            lambda: super(AgencyViewSet, self).list(request, *args, **kwargs),
            selectors.LIST_PAGE_CACHE_SECONDS,
        )

    def cached_json_page(self, request, kind: tuple, build, seconds):
        """A JSON page kept as sent (its bytes) under the catalog's version (agencies/cache.py),
        so a catalog write is visible at once; the key holds everything the bytes depend on:
        host and path (the page links), language (the display names), and `kind` (what else
        the page depends on, e.g. whether the reader may see contacts). Only a 200 is kept;
        the browsable API and the CSV are rendered as usual."""
        if request.accepted_renderer.format != "json":
            return build()
        asked = hashlib.sha256(f"{request.get_host()}\n{request.get_full_path()}".encode()).hexdigest()[:40]
        key = catalog_cache_key(*kind, asked, get_language())
        cached = cache.get(key)
        if cached is None:
            response = build()
            if response.status_code != 200:
                return response
            body = request.accepted_renderer.render(
                response.data, request.accepted_media_type, self.get_renderer_context()
            )
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            cached = (body, request.accepted_media_type, etag)
            cache.set(key, cached, seconds)
        body, content_type, etag = cached
        if not_modified(request, etag):
            return not_modified_response(etag)
        response = HttpResponse(body, content_type=content_type)
        response["ETag"] = etag
        return response

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
