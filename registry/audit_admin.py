"""Admin for the security events: read and filter, never add, change or delete (the audit
trail is append-only). `AppendOnlyAdminMixin` is for every audit model's admin (history
records, the case read log). Registered from RegistryConfig.ready(), with django-axes'
pages re-registered so that admin staff (not only superusers) read the failed sign-ins and
release a lock by deleting its attempt row (docs/security.md)."""

from django.contrib import admin

from registry.admin import AdminStaffReadsMixin, is_records_staff
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


class SecurityEventAdmin(AppendOnlyAdminMixin, AdminStaffReadsMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "username", "ip_address", "request_id"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "ip_address", "request_id"]
    date_hierarchy = "at"
    readonly_fields = ["at", "kind", "user", "username", "ip_address", "request_id", "detail"]


def _axes_admins() -> dict:
    """Axes' admins, with admin staff reading every page and deleting attempts (a release)."""
    from axes import admin as axes_admin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    class AccessAttemptAdmin(AdminStaffReadsMixin, axes_admin.AccessAttemptAdmin):
        def has_delete_permission(self, request, obj=None) -> bool:
            return is_records_staff(request)

        def delete_model(self, request, obj) -> None:
            _record_release(request, [obj])
            super().delete_model(request, obj)

        def delete_queryset(self, request, queryset) -> None:
            _record_release(request, list(queryset))
            super().delete_queryset(request, queryset)

    class AccessLogAdmin(AdminStaffReadsMixin, axes_admin.AccessLogAdmin):
        pass

    class AccessFailureLogAdmin(AdminStaffReadsMixin, axes_admin.AccessFailureLogAdmin):
        pass

    return {AccessAttempt: AccessAttemptAdmin, AccessLog: AccessLogAdmin, AccessFailureLog: AccessFailureLogAdmin}


def _record_release(request, attempts) -> None:
    from registry.security_events import record_event

    for attempt in attempts:
        record_event(
            request,
            SecurityEvent.Kind.LOCKOUT_RESET,
            user=request.user,
            released_username=attempt.username,
            released_ip_address=attempt.ip_address,
        )


def register() -> None:
    if not admin.site.is_registered(SecurityEvent):
        admin.site.register(SecurityEvent, SecurityEventAdmin)
    for model, model_admin in _axes_admins().items():
        # Axes registers its own (superuser-only, Django permissions) when AXES_ENABLE_ADMIN is on.
        if admin.site.is_registered(model) and isinstance(admin.site._registry[model], AdminStaffReadsMixin):
            continue
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)
