"""Entry point of the scheduled Lambda event (Zappa `events`) that drains push."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from push.services import push_drain


def push_drain_event(event: dict[str, Any], context: object | None = None) -> dict[str, Any]:
    """Every minute: what `manage.py push_drain` does; the summary lands in the logs."""
    result = push_drain()
    return {"sync": asdict(result.sync), "broadcasts_sent": result.broadcasts_sent}
