"""The registry's limit/offset pagination, with a total the view may count its own way."""

from collections.abc import Callable

from django.db.models import QuerySet

from registry.api.pagination import RegistryPagination


class CountedPagination(RegistryPagination):
    """RegistryPagination (same fields, same limits) whose `count` comes from `counter` when the
    view sets one, e.g. a count of the same rows that reads fewer of them; else from the
    queryset's COUNT."""

    counter: Callable[[QuerySet], int] | None = None

    def get_count(self, queryset) -> int:
        if self.counter is None:
            return super().get_count(queryset)
        return self.counter(queryset)
