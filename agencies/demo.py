"""The demo accounts of docs/API.md and fictional, clearly marked demo contacts (docs/SPEC.md §5).

Every contact made here is `is_demo=True`, is named "DEMO – …", has an e-mail address at
example.gov / example.gob.mx (domains that receive no mail) and a phone number from a
fictional range (U.S. 202-555-01xx; in Mexico 55 5555 01xx). Loaded by `seed_demo` in
development only. Idempotent: what is already there is left as it is.
"""

import datetime

from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Contact, FunctionalArea, Mandate
from agencies.search import fold
from registry.models import Role, User

DEMO_PASSWORD = "enlace-demo-2026"  # noqa: S105 - published in docs/API.md for the demo accounts

ACCOUNTS = [
    # username, role, agency slug, language
    ("admin", Role.ADMIN_STAFF, None, "en"),
    ("coordinator.us", Role.COORDINATOR, "us-atf", "en"),
    ("coordinator.mx", Role.COORDINATOR, "mx-fgr", "es"),
    ("liaison.us", Role.LIAISON_OFFICER, "us-hsi", "en"),
    ("liaison.mx", Role.LIAISON_OFFICER, "mx-sedena", "es"),
]

# The agencies whose liaison functions get demo contacts, so that counterparts show some.
CONTACT_AGENCIES = [
    "us-atf",
    "us-atf-mexico",
    "us-hsi",
    "us-cbp",
    "us-fbi",
    "us-dea",
    "us-ddtc",
    "us-fincen",
    "mx-fgr",
    "mx-sedena",
    "mx-anam",
    "mx-gn",
    "mx-uif",
    "mx-sspc",
    "mx-sre",
]

US_PEOPLE = [
    ("Alex", "Sample"),
    ("Jordan", "Example"),
    ("Taylor", "Placeholder"),
    ("Morgan", "Testcase"),
    ("Casey", "Fictional"),
    ("Riley", "Demo"),
    ("Jamie", "Mockup"),
    ("Avery", "Specimen"),
]
MX_PEOPLE = [
    ("Ana", "Ejemplo"),
    ("Luis", "Muestra"),
    ("María", "Ficticia"),
    ("Jorge", "Prueba"),
    ("Lucía", "Modelo"),
    ("Carlos", "Simulado"),
    ("Sofía", "Inventada"),
    ("Diego", "Ensayo"),
]
STALE_DAYS = 400  # beyond the 365 days after which a contact counts as stale (docs/SPEC.md §4)


class DemoContacts:
    """Builds the demo contacts one agency at a time, numbering the fictional phones."""

    def __init__(self, stdout=None):
        self.stdout = stdout
        self.today = timezone.localdate()
        self.phone_serial = 0
        self.created = 0

    def next_phone(self, mexican: bool) -> str:
        self.phone_serial = (self.phone_serial + 1) % 100
        return f"+52555555{self.phone_serial + 100:04d}" if mexican else f"+1202555{self.phone_serial + 100:04d}"

    def make(self, agency: Agency, *, name: str, email_local: str, functions, bilingual=True, **fields) -> None:
        if Contact.objects.filter(agency=agency, name=name, is_demo=True).exists():
            return
        mexican = agency.slug.startswith("mx-")
        contact = Contact(
            agency=agency,
            name=name,
            is_demo=True,
            email=f"{email_local}@{'example.gob.mx' if mexican else 'example.gov'}",
            phone=self.next_phone(mexican),
            speaks_en=not mexican or bilingual,
            speaks_es=mexican or bilingual,
            time_zone="America/Mexico_City" if mexican else "America/New_York",
            **fields,
        )
        contact.full_clean()
        contact.save()
        contact.functions.set(functions)
        self.created += 1

    def for_agency(self, agency: Agency, functions: list[FunctionalArea], index: int) -> None:
        mexican = agency.slug.startswith("mx-")
        people = MX_PEOPLE if mexican else US_PEOPLE
        short = agency.acronym or agency.slug.split("-", 1)[-1].upper()
        key = fold(short).replace(" ", "")
        # Two people share the agency's functions; a desk covers all of them.
        halves = [functions[0::2], functions[1::2]] if len(functions) > 1 else [functions, functions]
        for offset, share in enumerate(halves):
            first, last = people[(2 * index + offset) % len(people)]
            self.make(
                agency,
                name=f"DEMO – {first} {last}",
                email_local=f"{fold(first)}.{fold(last)}.{key}".replace(" ", ""),
                functions=share,
                title=_("Liaison officer (demo)") if offset == 0 else _("Deputy liaison (demo)"),
                verified_on=self.today - datetime.timedelta(days=20 + 37 * offset + index),
                bilingual=offset == 0,
            )
        self.make(
            agency,
            name=f"DEMO – {short} liaison desk",
            email_local=f"liaison.desk.{key}",
            functions=functions,
            is_desk=True,
            title=_("Functional desk (demo)"),
            verified_on=self.today - datetime.timedelta(days=5 + index),
        )
        if index % 3 == 0:
            first, last = people[(2 * index + 2) % len(people)]
            self.make(
                agency,
                name=f"DEMO – {first} {last} (stale)",
                email_local=f"{fold(first)}.{fold(last)}.old.{key}".replace(" ", ""),
                functions=functions[:1],
                title=_("Former liaison (demo, not verified for over a year)"),
                verified_on=self.today - datetime.timedelta(days=STALE_DAYS + index),
            )
        if index % 4 == 1:
            first, last = people[(2 * index + 3) % len(people)]
            self.make(
                agency,
                name=f"DEMO – {first} {last} (inactive)",
                email_local=f"{fold(first)}.{fold(last)}.inactive.{key}".replace(" ", ""),
                functions=functions[:1],
                title=_("Liaison on leave (demo)"),
                active=False,
                verified_on=self.today - datetime.timedelta(days=90 + index),
            )


def seed_accounts(agencies: dict[str, Agency]) -> int:
    created_count = 0
    for username, role, agency_slug, language in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "agency": agencies.get(agency_slug) if agency_slug else None,
                "language": language,
                "email": f"{username}@example.gov",
                "is_staff": role == Role.ADMIN_STAFF,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created_count += 1
        if not user.groups.filter(name=role.value).exists():
            user.groups.add(Group.objects.get(name=role.value))
    return created_count


def seed(*, stdout=None) -> dict:
    """Create the demo accounts and contacts that are not there yet; returns what was created."""
    needed = {slug for _u, _r, slug, _l in ACCOUNTS if slug}
    agencies = {agency.slug: agency for agency in Agency.objects.filter(slug__in=needed | set(CONTACT_AGENCIES))}
    if "us-atf" not in agencies or not needed <= set(agencies):
        raise CommandError(
            _(
                "The reference catalog is not loaded (agency us-atf is missing). "
                "Run `python manage.py load_reference_data` first, then seed_demo."
            )
        )
    accounts = seed_accounts(agencies)
    functions_of: dict[int, list[FunctionalArea]] = {}
    for mandate in Mandate.objects.active().filter(agency__in=agencies.values()).select_related("function"):
        functions_of.setdefault(mandate.agency_id, [])
        if mandate.function not in functions_of[mandate.agency_id]:
            functions_of[mandate.agency_id].append(mandate.function)
    builder = DemoContacts(stdout)
    for index, slug in enumerate(CONTACT_AGENCIES):
        agency = agencies.get(slug)
        if agency is None:
            continue
        functions = sorted(functions_of.get(agency.pk, []), key=lambda function: function.slug)
        builder.for_agency(agency, functions, index)
    result = {"accounts": accounts, "contacts": builder.created}
    if stdout is not None:
        stdout.write(
            _(
                "Demo accounts created: %(accounts)d; demo contacts created: %(contacts)d "
                "(password for the accounts: %(password)s)."
            )
            % {**result, "password": DEMO_PASSWORD}
        )
    return result
