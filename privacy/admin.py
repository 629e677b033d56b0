"""Admin staff answer personal-data requests here: export, block, erase (ARCO)."""

import json

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy import services
from privacy.models import PersonalDataRequest
from registry.admin import AdminStaffOnlyMixin
from registry.models import SecurityEvent
from registry.security_events import record_event


def _audit(request, action: str, data_request: PersonalDataRequest) -> None:
    record_event(
        request,
        SecurityEvent.Kind.PERSONAL_DATA,
        user=request.user,
        action=action,
        request_id_of_record=data_request.pk,
        contact=data_request.contact_id,
    )


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(AdminStaffOnlyMixin, admin.ModelAdmin):
    """Admin staff (docs/SPEC.md §1: records maintainers) register, answer and act on the requests."""

    list_display = ["received_on", "kind", "contact", "status", "answered_on", "handled_by"]
    list_filter = ["kind", "status"]
    date_hierarchy = "received_on"
    raw_id_fields = ["contact"]
    readonly_fields = ["handled_by", "created_at"]
    actions = ["export_person", "block_person", "erase_person"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the register of requests is itself kept for audit

    def save_model(self, request, obj, form, change):
        if obj.answered_on and obj.handled_by_id is None:
            obj.handled_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(permissions=["change"], description=gettext_lazy("Export everything held about the person (JSON)"))
    def export_person(self, request, queryset):
        contact_ids = list(queryset.values_list("contact_id", flat=True))
        for data_request in queryset:
            _audit(request, "export", data_request)
        payload = services.person_export(contact_ids=contact_ids)
        response = HttpResponse(json.dumps(payload, indent=2, ensure_ascii=False), content_type="application/json")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.json"'
        return response

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Block the person's record (hidden everywhere, kept for audit)"),
    )
    def block_person(self, request, queryset):
        for data_request in queryset.select_related("contact"):
            services.person_block(contact=data_request.contact)
            _audit(request, "block", data_request)
        self.message_user(request, _("Blocked."), messages.SUCCESS)

    @admin.action(
        permissions=["change"], description=gettext_lazy("Erase the person's personal data (keeps an anonymous record)")
    )
    def erase_person(self, request, queryset):
        for data_request in queryset.select_related("contact"):
            services.person_erase(contact=data_request.contact)
            _audit(request, "erase", data_request)
        self.message_user(request, _("Erased."), messages.SUCCESS)
