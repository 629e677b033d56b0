"""The API's filtersets, applied by the pages: a page keeps what it can of its address."""

from django.db.models import QuerySet
from django.http import QueryDict


def _query(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, [value])
    return query


def filtered(filterset_class, data: dict, queryset: QuerySet) -> QuerySet:
    """The queryset narrowed by the filterset over `data`, leaving out each parameter the
    filterset refuses (a bookmarked page with a stale value still opens, unfiltered by it)."""
    data = {name: value for name, value in data.items() if value not in ("", None)}
    filterset = filterset_class(_query(data), queryset=queryset)
    if not filterset.is_valid():
        data = {name: value for name, value in data.items() if name not in filterset.errors}
        filterset = filterset_class(_query(data), queryset=queryset)
    return filterset.qs
