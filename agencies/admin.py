"""Records staff's admin for the catalog: every model with search, filters, autocomplete
for related records and the change history of every record (simple-history). The agency
page carries its names, mandates, offices and contacts."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Identifier,
    Jurisdiction,
    Mandate,
    Office,
    Source,
)
from registry.admin import AdminStaffOnlyMixin


class CatalogAdmin(AdminStaffOnlyMixin, SimpleHistoryAdmin):
    """Admin staff maintain the catalog; every save and delete is kept in the history."""

    list_per_page = 50
    readonly_fields = ["created_at", "updated_at"]


class StaffInline(AdminStaffOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class AgencyNameInline(StaffInline):
    model = AgencyName
    fields = ["name", "language", "kind", "end_date", "note"]


class MandateInline(StaffInline):
    model = Mandate
    fields = ["function", "role", "jurisdictions", "legal_basis", "valid_from", "valid_to"]
    autocomplete_fields = ["function", "jurisdictions"]


class AgencyIdentifierInline(StaffInline):
    model = Identifier
    fields = ["scheme", "value", "source"]
    fk_name = "agency"


class JurisdictionIdentifierInline(AgencyIdentifierInline):
    fk_name = "jurisdiction"


class OfficeInline(StaffInline):
    model = Office
    fields = ["name", "name_es", "jurisdiction", "city", "phone", "email", "is_virtual"]
    autocomplete_fields = ["jurisdiction"]
    fk_name = "agency"


class ContactInline(StaffInline):
    model = Contact
    fields = ["name", "is_desk", "title", "office", "email", "phone", "verified_on", "active"]
    readonly_fields = []
    autocomplete_fields = ["office"]

    def get_queryset(self, request):
        # Contacts blocked under a personal-data request are hidden here too.
        return super().get_queryset(request).visible()


@admin.register(Jurisdiction)
class JurisdictionAdmin(CatalogAdmin):
    list_display = ["code", "name", "name_es", "kind", "parent"]
    list_filter = ["kind", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name", "name_es"]
    autocomplete_fields = ["parent", "borders"]
    list_select_related = ["parent"]
    inlines = [JurisdictionIdentifierInline]


@admin.register(FunctionalArea)
class FunctionalAreaAdmin(CatalogAdmin):
    list_display = ["slug", "name", "name_es"]
    search_fields = ["slug", "name", "name_es"]


@admin.register(Agency)
class AgencyAdmin(CatalogAdmin):
    list_display = ["slug", "acronym", "name", "name_es", "country", "level", "kind", "parent", "active"]
    list_filter = ["country", "level", "kind", "active"]
    search_fields = ["slug", "acronym", "name", "name_es", "other_names__name", "search_text"]
    autocomplete_fields = ["country", "jurisdiction", "parent"]
    list_select_related = ["country", "parent"]
    inlines = [AgencyNameInline, AgencyIdentifierInline, MandateInline, OfficeInline, ContactInline]
    fieldsets = [
        (None, {"fields": ["slug", "acronym", "name", "name_es", "country", "jurisdiction", "level", "kind"]}),
        (_("Hierarchy and validity"), {"fields": ["parent", "active", "valid_from", "valid_to"]}),
        (_("Description and sources"), {"fields": ["website", "description", "description_es", "sources"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(AgencyName)
class AgencyNameAdmin(CatalogAdmin):
    list_display = ["name", "agency", "language", "kind", "end_date"]
    list_filter = ["kind", "language"]
    search_fields = ["name", "agency__slug", "agency__acronym", "agency__name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["agency"]


@admin.register(Mandate)
class MandateAdmin(CatalogAdmin):
    list_display = ["agency", "function", "role", "valid_from", "valid_to"]
    list_filter = ["role", "function", ("agency__country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["agency__slug", "agency__acronym", "agency__name", "function__slug", "legal_basis"]
    autocomplete_fields = ["agency", "function", "jurisdictions"]
    list_select_related = ["agency", "function"]


@admin.register(Identifier)
class IdentifierAdmin(CatalogAdmin):
    list_display = ["scheme", "value", "agency", "jurisdiction"]
    list_filter = ["scheme"]
    search_fields = ["value", "agency__slug", "agency__name", "jurisdiction__code", "jurisdiction__name"]
    autocomplete_fields = ["agency", "jurisdiction"]
    list_select_related = ["agency", "jurisdiction"]


@admin.register(Source)
class SourceAdmin(CatalogAdmin):
    list_display = ["url", "kind", "reference", "title"]
    list_filter = ["kind"]
    search_fields = ["url", "title", "reference"]


@admin.register(Office)
class OfficeAdmin(CatalogAdmin):
    list_display = ["name", "agency", "jurisdiction", "city", "is_virtual"]
    list_filter = ["is_virtual", ("agency__country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "name_es", "city", "agency__slug", "agency__acronym", "agency__name"]
    autocomplete_fields = ["agency", "jurisdiction"]
    list_select_related = ["agency", "jurisdiction"]


@admin.register(Contact)
class ContactAdmin(CatalogAdmin):
    list_display = ["name", "agency", "title", "email", "verified_on", "active", "is_demo"]
    list_filter = ["active", "is_desk", "is_demo", "speaks_en", "speaks_es", "functions", "verified_on"]
    search_fields = ["name", "title", "email", "agency__slug", "agency__acronym", "agency__name"]
    autocomplete_fields = ["agency", "office", "functions"]
    list_select_related = ["agency"]
    readonly_fields = ["is_demo", "created_at", "updated_at"]

    def get_queryset(self, request):
        # Contacts blocked under a personal-data request are hidden everywhere, the admin included.
        return super().get_queryset(request).visible()


@admin.register(CounterpartLink)
class CounterpartLinkAdmin(CatalogAdmin):
    list_display = ["agency_a", "agency_b", "function", "instrument", "signed_on"]
    list_filter = ["function"]
    search_fields = ["agency_a__slug", "agency_a__acronym", "agency_b__slug", "agency_b__acronym", "instrument"]
    autocomplete_fields = ["agency_a", "agency_b", "function"]
    list_select_related = ["agency_a", "agency_b", "function"]
