"""The coverage matrix on the reference catalog: the database ranks and cuts each cell, and
the result is the one of the straightforward computation in Python."""

import io
import re
from collections import defaultdict

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings
from django.utils import translation

from agencies.models import Agency, FunctionalArea, Jurisdiction, Mandate, localized
from agencies.selectors import CELL_AGENCIES_SHOWN, coverage_matrix
from tests.factories import AgencyFactory, FunctionalAreaFactory, MandateFactory

pytestmark = pytest.mark.django_db

PRIMARY, SUPPORTING = Mandate.Role.PRIMARY, Mandate.Role.SUPPORTING


def oracle_cells(columns) -> dict[tuple[str, str], tuple]:
    """The matrix the slow way (the algorithm before the database did the work): every active
    mandate × place row, tried against every column in Python. Ties the old code left to the
    row order are settled as the selector documents: same role, a local mandate wins; same
    label, the slug decides."""
    holders: dict[tuple[int, int], dict[int, list[tuple[str, bool]]]] = defaultdict(lambda: defaultdict(list))
    rows = Mandate.jurisdictions.through.objects.filter(mandate__in=Mandate.objects.active()).values_list(
        "mandate__function_id", "mandate__agency_id", "mandate__role", "jurisdiction_id", "jurisdiction__lineage"
    )
    country_of = dict(Agency.objects.values_list("pk", "country_id"))
    for function_id, agency_id, role, place_id, lineage in rows:
        for column in columns:
            if country_of[agency_id] != column.country.pk:
                continue  # a column counts only its own country's bodies
            target = column.jurisdiction.pk
            if column.country_wide:
                if place_id == target:
                    holders[function_id, target][agency_id].append((role, True))
            elif place_id == target or f"/{target}/" in lineage:
                holders[function_id, target][agency_id].append((role, False))
            elif place_id == column.country.pk:
                holders[function_id, target][agency_id].append((role, True))
    agencies = {a.pk: a for a in Agency.objects.all()}

    def collide(members: list[Agency]) -> bool:
        return any(
            a.country_id == b.country_id and a.pk not in b.ancestor_ids() and b.pk not in a.ancestor_ids()
            for i, a in enumerate(members)
            for b in members[i + 1 :]
        )

    cells = {}
    for function in FunctionalArea.objects.all():
        for column in columns:
            held = holders.get((function.pk, column.jurisdiction.pk), {})
            best = {pk: min(found, key=lambda f: (f[0] != PRIMARY, f[1])) for pk, found in held.items()}

            def label(pk):
                return agencies[pk].acronym or localized(agencies[pk].name, agencies[pk].name_es)

            ranked = sorted(best, key=lambda pk: (best[pk][1], best[pk][0] != PRIMARY, label(pk), agencies[pk].slug))
            local = [pk for pk in ranked if column.country_wide or not best[pk][1]]
            if held:
                missing = False
            elif column.country_wide:
                missing = any(
                    holders.get((function.pk, other.jurisdiction.pk))
                    for other in columns
                    if other.country_wide and other.country.pk != column.country.pk
                )
            else:
                across = column.jurisdiction.borders.values_list("pk", flat=True)
                missing = any(holders.get((function.pk, pk)) for pk in across)
            cells[function.slug, column.jurisdiction.code] = (
                [(agencies[pk].slug, best[pk][0]) for pk in local[:CELL_AGENCIES_SHOWN]],
                max(0, len(local) - CELL_AGENCIES_SHOWN),
                0 if column.country_wide else len(best) - len(local),
                collide([agencies[pk] for pk in best if best[pk][0] == PRIMARY]),
                missing,
                bool(held),
            )
    return cells


def selector_cells(matrix) -> dict[tuple[str, str], tuple]:
    return {
        (row.function.slug, cell.column.jurisdiction.code): (
            [(a.slug, a.role) for a in cell.shown_agencies],
            cell.more_count,
            cell.nationwide_count,
            cell.overlap,
            cell.missing,
            bool(cell.holder_count),
        )
        for row in matrix.rows
        for cell in row.cells
    }


@pytest.fixture(scope="module")
def national_catalog(django_db_setup, django_db_blocker):
    """The reference catalog and the demo data, with a crowded Texas cell (the English and the
    Spanish names order differently), an agency holding a function both locally and
    nationally, a chain of primaries that is no overlap, an overlap in Arizona and a
    function held only in Texas. Loaded once; rolled back after the module."""
    with django_db_blocker.unblock():
        atomics = {alias: transaction.atomic(using=alias) for alias in connections}
        for atomic in atomics.values():
            atomic.__enter__()
        try:
            yield _load_national_catalog()
        finally:
            for alias, atomic in atomics.items():
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


def _load_national_catalog() -> FunctionalArea:
    call_command("load_reference_data", verbosity=0)
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    us, mx, tx, az = (Jurisdiction.objects.get(code=code) for code in ("US", "MX", "US-TX", "US-AZ"))
    el_paso = Jurisdiction.objects.get(code="US-POE-2402")  # inside Texas
    tracing = FunctionalArea.objects.get(slug="firearms-tracing")
    for n in range(12):
        agency = AgencyFactory(
            slug=f"us-tx-local-{n:02d}",
            acronym="" if n % 2 else f"TXL{n % 5}",  # repeated acronyms: the slug decides
            name=f"Texas Local {n:02d}",
            name_es=f"Local de Texas {11 - n:02d}",
            country=us,
            jurisdiction=tx,
            level=Agency.Level.MUNICIPAL,
        )
        MandateFactory(agency=agency, function=tracing, role=PRIMARY if n == 5 else SUPPORTING, jurisdictions=[tx])
    both = AgencyFactory(slug="us-both", acronym="BOTH", country=us)
    MandateFactory(agency=both, function=tracing, role=SUPPORTING, jurisdictions=[us])
    MandateFactory(agency=both, function=tracing, role=SUPPORTING, jurisdictions=[el_paso])
    lead_nationally = AgencyFactory(slug="us-lead-nationally", acronym="LEADN", country=us)
    MandateFactory(agency=lead_nationally, function=tracing, role=SUPPORTING, jurisdictions=[tx])
    MandateFactory(agency=lead_nationally, function=tracing, role=PRIMARY, jurisdictions=[us])

    chain = FunctionalAreaFactory(slug="chain-of-command", name="Chain of command", name_es="Cadena de mando")
    parent = AgencyFactory(slug="us-chain-parent", acronym="CHP", country=us)
    child = AgencyFactory(slug="us-chain-child", acronym="CHC", country=us, parent=parent)
    grandchild = AgencyFactory(slug="us-chain-grandchild", acronym="CHG", country=us, parent=child)
    for agency in (parent, child, grandchild):
        MandateFactory(agency=agency, function=chain, role=PRIMARY, jurisdictions=[az])
    for n in range(2):
        rival = AgencyFactory(slug=f"us-az-rival-{n}", acronym=f"AZR{n}", country=us)
        MandateFactory(agency=rival, function=tracing, role=PRIMARY, jurisdictions=[az])
    for n in range(2):
        body = AgencyFactory(slug=f"binational-{n}", acronym=f"BIN{n}", country=None, jurisdiction=None)
        MandateFactory(agency=body, function=chain, role=PRIMARY, jurisdictions=[mx])
        rival = AgencyFactory(slug=f"mx-chain-rival-{n}", acronym=f"MXR{n}", country=mx)
        MandateFactory(agency=rival, function=chain, role=PRIMARY, jurisdictions=[mx])

    texas_only = FunctionalAreaFactory(slug="texas-only", name="Texas only", name_es="Solo Texas")
    MandateFactory(agency=AgencyFactory(slug="us-texas-only", country=us), function=texas_only, jurisdictions=[tx])
    return tracing


@pytest.mark.parametrize("language", ["en", "es"])
def test_coverage_matrix_is_the_straightforward_one(national_catalog, language):
    with translation.override(language):
        matrix = coverage_matrix()
        expected = oracle_cells(matrix.columns)
        found = selector_cells(matrix)
    assert [c.jurisdiction.code for c in matrix.columns][:2] == ["US", "US-CA"]
    assert found.keys() == expected.keys()
    assert {key: cell for key, cell in found.items() if cell != expected[key]} == {}
    # The catalog exercises what is compared.
    texas = found["firearms-tracing", "US-TX"]
    assert texas[1] > 0 and texas[2] > 0  # cut, and national holders beside
    assert texas[0][0] == ("us-tx-local-05", PRIMARY)  # the local lead first
    assert found["firearms-tracing", "US-AZ"][3]  # two unrelated primaries
    assert not found["chain-of-command", "US-AZ"][3]  # parent, child, grandchild
    assert found["chain-of-command", "MX"][3]  # two unrelated Mexican bodies
    # Bodies of no country are listed apart, never in a country's column.
    assert [a for a, _role in found["chain-of-command", "MX"][0]] == ["mx-chain-rival-0", "mx-chain-rival-1"]
    assert {"binational-0", "binational-1"} <= {holder.agency.slug for holder in matrix.elsewhere}
    assert found["texas-only", "MX-CHH"][4] and not found["texas-only", "US-TX"][4]
    assert sum(cell[4] for cell in found.values()) > 1


def texas_tracing(language: str):
    with translation.override(language):
        return next(
            cell
            for row in coverage_matrix().rows
            if row.function.slug == "firearms-tracing"
            for cell in row.cells
            if cell.column.jurisdiction.code == "US-TX"
        )


def test_a_cell_lists_its_lead_then_its_labels_in_the_language_of_the_page(national_catalog):
    english, spanish = texas_tracing("en"), texas_tracing("es")
    # Acronym-less Texas Local n is "Local de Texas 11-n" in Spanish, which sorts before "TXL".
    assert [a.slug for a in english.shown_agencies] == [
        "us-tx-local-05",  # the one local lead
        "us-both",  # supporting locally and nationally: local
        "us-tx-local-00",  # TXL0, and TXL0 again: the slug decides
        "us-tx-local-10",
        "us-tx-local-06",  # TXL1
        "us-tx-local-02",
        "us-tx-local-08",
        "us-tx-local-04",
    ]
    assert [a.slug for a in spanish.shown_agencies] == [
        "us-tx-local-05",
        "us-both",
        "us-tx-local-11",  # Local de Texas 00
        "us-tx-local-09",
        "us-tx-local-07",
        "us-tx-local-03",
        "us-tx-local-01",
        "us-tx-local-00",  # TXL0
    ]
    assert english.more_count == spanish.more_count == 13 - CELL_AGENCIES_SHOWN
    # LEADN leads nationally and supports in Texas: its primary mandate counts, as a national one.
    assert english.nationwide_count == spanish.nationwide_count > 0
    assert "us-lead-nationally" not in {a.slug for a in english.shown_agencies}


def test_the_coverage_page_keeps_one_matrix_per_language(national_catalog, anonymous, spanish):
    cache.clear()
    # The Spanish request leaves Spanish active in this thread: restore English after it, for the tests that follow.
    with translation.override("en"):
        english = anonymous.get("/coverage/").content.decode()
        castellano = spanish.get("/coverage/").content.decode()
    # A cell names its first agencies (data-slug) and links once, to the jurisdiction page (issue 16).
    assert 'data-slug="us-tx-local-10"' in english and 'data-slug="us-tx-local-10"' not in castellano
    assert 'data-slug="us-tx-local-11"' in castellano and 'data-slug="us-tx-local-11"' not in english
    assert "+5 more" in english and re.search(r"\+5 (more|más)", castellano)  # with or without compiled messages


def test_coverage_matrix_runs_six_queries_whatever_the_catalog(national_catalog, count_queries):
    _matrix, small = count_queries(coverage_matrix)
    new_mexico = Jurisdiction.objects.get(code="US-NM")
    for n in range(30):
        agency = AgencyFactory(slug=f"us-nm-{n}", country=new_mexico.parent)
        MandateFactory(agency=agency, function=national_catalog, jurisdictions=[new_mexico])
    matrix, large = count_queries(coverage_matrix)
    assert small == large == 6
    assert any(
        cell.more_count >= 30 - CELL_AGENCIES_SHOWN
        for row in matrix.rows
        for cell in row.cells
        if cell.column.jurisdiction == new_mexico
    )
