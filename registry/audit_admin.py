"""Admin for the security events: read and filter, never add, change or delete (the audit
trail is append-only). `AppendOnlyAdminMixin` is for every audit model's admin (history
records, the case read log). Registered from RegistryConfig.ready()."""

from django.contrib import admin

from registry.models import SecurityEvent


class AppendOnlyAdminMixin:
    """Nobody adds, edits or deletes audit rows through the admin, superusers included."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class SecurityEventAdmin(AppendOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "username", "ip_address", "request_id"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "ip_address", "request_id"]
    date_hierarchy = "at"
    readonly_fields = ["at", "kind", "user", "username", "ip_address", "request_id", "detail"]


def register() -> None:
    if not admin.site.is_registered(SecurityEvent):
        admin.site.register(SecurityEvent, SecurityEventAdmin)
