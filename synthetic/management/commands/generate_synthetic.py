"""`python manage.py generate_synthetic --scale N`: fill a database with synthetic registry data
(marked "SYN") at national scale, for performance measurement (bench/)."""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from synthetic.generators import Plan, Progress, SyntheticRegistry, synthetic_data_present


def positive_scale(value: str) -> float:
    scale = float(value)
    if not 0 < scale <= 10:
        raise ValueError("scale must be above 0 and at most 10")
    return scale


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic but realistic data for load measurement: at --scale 1, 20,000 "
        "agencies, 100,000 mandates, 200,000 contacts, 50,000 cases, 500,000 action items and 200,000 case "
        "subjects, users of every role. Every record is marked synthetic (SYN names, syn- slugs, "
        "example.invalid e-mail). Needs a database without synthetic data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=positive_scale, default=0.1, help="1 = national scale (default 0.1)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same data")
        parser.add_argument("--catalog-only", action="store_true", help="agencies, contacts and users; no cases")
        parser.add_argument("--skip-flags", action="store_true", help="do not run detect_flags afterwards")
        parser.add_argument("--force", action="store_true", help="run even with debug off (never on production)")

    def handle(self, *args, scale, seed, catalog_only, skip_flags, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Debug is off: this looks like a production database. Synthetic data belongs in a "
                "throwaway database; pass --force if this is one."
            )
        if synthetic_data_present():
            raise CommandError(
                "This database already holds synthetic data (agencies with slugs syn-...). "
                "Generate into a fresh database (drop and re-create it, then migrate)."
            )
        plan = Plan(scale)
        self.stdout.write(
            f"Synthetic registry at scale {scale}: {plan.agencies:,} agencies, {plan.contacts:,} contacts"
            + (
                ""
                if catalog_only
                else f", {plan.cases:,} cases, {plan.action_items:,} action items, {plan.subjects:,} case subjects"
            )
        )
        started = time.perf_counter()
        progress = Progress(self.stdout._out, quiet=options["verbosity"] == 0)
        SyntheticRegistry(scale=scale, seed=seed, progress=progress).run(with_cases=not catalog_only)
        written = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Synthetic data written in {written:.1f} s"))
        if not catalog_only and not skip_flags:
            flags_started = time.perf_counter()
            call_command("detect_flags", verbosity=options["verbosity"])
            self.stdout.write(self.style.SUCCESS(f"detect_flags ran in {time.perf_counter() - flags_started:.1f} s"))
