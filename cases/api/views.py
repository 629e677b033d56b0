"""Cases API: thin viewsets over visibility selectors (what may be seen: else 404) and
services (what may be done: else 403). Reads of restricted cases are logged."""

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency, Jurisdiction
from cases import calendar, filtersets, selectors, services
from cases.api import serializers
from cases.api.pagination import CountedPagination
from cases.models import Case, CaseParticipant, CaseReadLog
from registry.api.history import HistoryEntrySerializer, history_entries, history_rows
from registry.api.permissions import SignedIn
from registry.api.viewsets import RegistryViewSet, etag_for, not_modified, not_modified_response
from registry.models import User


def _restricted_case_ids(objects, case_of) -> list[int]:
    ids = []
    for obj in objects:
        case = case_of(obj)
        if case is not None and case.sensitivity == Case.Sensitivity.RESTRICTED:
            ids.append(case.pk)
    return ids


class ReadLogMixin:
    """Log every read of a restricted case: one row per case shown (one INSERT per page)."""

    def case_of(self, obj):
        raise NotImplementedError

    def log_reads(self, objects) -> None:
        selectors.record_case_reads(
            case_ids=_restricted_case_ids(objects, self.case_of), user=self.request.user, via=CaseReadLog.Via.API
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self.log_reads(getattr(self, "_page", None) or [])
        return response

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self.log_reads([self._etag_instance])
        return response


class HistoryMixin:
    """GET …/{id}/history/: the record's changes as /api/v1/history/ gives them (newest first,
    paginated), for whoever may read the record (else 404, as the record itself)."""

    def history_parts(self, obj) -> dict:
        raise NotImplementedError

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, serializer_class=HistoryEntrySerializer)
    def history(self, request, pk=None):
        obj = self.get_object()
        self.log_reads([obj])
        page = self.paginate_queryset(history_rows(self.history_parts(obj)))
        return self.get_paginated_response(HistoryEntrySerializer(history_entries(list(page)), many=True).data)


def participants_prefetch() -> Prefetch:
    """The participants as the serializer shows them: agency slug, role, contact id (not the
    agencies' whole rows, search text included)."""
    rows = (
        CaseParticipant.objects.select_related("agency")
        .only("id", "case_id", "role", "contact_id", "updated_at", "agency__id", "agency__slug")
        .order_by("role", "id")
    )
    return Prefetch("participants", queryset=rows)


def attach_shown_relations(cases) -> None:
    """The participants and jurisdictions of a page of cases as the list shows them, from one
    query of plain rows each: agency slug, role, contact id in the order of
    participants_prefetch; jurisdiction codes in code order."""
    participants = {case.pk: serializers.ShownParticipants() for case in cases}
    rows = (
        CaseParticipant.objects.filter(case_id__in=list(participants))
        .order_by("role", "id")
        .values_list("case_id", "agency__slug", "role", "contact_id")
    )
    for case_id, agency, role, contact in rows:
        participants[case_id].append({"agency": agency, "role": role, "contact": contact})
    codes = {case.pk: serializers.ShownCodes() for case in cases}
    links = (
        Case.jurisdictions.through.objects.filter(case_id__in=list(codes))
        .order_by("jurisdiction__code")
        .values_list("case_id", "jurisdiction__code")
    )
    for case_id, code in links:
        codes[case_id].append(code)
    for case in cases:
        case.shown_participants = participants[case.pk]
        case.shown_jurisdictions = codes[case.pk]


def jurisdictions_prefetch() -> Prefetch:
    return Prefetch("jurisdictions", queryset=Jurisdiction.objects.only("id", "code"))


CASE_FIELDS = [field.name for field in Case._meta.concrete_fields]


class CaseViewSet(HistoryMixin, ReadLogMixin, RegistryViewSet):
    serializer_class = serializers.CaseSerializer
    brief_serializer_class = serializers.CaseBriefSerializer
    filterset_class = filtersets.CaseFilterSet
    permission_classes = [SignedIn]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    pagination_class = CountedPagination
    ordering_fields = selectors.CASE_ORDERING

    def get_queryset(self):
        queryset = selectors.cases_visible_to(self.request.user).select_related("lead_agency")
        if self.request.method in SAFE_METHODS:
            # A read shows the lead agency by its slug: not its whole row (sources, search text).
            queryset = queryset.only(*CASE_FIELDS, "lead_agency__slug")
        if self.is_brief():
            return queryset
        if self.action == "list":
            return queryset  # the page's participants and jurisdictions: paginate_queryset
        return queryset.prefetch_related(participants_prefetch(), jurisdictions_prefetch())

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list" and not self.is_brief():
            attach_shown_relations(page)
        return page

    def list(self, request, *args, **kwargs):
        # The total counts the same cases, with the same filters, in a way whose cost does
        # not grow with the registry (selectors.count_cases_visible_to).
        self.paginator.counter = lambda _queryset: selectors.count_cases_visible_to(
            request.user, refine=self.filter_queryset
        )
        return super().list(request, *args, **kwargs)

    def history_parts(self, obj) -> dict:
        return selectors.case_history_parts(obj)

    def case_of(self, obj):
        return obj

    # Not an operation of the API (always 405, with the reason): left out of the schema.
    @extend_schema(exclude=True)
    def destroy(self, request, *args, **kwargs):
        self.get_object()
        return Response(
            {"detail": _("Cases are not deleted; close and archive them.")}, status=status.HTTP_405_METHOD_NOT_ALLOWED
        )

    @extend_schema(request=None, responses=serializers.CaseSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        case = services.case_close(case=self.get_object(), user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=None, responses=serializers.CaseSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def archive(self, request, pk=None):
        case = services.case_archive(case=self.get_object(), user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(methods=["get"], responses=serializers.ParticipantSerializer(many=True))
    @extend_schema(
        methods=["post"], request=serializers.ParticipantSerializer, responses={201: serializers.ParticipantSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=None,
        serializer_class=serializers.ParticipantSerializer,
    )
    def participants(self, request, pk=None):
        case = self.get_object()
        self.log_reads([case])
        if request.method == "POST":
            serializer = serializers.ParticipantSerializer(
                data=request.data, context={"request": request, "case": case}
            )
            serializer.is_valid(raise_exception=True)
            participant = serializer.save()
            return Response(serializers.ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)
        rows = case.participants.select_related("agency").order_by("role", "id")
        return Response(serializers.ParticipantSerializer(rows, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"participants/(?P<agency_slug>[^/]+)",
        filterset_class=None,
        serializer_class=serializers.ParticipantSerializer,
    )
    def remove_participant(self, request, pk=None, agency_slug=None):
        case = self.get_object()
        agency = get_object_or_404(Agency, slug=agency_slug)
        services.participant_remove(case=case, user=request.user, agency=agency)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["get"], responses=serializers.SubjectSerializer(many=True))
    @extend_schema(
        methods=["post"], request=serializers.SubjectSerializer, responses={201: serializers.SubjectSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        serializer_class=serializers.SubjectSerializer,
    )
    def subjects(self, request, pk=None):
        case = self.get_object()
        self.log_reads([case])
        if request.method == "POST":
            serializer = serializers.SubjectSerializer(data=request.data, context={"request": request, "case": case})
            serializer.is_valid(raise_exception=True)
            subject = serializer.save()
            return Response(serializers.SubjectSerializer(subject).data, status=status.HTTP_201_CREATED)
        filterset = filtersets.SubjectFilterSet(
            request.query_params, queryset=case.subjects.select_related("recovered_in"), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.SubjectSerializer(page, many=True).data)

    @extend_schema(methods=["get"], responses=serializers.SubjectSerializer)
    @extend_schema(methods=["patch"], request=serializers.SubjectSerializer, responses=serializers.SubjectSerializer)
    @action(
        detail=True,
        methods=["get", "patch", "delete"],
        url_path=r"subjects/(?P<subject_id>\d+)",
        filterset_class=None,
        serializer_class=serializers.SubjectSerializer,
    )
    def subject(self, request, pk=None, subject_id=None):
        case = self.get_object()
        subjects = case.subjects.select_related("recovered_in", "case")
        if request.method != "GET":
            subjects = subjects.select_for_update(of=("self",))
        subject = get_object_or_404(subjects, pk=subject_id)
        self.log_reads([case])
        if request.method != "GET":
            self.check_if_match(subject)
        if request.method == "DELETE":
            services.subject_remove(subject=subject, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "PATCH":
            serializer = serializers.SubjectSerializer(
                subject, data=request.data, partial=True, context={"request": request, "case": case}
            )
            serializer.is_valid(raise_exception=True)
            subject = serializer.save()
        if request.method == "GET" and not_modified(request, etag_for(subject)):
            return not_modified_response(etag_for(subject))
        response = Response(serializers.SubjectSerializer(subject).data)
        response["ETag"] = etag_for(subject)
        return response


class ActionItemViewSet(HistoryMixin, ReadLogMixin, RegistryViewSet):
    serializer_class = serializers.ActionItemSerializer
    brief_serializer_class = serializers.ActionItemBriefSerializer
    filterset_class = filtersets.ActionItemFilterSet
    permission_classes = [SignedIn]
    ordering_fields = selectors.ACTION_ITEM_ORDERING

    def get_queryset(self):
        queryset = selectors.action_items_visible_to(self.request.user).select_related("owner", "case")
        if self.is_brief():
            return queryset
        return queryset.select_related("function").prefetch_related("supporting_agencies")

    def history_parts(self, obj) -> dict:
        return selectors.action_item_history_parts(obj)

    def case_of(self, obj):
        return obj.case

    @extend_schema(exclude=True)  # always 405, with the reason: not an operation of the API
    def destroy(self, request, *args, **kwargs):
        self.get_object()
        return Response(
            {"detail": _("Action items are not deleted; cancel them with a reason.")},
            status=status.HTTP_405_METHOD_NOT_ALLOWED,
        )

    @extend_schema(methods=["get"], responses=serializers.ActionUpdateSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=serializers.ActionUpdateSerializer,
        responses={201: serializers.ActionUpdateSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], filterset_class=None, serializer_class=serializers.ActionUpdateSerializer
    )
    def updates(self, request, pk=None):
        item = self.get_object()
        self.log_reads([item])
        if request.method == "POST":
            serializer = serializers.ActionUpdateSerializer(
                data=request.data, context={"request": request, "item": item}
            )
            serializer.is_valid(raise_exception=True)
            update = serializer.save()
            return Response(serializers.ActionUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(item.updates.select_related("author").order_by("created_at", "id"))
        return self.get_paginated_response(serializers.ActionUpdateSerializer(page, many=True).data)


class MetricsView(APIView):
    """Aggregates of joint work; anonymous users get public cases and case-less commitments only."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(selectors.metrics_for(request.user))


class CalendarRotateView(APIView):
    """A new secret address for the personal deadline calendar; the old one stops working."""

    permission_classes = [SignedIn]

    @extend_schema(request=None, responses=inline_serializer("CalendarUrl", {"url": drf_serializers.URLField()}))
    def post(self, request):
        token = services.calendar_token_rotate(user=request.user)
        return Response({"url": request.build_absolute_uri(calendar.feed_path(token))})

    @extend_schema(responses=inline_serializer("CalendarUrlRead", {"url": drf_serializers.URLField()}))
    def get(self, request):
        return Response({"url": request.build_absolute_uri(calendar.feed_path(request.user.calendar_token))})


def calendar_feed(request, token: str):
    """The iCalendar feed of the action items of the token owner's agency. The token is the secret."""
    user = User.objects.filter(calendar_token=token, is_active=True).select_related("agency").first()
    if user is None or not token:
        raise Http404
    body = calendar.feed_for(user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
