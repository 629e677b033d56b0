"""Filters of the cases API (docs/API.md)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from agencies.search import query_words
from cases.models import ActionItem, Case, CaseParticipant, CaseSubject, Theme
from registry.api.formats import DayFilter


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number the database can hold (a float or a huge number was a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search reference and title"))
    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    sensitivity = django_filters.ChoiceFilter(choices=Case.Sensitivity.choices)
    lead_agency = django_filters.CharFilter(field_name="lead_agency__slug")
    participant = django_filters.CharFilter(method="filter_participant", label=_("An agency taking part (slug)"))
    jurisdiction = django_filters.CharFilter(field_name="jurisdictions__code", distinct=True)
    opened_after = DayFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = DayFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Case
        fields = ["status", "sensitivity", "lead_agency"]

    def search(self, queryset, name, value):
        condition = Q()
        for word in query_words(value):
            condition &= Q(reference__icontains=word) | Q(title__icontains=word) | Q(summary__icontains=word)
        return queryset.filter(condition)

    def filter_participant(self, queryset, name, value):
        return queryset.filter(Exists(CaseParticipant.objects.filter(case_id=OuterRef("pk"), agency__slug=value)))


class SubjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search identifiers"))
    kind = django_filters.ChoiceFilter(choices=CaseSubject.Kind.choices)

    class Meta:
        model = CaseSubject
        fields = ["kind"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(identifier__icontains=value) | Q(normalized_key__icontains=value))


class ActionItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search title and description"))
    status = django_filters.MultipleChoiceFilter(choices=ActionItem.Status.choices)
    owner = django_filters.CharFilter(field_name="owner__slug")
    case = IdFilter(field_name="case_id")
    has_case = django_filters.BooleanFilter(field_name="case", lookup_expr="isnull", exclude=True)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    theme = django_filters.ChoiceFilter(choices=Theme.choices)
    function = django_filters.CharFilter(field_name="function__slug")
    priority = django_filters.ChoiceFilter(choices=ActionItem.Priority.choices)
    assignee = IdFilter(field_name="assignee_id")
    due_before = DayFilter(field_name="due_date", lookup_expr="lte")
    due_after = DayFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = ActionItem
        fields = ["status", "owner", "case", "theme", "function", "priority"]

    def search(self, queryset, name, value):
        condition = Q()
        for word in query_words(value):
            condition &= Q(title__icontains=word) | Q(description__icontains=word)
        return queryset.filter(condition)

    def filter_overdue(self, queryset, name, value):
        condition = ActionItem.objects.overdue_condition(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)
