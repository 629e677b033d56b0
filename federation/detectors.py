"""Subject-match flags from the matches with partner registries: a source of the flags
app's subject-match detector (flags.detectors.register_source), so `detect_flags` and the
incremental updates recompute them with the local matches instead of closing them.

One flag per partner and local case subject whose kind and key the partner also holds,
addressed to the local case's lead agency; it names the partner's agency and liaison
contact for its case (what the partner told us for that match), never more."""

from django.db import connection

from federation.models import Match, Partner
from flags.detectors import Finding, in_list, stable_hash
from flags.models import FlagKind, FlagSeverity


def federated_match_flags(cases: set[int] | None = None) -> list[Finding]:
    from cases.models import Case, CaseSubject

    match, partner = Match._meta.db_table, Partner._meta.db_table
    subject, case = CaseSubject._meta.db_table, Case._meta.db_table
    scope_sql, scope_params = ("1 = 1", []) if cases is None else in_list("s.case_id", cases)
    # Only table names are formatted in; every value is a query parameter.
    sql = f"""
        SELECT m.id, m.partner_id, p.name, m.kind, m.normalized_key, s.id, s.case_id, c.lead_agency_id
        FROM {match} m
        JOIN {partner} p ON p.id = m.partner_id
        JOIN {subject} s ON s.kind = m.kind AND s.normalized_key = m.normalized_key
        JOIN {case} c ON c.id = s.case_id
        WHERE m.active = %s AND {scope_sql}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, *scope_params])
        rows = cursor.fetchall()
    if not rows:
        return []
    remotes = dict(Match.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", "remote"))
    findings = []
    for match_id, partner_id, partner_name, kind, key, subject_id, case_id, lead_id in rows:
        remote = remotes.get(match_id) or []
        findings.append(
            Finding(
                kind=FlagKind.SUBJECT_MATCH,
                key=stable_hash(FlagKind.SUBJECT_MATCH, "federated", partner_id, subject_id),
                digest=stable_hash(kind, key, case_id, lead_id, partner_id, remote),
                severity=FlagSeverity.HIGH,
                agency_ids=frozenset((lead_id,)),
                objects={"case_id": case_id, "subject_id": subject_id},
                params={
                    "cases": [case_id],
                    "leads": [lead_id],
                    "remote": remote,
                    "partner": partner_name,
                    "subject_kind": kind,
                },
            )
        )
    return findings
