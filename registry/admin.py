"""Accounts in the admin, and the rule every Enlace admin page follows: admin staff (docs/SPEC.md §1)
maintain records; other roles, even with the staff flag, see nothing.

Roles are the groups of registry/migrations/0002_role_groups.py and carry no Django model
permissions: what each role may do in the admin is decided here, in code, by the mixins
below (a model whose admin uses none of them stays superuser-only — default deny):

- `AdminStaffOnlyMixin`: admin staff view, add, change and delete (the catalog, accounts,
  personal-data requests — the admin may still forbid one, e.g. deleting a request);
- `AdminStaffReadsMixin`: admin staff read (cases, action items, flags: "read
  everything"); writing stays with the API's and web pages' rules, or a superuser."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from registry.models import Role, User, role_of


def is_records_staff(request) -> bool:
    return request.user.is_active and (request.user.is_superuser or role_of(request.user) == Role.ADMIN_STAFF)


class AdminStaffOnlyMixin:
    """Admin staff (and superusers) may view, add, change and delete; nobody else may."""

    def has_module_permission(self, request) -> bool:
        return is_records_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_records_staff(request)

    def has_add_permission(self, request, *args) -> bool:
        return is_records_staff(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_records_staff(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_records_staff(request)


class AdminStaffReadsMixin:
    """Admin staff (and superusers) view; only a superuser adds, changes or deletes."""

    def has_module_permission(self, request) -> bool:
        return is_records_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_records_staff(request)

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(AdminStaffOnlyMixin, DjangoUserAdmin):
    list_display = ["username", "email", "agency", "role_name", "language", "is_active", "last_login"]
    list_filter = ["groups", "language", "is_active", "is_staff", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["username", "email", "first_name", "last_name", "agency__slug", "agency__acronym"]
    autocomplete_fields = ["agency"]
    list_select_related = ["agency"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Enlace"), {"fields": ["agency", "language"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Enlace"), {"fields": ["agency", "language", "groups"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers or hands out single permissions.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    @admin.display(description=_("role"))
    def role_name(self, user) -> str:
        return Role(user.role).label
