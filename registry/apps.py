from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry and accounts")

    def ready(self) -> None:
        # Security events: sign-ins, failures, lockouts, role changes (docs/security.md).
        from registry import audit_admin, checks, security_events  # noqa: F401

        audit_admin.register()
        brand_the_admin()
        # The role groups exist in every database, also after a test flush (post_migrate runs then).
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="enlace-role-groups")


def brand_the_admin() -> None:
    """The admin says Enlace, in the reader's language (lazy: translated per request)."""
    from django.contrib import admin

    admin.site.site_header = _("Enlace administration")
    admin.site.site_title = _("Enlace admin")
    admin.site.index_title = _("Registry administration")


def ensure_role_groups(sender, using="default", **kwargs) -> None:
    from django.contrib.auth.models import Group

    from registry.models import ROLE_ORDER

    for role in ROLE_ORDER:
        Group.objects.using(using).get_or_create(name=role.value)
