from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from agencies.cache import connect_signals

        connect_signals()
