"""What the bench measures, on a database filled by `generate_synthetic`: who asks (the
coordinator of the agency with the most case participations, the busiest realistic user),
which paths, and the timed writes. Imported by bench/run.py once Django is set up."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from registry.models import Role


def flag_count() -> int:
    from flags.models import Flag

    return Flag.objects.count()


def pick_actors() -> dict:
    from agencies.models import Agency, Contact
    from cases.models import Case, CaseParticipant

    User = get_user_model()
    coordinators = User.objects.filter(groups__name=Role.COORDINATOR, agency__isnull=False, is_active=True)
    busiest = (
        CaseParticipant.objects.filter(agency_id__in=coordinators.values("agency_id"))
        .values("agency_id")
        .annotate(n=Count("id"))
        .order_by("-n", "agency_id")
        .first()
    )
    if busiest is None:
        raise SystemExit("No coordinator's agency takes part in a case: generate the synthetic data first.")
    agency = Agency.objects.get(pk=busiest["agency_id"])
    coordinator = coordinators.filter(agency=agency).order_by("id").first()
    case = (
        Case.objects.filter(participants__agency=agency)
        .annotate(items=Count("action_items"))
        .order_by("-items", "-id")
        .first()
    )
    function = (
        Contact.functions.through.objects.filter(contact__agency=agency)
        .values("functionalarea__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    counterpart_agency = Agency.objects.filter(slug="us-atf").first() or agency
    return {
        "coordinator": coordinator.username,
        "agency": agency.slug,
        "agency_participations": busiest["n"],
        "case": case.pk,
        "contact_function": function["functionalarea__slug"] if function else "firearms-tracing",
        "counterparts_of": counterpart_agency.slug,
        "objects": {"coordinator": coordinator, "agency": agency, "case": case},
    }


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    # Reuse a token with at least an hour to live: several probes may share one database,
    # and replacing the token would sign the others out mid-run.
    fresh_since = timezone.now() - datetime.timedelta(hours=max(0.0, settings.ENLACE_TOKEN_TTL_HOURS - 1))
    token = Token.objects.filter(user=user, created__gte=fresh_since).first()
    if token is not None:
        return token.key
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


def paths(actors: dict) -> dict[str, str]:
    return {
        "search": "/api/v1/agencies/?q=fiscalia",
        # The catalog as a client first reads it (issue 20): a page of 50, whole representation.
        "agencies": "/api/v1/agencies/?limit=50",
        "agencies_brief": "/api/v1/agencies/?limit=50&brief=1",
        "agencies_function": "/api/v1/agencies/?function=criminal-investigation&limit=50",
        "agencies_country": "/api/v1/agencies/?country=MX&limit=50",
        "agencies_level": "/api/v1/agencies/?level=municipal&limit=50",
        "agencies_kind": "/api/v1/agencies/?kind=prosecution&limit=50",
        "agencies_deep": "/api/v1/agencies/?limit=50&offset=15000",
        "agencies_function_deep": "/api/v1/agencies/?function=criminal-investigation&limit=50&offset=15000",
        "agencies_filtered": "/api/v1/agencies/?function=criminal-investigation&jurisdiction=US-TX",
        "counterparts": f"/api/v1/agencies/{actors['counterparts_of']}/counterparts/?function=firearms-tracing",
        "contacts": f"/api/v1/contacts/?agency={actors['agency']}&function={actors['contact_function']}",
        "cases": "/api/v1/cases/",
        "overdue": f"/api/v1/action-items/?owner={actors['agency']}&overdue=true",
        "flags": "/api/v1/flags/?status=open",
        "metrics": "/api/v1/metrics/",
        "case_page": f"/cases/{actors['case']}/",
        "livez": "/livez",
    }


def time_subject_saves(actors: dict, count: int, *, budget: float = 60.0) -> dict:
    """Save `count` firearm subjects through the service (as the API does), half of them the
    same gun as a subject of another case (so the incremental update raises a flag), each
    in its own committed transaction; then remove them again."""
    from django.core.exceptions import ValidationError

    from cases import services
    from cases.models import Case, CaseSubject

    user = actors["objects"]["coordinator"]
    agency = actors["objects"]["agency"]
    cases = list(Case.objects.filter(participants__agency=agency).exclude(status="archived").order_by("-id")[:50])
    others = list(
        CaseSubject.objects.filter(kind="firearm")
        .exclude(case__participants__agency=agency)
        .order_by("id")
        .values_list("make", "identifier")[: max(1, count)]
    )
    timings, created = [], []
    until = time.perf_counter() + budget
    for number in range(count):
        if len(timings) >= 3 and time.perf_counter() > until:
            break
        case = cases[number % len(cases)]
        if number % 2 == 0 and others:
            make, serial = others[(number // 2) % len(others)]
        else:
            make, serial = "Glock", f"BENCH{time.time_ns() % 10**9:09d}{number:04d}"
        begin = time.perf_counter()
        try:
            subject = services.subject_add(case=case, user=user, kind="firearm", identifier=serial, make=make)
        except ValidationError:
            continue  # already on that case
        timings.append((time.perf_counter() - begin) * 1000)
        created.append(subject)
    for subject in created:
        services.subject_remove(subject=subject, user=user)
    if not timings:
        raise SystemExit("No case subject could be saved.")
    from bench.run import percentile

    return {"saves": len(timings), "p50": percentile(timings, 0.50), "p95": percentile(timings, 0.95)}
