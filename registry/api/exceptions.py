"""One exception handler: model validation errors become 400s naming the field, database
integrity errors and values the database cannot hold (a NUL byte, an integer out of range)
become 400s instead of 500s, and a 401 is answered as such."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The object changed since you read it; read it again and retry.")
    default_code = "precondition_failed"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("This would break a rule of the registry (a duplicate or a missing link).")]}
        )
    elif isinstance(exc, DataError):
        # DRF's handler marks the request's transaction for rollback, so nothing is written.
        exc = exceptions.ValidationError(
            {
                "non_field_errors": [
                    _("A value in the request cannot be stored or searched (a NUL byte, or a number out of range).")
                ]
            }
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    # An error is always JSON, whatever ?format= asked for (a 401 as a spreadsheet helps nobody).
    request = context.get("request")
    if request is not None and getattr(request, "accepted_media_type", "") not in ("application/json", "text/html"):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response


def error_response(field: str, message: str, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({field: [message]}, status=code)
