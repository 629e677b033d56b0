"""Filters of the flag review queue (docs/API.md): kind, status, agency (slug), severity."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from flags.models import Flag, FlagKind, FlagSeverity, FlagStatus


class FlagFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=FlagKind.choices)
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    severity = django_filters.ChoiceFilter(choices=FlagSeverity.choices)
    agency = django_filters.CharFilter(method="filter_agency", label=_("Addressed to the agency (slug)"))

    class Meta:
        model = Flag
        fields = ["kind", "status", "severity", "agency"]

    def filter_agency(self, queryset, name, value):
        addressed = Flag.agencies.through.objects.filter(flag_id=OuterRef("pk"), agency__slug=value.strip())
        return queryset.filter(Exists(addressed))
