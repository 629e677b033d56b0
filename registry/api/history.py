"""The audit trail over the API: who changed which record, when, and what changed.

Every model with django-simple-history's `HistoricalRecords` is covered, found at run
time (so this core module imports no app). One page costs a fixed number of queries:
the count and the page come from one UNION over the historical tables; then, per model
on the page, one query for its records with their previous versions' ids (a subquery),
one for those previous versions, and one per many-to-many field. Field changes come from
simple-history's `diff_against` (plain fields) and from the bulk-read m2m rows.
"""

import datetime
import decimal
from collections import defaultdict
from functools import cache

from django.apps import apps
from django.db import models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from registry.api.formats import DATE_OR_DATE_TIME_SCHEMA, DateOrDateTimeField
from registry.api.permissions import AdminStaffOnly

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
IDENTIFIER_FIELDS = ("slug", "code", "reference")


@cache
def tracked_models() -> dict[str, type[models.Model]]:
    """Every model with a history, by its model name (`agency`), in INSTALLED_APPS order."""
    found = {}
    for model in apps.get_models():
        if getattr(model._meta, "simple_history_manager_attribute", None):
            found[model._meta.model_name] = model
    return found


def history_model(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def identifier_field(model: type[models.Model]) -> str:
    """The public identifier of docs/API.md: slug, code or reference where the model has one, else id."""
    names = {field.name for field in model._meta.concrete_fields}
    return next((name for name in IDENTIFIER_FIELDS if name in names), "id")


def m2m_fields(model: type[models.Model]) -> list[tuple[str, type[models.Model], str]]:
    """(field name, historical through model, attname of the target column) for each tracked m2m field."""
    historical = history_model(model)
    result = []
    for field in getattr(historical, "_history_m2m_fields", []):
        accessor = f"{historical._meta.model_name}_{field.name}"
        through = historical._meta.get_field(accessor).related_model
        target = field.m2m_reverse_field_name()
        result.append((field.name, through, through._meta.get_field(target).attname))
    return result


def plain_value(value):
    """A JSON-ready form of a field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    return str(value)


class HistoryQuerySerializer(serializers.Serializer):
    """The filters of GET /api/v1/history/, validated so that bad input answers 400 naming the field."""

    model = serializers.CharField(required=False, help_text=gettext_lazy("Model name, e.g. agency or mandate"))
    object = serializers.CharField(required=False, help_text=gettext_lazy("The record's identifier: slug, code or id"))
    object_id = serializers.CharField(required=False, help_text=gettext_lazy("Same as object"))
    user = serializers.CharField(required=False, help_text=gettext_lazy("Username of who made the change"))
    since = DateOrDateTimeField(
        required=False,
        help_text=gettext_lazy("From this day (UTC) or moment, in RFC 3339 form: 2026-01-31 or 2026-01-31T08:00:00Z"),
    )

    def validate_model(self, value):
        value = value.strip().lower().rsplit(".", 1)[-1]
        if value not in tracked_models():
            raise serializers.ValidationError(
                _("Unknown model “%(model)s”; choose one of: %(choices)s.")
                % {"model": value[:60], "choices": ", ".join(tracked_models())}
            )
        return value


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    """One create, update or delete of a record."""

    history_id = serializers.IntegerField()
    model = serializers.CharField(help_text=gettext_lazy("Model name, e.g. agency"))
    object_id = serializers.IntegerField(help_text=gettext_lazy("The record's database id"))
    object = serializers.CharField(help_text=gettext_lazy("The record's public identifier: slug, code or id"))
    action = serializers.ChoiceField(choices=list(ACTIONS), help_text=gettext_lazy("+ created, ~ changed, - deleted"))
    action_name = serializers.ChoiceField(choices=list(ACTIONS.values()))
    user = serializers.CharField(allow_null=True, help_text=gettext_lazy("Username of who made the change"))
    date = serializers.DateTimeField(help_text=gettext_lazy("When, in UTC"))
    reason = serializers.CharField(allow_null=True)
    changes = FieldChangeSerializer(many=True)


class HistoryFilter:
    """Builds the per-model history querysets for the validated filters."""

    def __init__(self, filters: dict):
        self.filters = filters

    def querysets(self) -> dict[str, models.QuerySet]:
        chosen = self.filters.get("model")
        result = {}
        for name, model in tracked_models().items():
            if chosen and name != chosen:
                continue
            queryset = self.filtered(model)
            if queryset is not None:
                result[name] = queryset
        return result

    def filtered(self, model) -> models.QuerySet | None:
        queryset = history_model(model).objects.all()
        identifier = self.filters.get("object") or self.filters.get("object_id")
        if identifier:
            field = identifier_field(model)
            if field == "id" or identifier.isdigit():
                if not identifier.isdigit():
                    return None
                condition = models.Q(id=int(identifier))
                if field != "id":
                    condition |= models.Q(**{field: identifier})
                queryset = queryset.filter(condition)
            else:
                queryset = queryset.filter(**{field: identifier})
        if self.filters.get("user"):
            queryset = queryset.filter(history_user__username=self.filters["user"])
        if self.filters.get("since"):
            queryset = queryset.filter(history_date__gte=self.filters["since"])
        return queryset


def history_rows(querysets: dict[str, models.QuerySet]) -> models.QuerySet | list:
    """One queryset of (history_date, model, history_id) rows over every model, newest first."""
    parts = [
        queryset.order_by()  # a part of a UNION may not be ordered on its own
        .annotate(model_name=Value(name, output_field=CharField()))
        .values_list("history_date", "model_name", "history_id")
        for name, queryset in querysets.items()
    ]
    if not parts:
        return []
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-history_date", "model_name", "-history_id")


def history_entries(rows: list[tuple], every: list[str] | None = None) -> list[dict]:
    """The entries for one page of (history_date, model, history_id) rows. The models named in
    `every` are read even when the page has none of theirs, so that a page costs the same
    queries whatever it shows (the record pages: registry/history.py)."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for name in every or []:
        by_model[name] = []
    for _date, name, history_id in rows:
        by_model[name].append(history_id)
    entries = {}
    for name, history_ids in by_model.items():
        # 0 is no history id: an empty list would skip the query rather than run it.
        for entry in _model_entries(tracked_models()[name], name, history_ids or [0]):
            entries[(name, entry["history_id"])] = entry
    return [entries[(name, history_id)] for _date, name, history_id in rows]


def _model_entries(model, name: str, history_ids: list[int]) -> list[dict]:
    historical = history_model(model)
    previous = (
        historical.objects.filter(id=OuterRef("id"))
        .filter(
            models.Q(history_date__lt=OuterRef("history_date"))
            | models.Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    foreign_keys = [
        field.name
        for field in historical._meta.concrete_fields
        if field.is_relation and field.name != "history_user" and field.name in _tracked_names(historical)
    ]
    page = historical.objects.filter(history_id__in=history_ids)
    # The page's records and their previous versions, in one query.
    wanted = models.Q(history_id__in=history_ids) | models.Q(
        history_id__in=page.annotate(previous_history_id=Subquery(previous)).values("previous_history_id")
    )
    fetched = {
        record.history_id: record
        for record in historical.objects.filter(wanted)
        .annotate(previous_history_id=Subquery(previous))
        .select_related("history_user", *foreign_keys)
    }
    records = [fetched[history_id] for history_id in history_ids if history_id in fetched]
    previous_ids = [record.previous_history_id for record in records if record.previous_history_id]
    m2m_values = _m2m_values(model, [*history_ids, *previous_ids])
    ident = identifier_field(model)
    return [
        {
            "history_id": record.history_id,
            "model": name,
            "object_id": record.id,
            "object": str(getattr(record, ident)),
            "action": record.history_type,
            "action_name": ACTIONS.get(record.history_type, record.history_type),
            "user": record.history_user.username if record.history_user_id and record.history_user else None,
            "user_id": record.history_user_id,  # for the web's "who" (registry/history.py), not serialized
            "label": _label(record, ident),
            "date": timezone.localtime(record.history_date, datetime.UTC),
            "reason": record.history_change_reason,
            "changes": _changes(record, fetched.get(record.previous_history_id), foreign_keys, m2m_values),
        }
        for record in records
    ]


LABEL_FIELDS = ("reference", "name", "title", "identifier")


def _label(record, ident: str) -> str:
    """A readable name of the record from its own columns (no query): reference, name, title..."""
    for name in LABEL_FIELDS:
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return str(getattr(record, ident))


def _tracked_names(historical) -> set[str]:
    return {field.name for field in historical.tracked_fields if field.editable}


def _m2m_values(model, history_ids: list[int]) -> dict[str, dict[int, list]]:
    """For each m2m field: history_id → sorted identifiers of the related records at that time."""
    result: dict[str, dict[int, list]] = {}
    for field_name, through, target_attname in m2m_fields(model):
        target_field = through._meta.get_field(target_attname.removesuffix("_id"))
        target_ident = identifier_field(target_field.related_model)
        lookup = f"{target_field.name}__{target_ident}"
        values: dict[int, list] = defaultdict(list)
        for history_id, target_id, target_identifier in through.objects.filter(history_id__in=history_ids).values_list(
            "history_id", target_attname, lookup
        ):
            values[history_id].append(target_identifier if target_identifier is not None else target_id)
        result[field_name] = {key: sorted(items, key=str) for key, items in values.items()}
    return result


def _fk_identifier(record, field_name: str):
    raw = getattr(record, f"{field_name}_id", None)
    if raw is None:
        return None
    related = getattr(record, field_name, None)
    if related is None:  # deleted since: show the id
        return raw
    return getattr(related, identifier_field(type(related)))


def _changes(record, older, foreign_keys: list[str], m2m_values: dict[str, dict[int, list]]) -> list[dict]:
    changes = []
    m2m_names = set(m2m_values)
    if older is not None and record.history_type != "-":
        delta = record.diff_against(older, excluded_fields=m2m_names)
        for change in delta.changes:
            if change.field in foreign_keys:
                old, new = _fk_identifier(older, change.field), _fk_identifier(record, change.field)
            else:
                old, new = change.old, change.new
            changes.append({"field": change.field, "old": plain_value(old), "new": plain_value(new)})
        for name in sorted(m2m_names):
            old, new = m2m_values[name].get(older.history_id, []), m2m_values[name].get(record.history_id, [])
            if old != new:
                changes.append({"field": name, "old": old, "new": new})
    else:
        # Created (or first known version), or deleted: every field that had a value.
        deleted = record.history_type == "-"
        for field_name in sorted(_tracked_names(type(record)) - m2m_names):
            value = _fk_identifier(record, field_name) if field_name in foreign_keys else getattr(record, field_name)
            if value in (None, ""):
                continue
            value = plain_value(value)
            changes.append({"field": field_name, "old": value if deleted else None, "new": None if deleted else value})
        for name in sorted(m2m_names):
            value = m2m_values[name].get(record.history_id, [])
            if value:
                changes.append({"field": name, "old": value if deleted else None, "new": None if deleted else value})
    changes.sort(key=lambda change: change["field"])
    return changes


@extend_schema(
    parameters=[
        OpenApiParameter("model", OpenApiTypes.STR, description="Model name, e.g. agency"),
        OpenApiParameter("object", OpenApiTypes.STR, description="The record's slug, code or id"),
        OpenApiParameter("object_id", OpenApiTypes.STR, description="Same as object"),
        OpenApiParameter("user", OpenApiTypes.STR, description="Username of who made the change"),
        OpenApiParameter(
            "since",
            DATE_OR_DATE_TIME_SCHEMA,
            description="From this day (UTC) or moment, in RFC 3339 form: 2026-01-31 or 2026-01-31T08:00:00Z",
        ),
    ],
)
class HistoryViewSet(viewsets.GenericViewSet):
    """The audit trail of every catalog record (admin staff only), newest first."""

    permission_classes = [AdminStaffOnly]
    serializer_class = HistoryEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        query = HistoryQuerySerializer(data=self.request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        return history_rows(HistoryFilter(query.validated_data).querysets())

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        serializer = self.get_serializer(history_entries(list(page)), many=True)
        return self.get_paginated_response(serializer.data)
