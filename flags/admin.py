from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from flags.models import Flag, FlagEvent


class FlagEventInline(admin.TabularInline):
    model = FlagEvent
    extra = 0
    can_delete = False
    fields = ["at", "old_status", "new_status", "note", "system_note", "user"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(SimpleHistoryAdmin):
    list_display = ["id", "kind", "severity", "status", "opened_at", "closed_at"]
    list_filter = ["kind", "status", "severity", "for_admin_staff"]
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
