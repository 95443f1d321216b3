"""Liveness and readiness probes for load balancers, Lambda warmers and `make run`."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"

# Settings without which the API cannot talk to AWS; readiness reports the empty ones by name.
REQUIRED_AWS_SETTINGS = ("AWS_REGION", "AWS_STORAGE_BUCKET_NAME", "NOTES_TABLE", "COGNITO_USER_POOL_ID")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_problems() -> dict[str, str]:
    problems = {}
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            logger.warning("readiness: database %r unreachable: %s", alias, exc.__class__.__name__)
            problems[alias] = "unreachable"
    return problems


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: every database answers and the AWS settings are filled in."""
    databases = _database_problems()
    missing = [name for name in REQUIRED_AWS_SETTINGS if not getattr(settings, name)]
    checks = {
        "databases": databases or "ok",
        "aws": {"missingSettings": missing} if missing else "ok",
    }
    if databases or missing:
        response = JsonResponse({"status": "unavailable", "checks": checks}, status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return JsonResponse({"status": "ok", "checks": checks})
