from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry and accounts")

    def ready(self) -> None:
        # Security events: sign-ins, failures, lockouts, role changes (docs/security.md).
        from registry import audit_admin, security_events  # noqa: F401

        audit_admin.register()
