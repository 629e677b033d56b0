"""`detect_flags` run as the scheduler runs it, outside any transaction: on PostgreSQL it
synchronises two kinds at a time, each in its own thread, connection and transaction. It
must write exactly what the incremental updates (one kind after the other, in this
connection) wrote for the same registry."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from flags.management.commands.detect_flags import Command
from flags.models import Flag, FlagKind
from tests.flags.builders import action, agency, case, firearm, function, liaison, mandate, places

pytestmark = pytest.mark.django_db(transaction=True)


def registry_with_every_kind() -> None:
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"]])
    ours, theirs = case(atf, others=[hsi]), case(hsi)
    firearm(ours, "X1")
    firearm(theirs, "X-1")
    action(ours, atf, investigation)
    action(ours, hsi, investigation)
    liaison(atf, verified_on=None)


def written() -> list[tuple]:
    """Every flag as stored: identity, inputs, state, addressees and events."""
    return sorted(
        (
            flag.kind,
            flag.key,
            flag.inputs_digest,
            flag.severity,
            flag.status,
            flag.for_admin_staff,
            flag.params,
            tuple(sorted(agency.pk for agency in flag.agencies.all())),
            tuple(flag.events.order_by("id").values_list("old_status", "new_status", "system_note")),
        )
        for flag in Flag.objects.prefetch_related("agencies")
    )


def test_outside_a_transaction_kinds_are_synchronised_side_by_side_with_the_same_result(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite syncs one kind after the other, in the caller's connection")
    registry_with_every_kind()
    incremental = written()
    assert {flag[0] for flag in incremental} == set(FlagKind.values)
    threads = []
    own_connection = Command._sync_kind_in_own_connection

    def spied(self, kind):
        threads.append(threading.current_thread().name)
        return own_connection(self, kind)

    monkeypatch.setattr(Command, "_sync_kind_in_own_connection", spied)
    Flag.objects.all().delete()
    out = StringIO()
    call_command("detect_flags", stdout=out)
    assert len(threads) == len(FlagKind.values)
    assert all(name.startswith("detect_flags") for name in threads)
    assert f"opened {len(incremental)}, reopened 0, closed 0" in out.getvalue()
    assert written() == incremental
    # A second run, in the same way, finds everything in place.
    out = StringIO()
    call_command("detect_flags", stdout=out)
    assert "opened 0, reopened 0, closed 0, updated 0" in out.getvalue()
    assert written() == incremental


def test_a_kind_that_fails_fails_the_run(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite syncs one kind after the other, in the caller's connection")

    def failing(*, kind, ids=None):
        raise RuntimeError(f"{kind} failed")

    monkeypatch.setattr("flags.management.commands.detect_flags.sync_flags", failing)
    # The first kind's error, whichever thread raised first; the kinds not yet started are not.
    with pytest.raises(RuntimeError, match="mandate-overlap failed"):
        call_command("detect_flags", stdout=StringIO())
