"""Flags in the admin: admin staff read every flag and may acknowledge or resolve any
(docs/SPEC.md §1), through the same service as the API and the web queue, so the transition rules,
the event and the notifications are the same. Dismissing needs a reason: the web queue asks
for it."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from flags import services
from flags.models import Flag, FlagEvent, FlagStatus
from registry.admin import AdminStaffReadsMixin, is_records_staff


class FlagEventInline(AdminStaffReadsMixin, admin.TabularInline):
    model = FlagEvent
    extra = 0
    can_delete = False
    fields = ["at", "old_status", "new_status", "note", "system_note", "user"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(AdminStaffReadsMixin, SimpleHistoryAdmin):
    list_display = ["id", "kind", "severity", "status", "opened_at", "closed_at"]
    list_filter = ["kind", "status", "severity", "for_admin_staff"]
    actions = ["acknowledge", "resolve"]
    search_fields = ["agencies__slug", "agencies__acronym"]
    inlines = [FlagEventInline]
    readonly_fields = [
        "kind",
        "key",
        "inputs_digest",
        "severity",
        "params",
        "for_admin_staff",
        "agencies",
        "agency",
        "function",
        "mandate",
        "other_mandate",
        "contact",
        "case",
        "other_case",
        "subject",
        "other_subject",
        "action_item",
        "other_action_item",
        "opened_at",
        "closed_at",
        "status",
        "status_changed_at",
        "status_changed_by",
        "status_note",
        "status_system_note",
    ]

    def has_add_permission(self, request) -> bool:
        # Flags are raised by the detectors; people decide on them through the queue.
        return False

    def has_resolve_permission(self, request) -> bool:
        return is_records_staff(request)

    @admin.action(description=gettext_lazy("Acknowledge the selected flags"), permissions=["resolve"])
    def acknowledge(self, request, queryset):
        self._set_status(request, queryset, FlagStatus.ACKNOWLEDGED, _("Acknowledged in the admin."))

    @admin.action(description=gettext_lazy("Resolve the selected flags"), permissions=["resolve"])
    def resolve(self, request, queryset):
        self._set_status(request, queryset, FlagStatus.RESOLVED, _("Resolved in the admin."))

    def _set_status(self, request, queryset, status: str, note: str) -> None:
        changed, refused = 0, []
        for flag in queryset.order_by("pk"):
            try:
                services.flag_set_status(flag=flag, user=request.user, status=status, note=note)
            except (PermissionDenied, ValidationError):
                refused.append(str(flag.pk))
            else:
                changed += 1
        if changed:
            self.message_user(
                request,
                ngettext("%(count)d flag changed.", "%(count)d flags changed.", changed) % {"count": changed},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                _("Not changed (already closed, or not yours to act on): %(ids)s.") % {"ids": ", ".join(refused)},
                messages.WARNING,
            )
