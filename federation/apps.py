from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = _("Federation with partner registries")

    def ready(self) -> None:
        from federation.detectors import federated_match_flags
        from flags.detectors import register_source
        from flags.models import FlagKind

        # Federated matches are subject-match flags the flags app recomputes with its own.
        register_source(FlagKind.SUBJECT_MATCH, federated_match_flags)
