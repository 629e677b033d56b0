"""Synthetic but realistic registry data at national scale, for measuring performance.

At scale 1: 20,000 agencies (U.S. and Mexican, federal, state and municipal) in the real
states of both countries, 100,000 mandates, 200,000 contacts, 50,000 cases, 500,000 action
items and 200,000 case subjects, with the collisions that raise flags in realistic numbers,
and users of every role. Everything written here is marked synthetic and so easy to find:
names start with "SYN", agency slugs with "syn-", jurisdiction codes and case references
with "SYN-", e-mail addresses end in ".example.invalid", accounts have unusable passwords.

Rows go in with `bulk_create` in batches, which skips `save()`: the columns that `save()`
derives (lineage, folded search text, normalized subject keys) are computed here the same
way, with the same functions (`agencies.search.fold`, `cases.normalize.subject_key`).
"""

from __future__ import annotations

import datetime
import itertools
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from agencies.models import Agency, AgencyName, Contact, FunctionalArea, Jurisdiction, Mandate, Office
from agencies.search import fold
from registry.models import Role, User
from synthetic import places
from synthetic.writer import Table, insert, reset_sequences

MARK = "SYN"
SLUG_PREFIX = "syn-"
EMAIL_DOMAIN = "example.invalid"
BATCH_SIZE = 5000
ACTION_VERBS = [
    "Request trace of",
    "Share ballistic images of",
    "Interview dealer on",
    "Send evidence package on",
    "Coordinate seizure of",
    "Report on",
]
STATE_NAMES = {code: name for code, name, _es, _w in places.US_STATES + places.MX_STATES}
STATE_NAMES_ES = {code: name_es for code, _name, name_es, _w in places.US_STATES + places.MX_STATES}


@dataclass(frozen=True)
class Plan:
    """How many rows of each kind a scale asks for (scale 1 = national scale)."""

    scale: float

    def _n(self, at_scale_1: int, minimum: int = 1) -> int:
        return max(minimum, round(at_scale_1 * self.scale))

    @property
    def agencies(self) -> int:
        return self._n(20_000, 40)

    mandates_per_agency = 5

    @property
    def contacts(self) -> int:
        return self._n(200_000, 200)

    @property
    def cases(self) -> int:
        return self._n(50_000, 20)

    @property
    def action_items(self) -> int:
        return self._n(500_000, 100)

    @property
    def subjects(self) -> int:
        return self._n(200_000, 50)


def synthetic_data_present() -> bool:
    return Agency.objects.filter(slug__startswith=SLUG_PREFIX).exists()


class Progress:
    """One line per stage: a live counter on a terminal, a few milestones otherwise."""

    def __init__(self, out=None, *, quiet: bool = False):
        self.out = out or sys.stdout
        self.quiet = quiet
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.timings: dict[str, float] = {}

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.count, self.started = label, max(total, 1), 0, time.perf_counter()
        self._next_milestone = 0.25
        self._draw()

    def advance(self, n: int) -> None:
        self.count += n
        if self.tty or self.count / self.total >= self._next_milestone:
            while self._next_milestone <= self.count / self.total:
                self._next_milestone += 0.25
            self._draw()

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.started
        self.timings[self.label] = elapsed
        if not self.quiet:
            lead = "\r" if self.tty else ""
            line = f"{lead}  {self.label:<28} {self.count:>10,}  done in {elapsed:6.1f} s"
            self.out.write(line + " " * 20 + "\n")
            self.out.flush()

    def _draw(self) -> None:
        if self.quiet:
            return
        share = min(self.count / self.total, 1.0)
        elapsed = time.perf_counter() - self.started
        line = f"  {self.label:<28} {self.count:>10,} / {self.total:,}  {share:4.0%}  {elapsed:6.1f} s"
        if self.tty:
            self.out.write("\r" + line)
        elif self.count:
            self.out.write(line + "\n")
        self.out.flush()


class Weighted:
    """Draws from items by weight in O(log n) a draw (cumulative weights computed once)."""

    def __init__(self, items: list, weights: list[float]):
        self.items = items
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cumulative, k=1)[0]


STATE_DRAW = {
    "US": Weighted([r[0] for r in places.US_STATES], [r[3] for r in places.US_STATES]),
    "MX": Weighted([r[0] for r in places.MX_STATES], [r[3] for r in places.MX_STATES]),
}


class SyntheticRegistry:
    """Writes the synthetic registry; `run()` does it all in one transaction."""

    def __init__(self, *, scale: float, seed: int = 2026, progress: Progress | None = None):
        self.plan = Plan(scale)
        self.rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
        self.progress = progress or Progress(quiet=True)
        self.today = timezone.localdate()
        # Filled as the catalog is written, read by the cases part.
        self.agencies: list[dict] = []  # id, slug, country, state, level, kind, functions, weight
        self.contacts_by_agency: dict[int, list[int]] = defaultdict(list)
        self.coordinators_by_agency: dict[int, int] = {}
        self.now = timezone.now()
        self.tables: dict[type, Table] = {}

    # -- plumbing -------------------------------------------------------------------------

    def table(self, model) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model, self.now)
        return self.tables[model]

    def bulk(
        self,
        model,
        rows: Iterable[dict],
        *,
        label: str,
        total: int,
        on_batch: Callable[[list[dict]], None] | None = None,
    ) -> None:
        """Insert the rows (dicts of column values) in batches, with a progress line;
        `on_batch` sees each written batch (ids set) so the caller keeps only what it needs."""
        table = self.table(model)
        self.progress.start(label, total)
        batch: list[dict] = []

        def flush():
            insert(table, [table.values(row) for row in batch])
            if on_batch:
                on_batch(batch)
            self.progress.advance(len(batch))
            reset_queries()  # with DEBUG on, Django would otherwise keep every statement
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                flush()
        if batch:
            flush()
        self.progress.finish()

    def run(self, *, with_cases: bool = True) -> dict[str, float]:
        with transaction.atomic():
            self.write_catalog()
            if with_cases:
                self.write_cases()
            reset_sequences(list(self.tables.values()))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, so the planner sees the new row counts
        return self.progress.timings

    # -- places and vocabulary ------------------------------------------------------------

    def ensure_places(self) -> None:
        """The real countries, states and functional areas: taken from the reference data
        when it is loaded, created (with the same codes and slugs) when it is not."""
        countries = {}
        for code, (name, name_es) in places.COUNTRIES.items():
            countries[code], _ = Jurisdiction.objects.get_or_create(
                code=code, defaults={"kind": Jurisdiction.Kind.COUNTRY, "name": name, "name_es": name_es}
            )
        self.countries = countries
        self.states: dict[str, Jurisdiction] = {}
        self.state_weights: dict[str, float] = {}
        for country, rows in (("US", places.US_STATES), ("MX", places.MX_STATES)):
            for code, name, name_es, weight in rows:
                state = Jurisdiction.objects.filter(code=code).first()
                if state is None:
                    state = Jurisdiction(
                        code=code, kind=Jurisdiction.Kind.STATE, name=name, name_es=name_es, parent=countries[country]
                    )
                    state.save()
                self.states[code] = state
                self.state_weights[code] = weight
        if not Jurisdiction.objects.filter(code="US-TX", borders__code="MX-CHH").exists():
            for us, mx in places.BORDERS:
                self.states[us].borders.add(self.states[mx])
        self.functions: dict[str, FunctionalArea] = {}
        for slug, name, name_es in places.FUNCTIONS:
            self.functions[slug], _ = FunctionalArea.objects.get_or_create(
                slug=slug, defaults={"name": name, "name_es": name_es}
            )

    def us_place(self) -> str:
        return self.rng.choice(places.US_PLACE_HEADS) + self.rng.choice(places.US_PLACE_TAILS)

    def mx_place(self) -> str:
        return f"{self.rng.choice(places.MX_PLACE_HEADS)} {self.rng.choice(places.MX_PLACE_TAILS)}"

    # -- the catalog ----------------------------------------------------------------------

    def write_catalog(self) -> None:
        rng = self.rng
        self.ensure_places()
        total = self.plan.agencies
        n_mx = max(8, round(total * 0.125))  # ~2,500 Mexican bodies for ~17,500 U.S. ones
        specs = [self._agency_spec("MX") for _ in range(n_mx)] + [self._agency_spec("US") for _ in range(total - n_mx)]
        rng.shuffle(specs)
        self._write_municipalities(specs)
        self._write_agencies(specs)
        self._write_agency_names(specs)
        self._write_mandates(specs)
        self._write_offices(specs)
        self._write_contacts(specs)
        self._write_users(specs)

    def _agency_spec(self, country: str) -> dict:
        rng = self.rng
        state = STATE_DRAW[country].draw(rng)
        draw = rng.random()
        if country == "US":
            level = "federal" if draw < 0.01 else "state" if draw < 0.10 else "municipal"
        else:
            level = "federal" if draw < 0.03 else "state" if draw < 0.30 else "municipal"
        return {"country": country, "state": state, "level": level}

    def _write_municipalities(self, specs: list[dict]) -> None:
        """Invented municipalities and counties inside the real states: a municipal agency's
        mandate covers its own town, as it does in life (not its whole state)."""
        rng = self.rng
        municipal = [s for s in specs if s["level"] == "municipal"]
        by_state: dict[str, list[dict]] = defaultdict(list)
        for spec in municipal:
            by_state[spec["state"]].append(spec)
        rows, homes = [], []
        for state_code, members in sorted(by_state.items()):
            state = self.states[state_code]
            country = state_code[:2]
            count = max(1, round(len(members) / 1.3))  # a few towns have two bodies (police and sheriff)
            towns = []
            for number in range(1, count + 1):
                name = self.us_place() if country == "US" else self.mx_place()
                town = {
                    "id": self.table(Jurisdiction).new_id(),
                    "code": f"SYN-{state_code}-{number:05d}",
                    "kind": Jurisdiction.Kind.MUNICIPALITY,
                    "name": f"{MARK} {name}",
                    "name_es": f"{MARK} {name}",
                    "parent_id": state.pk,
                    "lineage": state.lineage_for_children(),
                }
                towns.append(town)
                rows.append(town)
            for spec in members:
                spec["town"] = rng.choice(towns)
                homes.append(spec)
        self.bulk(Jurisdiction, rows, label="municipalities", total=len(rows))
        for spec in homes:
            spec["town_name"] = spec["town"]["name"].removeprefix(f"{MARK} ")

    def _name(self, spec: dict) -> None:
        """Names, acronym, kind and functions, after the real bodies of each level."""
        rng = self.rng
        country, level = spec["country"], spec["level"]
        state_name, state_es = STATE_NAMES[spec["state"]], STATE_NAMES_ES[spec["state"]]
        border = spec["state"] in places.US_BORDER_STATES | places.MX_BORDER_STATES
        le_support = [
            "criminal-intelligence",
            "ballistics-forensics",
            "firearms-tracing",
            "capacity-building",
            "public-health-prevention",
            "financial-intelligence",
        ]
        if border:
            le_support.insert(0, "border-interdiction")
        if country == "US" and level == "municipal":
            town = spec["town_name"]
            draw = rng.random()
            if draw < 0.55:
                spec.update(
                    name=f"{town} Police Department",
                    name_es="",
                    kind="law-enforcement",
                    primary="criminal-investigation",
                    support=le_support,
                )
                spec["acronym"] = "".join(w[0] for w in town.split()) + "PD"
            elif draw < 0.77:
                spec.update(
                    name=f"{town} County Sheriff's Office",
                    name_es="",
                    kind="law-enforcement",
                    primary="criminal-investigation",
                    support=le_support,
                    acronym="",
                )
            elif draw < 0.92:
                spec.update(
                    name=f"{town} County District Attorney's Office",
                    name_es=f"Fiscalía de Distrito del Condado de {town}" if rng.random() < 0.2 else "",
                    kind="prosecution",
                    primary="prosecution",
                    support=[
                        "criminal-investigation",
                        "criminal-intelligence",
                        "capacity-building",
                        "firearms-tracing",
                        "financial-intelligence",
                    ],
                    acronym="",
                )
            else:
                spec.update(
                    name=f"{town} Marshal's Office",
                    name_es="",
                    kind="law-enforcement",
                    primary="",
                    support=["criminal-investigation", *le_support],
                    acronym="",
                )
        elif country == "MX" and level == "municipal":
            town = spec["town_name"]
            if rng.random() < 0.85:
                spec.update(
                    name=f"{town} Municipal Public Security Directorate",
                    name_es=f"Dirección de Seguridad Pública Municipal de {town}",
                    kind="law-enforcement",
                    primary="criminal-investigation",
                    support=le_support,
                    acronym="DSPM",
                )
            else:
                spec.update(
                    name=f"{town} Public Prosecutor's Agency",
                    name_es=f"Agencia del Ministerio Público en {town}",
                    kind="prosecution",
                    primary="",
                    support=[
                        "prosecution",
                        "criminal-investigation",
                        "criminal-intelligence",
                        "capacity-building",
                        "firearms-tracing",
                    ],
                    acronym="AMP",
                    parent_role="state-prosecutor",
                )
        elif level == "state":
            unit = rng.randint(1, 40)
            if country == "US":
                choices = [
                    (f"{state_name} State Police Troop {unit}", "law-enforcement", "criminal-investigation"),
                    (f"{state_name} Bureau of Investigation Region {unit}", "law-enforcement", "criminal-intelligence"),
                    (f"{state_name} Attorney General's Office District {unit}", "prosecution", "prosecution"),
                    (f"{state_name} Crime Laboratory Unit {unit}", "law-enforcement", "ballistics-forensics"),
                    (f"{state_name} Highway Patrol Post {unit}", "law-enforcement", "border-interdiction"),
                    (f"{state_name} Fusion Center Cell {unit}", "intelligence", "criminal-intelligence"),
                ]
                name, kind, main = rng.choice(choices)
                spec.update(name=name, name_es="", kind=kind, acronym="")
            else:
                zone = rng.choice(["Norte", "Sur", "Centro", "Oriente", "Poniente", "Costa", "Sierra", "Frontera"])
                choices = [
                    (
                        f"{state_name} Regional Prosecutor's Office, {zone} Zone {unit}",
                        f"Fiscalía Regional Zona {zone} {unit} del Estado de {state_es}",
                        "prosecution",
                        "prosecution",
                    ),
                    (
                        f"{state_name} Specialized Prosecutor's Office for Firearms Crimes {unit}",
                        f"Fiscalía Especializada en Delitos con Armas de Fuego {unit} de {state_es}",
                        "prosecution",
                        "prosecution",
                    ),
                    (
                        f"{state_name} State Police, {zone} Region {unit}",
                        f"Policía Estatal Región {zone} {unit} de {state_es}",
                        "law-enforcement",
                        "criminal-investigation",
                    ),
                    (
                        f"{state_name} State Intelligence Center {unit}",
                        f"Centro Estatal de Inteligencia {unit} de {state_es}",
                        "intelligence",
                        "criminal-intelligence",
                    ),
                    (
                        f"{state_name} Forensic Sciences Institute {unit}",
                        f"Instituto de Ciencias Forenses {unit} de {state_es}",
                        "law-enforcement",
                        "ballistics-forensics",
                    ),
                ]
                name, name_es, kind, main = rng.choice(choices)
                spec.update(name=name, name_es=name_es, kind=kind, acronym="")
                if kind == "prosecution":
                    spec["parent_role"] = "state-prosecutor"
            # One statutory lead per state and function (the top body); the units support it.
            spec.update(primary="", support=[main, "criminal-investigation", *le_support])
            spec["state_main"] = main
        else:  # federal field offices, under the real federal agencies when the reference data has them
            number = rng.randint(1, 99)
            if country == "US":
                parent, kind, name, main = rng.choice(
                    [
                        ("us-atf", "law-enforcement", f"ATF {state_name} Field Office {number}", "firearms-tracing"),
                        (
                            "us-fbi",
                            "law-enforcement",
                            f"FBI {state_name} Resident Agency {number}",
                            "criminal-investigation",
                        ),
                        ("us-hsi", "law-enforcement", f"HSI {state_name} Office {number}", "export-control"),
                        ("us-cbp", "customs", f"CBP {state_name} Station {number}", "border-interdiction"),
                        (
                            "us-dea",
                            "law-enforcement",
                            f"DEA {state_name} Resident Office {number}",
                            "criminal-investigation",
                        ),
                    ]
                )
                spec.update(name=name, name_es="", kind=kind, acronym="", reference_parent=parent)
            else:
                parent, kind, name, name_es, main = rng.choice(
                    [
                        (
                            "mx-fgr",
                            "prosecution",
                            f"FGR State Office in {state_name} {number}",
                            f"Delegación {number} de la Fiscalía General de la República en {state_es}",
                            "prosecution",
                        ),
                        (
                            "mx-gn",
                            "law-enforcement",
                            f"National Guard Coordination {state_name} {number}",
                            f"Coordinación {number} de la Guardia Nacional en {state_es}",
                            "criminal-investigation",
                        ),
                        (
                            "mx-sedena",
                            "military",
                            f"Military Zone Registry Office {state_name} {number}",
                            f"Oficina de Registro de Zona Militar {number} en {state_es}",
                            "military-security",
                        ),
                        (
                            "mx-anam",
                            "customs",
                            f"Customs Office {state_name} {number}",
                            f"Aduana {number} de {state_es}",
                            "customs",
                        ),
                    ]
                )
                spec.update(name=name, name_es=name_es, kind=kind, acronym="", reference_parent=parent)
            spec.update(primary="", support=[main, "firearms-tracing", "criminal-investigation", *le_support])
        functions = []
        for slug in [spec["primary"], *spec["support"]]:
            if slug and slug not in functions:
                functions.append(slug)
        while len(functions) < self.plan.mandates_per_agency:
            slug = rng.choice(places.FUNCTIONS)[0]
            if slug not in functions:
                functions.append(slug)
        spec["functions"] = functions[: self.plan.mandates_per_agency]
        spec["weight"] = {"federal": 30, "state": 8, "municipal": 1}[level]

    def _write_agencies(self, specs: list[dict]) -> None:
        rng = self.rng
        for spec in specs:
            self._name(spec)
        reference = {
            a.slug: a
            for a in Agency.objects.filter(
                slug__in=["us-atf", "us-fbi", "us-hsi", "us-cbp", "us-dea", "mx-fgr", "mx-gn", "mx-sedena", "mx-anam"]
            )
        }
        # The top state prosecutor of each Mexican state is the first prosecution body drawn there.
        heads: dict[str, dict] = {}
        for spec in specs:
            if spec["country"] == "MX" and spec["level"] == "state" and spec["kind"] == "prosecution":
                heads.setdefault(spec["state"], spec)
        # And each state's first body for a function holds the statutory lead for it.
        leads: set[tuple[str, str]] = set()
        for spec in specs:
            if spec["level"] == "state" and (spec["state"], spec["state_main"]) not in leads:
                leads.add((spec["state"], spec["state_main"]))
                spec["primary"] = spec["state_main"]
                spec["functions"].remove(spec["state_main"])
                spec["functions"].insert(0, spec["state_main"])
        for spec in heads.values():
            spec["name"] = f"{STATE_NAMES[spec['state']]} Attorney General's Office"
            spec["name_es"] = f"Fiscalía General del Estado de {STATE_NAMES_ES[spec['state']]}"
            spec["acronym"] = "FGE"
            spec.pop("parent_role", None)
        serial = defaultdict(int)
        table = self.table(Agency)
        for spec in specs:  # ids first, so that children can point at their parents
            spec["id"] = table.new_id()
            serial[spec["country"]] += 1
            spec["slug"] = f"{SLUG_PREFIX}{spec['country'].lower()}-{serial[spec['country']]:06d}"
        # Parents before children: lineage is the parent's lineage plus the parent's id.
        for spec in sorted(specs, key=lambda s: "parent_role" in s):
            parent = reference.get(spec.get("reference_parent", ""))
            if parent is not None:
                spec["parent_id"], spec["lineage"] = parent.pk, parent.lineage_for_children()
            elif "parent_role" in spec and spec["state"] in heads:
                head = heads[spec["state"]]
                spec["parent_id"], spec["lineage"] = head["id"], f"{head['lineage']}{head['id']}/"
            else:
                spec["parent_id"], spec["lineage"] = None, "/"

        def rows():
            for spec in specs:
                name = f"{MARK} {spec['name']}"
                name_es = f"{MARK} {spec['name_es']}" if spec["name_es"] else ""
                acronym = spec.get("acronym", "")
                other = spec.setdefault("other_names", [])
                if rng.random() < 0.15:
                    other.append((f"{MARK} {spec['name']} (former)", "en", AgencyName.Kind.FORMER))
                acronyms = [acronym] + [n for n, _lang, kind in other if kind == AgencyName.Kind.ACRONYM]
                texts = [name, name_es, acronym] + [n for n, _lang, _kind in other]
                yield {
                    "id": spec["id"],
                    "slug": spec["slug"],
                    "acronym": acronym,
                    "name": name,
                    "name_es": name_es,
                    "country_id": self.countries[spec["country"]].pk,
                    "jurisdiction_id": self.home_id(spec),
                    "level": spec["level"],
                    "kind": spec["kind"],
                    "parent_id": spec["parent_id"],
                    "lineage": spec["lineage"],
                    "website": f"https://{spec['slug']}.{EMAIL_DOMAIN}/",
                    "description": f"{MARK}: synthetic agency for load measurement.",
                    "active": rng.random() > 0.01,
                    # The folded columns Agency.save() would compute (refresh_search_text).
                    "search_text": " ".join(fold(t) for t in texts if t),
                    "search_acronyms": " " + " ".join(sorted({fold(a) for a in acronyms if a})) + " ",
                }

        self.bulk(Agency, rows(), label="agencies", total=len(specs))
        self.agencies = specs

    def home_id(self, spec: dict) -> int:
        """The agency's own place: its town for a municipal body, else its state."""
        town = spec.get("town")
        return town["id"] if town else self.states[spec["state"]].pk

    def _write_agency_names(self, specs: list[dict]) -> None:
        rows = [
            {"agency_id": spec["id"], "name": name, "language": lang, "kind": kind, "note": f"{MARK}"}
            for spec in specs
            for name, lang, kind in spec["other_names"]
        ]
        self.bulk(AgencyName, rows, label="agency names", total=len(rows))

    def _write_mandates(self, specs: list[dict]) -> None:
        rng = self.rng
        through = Mandate.jurisdictions.through
        pending: list[tuple[Mandate, list[int]]] = []

        def rows():
            for spec in specs:
                home = self.home_id(spec)
                for slug in spec["functions"]:
                    expired = rng.random() < 0.03
                    mandate = {
                        "agency_id": spec["id"],
                        "function_id": self.functions[slug].pk,
                        "role": Mandate.Role.PRIMARY if slug == spec["primary"] else Mandate.Role.SUPPORTING,
                        "legal_basis": f"{MARK}: synthetic legal basis",
                        "valid_from": datetime.date(2010, 1, 1) if expired else None,
                        "valid_to": self.today - datetime.timedelta(days=rng.randint(30, 900)) if expired else None,
                    }
                    places_ = [home]
                    if spec["level"] == "federal" and rng.random() < 0.3:
                        places_.append(self.states[rng.choice(list(self.states))].pk)
                    pending.append((mandate, places_))
                    yield mandate

        self.bulk(Mandate, rows(), label="mandates", total=len(specs) * self.plan.mandates_per_agency)
        links = (
            {"mandate_id": mandate["id"], "jurisdiction_id": place}
            for mandate, places_ in pending
            for place in dict.fromkeys(places_)
        )
        self.bulk(through, links, label="mandate jurisdictions", total=len(pending))

    def _write_offices(self, specs: list[dict]) -> None:
        rng = self.rng

        def rows():
            for spec in specs:
                home = self.home_id(spec)
                city = spec.get("town_name") or STATE_NAMES[spec["state"]]
                for number in range(2 if rng.random() < 0.1 else 1):
                    name = f"{MARK} {spec['name']} " + ("Headquarters" if number == 0 else f"Office {number + 1}")
                    name_es = f"{MARK} Sede {spec['name_es']}" if spec["name_es"] else ""
                    yield {
                        "agency_id": spec["id"],
                        "name": name,
                        "name_es": name_es,
                        "jurisdiction_id": home,
                        "city": city,
                        "address": f"{MARK} {rng.randint(1, 9999)} Main Street",
                        "phone": self._phone(spec["country"]),
                        "email": f"info@{spec['slug']}.{EMAIL_DOMAIN}",
                        "search_text": " ".join(fold(t) for t in (name, name_es, city) if t),
                    }

        def keep(batch):
            for office in batch:
                self._office_of.setdefault(office["agency_id"], office["id"])

        self._office_of: dict[int, int] = {}
        self.bulk(Office, rows(), label="offices", total=round(len(specs) * 1.1), on_batch=keep)

    def _phone(self, country: str) -> str:
        # U.S. numbers in the 555-0100..0199 range reserved for fiction.
        area = self.rng.choice(["202", "915", "512", "213", "602", "505", "210", "713", "305", "312"])
        if country == "US":
            return f"+1{area}55501{self.rng.randint(0, 99):02d}"
        return f"+5255{self.rng.randint(50000000, 59999999)}"

    def _write_contacts(self, specs: list[dict]) -> None:
        rng = self.rng
        total_weight = sum(s["weight"] for s in specs)
        per_weight = self.plan.contacts / total_weight
        zones = {
            "US-TX": "America/Chicago",
            "US-CA": "America/Los_Angeles",
            "US-AZ": "America/Phoenix",
            "US-NM": "America/Denver",
            "MX-BCN": "America/Tijuana",
            "MX-SON": "America/Hermosillo",
            "MX-CHH": "America/Chihuahua",
        }
        titles_en = [
            "Liaison Officer",
            "Special Agent",
            "Detective",
            "Investigator",
            "Analyst",
            "Sergeant",
            "Assistant District Attorney",
            "Program Manager",
        ]
        titles_es = [
            "Enlace Interinstitucional",
            "Agente del Ministerio Público",
            "Policía de Investigación",
            "Analista",
            "Coordinador Regional",
            "Perito en Balística",
            "Director de Área",
        ]
        function_links: list[tuple[Contact, list[int]]] = []

        def rows():
            for spec in specs:
                count = max(1, round(spec["weight"] * per_weight * rng.uniform(0.6, 1.4)))
                functions = [self.functions[s].pk for s in spec["functions"]]
                # Most of an agency's functions have a liaison; a few (missing-contact flags) do not.
                covered = [f for f in functions if rng.random() > 0.03]
                mx = spec["country"] == "MX"
                for number in range(count):
                    desk = rng.random() < 0.1
                    if desk:
                        first, last = "", ""
                        name = f"{MARK} {'Mesa de enlace' if mx else 'Liaison desk'} {number + 1}"
                    else:
                        first = rng.choice(places.FIRST_NAMES_ES if mx else places.FIRST_NAMES_EN)
                        last = rng.choice(places.LAST_NAMES_ES if mx else places.LAST_NAMES_EN)
                        name = f"{MARK} {first} {last}"
                    local = fold(f"{first} {last}").replace(" ", ".") or "desk"
                    email = f"{local}.{number + 1}@{spec['slug']}.{EMAIL_DOMAIN}"
                    title = rng.choice(titles_es if mx else titles_en)
                    draw = rng.random()
                    verified = (
                        None
                        if draw < 0.03
                        else self.today - datetime.timedelta(days=rng.randint(366, 1500))
                        if draw < 0.10
                        else self.today - datetime.timedelta(days=rng.randint(0, 365))
                    )
                    contact = {
                        "agency_id": spec["id"],
                        "office_id": self._office_of.get(spec["id"]),
                        "name": name,
                        "is_desk": desk,
                        "title": title,
                        "email": email,
                        "phone": self._phone(spec["country"]),
                        "speaks_en": not mx or rng.random() < 0.3,
                        "speaks_es": mx or rng.random() < 0.3,
                        "time_zone": zones.get(spec["state"], "America/Mexico_City" if mx else "America/New_York"),
                        "verified_on": verified,
                        "active": rng.random() > 0.05,
                        "search_text": " ".join(fold(t) for t in (name, title, email) if t),
                    }
                    mine = [covered[number % len(covered)]] if covered else []
                    if covered and rng.random() < 0.5:
                        mine.append(rng.choice(covered))
                    function_links.append((contact, mine))
                    yield contact

        def keep(batch):
            for contact in batch:
                self.contacts_by_agency[contact["agency_id"]].append(contact["id"])

        self.bulk(Contact, rows(), label="contacts", total=self.plan.contacts, on_batch=keep)
        through = Contact.functions.through
        links = (
            {"contact_id": contact["id"], "functionalarea_id": f}
            for contact, mine in function_links
            for f in dict.fromkeys(mine)
        )
        self.bulk(through, links, label="contact functions", total=round(len(function_links) * 1.4))

    def _write_users(self, specs: list[dict]) -> None:
        """A coordinator and a liaison officer for every federal and state body and one in
        twenty municipal ones, a few admin staff and a few accounts with no role (public)."""
        rng = self.rng
        unusable = make_password(None)  # nobody signs in with a password; the bench uses tokens
        groups = {g.name: g.pk for g in Group.objects.filter(name__in=[r.value for r in Role])}
        planned: list[tuple[User, str, dict | None]] = []
        for spec in specs:
            if spec["level"] != "municipal" or rng.random() < 0.05:
                for role in (Role.COORDINATOR, Role.LIAISON_OFFICER):
                    short = "coordinator" if role == Role.COORDINATOR else "liaison"
                    user = {
                        "username": f"syn-{short}-{spec['slug'].removeprefix(SLUG_PREFIX)}",
                        "email": f"{short}@{spec['slug']}.{EMAIL_DOMAIN}",
                        "first_name": MARK,
                        "last_name": short.title(),
                        "password": unusable,
                        "agency_id": spec["id"],
                        "language": "es" if spec["country"] == "MX" else "en",
                    }
                    planned.append((user, role.value, spec))
        admins = max(2, round(10 * self.plan.scale))
        for number in range(admins):
            user = {
                "username": f"syn-admin-{number + 1}",
                "email": f"admin{number + 1}@{EMAIL_DOMAIN}",
                "first_name": MARK,
                "last_name": "Admin",
                "password": unusable,
                "is_staff": True,
            }
            planned.append((user, Role.ADMIN_STAFF.value, None))
        for number in range(admins):
            user = {
                "username": f"syn-public-{number + 1}",
                "email": f"public{number + 1}@{EMAIL_DOMAIN}",
                "first_name": MARK,
                "last_name": "Reader",
                "password": unusable,
            }
            planned.append((user, "", None))
        self.bulk(User, [u for u, _r, _s in planned], label="users", total=len(planned))
        through = User.groups.through
        memberships = [{"user_id": u["id"], "group_id": groups[r]} for u, r, _s in planned if r in groups]
        self.bulk(through, memberships, label="role memberships", total=len(memberships))
        for user, role, spec in planned:
            if role == Role.COORDINATOR and spec:
                self.coordinators_by_agency[spec["id"]] = user["id"]

    # -- cases, subjects and action items -------------------------------------------------

    def write_cases(self) -> None:
        from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject, Theme

        rng = self.rng
        agencies = [a for a in self.agencies if a.get("id")]
        anyone = Weighted(agencies, [a["weight"] for a in agencies])
        by_country = {}
        for country in ("US", "MX"):
            members = [a for a in agencies if a["country"] == country] or agencies
            by_country[country] = Weighted(members, [a["weight"] for a in members])
        start = self.today - datetime.timedelta(days=6 * 365)
        state_ids = {code: j.pk for code, j in self.states.items()}
        plans: list[dict] = []
        per_year: dict[int, int] = defaultdict(int)

        def case_rows():
            verbs = [
                "Straw purchasing network",
                "Southbound trafficking corridor",
                "Firearms recovered at",
                "Parts kits shipped to",
                "Ghost gun workshop near",
                "Ammunition diversion through",
                "Trace cluster from dealers in",
                "Cross-border smuggling cell in",
            ]
            for _ in range(self.plan.cases):
                lead = anyone.draw(rng)
                opened = start + datetime.timedelta(days=rng.randint(0, (self.today - start).days))
                age = (self.today - opened).days
                draw = rng.random()
                if age > 730:
                    status = "closed" if draw < 0.6 else "archived" if draw < 0.85 else "active"
                else:
                    status = "open" if draw < 0.35 else "active" if draw < 0.85 else "closed"
                closed = None
                if status in ("closed", "archived"):
                    closed = min(self.today, opened + datetime.timedelta(days=rng.randint(30, 700)))
                per_year[opened.year] += 1
                where = STATE_NAMES[lead["state"]]
                case = {
                    "reference": f"{MARK}-{opened.year}-{per_year[opened.year]:06d}",
                    "title": f"{MARK} {rng.choice(verbs)} {where}",
                    "summary": f"{MARK}: synthetic case for load measurement.",
                    "status": status,
                    "sensitivity": "restricted" if rng.random() < 0.7 else "public",
                    "opened_on": opened,
                    "closed_on": closed,
                    "lead_agency_id": lead["id"],
                    "created_by_id": self.coordinators_by_agency.get(lead["id"]),
                }
                others = []
                for _ in range(rng.choices([1, 2, 3, 5], weights=[40, 35, 20, 5])[0]):
                    country = lead["country"] if rng.random() < 0.5 else ("MX" if lead["country"] == "US" else "US")
                    other = by_country[country].draw(rng)
                    if other["id"] != lead["id"] and other["id"] not in [o["id"] for o in others]:
                        others.append(other)
                places_ = [state_ids[lead["state"]]]
                if others and rng.random() < 0.5:
                    places_.append(state_ids[others[0]["state"]])
                plans.append(
                    {
                        "case": case,
                        "lead": lead,
                        "others": others,
                        "places": places_,
                        "opened": opened,
                        "status": status,
                    }
                )
                yield case

        self.bulk(Case, case_rows(), label="cases", total=self.plan.cases)
        through = Case.jurisdictions.through
        self.bulk(
            through,
            ({"case_id": p["case"]["id"], "jurisdiction_id": j} for p in plans for j in dict.fromkeys(p["places"])),
            label="case jurisdictions",
            total=round(len(plans) * 1.3),
        )

        def participant_rows():
            for p in plans:
                for agency, role in [(p["lead"], "lead")] + [
                    (o, "support" if rng.random() < 0.8 else "observer") for o in p["others"]
                ]:
                    contacts = self.contacts_by_agency.get(agency["id"]) or [None]
                    yield {
                        "case_id": p["case"]["id"],
                        "agency_id": agency["id"],
                        "role": role,
                        "contact_id": contacts[0] if rng.random() < 0.6 else None,
                    }

        self.bulk(CaseParticipant, participant_rows(), label="case participants", total=round(len(plans) * 2.9))
        self._write_subjects(plans, CaseSubject)
        self._write_action_items(plans, agencies, anyone, ActionItem, ActionUpdate, Theme)

    def _write_subjects(self, plans: list[dict], CaseSubject) -> None:
        from cases.normalize import subject_key

        rng = self.rng
        kinds = ["firearm", "dealer", "person", "organization", "vehicle", "phone", "address"]
        kind_weights = [45, 10, 20, 5, 8, 10, 2]
        # Share of each kind drawn from a small shared pool (a gun, dealer, person... that
        # several cases touch: the subject-match flags) and the pool's size relative to the count.
        sharing = {
            "firearm": (0.03, 0.02),
            "dealer": (0.2, 0.15),
            "person": (0.05, 0.03),
            "organization": (0.1, 0.05),
            "vehicle": (0.03, 0.02),
            "phone": (0.05, 0.03),
            "address": (0.05, 0.03),
        }
        counts = dict.fromkeys(kinds, 0)
        for k in rng.choices(kinds, weights=kind_weights, k=self.plan.subjects):
            counts[k] += 1
        pools = {k: [self._subject_value(k) for _ in range(max(1, round(counts[k] * sharing[k][1])))] for k in kinds}
        seen: set[tuple[int, str, str]] = set()
        recovery = [j.pk for code, j in self.states.items() if code.startswith("MX")] or [None]

        def rows():
            order = [k for k in kinds for _ in range(counts[k])]
            rng.shuffle(order)
            for kind in order:
                p = rng.choice(plans)
                for _attempt in range(5):
                    shared = rng.random() < sharing[kind][0]
                    value = rng.choice(pools[kind]) if shared else self._subject_value(kind)
                    identifier, extra = value
                    if shared:
                        identifier = self._retype(identifier, kind)
                    try:
                        key = subject_key(
                            kind, identifier, make=extra.get("make", ""), birth_date=extra.get("birth_date")
                        )
                    except ValueError:
                        continue
                    if (p["case"]["id"], kind, key) not in seen:
                        break
                else:
                    continue
                seen.add((p["case"]["id"], kind, key))
                subject = dict(
                    case_id=p["case"]["id"],
                    kind=kind,
                    identifier=identifier,
                    normalized_key=key,
                    note=f"{MARK}",
                    **extra,
                )
                if kind == "firearm":
                    subject["recovered_on"] = p["opened"] + datetime.timedelta(days=rng.randint(0, 60))
                    subject["recovered_in_id"] = rng.choice(recovery)
                    if rng.random() < 0.7:
                        subject["trace_number"] = f"{MARK}-T{p['opened'].year}{rng.randint(0, 9_999_999):07d}"
                        subject["trace_status"] = rng.choice(["requested", "in-progress", "completed", "unsuccessful"])
                yield subject

        self.bulk(CaseSubject, rows(), label="case subjects", total=self.plan.subjects)

    def _subject_value(self, kind: str) -> tuple[str, dict]:
        rng = self.rng
        if kind == "firearm":
            make, models_, caliber = rng.choice(places.FIREARM_MAKES)
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
            return f"{letters}{rng.randint(0, 999_999):06d}", {
                "make": make,
                "model": rng.choice(models_),
                "caliber": caliber,
            }
        if kind == "dealer":
            return (
                f"{rng.randint(1, 9)}-{rng.randint(10, 99)}-{rng.randint(1, 999):03d}-01-"
                f"{rng.randint(0, 9)}{rng.choice('ABCDEFGHJK')}-{rng.randint(0, 99_999):05d}"
            ), {}
        if kind == "person":
            mx = rng.random() < 0.6
            first = rng.choice(places.FIRST_NAMES_ES if mx else places.FIRST_NAMES_EN)
            last = rng.choice(places.LAST_NAMES_ES if mx else places.LAST_NAMES_EN)
            second = rng.choice(places.LAST_NAMES_ES) if mx else ""
            born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randint(0, 15000))
            return f"{MARK} {first} {last} {second}".strip(), {"birth_date": born if rng.random() < 0.6 else None}
        if kind == "organization":
            return (
                f"{MARK} {rng.choice(places.ORGANIZATION_WORDS)} {rng.choice(places.ORGANIZATION_TAILS)} "
                f"{rng.randint(1, 9999)} {rng.choice(places.ORGANIZATION_FORMS)}"
            ).strip(), {}
        if kind == "vehicle":
            return "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(17)), {}
        if kind == "phone":
            if rng.random() < 0.7:
                area = rng.choice(["55", "81", "33", "656", "664", "662"])
                local = (
                    f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
                    if len(area) == 2
                    else (f"{rng.randint(200, 999)} {rng.randint(1000, 9999)}")
                )
                return f"+52 {area} {local}", {}
            return f"({rng.choice(['915', '520', '210', '619', '956'])}) 555-01{rng.randint(0, 99):02d}", {}
        return f"{MARK} {rng.randint(1, 9999)} {rng.choice(['Calle Juárez', 'Main St', 'Av. Reforma'])}", {}

    def _retype(self, identifier: str, kind: str) -> str:
        """The same identifier as another officer might type it (case, dashes, spaces)."""
        if kind in ("firearm", "vehicle") and self.rng.random() < 0.5:
            return identifier.lower()
        if kind == "dealer" and self.rng.random() < 0.5:
            return identifier.replace("-", "")
        return identifier

    def _write_action_items(self, plans, agencies, anyone, ActionItem, ActionUpdate, Theme) -> None:
        rng = self.rng
        themes = [t.value for t in Theme]
        functions_of = {a["id"]: [self.functions[s].pk for s in a["functions"]] for a in agencies}
        n_case_items = round(self.plan.action_items * 0.8)
        supporting: list[tuple[ActionItem, int]] = []
        updates: list[tuple[ActionItem, str]] = []
        reasons = {
            "blocked": f"{MARK}: waiting for the partner agency's answer.",
            "cancelled": f"{MARK}: superseded by a joint operation.",
        }

        def status_for(due: datetime.date, case_status: str | None) -> str:
            draw = rng.random()
            if case_status in ("closed", "archived"):
                return "done" if draw < 0.85 else "cancelled"
            if due < self.today:
                return (
                    "done"
                    if draw < 0.6
                    else "open"
                    if draw < 0.75
                    else "in-progress"
                    if draw < 0.9
                    else "blocked"
                    if draw < 0.95
                    else "cancelled"
                )
            return "open" if draw < 0.4 else "in-progress" if draw < 0.8 else "blocked" if draw < 0.85 else "done"

        def rows():
            for number in range(self.plan.action_items):
                if number < n_case_items:
                    p = rng.choice(plans)
                    members = [p["lead"], *p["others"]]
                    owner = p["lead"] if rng.random() < 0.5 else rng.choice(members)
                    case_id, case_status = p["case"]["id"], p["status"]
                    due = p["opened"] + datetime.timedelta(days=rng.randint(14, 365))
                else:
                    owner = anyone.draw(rng)
                    members = [owner]
                    case_id, case_status = None, None
                    due = self.today + datetime.timedelta(days=rng.randint(-730, 365))
                status = status_for(due, case_status)
                contacts = self.contacts_by_agency.get(owner["id"]) or [None]
                completed = None
                if status == "done":
                    when = min(self.today, due + datetime.timedelta(days=rng.randint(-30, 20)))
                    completed = datetime.datetime.combine(when, datetime.time(15, 0), tzinfo=datetime.UTC)
                item = {
                    "title": f"{MARK} {rng.choice(ACTION_VERBS)} item {number + 1}",
                    "description": f"{MARK}: synthetic action item.",
                    "case_id": case_id,
                    "owner_id": owner["id"],
                    "assignee_id": rng.choice(contacts) if rng.random() < 0.5 else None,
                    "function_id": rng.choice(functions_of[owner["id"]]),
                    "theme": rng.choice(themes),
                    "priority": rng.choices(["low", "normal", "high", "urgent"], weights=[20, 55, 20, 5])[0],
                    "due_date": due,
                    "status": status,
                    "status_reason": reasons.get(status, ""),
                    "completed_at": completed,
                    "created_by_id": self.coordinators_by_agency.get(owner["id"]),
                }
                if rng.random() < 0.2:
                    helper = rng.choice(members) if len(members) > 1 else anyone.draw(rng)
                    if helper["id"] != owner["id"]:
                        supporting.append((item, helper["id"]))
                if rng.random() < 0.2 or (status in ("done", "blocked", "cancelled") and rng.random() < 0.3):
                    updates.append((item, status))
                yield item

        self.bulk(ActionItem, rows(), label="action items", total=self.plan.action_items)
        through = ActionItem.supporting_agencies.through
        self.bulk(
            through,
            ({"actionitem_id": item["id"], "agency_id": agency} for item, agency in supporting),
            label="supporting agencies",
            total=len(supporting),
        )

        def update_rows():
            for item, status in updates:
                moment = datetime.datetime.combine(item["due_date"], datetime.time(12, 0), tzinfo=datetime.UTC)
                if status in ("done", "blocked", "cancelled"):
                    yield {
                        "item_id": item["id"],
                        "author_id": item["created_by_id"],
                        "created_at": moment,
                        "text": reasons.get(status, ""),
                        "old_status": "in-progress" if status != "cancelled" else "open",
                        "new_status": status,
                    }
                else:
                    yield {
                        "item_id": item["id"],
                        "author_id": item["created_by_id"],
                        "created_at": moment,
                        "text": f"{MARK}: progress note.",
                    }

        self.bulk(ActionUpdate, update_rows(), label="action updates", total=len(updates))
