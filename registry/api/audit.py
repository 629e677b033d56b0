"""GET /api/v1/audit/export/?since=&until=&format=csv|json — admin staff take the whole
audit trail out of the system: every change of every tracked record (simple-history),
every read of a restricted case (the read log) and every security event. Times in UTC.
Streams, so a year of records is never held in memory."""

import datetime
import json

from django.apps import apps
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from interchange.tabular import CSVWriter
from registry.api.formats import DateTimeField
from registry.api.permissions import AdminStaffOnly
from registry.models import SecurityEvent

COLUMNS = ["source", "at", "actor", "action", "object_type", "object_id", "detail"]
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class ExportQuerySerializer(serializers.Serializer):
    since = DateTimeField(required=False, help_text="From this moment (inclusive), RFC 3339: 2026-01-31T08:00:00Z")
    until = DateTimeField(required=False, help_text="Until this moment (exclusive), RFC 3339: 2026-01-31T08:00:00Z")
    format = serializers.ChoiceField(choices=["csv", "json"], default="csv", required=False)


def utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _window(queryset, field: str, since, until):
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def history_rows(since, until):
    for model in apps.get_models():
        manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
        if not manager_name:
            continue
        historical = getattr(model, manager_name).model
        records = _window(historical.objects.all(), "history_date", since, until).order_by("history_date", "pk")
        for record in records.select_related("history_user").iterator(chunk_size=2000):
            user = record.history_user
            yield {
                "source": "history",
                "at": utc(record.history_date),
                "actor": user.get_username() if user else "",
                "action": HISTORY_ACTIONS.get(record.history_type, record.history_type),
                "object_type": model._meta.label_lower,
                "object_id": str(getattr(record, model._meta.pk.attname)),
                "detail": record.history_change_reason or "",
            }


def read_log_rows(since, until):
    try:
        read_log = apps.get_model("cases", "CaseReadLog")
    except LookupError:
        return
    reads = _window(read_log.objects.all(), "read_at", since, until).order_by("read_at", "pk")
    for read in reads.values("read_at", "user__username", "case_id", "via").iterator(chunk_size=2000):
        yield {
            "source": "read-log",
            "at": utc(read["read_at"]),
            "actor": read["user__username"] or "",
            "action": "read",
            "object_type": "cases.case",
            "object_id": str(read["case_id"]),
            "detail": read["via"],
        }


def security_rows(since, until):
    events = _window(SecurityEvent.objects.all(), "at", since, until).order_by("at", "pk")
    for event in events.iterator(chunk_size=2000):
        yield {
            "source": "security",
            "at": utc(event.at),
            "actor": event.username,
            "action": event.kind,
            "object_type": "registry.user",
            "object_id": str(event.user_id or ""),
            "detail": json.dumps(
                {"ip": event.ip_address, "request_id": event.request_id, **event.detail}, sort_keys=True
            ),
        }


def all_rows(since, until):
    yield from history_rows(since, until)
    yield from read_log_rows(since, until)
    yield from security_rows(since, until)


class _Echo:
    def write(self, value):
        return value


def csv_stream(rows):
    # Usernames of failed sign-ins are the attacker's text: formulas are neutralized here too.
    writer = CSVWriter(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([row.get(column) for column in COLUMNS])


def json_stream(rows):
    yield '{"results": ['
    first = True
    for row in rows:
        yield ("" if first else ",") + json.dumps(row)
        first = False
    yield "]}"


class CSVRenderer(BaseRenderer):
    """Only for content negotiation of `?format=csv`; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class AuditExportView(APIView):
    """Admin staff only. The export is itself recorded as a security event."""

    permission_classes = [AdminStaffOnly]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this moment (inclusive)"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Until this moment (exclusive)"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "json"]),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per audit record"),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description='{"results": [...]}'),
        },
    )
    def get(self, request, *args, **kwargs):
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since")
        until = query.validated_data.get("until")
        fmt = query.validated_data.get("format") or "csv"
        from registry.security_events import record_event

        record_event(
            request,
            SecurityEvent.Kind.AUDIT_EXPORT,
            user=request.user,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        if fmt == "json":
            response = StreamingHttpResponse(json_stream(all_rows(since, until)), content_type="application/json")
        else:
            response = StreamingHttpResponse(csv_stream(all_rows(since, until)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="enlace-audit-{stamp}.{fmt}"'
        response["Cache-Control"] = "no-store"
        return response
