"""Admin: catalog import (upload → preview table → confirm), and webhook endpoints with
their delivery log. Only admin staff (or superusers) use these pages."""

import base64

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.importers import RESOURCES, import_catalog
from interchange.models import CatalogImport, WebhookDelivery, WebhookEndpoint, WebhookEvent
from registry.models import Role, role_of

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def is_records_staff(user) -> bool:
    return bool(user.is_active and (user.is_superuser or role_of(user) == Role.ADMIN_STAFF))


class AdminStaffOnlyMixin:
    def has_module_permission(self, request) -> bool:
        return is_records_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_records_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return is_records_staff(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_records_staff(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_records_staff(request.user)


class UploadForm(forms.Form):
    resource = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=[(r, r) for r in RESOURCES])
    file = forms.FileField(label=gettext_lazy("CSV (UTF-8) or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it in parts."))
        return upload


@admin.register(CatalogImport)
class CatalogImportAdmin(AdminStaffOnlyMixin, admin.ModelAdmin):
    list_display = ["imported_at", "resource", "filename", "created", "updated", "unchanged", "imported_by"]
    list_filter = ["resource"]
    readonly_fields = [field.name for field in CatalogImport._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Step 1: upload and preview (nothing kept). Step 2: confirm and apply (all or nothing)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Import catalog")}
        if request.method == "POST" and request.POST.get("confirm"):
            return self._apply(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            preview = import_catalog(
                resource=form.cleaned_data["resource"], content=content, filename=upload.name, apply=False
            )
            context.update(
                preview=preview,
                resource=form.cleaned_data["resource"],
                filename=upload.name,
                content=base64.b64encode(content).decode(),
            )
        context["form"] = form
        return TemplateResponse(request, "admin/interchange/import.html", context)

    def _apply(self, request):
        resource = request.POST.get("resource", "")
        if resource not in RESOURCES:
            raise PermissionDenied
        filename = request.POST.get("filename", "")[:255]
        try:
            content = base64.b64decode(request.POST.get("content", ""), validate=True)
        except ValueError:
            content = b""
        # The file is read and validated again: what is applied is what passes now.
        preview = import_catalog(resource=resource, content=content, filename=filename, apply=True)
        if not preview.applied:
            messages.error(request, _("Nothing was imported: the file has refused rows. Fix them and try again."))
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import catalog"),
                "form": UploadForm(),
                "preview": preview,
            }
            return TemplateResponse(request, "admin/interchange/import.html", context)
        counts = preview.counts
        CatalogImport.objects.create(
            resource=resource,
            filename=filename,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            imported_by=request.user,
        )
        messages.success(
            request,
            _("Imported %(resource)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {"resource": resource, **counts},
        )
        return redirect("admin:interchange_catalogimport_changelist")


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "events", "agency", "active"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdminStaffOnlyMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "agency", "active"]
    list_filter = ["active"]
    autocomplete_fields = []


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdminStaffOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts", "response_status", "delivered_at"]
    list_filter = ["status", "event"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
