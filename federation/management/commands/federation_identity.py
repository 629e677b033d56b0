from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from federation import signing


class Command(BaseCommand):
    help = _("Print this instance's federation id and public key (what a partner registers).")

    def handle(self, *args, **options):
        if not (settings.ENLACE_FEDERATION_ID and settings.ENLACE_FEDERATION_SIGNING_KEY):
            raise CommandError(_("Set ENLACE_FEDERATION_ID and ENLACE_FEDERATION_SIGNING_KEY first."))
        self.stdout.write(
            f"{settings.ENLACE_FEDERATION_ID} {signing.public_key_of(settings.ENLACE_FEDERATION_SIGNING_KEY)}"
        )
