"""Role-based permissions. The default (settings) is DenyAll: a view that forgets to
say who may use it fails closed."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from registry.models import Role, role_of


class DenyAll(BasePermission):
    def has_permission(self, request, view) -> bool:
        return False


class PublicReadAdminWrite(BasePermission):
    """The open-data catalog: anyone reads, admin staff write."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return role_of(request.user) == Role.ADMIN_STAFF


class SignedInReadAdminWrite(BasePermission):
    """Personal data (contacts): signed-in users read, admin staff write."""

    def has_permission(self, request, view) -> bool:
        role = role_of(request.user)
        if request.method in SAFE_METHODS:
            return role != Role.PUBLIC
        return role == Role.ADMIN_STAFF


class AdminStaffOnly(BasePermission):
    def has_permission(self, request, view) -> bool:
        return role_of(request.user) == Role.ADMIN_STAFF


class SignedIn(BasePermission):
    """Any user with one of the Enlace roles."""

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) != Role.PUBLIC
