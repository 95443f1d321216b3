"""Every API error as `{"error": {"code", "message", "fields"}}` (SPEC §2), never a stack trace.

The codes themselves and their registry are in api/error_codes.py.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.error_codes import (  # noqa: F401 - the shared codes, re-exported for the views
    BAD_REQUEST,
    CSRF_FAILED,
    ERROR_CODES,
    INVALID_TOKEN,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PARSE_ERROR,
    PERMISSION_DENIED,
    REQUEST_TOO_LARGE,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    THROTTLED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
)

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5


class TemporarilyUnavailable(Exception):
    """Raised below the API for a 503 with Retry-After: nothing the client did wrong, retry soon.

    Subclasses (e.g. a lock timeout) set the wait, the message clients see and their code.
    """

    code: str = SERVICE_UNAVAILABLE
    retry_after_seconds: int = 5
    client_message: str = "The service is briefly unavailable; retry shortly."


class DependencyUnavailable(exceptions.APIException):
    """503 + Retry-After from a view: a service the request needs (S3, SNS, the search backend) cannot
    be reached now; nothing the client did. The view names the service in its message, in words an
    app can show, and says how long to wait."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, SERVICE_UNAVAILABLE)
        # DRF's exception handler turns `wait` into the Retry-After header.
        self.wait = retry_after_seconds


# DRF's own codes are kept, except these two, renamed to say what the client did wrong.
_RENAMED_CODES = {"invalid": VALIDATION_ERROR, "authentication_failed": INVALID_TOKEN}


# MySQL/MariaDB errors that mean "not reachable right now", not "this query is wrong": connection
# refused or lost, server shutting down, out of connections, lock wait timeout, deadlock.
_UNAVAILABLE_MYSQL_ERRORS = frozenset({1040, 1053, 1203, 1205, 1213, 1226, 2002, 2003, 2005, 2006, 2013, 2055, 4031})


def database_unavailable(exc: Exception) -> bool:
    """Whether an error is a database outage worth a 503 (a wrong query stays a 500: a bug to fix)."""
    if isinstance(exc, InterfaceError):  # the connection is closed or unusable
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = exc.args[0] if exc.args else None
    return not isinstance(code, int) or code in _UNAVAILABLE_MYSQL_ERRORS


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _messages(detail: Any, path: str = "") -> list[str]:
    """A validation error's messages, flat; one about an item of a list or a nested object starts
    with its path ("0: ...", "0.key: ..."), so `fields` stays {name: [strings]} for typed clients."""
    if isinstance(detail, dict):
        return [message for key, value in detail.items() for message in _messages(value, f"{path}{key}.")]
    if isinstance(detail, list):
        if any(isinstance(item, dict) for item in detail):  # a list of objects: each item's index
            return [message for index, item in enumerate(detail) for message in _messages(item, f"{path}{index}.")]
        return [message for item in detail for message in _messages(item, path)]
    return [f"{path[:-1]}: {detail}" if path else str(detail)]


def _field_messages(detail: dict[Any, Any]) -> dict[str, list[str]]:
    """A validation error's detail as {field: [messages]}."""
    return {str(name): _messages(value) for name, value in detail.items()}


def _code_for(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return VALIDATION_ERROR
    code = exc.get_codes()
    if not isinstance(code, str):
        code = str(exc.default_code)
    return _RENAMED_CODES.get(code, code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped; database outages and TemporarilyUnavailable become 503 with Retry-After."""
    if isinstance(exc, TemporarilyUnavailable):
        logger.warning("temporarily unavailable: %s", exc.__class__.__name__)
        response = Response(error_body(exc.code, exc.client_message), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if database_unavailable(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        response = Response(
            error_body(SERVICE_UNAVAILABLE, "The service is briefly unavailable; retry shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    # DRF converts these two as well, but the reshaping below needs the APIException.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    drf_response = exception_handler(exc, context)
    if drf_response is None or not isinstance(exc, exceptions.APIException):
        return drf_response
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        message = "The request is not valid; see fields."
        fields = _field_messages(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        message = " ".join(_messages(exc.detail))
        fields = {}
    else:
        message = str(exc.detail)
        fields = {}
    drf_response.data = error_body(_code_for(exc), message, fields)
    return drf_response
