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


def _mirror_problem(databases: dict[str, str]) -> dict[str, int] | str | None:
    """What is stuck in the mirror's outbox (None when nothing is), or why it could not be read."""
    if "default" in databases:
        return "unknown (database unreachable)"
    from notes.mirror_status import mirror_stuck

    try:
        return mirror_stuck(max_age_seconds=settings.READY_MIRROR_MAX_AGE_SECONDS)
    except DatabaseError as exc:
        logger.warning("readiness: mirror backlog unreadable: %s", exc.__class__.__name__)
        return "unknown (outbox unreadable)"


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
    """Ready to serve: every database answers, the AWS settings are filled in, and no note change has
    waited longer than READY_MIRROR_MAX_AGE_SECONDS to reach DynamoDB (SPEC §2)."""
    databases = _database_problems()
    missing = [name for name in REQUIRED_AWS_SETTINGS if not getattr(settings, name)]
    mirror = _mirror_problem(databases)
    checks: dict[str, object] = {
        "databases": databases or "ok",
        "aws": {"missingSettings": missing} if missing else "ok",
        "mirror": {"stuck": mirror, "maxAgeSeconds": settings.READY_MIRROR_MAX_AGE_SECONDS} if mirror else "ok",
    }
    if databases or missing or mirror:
        response = JsonResponse({"status": "unavailable", "checks": checks}, status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return JsonResponse({"status": "ok", "checks": checks})
