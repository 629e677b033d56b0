"""Limit/offset pagination of docs/API.md: default 50, at most 1000 (a larger limit gives 1000).
A limit or offset that is not a whole number in range is refused (400 naming it), as the
schema says, instead of quietly read as the default."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

# Beyond this an offset could not be given to the database (it holds 64-bit integers).
MAX_OFFSET = 2**62


def whole_number(request, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    values = request.query_params.getlist(name)
    if not values or values == [""]:
        return None
    if len(values) > 1:
        raise ValidationError({name: [_("Give this parameter once.")]})
    raw = values[0]
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or int(raw) < minimum:
        raise ValidationError({name: [_("Give a whole number of at least %(minimum)d.") % {"minimum": minimum}]})
    if maximum is not None and int(raw) > maximum:
        raise ValidationError({name: [_("Give a whole number of at most %(maximum)d.") % {"maximum": maximum}]})
    return int(raw)


class RegistryPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000

    def get_limit(self, request):
        limit = whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return whole_number(request, self.offset_query_param, minimum=0, maximum=MAX_OFFSET) or 0
