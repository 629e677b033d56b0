"""Fictional demo cases, subjects, action items and updates (docs/SPEC.md §5): every title says
DEMO and every row is marked `is_demo`. Loaded by `seed_demo` in development only.

Idempotent: a demo case or item already there (same title) is left as it is. The set gives
the flags something to find: two cases share a firearm, two share a dealer, and action
items sit in every status, some overdue.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject, Theme
from registry.models import User

# A serial and a dealer license that two cases each share (fictional numbers).
SHARED_FIREARM = {"kind": "firearm", "make": "Colt", "identifier": "DEMO-LW-004512", "model": "M4 Carbine"}
SHARED_DEALER = {"kind": "dealer", "identifier": "9-86-999-01-6C-04242", "note": "DEMO: fictional licensee"}

CASES = [
    {
        "title": "DEMO – Operation Río Bravo: straw purchases of rifles in El Paso",
        "summary": "Fictional. Rifles bought by straw purchasers in West Texas and recovered in Ciudad Juárez.",
        "sensitivity": "restricted",
        "lead": "us-atf",
        "participants": [("us-hsi", "support"), ("mx-fgr", "support")],
        "jurisdictions": ["US-TX", "MX-CHH"],
        "opened_days_ago": 120,
        "subjects": [
            {
                **SHARED_FIREARM,
                "caliber": "5.56×45mm",
                "recovered_in": "MX-CHH",
                "recovered_days_ago": 95,
                "trace_number": "DEMO-T26-000811",
                "trace_status": "completed",
            },
            SHARED_DEALER,
            {"kind": "person", "identifier": "DEMO Juan Pérez Ejemplo", "birth_date": datetime.date(1990, 4, 12)},
            {"kind": "phone", "identifier": "(915) 555-0187"},
            {"kind": "vehicle", "identifier": "1FTFW1E5XDEMO0001"},
        ],
    },
    {
        "title": "DEMO – Chihuahua rifle seizures",
        "summary": "Fictional. Seizures of rifles at checkpoints in Chihuahua, traced to U.S. retail sales.",
        "sensitivity": "restricted",
        "lead": "mx-fgr",
        "participants": [("mx-sedena", "support"), ("mx-gn", "observer")],
        "jurisdictions": ["MX-CHH"],
        "opened_days_ago": 80,
        "subjects": [
            {
                **SHARED_FIREARM,
                "identifier": "demo lw 004 512",
                "caliber": "5.56×45mm",
                "recovered_in": "MX-CHH",
                "recovered_days_ago": 70,
                "trace_number": "DEMO-T26-000954",
                "trace_status": "requested",
            },
            {"kind": "organization", "identifier": "DEMO Transportes del Desierto, S.A. de C.V."},
            {"kind": "phone", "identifier": "+52 1 656 555 0142"},
        ],
    },
    {
        "title": "DEMO – Arizona gun show resales",
        "summary": "Fictional. Repeat purchases at gun shows near Tucson by buyers linked to Sonora.",
        "sensitivity": "restricted",
        "lead": "us-atf",
        "participants": [("us-cbp", "support")],
        "jurisdictions": ["US-AZ", "MX-SON"],
        "opened_days_ago": 45,
        "subjects": [
            {**SHARED_DEALER, "identifier": "98699901 6C 04242"},
            {"kind": "address", "identifier": "DEMO 100 W Example St, Tucson, AZ"},
        ],
    },
    {
        "title": "DEMO – Binational firearms tracing workshop",
        "summary": "Fictional. Training of state prosecutors on eTrace and ballistic data exchange.",
        "sensitivity": "public",
        "lead": "mx-fgr",
        "participants": [("us-atf", "support"), ("mx-sedena", "observer")],
        "jurisdictions": ["MX"],
        "opened_days_ago": 200,
        "close_days_ago": 30,
        "subjects": [],
    },
    {
        "title": "DEMO – Nuevo Laredo southbound inspections",
        "summary": "Fictional. Joint southbound inspection days at the Laredo crossings.",
        "sensitivity": "public",
        "lead": "us-cbp",
        "participants": [("mx-anam", "support"), ("us-hsi", "support")],
        "jurisdictions": ["US-TX", "MX-TAM"],
        "opened_days_ago": 60,
        "subjects": [],
    },
]

# (case index or None, owner, title, status, due in days (negative: past), theme, function, reason, supporting)
ITEMS = [
    (
        0,
        "us-atf",
        "DEMO – Trace the rifles recovered in Juárez",
        "done",
        -60,
        Theme.FORENSICS_DATA_SHARING,
        "firearms-tracing",
        "",
        (),
    ),
    (
        0,
        "us-atf",
        "DEMO – Inspect the dealer's acquisition records",
        "in-progress",
        2,
        Theme.INDUSTRY_ACCOUNTABILITY,
        "dealer-licensing-compliance",
        "",
        (),
    ),
    (
        0,
        "us-hsi",
        "DEMO – Follow the purchase money",
        "open",
        -5,
        Theme.PURSUE_CRIMINAL_NETWORKS,
        "financial-intelligence",
        "",
        (),
    ),
    (
        0,
        "mx-fgr",
        "DEMO – Open the Mexican investigation file",
        "blocked",
        -2,
        Theme.PURSUE_CRIMINAL_NETWORKS,
        "prosecution",
        "Waiting for the formal assistance request.",
        ("us-atf",),
    ),
    (
        1,
        "mx-fgr",
        "DEMO – Request eTrace for seized rifles",
        "in-progress",
        6,
        Theme.FORENSICS_DATA_SHARING,
        "firearms-tracing",
        "",
        (),
    ),
    (
        1,
        "mx-sedena",
        "DEMO – Record the seizures in the federal registry",
        "done",
        -20,
        Theme.COORDINATION,
        "military-security",
        "",
        (),
    ),
    (
        1,
        "mx-gn",
        "DEMO – Checkpoint schedule for the corridor",
        "cancelled",
        -10,
        Theme.PREVENT_TRANSBORDER_CRIME,
        "border-interdiction",
        "Superseded by the state operation.",
        (),
    ),
    (
        2,
        "us-atf",
        "DEMO – Interview the gun show sellers",
        "open",
        10,
        Theme.INDUSTRY_ACCOUNTABILITY,
        "criminal-investigation",
        "",
        (),
    ),
    (
        2,
        "us-cbp",
        "DEMO – Flag the buyers' vehicles at the Nogales crossing",
        "open",
        -1,
        Theme.PREVENT_TRANSBORDER_CRIME,
        "border-interdiction",
        "",
        (),
    ),
    (
        3,
        "mx-fgr",
        "DEMO – Hold the tracing workshop in Hermosillo",
        "done",
        -40,
        Theme.PREVENTION_SUBNATIONAL,
        "capacity-building",
        "",
        ("us-atf",),
    ),
    (
        4,
        "us-cbp",
        "DEMO – Staff southbound inspection days",
        "in-progress",
        1,
        Theme.PREVENT_TRANSBORDER_CRIME,
        "border-interdiction",
        "",
        ("mx-anam",),
    ),
    (
        4,
        "mx-anam",
        "DEMO – Share the customs risk profile",
        "blocked",
        4,
        Theme.FORENSICS_DATA_SHARING,
        "customs",
        "Legal review of the data-sharing annex.",
        (),
    ),
    (
        None,
        "mx-fgr",
        "DEMO – Monthly exchange of ballistic data",
        "open",
        -12,
        Theme.FORENSICS_DATA_SHARING,
        "ballistics-forensics",
        "",
        ("us-atf",),
    ),
    (
        None,
        "us-atf",
        "DEMO – Joint report on trace results for the Security Implementation Group",
        "in-progress",
        14,
        Theme.COORDINATION,
        "diplomacy-policy",
        "",
        ("mx-fgr", "mx-sre"),
    ),
    (
        None,
        "mx-sre",
        "DEMO – Public awareness campaign on illegal firearms",
        "done",
        -3,
        Theme.PROTECT_OUR_PEOPLE,
        "public-health-prevention",
        "",
        (),
    ),
]

# The path each status took, for the timeline.
PATHS = {
    "open": [],
    "in-progress": ["in-progress"],
    "blocked": ["in-progress", "blocked"],
    "done": ["in-progress", "done"],
    "cancelled": ["cancelled"],
}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _author_for(agency: Agency) -> User | None:
    return User.objects.filter(agency=agency, is_active=True).order_by("username").first()


def _demo_contact(agency: Agency) -> Contact | None:
    return Contact.objects.filter(is_demo=True, agency=agency, active=True).order_by("id").first()


@transaction.atomic
def seed(*, stdout=None) -> dict:
    """Add the demo cases and items that are not there yet; returns what was created."""
    created = {"cases": 0, "subjects": 0, "action_items": 0, "updates": 0}
    slugs = {slug for spec in CASES for slug in [spec["lead"], *(s for s, _r in spec["participants"])]}
    slugs |= {row[1] for row in ITEMS} | {s for row in ITEMS for s in row[8]}
    agencies = {agency.slug: agency for agency in Agency.objects.filter(slug__in=slugs)}
    places = {j.code: j for j in Jurisdiction.objects.all().only("id", "code")}
    functions = {f.slug: f for f in FunctionalArea.objects.all()}
    today = timezone.localdate()

    cases: list[Case | None] = []
    for spec in CASES:
        needed = [spec["lead"], *(slug for slug, _role in spec["participants"])]
        missing = [slug for slug in needed if slug not in agencies]
        if missing:
            _say(stdout, f"Demo case “{spec['title']}” skipped: agencies {', '.join(missing)} are not loaded.")
            cases.append(None)
            continue
        case = Case.objects.filter(is_demo=True, title=spec["title"]).first()
        if case is not None:
            cases.append(case)
            continue
        case = _create_case(spec, agencies, places, today)
        created["cases"] += 1
        created["subjects"] += _create_subjects(case, spec["subjects"], places, today)
        cases.append(case)

    for case_index, owner, title, status, due_in, theme, function, reason, supporting in ITEMS:
        case = cases[case_index] if case_index is not None else None
        if case_index is not None and case is None:
            continue
        if owner not in agencies:
            _say(stdout, f"Demo action item “{title}” skipped: agency {owner} is not loaded.")
            continue
        if ActionItem.objects.filter(is_demo=True, title=title).exists():
            continue
        _item, updates = _create_item(
            case=case,
            owner=agencies[owner],
            title=title,
            status=status,
            due_date=today + datetime.timedelta(days=due_in),
            theme=theme,
            function=functions.get(function),
            reason=reason,
            supporting=[agencies[s] for s in supporting if s in agencies],
        )
        created["action_items"] += 1
        created["updates"] += updates

    _say(
        stdout,
        "Demo cases: {cases} cases, {subjects} subjects, {action_items} action items, {updates} updates added.".format(
            **created
        ),
    )
    return created


def _create_case(spec: dict, agencies: dict, places: dict, today: datetime.date) -> Case:
    lead = agencies[spec["lead"]]
    case = Case(
        title=spec["title"],
        summary=spec["summary"],
        sensitivity=spec["sensitivity"],
        status=Case.Status.ACTIVE,
        lead_agency=lead,
        opened_on=today - datetime.timedelta(days=spec["opened_days_ago"]),
        created_by=_author_for(lead),
        is_demo=True,
    )
    if "close_days_ago" in spec:
        case.status = Case.Status.CLOSED
        case.closed_on = today - datetime.timedelta(days=spec["close_days_ago"])
    case.full_clean(exclude=["reference"])
    case.save()
    case.jurisdictions.set([places[code] for code in spec["jurisdictions"] if code in places])
    for slug, role in [(spec["lead"], CaseParticipant.Role.LEAD), *spec["participants"]]:
        agency = agencies[slug]
        participant = CaseParticipant(case=case, agency=agency, role=role, contact=_demo_contact(agency))
        participant.full_clean()
        participant.save()
    return case


def _create_subjects(case: Case, specs: list[dict], places: dict, today: datetime.date) -> int:
    count = 0
    for spec in specs:
        details = dict(spec)
        recovered_days_ago = details.pop("recovered_days_ago", None)
        recovered_in = details.pop("recovered_in", None)
        subject = CaseSubject(case=case, **details)
        if recovered_days_ago is not None:
            subject.recovered_on = today - datetime.timedelta(days=recovered_days_ago)
        if recovered_in:
            subject.recovered_in = places.get(recovered_in)
        subject.full_clean()
        subject.save()
        count += 1
    return count


def _create_item(
    *, case, owner, title, status, due_date, theme, function, reason, supporting
) -> tuple[ActionItem, int]:
    author = _author_for(owner)
    item = ActionItem(
        case=case,
        owner=owner,
        title=title,
        description="Fictional demo action item.",
        assignee=_demo_contact(owner),
        function=function,
        theme=theme,
        priority=ActionItem.Priority.HIGH if due_date < timezone.localdate() else ActionItem.Priority.NORMAL,
        due_date=due_date,
        is_demo=True,
    )
    item.full_clean()
    item.save()
    if supporting:
        item.supporting_agencies.set(supporting)
    # A believable timeline: the item was created 30 days before its due date.
    now = timezone.now()
    start = min(
        timezone.make_aware(datetime.datetime.combine(due_date - datetime.timedelta(days=30), datetime.time(9))), now
    )
    ActionItem.objects.filter(pk=item.pk).update(created_at=start)
    item.created_at = start  # or the saves below would write "now" back
    updates = 0
    previous = ActionItem.Status.OPEN
    for step, new_status in enumerate(PATHS[status]):
        stamp = min(start + datetime.timedelta(days=5 * (step + 1)), now)
        item.status = new_status
        item.status_reason = reason if new_status in ActionItem.NEEDS_REASON else ""
        if new_status == ActionItem.Status.DONE:
            # Some done on time, some late, so the on-time rate has something to measure.
            late = item.pk % 2 == 0
            stamp = min(start + datetime.timedelta(days=34 if late else 29), now)
            item.completed_at = stamp
        item.save()
        ActionUpdate.objects.create(
            item=item,
            author=author,
            created_at=stamp,
            old_status=previous,
            new_status=new_status,
            text=item.status_reason,
        )
        previous = new_status
        updates += 1
    ActionUpdate.objects.create(
        item=item,
        author=author,
        created_at=min(start + datetime.timedelta(days=2), now),
        text="DEMO: first contact made with the counterpart desk.",
    )
    return item, updates + 1
