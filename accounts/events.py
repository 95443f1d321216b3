"""Entry point of the scheduled Lambda event that finishes account deletions (Zappa `events`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from accounts.deletion import account_deletions_resume


def account_deletions_resume_event(event: dict[str, Any], context: object | None = None) -> dict[str, int]:
    """Every few minutes: finish the deletions a crash or an outage left unfinished."""
    return asdict(account_deletions_resume())
