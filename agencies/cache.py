"""Short-lived cache of catalog reads (counterpart rankings), invalidated by every catalog write.

Every key is built under the catalog's current version, a random token kept in the cache
itself. Saving or deleting an agency, other name, office, mandate, contact, counterpart link, jurisdiction or
functional area (or changing their many-to-many places, borders or liaison functions)
replaces the token, so every entry built before the write is never read again and the
write is visible at once. The token is replaced when the write happens (the writer's own
next read is fresh) and again when its transaction commits (a reader that rebuilt an
entry from the data of before the commit does not keep it). Entries also expire after a
minute: that bounds what a write the signals do not see (a bulk insert, raw SQL) or a
local-memory cache in another worker process can leave behind.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "agencies:catalog-version"


def catalog_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or ""
    return version


def catalog_cache_key(*parts) -> str:
    return ":".join(["agencies", catalog_version(), *(str(part) for part in parts)])


def bump_catalog_version() -> None:
    """Forget every cached catalog read (call after writing the catalog without the ORM's signals)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def catalog_written() -> None:
    """Forget every cached catalog read now and again when the transaction commits: for
    writes the ORM's signals do not see (bulk inserts)."""
    bump_catalog_version()
    transaction.on_commit(bump_catalog_version, robust=True)


def _catalog_written(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata: nothing has been cached from rows that did not exist
    catalog_written()


def connect_signals() -> None:
    from agencies.models import (
        Agency,
        AgencyName,
        Contact,
        CounterpartLink,
        FunctionalArea,
        Jurisdiction,
        Mandate,
        Office,
    )

    # Offices too: a public phone or e-mail makes an agency reachable, which ranks counterparts.
    # Other names too: the agency search matches them (and the list keeps its counts).
    for model in (Agency, AgencyName, Mandate, Contact, CounterpartLink, Jurisdiction, FunctionalArea, Office):
        post_save.connect(_catalog_written, sender=model, dispatch_uid=f"agencies-cache-save-{model.__name__}")
        post_delete.connect(_catalog_written, sender=model, dispatch_uid=f"agencies-cache-delete-{model.__name__}")
    for through in (Mandate.jurisdictions.through, Jurisdiction.borders.through, Contact.functions.through):
        m2m_changed.connect(_catalog_written, sender=through, dispatch_uid=f"agencies-cache-m2m-{through.__name__}")
