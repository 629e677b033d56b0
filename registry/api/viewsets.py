"""The base every API viewset uses: brief form, ETag on reads, If-Match on writes,
writes in one transaction, reads in none."""

import hashlib
import re

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from registry.api.exceptions import PreconditionFailed
from registry.api.ordering import RegistryOrderingFilter

BRIEF_VALUES = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}
# Parameters every list or read takes once (filters say for themselves whether they take several).
SINGLE_PARAMETERS = {"brief", "format", "limit", "offset", "q"}

BRIEF_PARAMETER = OpenApiParameter("brief", OpenApiTypes.BOOL, description="Answer with the short form of each object")
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of your copy: while it is current the answer is 304 Not Modified, without a body",
)
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag read with GET; a stale value answers 412 and changes nothing",
)


class WholeListAsCSV:
    """`?format=csv` on a list without `limit` or `offset` answers every row the filters
    match, streamed (opendata/publish.py: the open-data page's own writer), not the first
    page: a spreadsheet user asks for the list, not for page one. With `limit` or `offset`
    the page they name, as before."""

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        paged = {"limit", "offset"} & set(request.query_params)
        if renderer is None or renderer.format != "csv" or paged:
            return super().list(request, *args, **kwargs)
        from opendata.publish import whole_list_csv

        queryset = self.filter_queryset(self.get_queryset())
        # Named after the list's path, as the CSV renderer names a page: /api/v1/agency-names/ → agency-names.csv
        name = re.sub(r"[^a-z0-9-]", "", request.path.rstrip("/").rsplit("/", 1)[-1]) or "export"
        return whole_list_csv(queryset, self.get_serializer(), name)


def etag_for(instance) -> str:
    """A strong validator from the object's identity and its last change time."""
    stamp = getattr(instance, "updated_at", None)
    raw = f"{type(instance).__name__}:{instance.pk}:{stamp.isoformat() if stamp else ''}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def not_modified(request, etag: str) -> bool:
    """Whether the client's If-None-Match holds the current ETag (weak comparison, RFC 9110
    § 13.1.2): its copy is current, a 304 says so without the body."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    candidates = {value.strip().removeprefix("W/") for value in header.split(",")}
    return "*" in candidates or etag in candidates


def not_modified_response(etag: str) -> Response:
    response = Response(status=status.HTTP_304_NOT_MODIFIED)
    response["ETag"] = etag
    return response


class WritesInOneTransaction:
    """ATOMIC_REQUESTS wraps a whole view in one transaction. An API read needs none (at READ
    COMMITTED each statement has its own snapshot either way) and BEGIN and COMMIT are two
    round trips on every call, a third of a cached call's cost; so the view is taken out of
    ATOMIC_REQUESTS and a write (POST, PUT, PATCH, DELETE) gets the same transaction here
    instead: all of it is undone when it raises, and DRF's exception handler marks it for
    rollback when an error becomes a 4xx answer. A read inside an enclosing transaction (a
    test's) still gets a savepoint, so that its errors cannot doom the enclosing one."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS and not transaction.get_connection().in_atomic_block:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)


class QueryParametersAsDocumented:
    """A query parameter the schema gives one value gets one, and ?brief= is a boolean: a
    request the schema calls invalid is refused (400 naming the parameter), not half read."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        errors = {}
        single = set(SINGLE_PARAMETERS)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            single |= {name for name, f in filterset_class.base_filters.items() if not _takes_several(f)}
        for name in single:
            if len(request.query_params.getlist(name)) > 1:
                errors[name] = [_("Give this parameter once.")]
        booleans = {"brief"}
        if filterset_class is not None:
            filters = filterset_class.base_filters.items()
            booleans |= {n for n, f in filters if isinstance(f, django_filters.BooleanFilter)}
        for name in booleans:
            # Present, it must say true or false: an empty value is neither (the schema's boolean).
            if name in request.query_params and request.query_params[name].lower() not in BRIEF_VALUES.keys() - {""}:
                errors.setdefault(name, [_("Give true or false.")])
        if errors:
            raise ValidationError(errors)


def _takes_several(query_filter) -> bool:
    return isinstance(query_filter, (django_filters.MultipleChoiceFilter, django_filters.BaseCSVFilter))


class Orderable:
    """The filterset's filters and ?ordering= over the viewset's `ordering_fields` (client
    name → model field or expression; registry/api/ordering.py)."""

    filter_backends = [DjangoFilterBackend, RegistryOrderingFilter]
    ordering_fields: dict = {}


class ETagMixin:
    """GET on one object returns an ETag; PUT, PATCH and DELETE honour If-Match.

    The object is locked (SELECT ... FOR UPDATE on PostgreSQL) while the precondition is
    checked and the write is made, so of several writers with the same ETag one wins.
    """

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        etag = etag_for(instance)
        if not_modified(request, etag):
            return not_modified_response(etag)
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag
        return response

    def get_object(self):
        instance = super().get_object()
        self._etag_instance = instance
        return instance

    def check_if_match(self, instance) -> None:
        expected = self.request.headers.get("If-Match")
        if not expected:
            return
        candidates = {value.strip() for value in expected.split(",")}
        if "*" in candidates:
            return
        current = etag_for(instance)
        if current not in candidates and f"W/{current}" not in candidates:
            raise PreconditionFailed()

    def locked_object(self):
        instance = self.get_object()
        locked = type(instance).objects.select_for_update().get(pk=instance.pk)
        self.check_if_match(locked)
        return instance

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            self.locked_object()
            response = super().update(request, *args, **kwargs)
        instance = self.get_queryset().get(pk=self._etag_instance.pk)
        response["ETag"] = etag_for(instance)
        return response

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.locked_object()
            return super().destroy(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(parameters=[BRIEF_PARAMETER]),
    retrieve=extend_schema(parameters=[BRIEF_PARAMETER, IF_NONE_MATCH_PARAMETER]),
    update=extend_schema(parameters=[IF_MATCH_PARAMETER]),
    partial_update=extend_schema(parameters=[IF_MATCH_PARAMETER]),
    destroy=extend_schema(parameters=[IF_MATCH_PARAMETER]),
)
class RegistryViewSet(
    WritesInOneTransaction, QueryParametersAsDocumented, Orderable, WholeListAsCSV, ETagMixin, viewsets.ModelViewSet
):
    """Thin CRUD viewset: subclasses give `queryset`, `serializer_class`,
    `brief_serializer_class` and `filterset_class` (and their permission classes)."""

    brief_serializer_class = None

    def get_serializer_class(self):
        if self.brief_serializer_class and self.request is not None and self.is_brief():
            return self.brief_serializer_class
        return super().get_serializer_class()

    def is_brief(self) -> bool:
        brief = self.request.query_params.get("brief", "").lower()
        return self.request.method == "GET" and BRIEF_VALUES.get(brief, False)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        serializer.save()


class RegistryReadOnlyViewSet(
    WritesInOneTransaction, QueryParametersAsDocumented, Orderable, WholeListAsCSV, viewsets.ReadOnlyModelViewSet
):
    brief_serializer_class = None
    get_serializer_class = RegistryViewSet.get_serializer_class
    is_brief = RegistryViewSet.is_brief
