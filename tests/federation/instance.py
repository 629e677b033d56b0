"""What the two-instance test runs inside each instance (`manage.py shell -c`): seeding its
own cases, registering its partner, and reading back what the test asserts. Prints JSON."""

import json

from django.db import connection

from agencies.models import Agency, Contact, Jurisdiction
from cases.models import Case, CaseParticipant, CaseSubject
from federation.models import Alert, Partner, Run
from flags.models import Flag, FlagKind

# Subjects of each side: the common ones are written differently on each side (the
# normalized keys agree); the ONLY* serials exist on one side only.
SIDES = {
    "a": {
        "lead": "us-atf",
        "liaison": "Alice Liaison-ATF",
        "subjects": [
            ("firearm", "GLOCK", "ab-123 45"),
            ("firearm", "COLT", "ONLYA999"),
            ("dealer", "", "1-57-021-01-8K-05432"),
            ("dealer", "", "1-23-456-78-9K-13579"),
            ("phone", "", "+52 55 1234 5678"),
        ],
    },
    "b": {
        "lead": "mx-fgr",
        "liaison": "Bruno Enlace-FGR",
        "subjects": [
            ("firearm", "Glock", "AB12345"),
            ("firearm", "SMITH", "ONLYB777"),
            ("dealer", "", "1-57-021-01-9A-05432"),
            ("dealer", "", "9-87-654-32-1Z-98765"),
            ("phone", "", "5512345678"),
        ],
    },
}


def _catalog() -> dict[str, Agency]:
    us, _ = Jurisdiction.objects.get_or_create(code="US", defaults={"kind": "country", "name": "United States"})
    mx, _ = Jurisdiction.objects.get_or_create(code="MX", defaults={"kind": "country", "name": "Mexico"})
    agencies = {}
    for slug, acronym, name, country in (
        ("us-atf", "ATF", "Bureau of Alcohol, Tobacco, Firearms and Explosives", us),
        ("mx-fgr", "FGR", "Fiscalía General de la República", mx),
    ):
        agencies[slug], _ = Agency.objects.get_or_create(
            slug=slug,
            defaults={
                "acronym": acronym,
                "name": name,
                "country": country,
                "jurisdiction": country,
                "level": "federal",
                "kind": "law-enforcement",
            },
        )
    return agencies


def seed(side: str) -> None:
    spec = SIDES[side]
    agencies = _catalog()
    lead = agencies[spec["lead"]]
    contact = Contact.objects.create(agency=lead, name=spec["liaison"], title="Liaison", email=f"{side}@example.gov")
    case = Case.objects.create(title=f"Trafficking network {side.upper()}", lead_agency=lead)
    CaseParticipant.objects.create(case=case, agency=lead, role=CaseParticipant.Role.LEAD, contact=contact)
    for kind, make, identifier in spec["subjects"]:
        CaseSubject.objects.create(case=case, kind=kind, make=make, identifier=identifier)
    print(json.dumps({"case": case.pk}))


def register(instance_id: str, url: str, public_key: str, agency: str, **limits) -> None:
    _catalog()
    partner, _ = Partner.objects.update_or_create(
        instance_id=instance_id,
        defaults={"name": f"Registry {instance_id}", "base_url": url, "public_key": public_key, **limits},
    )
    partner.agencies.set([Agency.objects.get(slug=agency)])
    print(json.dumps({"partner": partner.pk}))


def setup(side: str, partner_id: str, url: str, public_key: str, agency: str) -> None:
    seed(side)
    register(partner_id, url, public_key, agency)


def remove_and_exchange(identifier: str, partner_id: str) -> None:
    from django.core.management import call_command

    CaseSubject.objects.filter(identifier=identifier).delete()
    call_command("federation_exchange", "--partner", partner_id)


def report(dump_to: str = "") -> None:
    if dump_to:
        dump(dump_to)
    flags = []
    for flag in Flag.objects.filter(kind=FlagKind.SUBJECT_MATCH).order_by("pk"):
        flags.append(
            {
                "id": flag.pk,
                "status": flag.status,
                "note": flag.status_system_note,
                "params": flag.params,
                "agencies": sorted(flag.agencies.values_list("slug", flat=True)),
                "subject": CaseSubject.objects.filter(pk=flag.subject_id)
                .values_list("normalized_key", flat=True)
                .first(),
                "history": flag.history.count(),
            }
        )
    runs = list(
        Run.objects.order_by("pk").values("kind", "role", "status", "local_count", "remote_count", "matches", "error")
    )
    alerts = list(Alert.objects.order_by("pk").values_list("kind", flat=True))
    agencies = {a.pk: a.slug for a in Agency.objects.all()}
    print(json.dumps({"flags": flags, "runs": runs, "alerts": alerts, "agencies": agencies}, default=str))


def dump(path: str) -> None:
    """Every row of every table, as text, to search for what must not be there."""
    with open(path, "w", encoding="utf-8") as out, connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a table name)
            for row in cursor.fetchall():
                out.write(table + "\t" + "\t".join(repr(value) for value in row) + "\n")
