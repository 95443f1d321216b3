"""Logs for CloudWatch Logs Insights: one JSON object per line, one line per request, and nothing
secret in any of them.

Every record carries the request it belongs to (`request_id`, `user_id`) through a context
variable set by RequestLogMiddleware, which also writes the request's own line: method, route
(the URL pattern, never the query string, which may hold search words or cursors), status and
duration. A last filter blanks anything shaped like a token, a password field or a presigned
signature that some library might still print.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_logger = logging.getLogger("lambridge.request")

_request_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("request", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

REDACTED = "[redacted]"
_SECRET_PATTERNS = [
    # JWTs (Cognito ID/access tokens): three base64url parts, the first two starting with {" .
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),
    # Authorization header values.
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # Passwords, keys and presigned-form fields written as key=value or "key": "value".
    re.compile(
        r"(?i)(\"?(?:password|passwd|secret|x-amz-signature|x-amz-credential|x-amz-security-token|policy|"
        r"signature|api[-_]?key|x-api-key)\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,&}]+)"
    ),
]
REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def redact(text: str) -> str:
    """``text`` with anything shaped like a token, a password or a signature blanked."""
    text = _SECRET_PATTERNS[0].sub(REDACTED, text)
    text = _SECRET_PATTERNS[1].sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    return _SECRET_PATTERNS[2].sub(lambda match: f"{match.group(1)}{REDACTED}", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's ids, any `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update(_request_context.get() or {})
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value if isinstance(value, int | float | bool) or value is None else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """The plain one-line format for a terminal, with the same redaction.

    A record's `extra=` fields follow the message as name=value, so the request line says which
    request it was (method, route, status, duration) instead of just "request".
    """

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [
            f"{name}={value}"
            for name, value in vars(record).items()
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_")
        ]
        if extras:
            first, newline, rest = line.partition("\n")
            line = f"{first} {' '.join(extras)}{newline}{rest}"
        return redact(line)


def _request_id(request: HttpRequest) -> str:
    """API Gateway's request id when the request came through it, else the caller's, else a new one."""
    event = request.META.get("lambda.event")
    if isinstance(event, dict):
        gateway_id = (event.get("requestContext") or {}).get("requestId")
        if isinstance(gateway_id, str) and _SAFE_REQUEST_ID.match(gateway_id):
            return gateway_id
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Sets the request's log context and writes one line per request when it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        context: dict[str, Any] = {"request_id": _request_id(request)}
        lambda_context = request.META.get("lambda.context")
        if lambda_context is not None and getattr(lambda_context, "aws_request_id", None):
            context["lambda_request_id"] = str(lambda_context.aws_request_id)
        token = _request_context.set(context)
        try:
            response = self.get_response(request)
            user_id = getattr(getattr(request, "user", None), "pk", None)
            if user_id is not None and getattr(request.user, "is_authenticated", False):
                context["user_id"] = user_id
            match = request.resolver_match
            request_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": f"/{match.route}" if match and match.route else "(unmatched)",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            response[REQUEST_ID_HEADER] = context["request_id"]
            return response
        finally:
            _request_context.reset(token)
