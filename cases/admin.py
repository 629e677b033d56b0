"""Records staff's admin for cases and action items, with their change history. Opening a
restricted case here is a read like any other, and is logged. Admin staff read everything
here (docs/SPEC.md §1); cases are written through the API and web pages, whose rules (lead and
participants' coordinators) the admin would bypass, so only a superuser writes here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseReadLog, CaseSubject, ReminderLog
from cases.selectors import record_case_read
from registry.admin import AdminStaffReadsMixin


class ParticipantInline(AdminStaffReadsMixin, admin.TabularInline):
    model = CaseParticipant
    extra = 0
    raw_id_fields = ["agency", "contact"]


class SubjectInline(AdminStaffReadsMixin, admin.TabularInline):
    model = CaseSubject
    extra = 0
    fields = ["kind", "identifier", "normalized_key", "make", "model", "trace_number", "trace_status"]
    fields += ["trace_requested_on", "trace_result_on"]
    readonly_fields = ["normalized_key"]


class ActionItemInline(AdminStaffReadsMixin, admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "status", "due_date", "priority"]
    readonly_fields = ["status"]
    show_change_link = True
    raw_id_fields = ["owner"]


@admin.register(Case)
class CaseAdmin(AdminStaffReadsMixin, SimpleHistoryAdmin):
    list_display = ["reference", "title", "status", "sensitivity", "lead_agency", "opened_on", "is_demo"]
    list_filter = ["status", "sensitivity", "is_demo"]
    search_fields = ["reference", "title", "summary"]
    readonly_fields = ["reference", "created_by", "created_at", "updated_at", "is_demo"]
    raw_id_fields = ["lead_agency", "jurisdictions"]
    inlines = [ParticipantInline, SubjectInline, ActionItemInline]
    date_hierarchy = "opened_on"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead_agency")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = Case.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if case is not None and request.method == "GET" and self.has_view_permission(request, case):
            record_case_read(case=case, user=request.user, via=CaseReadLog.Via.WEB)
        return super().change_view(request, object_id, form_url, extra_context)


class ActionUpdateInline(AdminStaffReadsMixin, admin.TabularInline):
    model = ActionUpdate
    extra = 0
    fields = ["created_at", "author", "old_status", "new_status", "text"]
    readonly_fields = ["created_at", "author", "old_status", "new_status"]


@admin.register(ActionItem)
class ActionItemAdmin(AdminStaffReadsMixin, SimpleHistoryAdmin):
    list_display = ["title", "owner", "case", "status", "priority", "theme", "due_date", "is_demo"]
    list_filter = ["status", "priority", "theme", "is_demo"]
    search_fields = ["title", "description", "case__reference"]
    readonly_fields = ["completed_at", "created_by", "created_at", "updated_at", "is_demo"]
    raw_id_fields = ["owner", "assignee", "supporting_agencies", "function"]
    autocomplete_fields = ["case"]
    inlines = [ActionUpdateInline]

    def get_readonly_fields(self, request, obj=None):
        # An item's case is fixed once created (cases.services.action_item_update says why).
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "case"] if obj is not None else fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "case")


@admin.register(CaseSubject)
class CaseSubjectAdmin(AdminStaffReadsMixin, SimpleHistoryAdmin):
    list_display = ["identifier", "kind", "normalized_key", "case"]
    list_filter = ["kind", "trace_status"]
    search_fields = ["identifier", "normalized_key", "case__reference"]
    readonly_fields = ["normalized_key"]
    autocomplete_fields = ["case"]
    raw_id_fields = ["recovered_in"]


@admin.register(CaseReadLog)
class CaseReadLogAdmin(AdminStaffReadsMixin, admin.ModelAdmin):
    """The read audit: to look at, never to change."""

    list_display = ["read_at", "user", "case", "via"]
    list_filter = ["via"]
    search_fields = ["user__username", "case__reference"]
    date_hierarchy = "read_at"
    list_select_related = ["user", "case"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderLog)
class ReminderLogAdmin(AdminStaffReadsMixin, admin.ModelAdmin):
    list_display = ["sent_on", "recipient", "item"]
    search_fields = ["recipient"]
    list_select_related = ["item"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
