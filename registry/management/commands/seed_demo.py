"""python manage.py seed_demo: the fictional demo data of every app, plus the demo accounts.

Each installed app may have a `demo` module with `seed(*, stdout)`; they run in
INSTALLED_APPS order (the catalog before the cases that use it), in one transaction, and
each is idempotent, so running the command twice creates nothing new.
"""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _


def demo_modules():
    """The `demo` modules of the installed apps, in INSTALLED_APPS order."""
    for app in apps.get_app_configs():
        name = f"{app.name}.demo"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # This app has no demo data.
            raise
        if callable(getattr(module, "seed", None)):
            yield app, module


class Command(BaseCommand):
    help = "Load the fictional demo data (contacts, cases, action items) and the demo accounts. Development only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with debug off (the demo data is fictional: never load it into a real registry).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "seed_demo loads fictional demo data and accounts with a published password, so it "
                    "refuses to run with debug off. Set DJANGO_DEBUG=1 for a development database, or "
                    "pass --force if you really mean to load demo data here."
                )
            )
        with transaction.atomic():
            for app, module in demo_modules():
                self.stdout.write(_("Demo data of %(app)s…") % {"app": app.label})
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(_("Demo data loaded.")))
