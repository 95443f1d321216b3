"""The API's error codes: the ones every API shares, and the registry of every code (SPEC §2).

Each app registers its own codes from its `errors.py` (`register_error_codes`), so this module
knows no app; it imports nothing but the standard library, so any module may import it early.
"""

from __future__ import annotations

from collections.abc import Mapping

# Error codes clients can rely on; tests reuse these constants.
VALIDATION_ERROR = "validation_error"
NOT_AUTHENTICATED = "not_authenticated"
INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PARSE_ERROR = "parse_error"
NOT_ACCEPTABLE = "not_acceptable"
THROTTLED = "throttled"
SERVICE_UNAVAILABLE = "service_unavailable"
# Answered by Django itself, outside DRF (project/error_pages.py).
BAD_REQUEST = "bad_request"
REQUEST_TOO_LARGE = "request_too_large"
CSRF_FAILED = "csrf_failed"
SERVER_ERROR = "server_error"

# What each code means to a client, with its status: the shared codes above, plus every app's own
# (registered at import of the app's `errors.py`). The OpenAPI document lists this table
# (api/openapi.py), so a new code is registered too; the schema tests check none is missing.
ERROR_CODES: dict[str, tuple[int, str]] = {
    VALIDATION_ERROR: (400, "The body or query is not valid; `fields` maps each field to its messages."),
    PARSE_ERROR: (400, "The body is not valid JSON."),
    BAD_REQUEST: (400, "The request itself is malformed (e.g. an unknown Host header)."),
    NOT_AUTHENTICATED: (401, "No bearer token was sent: send `Authorization: Bearer <token>`."),
    INVALID_TOKEN: (401, "The token was refused and no more specific token code applies."),
    PERMISSION_DENIED: (403, "The caller may not do this."),
    CSRF_FAILED: (403, "A cookie-authenticated form post without its CSRF token (never the mobile API)."),
    NOT_FOUND: (404, "No such URL or object, or one the caller may not see."),
    METHOD_NOT_ALLOWED: (405, "The endpoint does not accept this HTTP method."),
    NOT_ACCEPTABLE: (406, "The API answers only `application/json`."),
    REQUEST_TOO_LARGE: (413, "The body is larger than the server accepts."),
    UNSUPPORTED_MEDIA_TYPE: (415, "Send the body as `Content-Type: application/json`."),
    THROTTLED: (429, "Too many requests: wait `Retry-After` seconds before retrying."),
    SERVER_ERROR: (500, "A bug on our side; it has been logged. Retrying may not help."),
    SERVICE_UNAVAILABLE: (503, "A backing service is briefly unavailable: retry after `Retry-After` seconds."),
}


def register_error_codes(codes: Mapping[str, tuple[int, str]]) -> None:
    """Add an app's codes (code -> (status, what it means to a client)); a code keeps one meaning."""
    for code, status_and_meaning in codes.items():
        if ERROR_CODES.setdefault(code, status_and_meaning) != status_and_meaning:
            raise ValueError(f"Error code {code!r} is already registered with another meaning.")
