"""Every API error as `{"error": {"code", "message", "fields"}}` (SPEC §2), never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

# Error codes clients can rely on; tests reuse these constants.
VALIDATION_ERROR = "validation_error"
NOT_AUTHENTICATED = "not_authenticated"
INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
UPLOAD_TOO_LARGE = "upload_too_large"
PARSE_ERROR = "parse_error"
NOT_ACCEPTABLE = "not_acceptable"
THROTTLED = "throttled"
SERVICE_UNAVAILABLE = "service_unavailable"
NOTE_ID_CONFLICT = "note_id_conflict"
PRECONDITION_FAILED = "precondition_failed"
PHOTO_NOT_IMAGE = "photo_not_image"
# Answered by Django itself, outside DRF (project/error_pages.py).
BAD_REQUEST = "bad_request"
REQUEST_TOO_LARGE = "request_too_large"
CSRF_FAILED = "csrf_failed"
SERVER_ERROR = "server_error"

# What each code above means to a client, with its status. The OpenAPI document lists this table
# (project/openapi.py), so a new code goes here too; the schema tests check none is missing.
ERROR_CODES: dict[str, tuple[int, str]] = {
    VALIDATION_ERROR: (400, "The body or query is not valid; `fields` maps each field to its messages."),
    PARSE_ERROR: (400, "The body is not valid JSON."),
    PHOTO_NOT_IMAGE: (400, "The uploaded file's content is not a JPEG, PNG, GIF, WebP or HEIC/HEIF image."),
    BAD_REQUEST: (400, "The request itself is malformed (e.g. an unknown Host header)."),
    NOT_AUTHENTICATED: (401, "No bearer token was sent: send `Authorization: Bearer <token>`."),
    INVALID_TOKEN: (401, "The token was refused and no more specific token code applies."),
    PERMISSION_DENIED: (403, "The caller may not do this."),
    CSRF_FAILED: (403, "A cookie-authenticated form post without its CSRF token (never the mobile API)."),
    NOT_FOUND: (404, "No such URL or object, or one the caller may not see."),
    METHOD_NOT_ALLOWED: (405, "The endpoint does not accept this HTTP method."),
    NOT_ACCEPTABLE: (406, "The API answers only `application/json`."),
    NOTE_ID_CONFLICT: (409, "The noteId is another user's note or a deleted note's: create with a new noteId."),
    PRECONDITION_FAILED: (412, "`If-Match` names an old version: fetch the object again (see `ETag`), then retry."),
    UPLOAD_TOO_LARGE: (413, "The photo is larger than the upload limit (`UPLOAD_MAX_BYTES`, 10 MB by default)."),
    REQUEST_TOO_LARGE: (413, "The body is larger than the server accepts."),
    UNSUPPORTED_MEDIA_TYPE: (415, "Send the body as `Content-Type: application/json`."),
    THROTTLED: (429, "Too many requests: wait `Retry-After` seconds before retrying."),
    SERVER_ERROR: (500, "A bug on our side; it has been logged. Retrying may not help."),
    SERVICE_UNAVAILABLE: (503, "A backing service is briefly unavailable: retry after `Retry-After` seconds."),
}

DATABASE_RETRY_AFTER_SECONDS = 5

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


def _field_messages(detail: Any) -> Any:
    """A validation error's detail as {field: [messages]} (nested for nested serializers)."""
    if isinstance(detail, dict):
        return {name: _field_messages(value) for name, value in detail.items()}
    if isinstance(detail, list):
        return [str(message) for message in detail]
    return [str(detail)]


def _code_for(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return VALIDATION_ERROR
    code = exc.get_codes()
    if not isinstance(code, str):
        code = str(exc.default_code)
    return _RENAMED_CODES.get(code, code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped; database outages become 503 with Retry-After."""
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
        message = " ".join(_field_messages(exc.detail))
        fields = {}
    else:
        message = str(exc.detail)
        fields = {}
    drf_response.data = error_body(_code_for(exc), message, fields)
    return drf_response
