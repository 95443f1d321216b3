"""Django's own error answers (400/403/404/500, CSRF, oversized bodies) in the API's JSON shape on API paths.

DRF views already answer through api/errors.py; these cover what happens before or
outside them: an unmatched URL, a bad Host header, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a
CSRF refusal, an uncaught exception. API paths are `/api/...` and the reference routes `/notes`
and `/notes/...`; everything else (the admin) keeps Django's HTML pages. With DEBUG on, Django
shows its debug pages instead of handler404/handler500 (local development only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import requires_csrf_token

from api.errors import (
    BAD_REQUEST,
    CSRF_FAILED,
    NOT_FOUND,
    PERMISSION_DENIED,
    REQUEST_TOO_LARGE,
    SERVER_ERROR,
    error_body,
)

logger = logging.getLogger(__name__)

API_PATH_PREFIXES = ("/api/", "/notes/")
API_PATHS = ("/notes",)


def is_api_path(request: HttpRequest) -> bool:
    # path_info, not path: under Zappa's stage prefix (SCRIPT_NAME=/dev) path is "/dev/api/...".
    path = request.path_info
    return path in API_PATHS or path.startswith(API_PATH_PREFIXES)


def api_error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def request_too_large_response() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api_error_response(
        413, REQUEST_TOO_LARGE, f"The request body is larger than the {limit} bytes the API accepts."
    )


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: SuspiciousOperation and BadRequest; a too-large body is 413 on API paths."""
    if not is_api_path(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return request_too_large_response()
    # The exception's text may quote what the client sent (a Host header, say): never echo it.
    return api_error_response(400, BAD_REQUEST, "The request could not be understood.")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403."""
    if not is_api_path(request):
        return defaults.permission_denied(request, exception)
    return api_error_response(403, PERMISSION_DENIED, "You do not have permission to perform this action.")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: mostly URLs that match no route."""
    if not is_api_path(request):
        return defaults.page_not_found(request, exception)
    return api_error_response(404, NOT_FOUND, "No API endpoint or object at this URL.")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django has already logged the exception with its traceback; the client gets none."""
    if not is_api_path(request):
        return defaults.server_error(request)
    return api_error_response(500, SERVER_ERROR, "Something went wrong on our side; it has been logged.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. DRF views are CSRF-exempt (bearer tokens, no cookies), so on API paths
    this only meets a plain Django view."""
    if not is_api_path(request):
        return csrf.csrf_failure(request, reason)
    return api_error_response(
        403, CSRF_FAILED, "CSRF verification failed; API calls authenticate with a bearer token, not cookies."
    )


class ApiBodySizeLimitMiddleware:
    """413 for API requests whose Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE.

    Django checks that limit only when `request.body` is read, but DRF's parsers read the raw
    stream, so without this an API call could send a body of any size.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and is_api_path(request) and _content_length(request) > limit:
            logger.info("API request refused: body over %s bytes", limit)
            return request_too_large_response()
        return self.get_response(request)


def _content_length(request: HttpRequest) -> int:
    # As Django reads it: missing or garbage counts as no body.
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0
