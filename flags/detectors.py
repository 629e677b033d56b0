"""The five detectors of docs/SPEC.md §4. Each is one function that finds, in SQL, every flag of its
kind in the whole registry or in a scope (a set of functional areas, agencies or cases); the
same query serves the full recomputation and the incremental one, so they cannot disagree.

A detector returns Findings: the stable key (identity of what the flag concerns), the digest
of the input values that matter, the addressed agencies, the concerned objects and the
parameters of the reason sentence (ids only; names are looked up when the flag is read).
"""

import datetime
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from hashlib import sha256 as _sha256
from json.encoder import encode_basestring_ascii as _json_string

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from agencies.models import Agency, Contact, Jurisdiction, Mandate
from flags.models import FlagKind, FlagSeverity


def canonical_json(*parts) -> str:
    """The JSON text of `parts` as `json.dumps(parts, sort_keys=True, separators=(",", ":"),
    default=str)` writes it, character for character: what `stable_hash` hashes. Stored keys
    and digests are hashes of this text, so it must never change. Integers and strings (most
    parts) are written directly; anything else goes through json.dumps itself."""
    return "[" + ",".join([_canonical_part(part) for part in parts]) + "]"


def _canonical_part(part) -> str:
    kind = type(part)
    if kind is int:
        return int.__repr__(part)
    if isinstance(part, str):
        return _json_string(part)
    if part is None:
        return "null"
    if kind is datetime.date:
        # default=str: the date's str() as a JSON string.
        return f'"{part.isoformat()}"'
    if kind is list and all(type(item) is int for item in part):
        return "[" + ",".join(map(int.__repr__, part)) + "]"
    return json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)


def stable_hash(*parts) -> str:
    return _sha256(canonical_json(*parts).encode()).hexdigest()


def _pair_hash(prefix: str, first: int, second: int) -> str:
    """stable_hash(kind, first, second) for two integers, `prefix` being the canonical JSON of
    the kind followed by a comma (see `_key_prefix`)."""
    return _sha256(f"{prefix}{first:d},{second:d}]".encode()).hexdigest()


def _json_id(value: int | None) -> str:
    """An id or None as json.dumps writes it."""
    return "null" if value is None else f"{value:d}"


def _key_prefix(kind: str) -> str:
    return "[" + _json_string(kind) + ","


@dataclass(slots=True)
class Finding:
    kind: str
    key: str
    digest: str
    severity: str
    agency_ids: frozenset[int]
    for_admin_staff: bool = False
    # Concerned objects by Flag field name (agency_id, function_id, mandate_id, ...).
    objects: dict = field(default_factory=dict)
    # Keys in the order PostgreSQL writes a jsonb object out (shorter first, then by bytes):
    # a rerun compares the stored parameters with these as text (flags/services.py).
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Detector:
    kind: str
    find: Callable[[set[int] | None], list[Finding]]
    # What a scope is made of ("functions", "agencies" or "cases"), and the condition on
    # stored flags that selects the same scope.
    scope: str
    stored_scope: Callable[[set[int]], Q]


def in_list(column: str, ids: Iterable[int]) -> tuple[str, list[int]]:
    ids = sorted(ids)
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _fetch(sql: str, params: list, *, jit: bool = True) -> list[tuple]:
    """Run a detector query. `jit=False`: PostgreSQL would compile a query whose cost it
    overestimates (rows out of recursive CTEs) for longer than the query runs."""
    with connection.cursor() as cursor:
        if jit or connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        (previous, _off) = cursor.fetchone()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def _contains(outer: str, inner: str) -> str:
    """SQL: the agency row `outer` is an ancestor of the agency row `inner`: the lineage of a
    row is the path of its ancestors' ids ("/1/40/"), so its descendants' lineages start
    with the row's own lineage followed by its id."""
    return f"{inner}.lineage LIKE {outer}.lineage || CAST({outer}.agency_id AS TEXT) || '/%%'"


# --- mandate-overlap -------------------------------------------------------------------


def _active_mandate(alias: str) -> str:
    return (
        f"({alias}.valid_from IS NULL OR {alias}.valid_from <= %s) "
        f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= %s)"
    )


def mandate_overlap_flags(functions: set[int] | None = None) -> list[Finding]:
    """Two active agencies of one country, neither an ancestor of the other, holding active
    primary mandates for one functional area over intersecting jurisdictions.

    Two places intersect when one is the other or one of its ancestors. The query lists the
    places of the active primary mandates once (`held`), climbs from each of those places to
    its ancestors (`up`, a few levels), and pairs a mandate place with the mandates holding
    the place itself or one of its ancestors, of the same function and country: equality
    joins only, so the cost follows the number of mandate places, not the pairs of mandates
    of a function."""
    mandate = Mandate._meta.db_table
    through = Mandate.jurisdictions.through._meta.db_table
    agency = Agency._meta.db_table
    place = Jurisdiction._meta.db_table
    today = timezone.localdate()
    scope_sql, scope_params = ("1 = 1", []) if functions is None else in_list("m.function_id", functions)
    # PostgreSQL cannot estimate rows coming out of a CTE; computing `reach` first keeps it
    # from pairing every two mandates of a function before looking at their places.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    # Only table names and aliases are formatted in; every value is a query parameter.
    sql = f"""
        WITH RECURSIVE held AS (
            SELECT m.id AS mandate_id, mj.jurisdiction_id AS place_id, m.function_id, m.agency_id,
                a.country_id, a.level, a.lineage
            FROM {mandate} m
            JOIN {agency} a ON a.id = m.agency_id
            JOIN {through} mj ON mj.mandate_id = m.id
            WHERE {scope_sql}
              AND m.role = 'primary' AND {_active_mandate("m")}
              AND a.active = %s AND a.country_id IS NOT NULL
        ),
        up (place_id, above_id) AS (
            SELECT DISTINCT place_id, place_id FROM held
            UNION
            SELECT up.place_id, j.parent_id FROM up JOIN {place} j ON j.id = up.above_id
            WHERE j.parent_id IS NOT NULL
        ),
        reach AS {materialized} (
            SELECT held.*, up.above_id FROM held JOIN up ON up.place_id = held.place_id
        )
        SELECT DISTINCT i.mandate_id, o.mandate_id, i.function_id, i.agency_id, o.agency_id, i.level, o.level,
            i.place_id, j.lineage
        FROM reach i
        JOIN held o ON o.place_id = i.above_id AND o.function_id = i.function_id
            AND o.country_id = i.country_id AND o.agency_id <> i.agency_id
        JOIN {place} j ON j.id = i.place_id
        WHERE NOT ({_contains("i", "o")}) AND NOT ({_contains("o", "i")})
    """  # noqa: S608
    rows = _fetch(sql, [*scope_params, today, today, True], jit=False)
    pairs: dict[tuple[int, int], dict] = {}
    for inner, outer, function_id, inner_agency, outer_agency, inner_level, outer_level, place_id, lineage in rows:
        # One pair per two mandates, the lower id first, whichever holds the wider place.
        if inner < outer:
            m1, m2, agencies, levels = inner, outer, (inner_agency, outer_agency), (inner_level, outer_level)
        else:
            m1, m2, agencies, levels = outer, inner, (outer_agency, inner_agency), (outer_level, inner_level)
        pair = pairs.get((m1, m2))
        if pair is None:
            pair = pairs[m1, m2] = {"function": function_id, "agencies": agencies, "levels": levels, "places": {}}
        pair["places"][place_id] = lineage
    prefix = _key_prefix(FlagKind.MANDATE_OVERLAP)
    findings = []
    for (m1, m2), pair in pairs.items():
        places = pair["places"]
        # Name the widest places of the intersection: Texas, not also El Paso inside it.
        # (A place is wider than another when it is one of the segments of the other's lineage.)
        names = {str(pid) for pid in places}
        widest = sorted(pid for pid, lineage in places.items() if names.isdisjoint(lineage.split("/")[1:-1]))
        a1, a2 = pair["agencies"]
        same_level = pair["levels"][0] == pair["levels"][1]
        severity = FlagSeverity.HIGH if same_level else FlagSeverity.LOW
        findings.append(
            Finding(
                kind=FlagKind.MANDATE_OVERLAP,
                key=_pair_hash(prefix, m1, m2),
                digest=stable_hash(a1, a2, pair["function"], sorted(places), severity),
                severity=severity,
                agency_ids=frozenset((a1, a2)),
                objects={"function_id": pair["function"], "mandate_id": m1, "other_mandate_id": m2},
                params={
                    "levels": list(pair["levels"]),
                    "places": widest,
                    "agencies": [a1, a2],
                    "function": pair["function"],
                    "same_level": same_level,
                },
            )
        )
    return findings


# --- missing-contact -------------------------------------------------------------------


def missing_contact_flags(agencies: set[int] | None = None) -> list[Finding]:
    """An agency with an active primary or supporting mandate for a functional area and no
    active (unblocked) contact who is liaison for it. A concurrent mandate (the general police
    powers every local agency holds over its place) asks for no liaison: thousands of city
    police and sheriffs would each raise one (README, "Ordinary policing")."""
    liaison = Contact.objects.visible().filter(
        active=True, agency_id=OuterRef("agency_id"), functions=OuterRef("function_id")
    )
    mandates = Mandate.objects.active().exclude(role=Mandate.Role.CONCURRENT).filter(~Exists(liaison))
    if agencies is not None:
        mandates = mandates.filter(agency_id__in=agencies)
    groups: dict[tuple[int, int], list[int]] = {}
    for agency_id, function_id, mandate_id in mandates.values_list("agency_id", "function_id", "id").order_by():
        groups.setdefault((agency_id, function_id), []).append(mandate_id)
    prefix = _key_prefix(FlagKind.MISSING_CONTACT)
    return [
        Finding(
            kind=FlagKind.MISSING_CONTACT,
            key=_pair_hash(prefix, agency_id, function_id),
            digest=stable_hash(sorted(mandate_ids)),
            severity=FlagSeverity.MEDIUM,
            agency_ids=frozenset((agency_id,)),
            for_admin_staff=True,
            objects={"agency_id": agency_id, "function_id": function_id},
            params={"agency": agency_id, "function": function_id},
        )
        for (agency_id, function_id), mandate_ids in groups.items()
    ]


# --- stale-contact ---------------------------------------------------------------------


def stale_contact_flags(agencies: set[int] | None = None) -> list[Finding]:
    """An active (unblocked) contact last verified more than ENLACE_STALE_CONTACT_DAYS ago,
    or never verified."""
    days = settings.ENLACE_STALE_CONTACT_DAYS
    cutoff = timezone.localdate() - datetime.timedelta(days=days)
    contacts = Contact.objects.visible().filter(Q(verified_on__lt=cutoff) | Q(verified_on__isnull=True), active=True)
    if agencies is not None:
        contacts = contacts.filter(agency_id__in=agencies)
    return [
        Finding(
            kind=FlagKind.STALE_CONTACT,
            key=stable_hash(FlagKind.STALE_CONTACT, contact_id),
            digest=stable_hash(agency_id, verified_on),
            severity=FlagSeverity.LOW,
            agency_ids=frozenset((agency_id,)),
            for_admin_staff=True,
            objects={"agency_id": agency_id, "contact_id": contact_id},
            params={
                "days": days,
                "agency": agency_id,
                "contact": contact_id,
                "verified_on": verified_on.isoformat() if verified_on else None,
            },
        )
        for contact_id, agency_id, verified_on in contacts.values_list("id", "agency_id", "verified_on").order_by()
    ]


# --- subject-match ---------------------------------------------------------------------


def subject_match_flags(cases: set[int] | None = None) -> list[Finding]:
    """A subject of one case with the same kind and normalized key as a subject of another."""
    from cases.models import Case, CaseSubject

    subject = CaseSubject._meta.db_table
    case = Case._meta.db_table
    columns = "s1.id, s2.id, s1.kind, s1.normalized_key, s1.case_id, s2.case_id, c1.lead_agency_id, c2.lead_agency_id"
    pairs = f"""
        FROM {subject} s1
        JOIN {subject} s2 ON s2.kind = s1.kind AND s2.normalized_key = s1.normalized_key
            AND s2.case_id <> s1.case_id AND s2.id > s1.id
        JOIN {case} c1 ON c1.id = s1.case_id
        JOIN {case} c2 ON c2.id = s2.case_id
    """
    # Only table names and aliases are formatted in; every value is a query parameter.
    if cases is None:
        sql, scope_params = f"SELECT {columns} {pairs}", []
    else:
        # A scope's subjects on either side of a pair: one branch each, so that each starts
        # from the scope's few subjects and finds their matches by (kind, normalized_key).
        first, ids = in_list("s1.case_id", cases)
        second, _ids = in_list("s2.case_id", cases)
        sql = f"SELECT {columns} {pairs} WHERE {first} UNION SELECT {columns} {pairs} WHERE {second}"
        scope_params = [*ids, *ids]
    prefix = _key_prefix(FlagKind.SUBJECT_MATCH)
    findings = []
    for s1, s2, kind, normalized_key, case1, case2, lead1, lead2 in _fetch(sql, scope_params):
        findings.append(
            Finding(
                kind=FlagKind.SUBJECT_MATCH,
                key=_pair_hash(prefix, s1, s2),
                # stable_hash(kind, normalized_key, case1, case2, lead1, lead2), written out.
                digest=_sha256(
                    f"[{_json_string(kind)},{_json_string(normalized_key)},{case1:d},{case2:d},"
                    f"{_json_id(lead1)},{_json_id(lead2)}]".encode()
                ).hexdigest(),
                severity=FlagSeverity.HIGH,
                agency_ids=frozenset((lead1, lead2)),
                objects={"case_id": case1, "other_case_id": case2, "subject_id": s1, "other_subject_id": s2},
                params={"cases": [case1, case2], "leads": [lead1, lead2], "subject_kind": kind},
            )
        )
    return findings


# --- duplicate-action ------------------------------------------------------------------


def duplicate_action_flags(cases: set[int] | None = None) -> list[Finding]:
    """Two open action items of one case sharing a functional area, owned by different agencies."""
    from cases.models import ActionItem

    item = ActionItem._meta.db_table
    closed = list(ActionItem.CLOSED_STATUSES)
    scope_sql, scope_params = ("1 = 1", []) if cases is None else in_list("i1.case_id", cases)
    # Only table names and aliases are formatted in; every value is a query parameter.
    sql = f"""
        SELECT i1.id, i2.id, i1.case_id, i1.function_id, i1.owner_id, i2.owner_id
        FROM {item} i1
        JOIN {item} i2 ON i2.case_id = i1.case_id AND i2.function_id = i1.function_id
            AND i2.owner_id <> i1.owner_id AND i2.id > i1.id
        WHERE {scope_sql}
          AND i1.status NOT IN (%s, %s) AND i2.status NOT IN (%s, %s)
    """  # noqa: S608
    prefix = _key_prefix(FlagKind.DUPLICATE_ACTION)
    findings = []
    for i1, i2, case_id, function_id, owner1, owner2 in _fetch(sql, [*scope_params, *closed, *closed]):
        findings.append(
            Finding(
                kind=FlagKind.DUPLICATE_ACTION,
                key=_pair_hash(prefix, i1, i2),
                # stable_hash(case_id, function_id, owner1, owner2), written out.
                digest=_sha256(f"[{case_id:d},{function_id:d},{owner1:d},{owner2:d}]".encode()).hexdigest(),
                severity=FlagSeverity.MEDIUM,
                agency_ids=frozenset((owner1, owner2)),
                objects={
                    "case_id": case_id,
                    "function_id": function_id,
                    "action_item_id": i1,
                    "other_action_item_id": i2,
                },
                params={"case": case_id, "items": [i1, i2], "owners": [owner1, owner2], "function": function_id},
            )
        )
    return findings


DETECTORS: dict[str, Detector] = {
    FlagKind.MANDATE_OVERLAP: Detector(
        FlagKind.MANDATE_OVERLAP, mandate_overlap_flags, "functions", lambda ids: Q(function_id__in=ids)
    ),
    FlagKind.SUBJECT_MATCH: Detector(
        FlagKind.SUBJECT_MATCH,
        subject_match_flags,
        "cases",
        lambda ids: Q(case_id__in=ids) | Q(other_case_id__in=ids),
    ),
    FlagKind.DUPLICATE_ACTION: Detector(
        FlagKind.DUPLICATE_ACTION, duplicate_action_flags, "cases", lambda ids: Q(case_id__in=ids)
    ),
    FlagKind.MISSING_CONTACT: Detector(
        FlagKind.MISSING_CONTACT, missing_contact_flags, "agencies", lambda ids: Q(agency_id__in=ids)
    ),
    FlagKind.STALE_CONTACT: Detector(
        FlagKind.STALE_CONTACT, stale_contact_flags, "agencies", lambda ids: Q(agency_id__in=ids)
    ),
}


# Other apps' findings of a kind, computed for the same scope as the kind's own detector (the
# federation app's matches with partner registries): a sync stores them with the rest, so a
# recomputation keeps them instead of closing them. Registered from an app's ready().
SOURCES: dict[str, list[Callable[[set[int] | None], list[Finding]]]] = {}


def register_source(kind: str, find: Callable[[set[int] | None], list[Finding]]) -> None:
    sources = SOURCES.setdefault(kind, [])
    if find not in sources:
        sources.append(find)


def find_flags(kind: str, scope: set[int] | None) -> list[Finding]:
    """What the kind's detector and the registered sources find in the scope."""
    findings = DETECTORS[kind].find(scope)
    for source in SOURCES.get(kind, ()):
        findings.extend(source(scope))
    return findings


def detect_all() -> dict[str, list[Finding]]:
    """Every finding of every kind: what a full recomputation wants stored as live flags."""
    return {kind: find_flags(kind, None) for kind in DETECTORS}
