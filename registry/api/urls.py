"""/api/v1/: every app's routes, auth, schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from registry.api.auth import TokenView
from registry.api.history import HistoryViewSet

history_router = SimpleRouter(trailing_slash=True)
history_router.register("history", HistoryViewSet, basename="history")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("agencies.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("flags.api.urls")),
    path("", include("interchange.api.urls")),
    path("", include(history_router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the page needs no inline script
    # under the Content-Security-Policy (Redoc, which needs inline script and web fonts, is not served).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
