"""Open data: the public catalog as Popolo JSON at a stable URL."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from interchange.popolo import CONTENT_LANGUAGE, popolo_catalog
from registry.api.permissions import PublicReadAdminWrite


class PopoloView(APIView):
    """The public catalog (agencies, their other names and identifiers, jurisdictions) as
    Popolo JSON. Never contacts, cases or anything personal."""

    permission_classes = [PublicReadAdminWrite]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head", "options"]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(popolo_catalog(), headers={"Content-Language": CONTENT_LANGUAGE})
