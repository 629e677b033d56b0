"""Bulk writes: loaders and importers wrap their work in `bulk_writes()`, and apps that
react to every write (the flags app) register a context manager that defers that work to
the end of the block. Lower apps never need to know which higher apps exist."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

from django.dispatch import Signal

# Sent by a loader after it inserted rows in bulk (no post_save was sent for them):
# `sender` is the model, `ids` the new rows' primary keys.
bulk_written = Signal()

_deferrers: list[Callable[[], AbstractContextManager]] = []


def register_bulk_deferrer(factory: Callable[[], AbstractContextManager]) -> None:
    """Called from an AppConfig.ready(): `factory()` is entered around every bulk write."""
    if factory not in _deferrers:
        _deferrers.append(factory)


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Run inside the writer's transaction, so deferred work lands in the same one."""
    with ExitStack() as stack:
        for factory in _deferrers:
            stack.enter_context(factory())
        yield
