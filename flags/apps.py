from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = _("Flags and review queue")

    def ready(self) -> None:
        from flags import receivers

        receivers.connect()
