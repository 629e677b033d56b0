from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from federation import signing


class Command(BaseCommand):
    help = _("Print a new Ed25519 signing key for this instance and the public key to give partners.")

    def handle(self, *args, **options):
        seed, public = signing.new_signing_key()
        self.stdout.write(f"ENLACE_FEDERATION_SIGNING_KEY={seed}")
        self.stdout.write(_("Public key for the partner registries: %(key)s") % {"key": public})
