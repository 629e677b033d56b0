"""Admin for the federation (admin staff only): partners, their runs, matches and alerts,
and the overview page (partners, last run, matches, errors)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from federation import services
from federation.models import Alert, Match, Partner, Run
from registry.models import Role, role_of


def is_admin_staff(user) -> bool:
    return bool(user.is_active and (user.is_superuser or role_of(user) == Role.ADMIN_STAFF))


class AdminStaffOnly:
    def has_module_permission(self, request) -> bool:
        return is_admin_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return is_admin_staff(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_staff(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # runs point at their partner: disable a partner instead


class ReadOnly(AdminStaffOnly):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def overview_rows():
    """One row per partner: its last run of each kind, its live matches, its last error."""
    partners = Partner.objects.annotate(live_matches=Count("matches", filter=Q(matches__active=True))).order_by("name")
    rows = []
    for partner in partners:
        last_runs = []
        for kind in partner.kinds:
            run = Run.objects.filter(partner=partner, kind=kind).order_by("-started_at", "-id").first()
            last_runs.append((kind, run))
        errors = Run.objects.filter(partner=partner).exclude(error="").order_by("-started_at", "-id")[:3]
        alerts = Alert.objects.filter(partner=partner).order_by("-at", "-id")[:3]
        rows.append({"partner": partner, "last_runs": last_runs, "errors": errors, "alerts": alerts})
    return rows


@admin.register(Partner)
class PartnerAdmin(AdminStaffOnly, SimpleHistoryAdmin):
    list_display = ["name", "instance_id", "base_url", "enabled", "failures", "next_attempt_at"]
    list_filter = ["enabled"]
    search_fields = ["name", "instance_id"]
    filter_horizontal = ["agencies"]
    readonly_fields = ["failures", "next_attempt_at", "last_error"]
    actions = ["run_now"]

    @admin.action(description=gettext_lazy("Run the exchange now"))
    def run_now(self, request, queryset):
        for partner in queryset.filter(enabled=True):
            runs = services.exchange(partner, user=request.user)
            for run in runs:
                level = messages.SUCCESS if run.status == Run.Status.COMPLETED else messages.WARNING
                self.message_user(
                    request,
                    _("%(partner)s, %(kind)s: %(status)s, %(matches)s matches. %(error)s")
                    % {
                        "partner": partner,
                        "kind": run.kind,
                        "status": run.get_status_display(),
                        "matches": run.matches if run.matches is not None else "—",
                        "error": run.error,
                    },
                    level,
                )

    def get_urls(self):
        extra = [path("overview/", self.admin_site.admin_view(self.overview), name="federation_overview")]
        return extra + super().get_urls()

    def overview(self, request):
        if not is_admin_staff(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Federation with partner registries"),
            "rows": overview_rows(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "federation/overview.html", context)


@admin.register(Run)
class RunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "started_at", "partner", "kind", "role", "status", "initiated_by", "local_count", "remote_count", "matches",
        "opened", "closed", "bytes_sent", "bytes_received",
    ]  # fmt: skip
    list_filter = ["status", "role", "kind", "partner"]
    readonly_fields = [field.name for field in Run._meta.fields]


@admin.register(Match)
class MatchAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["partner", "kind", "active", "first_matched_at", "last_matched_at", "closed_at"]
    list_filter = ["active", "kind", "partner"]
    readonly_fields = [field.name for field in Match._meta.fields]


@admin.register(Alert)
class AlertAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "partner", "kind"]
    list_filter = ["kind", "partner"]
    readonly_fields = [field.name for field in Alert._meta.fields]
