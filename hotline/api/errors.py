"""One shape for every error the API answers:

    {"error": {"code": "validation_error", "message": "...", "fields": {"region": ["..."]}}}

`code` is stable and meant for programs; `message` is for people; `fields` names each field
that was refused (empty when the error is not about a field). The exception handler shapes
what DRF raises, the services' ValidationError and anything unexpected (a 500 that is still
JSON); json_404 / json_500 do the same for requests no API view answered.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

# The code each DRF exception gets, when its own default code is not the one we document.
CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
}


class ApiError(exceptions.APIException):
    """An error with its own status and code: raise ApiError(412, "precondition_failed", ...)."""

    def __init__(self, status_code, code, message, fields=None, headers=None):
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(detail=message, code=code)


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail):
    """DRF's error detail (str, list or dict, nested) as a list of strings."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, (list, tuple)):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def _fields(detail):
    """{field: [messages]} from a ValidationError's detail; nested fields get dotted names."""
    fields = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            fields.setdefault(prefix or "non_field_errors", []).extend(_flatten(value))

    walk("", detail)
    return fields


def validation_error_from_django(error):
    """A services' ValidationError as DRF's, keyed by field where the service named one."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {
                field: list(messages)
                for field, messages in DjangoValidationError(error.error_dict).message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": list(error.messages)})


def validation_response(fields, status_code=status.HTTP_400_BAD_REQUEST):
    general = fields.pop("non_field_errors", None) or fields.pop("__all__", None)
    if general:
        message = " ".join(general)
        if fields:
            fields["non_field_errors"] = general
    elif fields:
        message = _("Some fields were not accepted; see fields.")
    else:
        message = _("The request was not accepted.")
    return error_body("validation_error", message, fields)


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as {"error": {...}}."""
    if isinstance(exc, DjangoValidationError):
        exc = validation_error_from_django(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = ApiError(413, "request_too_large", _("The request is too large."))
    elif isinstance(exc, SuspiciousOperation):
        # Django refuses it as a 400 outside the API; so do we, in the API's shape.
        exc = ApiError(400, "malformed_request", _("The request was not accepted."))

    if isinstance(exc, ApiError):
        response = Response(
            error_body(exc.error_code, exc.detail, exc.fields),
            status=exc.status_code,
            headers=exc.headers,
        )
        return response

    response = drf_exception_handler(exc, context)
    if response is None:
        # Anything unexpected: logged with its traceback, answered in the same shape, and the
        # client learns nothing about the internals.
        log.exception("Unhandled error in an API view", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side; try again later.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = validation_response(_fields(detail))
        return response

    code = CODES.get(type(exc))
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
    if isinstance(exc, exceptions.Throttled):
        message = _("Too many requests; try again in %(seconds)s seconds.") % {
            "seconds": (exc.wait and int(exc.wait + 0.999)) or 1
        }
    else:
        message = " ".join(_flatten(exc.detail))
    response.data = error_body(code, message)
    return response


@csrf_exempt
def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_500(request):
    return JsonResponse(
        error_body("server_error", _("Something went wrong on our side; try again later.")),
        status=500,
    )


def is_api_path(path):
    return path.startswith("/api/")


def handler404(request, exception=None):
    """The site's 404 handler: JSON in the error shape under /api/, Django's page elsewhere."""
    if is_api_path(request.path):
        return json_404(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    """The site's 500 handler, for errors outside the API's views (a middleware failing)."""
    if is_api_path(request.path):
        return json_500(request)
    from django.views.defaults import server_error

    return server_error(request)
