from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = _("Flags and review queue")

    def ready(self) -> None:
        from flags import receivers
        from flags.services import deferred_flag_sync
        from registry.bulk import register_bulk_deferrer

        receivers.connect()
        register_bulk_deferrer(deferred_flag_sync)
