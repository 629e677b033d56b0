"""The app's URLs plus views that fail on purpose, for the error-leak tests only."""

from django.db import InterfaceError, connection
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("failed in /work/main/registry/secret.py running SELECT * FROM secret_table")


@api_view(["GET"])
@permission_classes([AllowAny])
def bad_sql(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM secret_table")
    return Response({})


@api_view(["GET"])
@permission_classes([AllowAny])
def db_down(request):
    raise InterfaceError("connection already closed")


def page_boom(request):
    raise ValueError("template /work/main/web/templates/secret.html exploded")


def page_db_down(request):
    raise InterfaceError("connection already closed")


urlpatterns = [
    path("api/v1/test-faults/boom/", boom),
    path("api/v1/test-faults/bad-sql/", bad_sql),
    path("api/v1/test-faults/db-down/", db_down),
    path("test-faults/page-boom/", page_boom),
    path("test-faults/page-db-down/", page_db_down),
    path("", include("registry.urls")),
]

handler500 = "registry.middleware.server_error"
handler404 = "registry.middleware.not_found"
handler403 = "registry.middleware.permission_denied"
