"""?ordering= on every list: the fields each list may be sorted by, named by the viewset
(`ordering_fields`, client name → model field or expression); a field it does not name is
refused (400 naming it, in the user's language), where DRF's OrderingFilter ignores it.
The pages sort their lists with the same fields (web/views/)."""

import re

from django.db.models import Case, Expression, F, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

ORDERING_PARAMETER = "ordering"


class UnknownOrdering(ValueError):
    def __init__(self, term: str, allowed):
        self.term, self.allowed = term, list(allowed)
        super().__init__(term)

    def message(self) -> str:
        return _("Cannot sort by “%(field)s”: sort by one of %(fields)s, with - before a field for descending.") % {
            "field": self.term[:80],
            "fields": ", ".join(self.allowed),
        }


def choice_rank(field: str, values) -> Case:
    """A choice field sorted in the order of `values` (lowest first), not alphabetically."""
    whens = [When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def order_terms(value: str, fields: dict) -> list:
    """The order_by() terms for `value` ("name", "-due_date,title"), the primary key last so that
    pages never overlap; [] for no value. UnknownOrdering for a field `fields` does not name."""
    if not value.strip():
        return []
    terms = []
    for term in value.split(","):
        term = term.strip()
        name = term.removeprefix("-")
        if name not in fields:
            raise UnknownOrdering(term, fields)
        target = fields[name]
        expression = target if isinstance(target, Expression) else F(target)
        terms.append(expression.desc() if term.startswith("-") else expression.asc())
    return [*terms, F("pk").asc()]


def ordered(queryset: QuerySet, value: str, fields: dict, *, strict: bool = True) -> QuerySet:
    """The queryset in the order asked for (unchanged for no value). A page (strict=False)
    keeps its own order for a field it does not know, as it does for a stale filter value."""
    try:
        terms = order_terms(value, fields)
    except UnknownOrdering:
        if strict:
            raise
        return queryset
    return queryset.order_by(*terms) if terms else queryset


def ordering_fields_of(view) -> dict:
    fields = getattr(view, "ordering_fields", None) or {}
    return fields if isinstance(fields, dict) else {name: name for name in fields}


def ordering_pattern(fields) -> str:
    names = "|".join(re.escape(name) for name in sorted(fields))
    return f"^$|^-?({names})(,-?({names}))*$"


class RegistryOrderingFilter(OrderingFilter):
    ordering_param = ORDERING_PARAMETER

    def filter_queryset(self, request, queryset, view):
        fields = ordering_fields_of(view)
        values = request.query_params.getlist(self.ordering_param)
        if not fields or not values:
            return queryset
        if len(values) > 1:
            raise ValidationError({self.ordering_param: [_("Give this parameter once.")]})
        try:
            return ordered(queryset, values[0], fields)
        except UnknownOrdering as error:
            raise ValidationError({self.ordering_param: [error.message()]}) from None

    def get_schema_operation_parameters(self, view):
        fields = ordering_fields_of(view)
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _(
                    "Sort by one or more of %(fields)s, separated by commas; a - before a field sorts it "
                    "in descending order (e.g. %(example)s). Without it, the list's own order."
                )
                % {"fields": ", ".join(fields), "example": f"-{next(iter(fields))}"},
                "schema": {"type": "string", "pattern": ordering_pattern(fields)},
            }
        ]

    def get_schema_fields(self, view):  # the coreapi schema: not used
        return []
