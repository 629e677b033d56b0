from django.contrib import admin
from django.urls import include, path

from registry import mfa, observability, views
from registry.api.audit import AuditExportView

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("metrics", observability.metrics, name="metrics"),
    path("api/v1/audit/export/", AuditExportView.as_view(), name="api-audit-export"),
    path("api/federation/v1/", include("federation.api.urls")),
    path("api/v1/", include("registry.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/mfa/", mfa.verify, name="mfa-verify"),
    path("accounts/mfa/enrol/", mfa.enrol, name="mfa-enrol"),
    path("", include("web.urls")),
]

# Errors never leak: no traceback, SQL or path; the request id to quote instead.
handler500 = "registry.middleware.server_error"
handler404 = "registry.middleware.not_found"
handler403 = "registry.middleware.permission_denied"
