from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterchangeConfig(AppConfig):
    name = "interchange"
    verbose_name = _("Data interchange")

    def ready(self) -> None:
        from interchange import receivers  # noqa: F401  (connects the webhook receivers)
