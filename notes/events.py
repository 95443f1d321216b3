"""Entry points of the scheduled Lambda events (Zappa `events`), one per job of the mirror.

Zappa calls them with the CloudWatch/EventBridge event and the Lambda context; each runs the same
function as its management command and returns a small summary that lands in the logs.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings

from aws.metrics import COUNT, SECONDS, metrics_emit
from notes.cdc import cdc_run
from notes.mirror import mirror_send
from notes.mirror_status import mirror_backlog
from notes.reconcile import mirror_reconcile


def mirror_drain_event(event: dict[str, Any], context: object | None = None) -> dict[str, int]:
    """Every minute: send the outbox entries that are due (what `manage.py mirror_drain` does), then
    report the backlog as metrics (the alarm on its age lives in infra/template.json)."""
    result = asdict(mirror_send())
    backlog = mirror_backlog()
    metrics_emit(
        metrics={
            "MirrorBacklogAge": (backlog.oldest_age_seconds, SECONDS),
            "MirrorPending": (backlog.pending, COUNT),
            "MirrorFailing": (backlog.failing, COUNT),
        }
    )
    return result


def mirror_reconcile_event(event: dict[str, Any], context: object | None = None) -> dict[str, int]:
    """Every few minutes: queue the notes the PHP site changed, then send them."""
    queued = mirror_reconcile()
    return {"queued": queued, **asdict(mirror_send())}


def cdc_event(event: dict[str, Any], context: object | None = None) -> dict[str, Any]:
    """Every minute, when CDC_ENABLED: read the site's binlog for a while and send what it changed."""
    if not settings.CDC_ENABLED:
        return {"skipped": "CDC_ENABLED is off"}
    result = cdc_run(max_seconds=settings.CDC_MAX_SECONDS)
    return {**asdict(result), "owners_touched": len(result.owners_touched)}
