"""The positions a client pages from (list and sync) and their opaque, signed cursors.

A cursor is the server's own writing: signed (Django's signing, salted), so a client can neither
forge one nor pass a list cursor where a sync cursor is expected; anything else is InvalidCursor,
which the API answers with 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing

_CURSOR_SALT = "notes.cursor"


class InvalidCursor(ValueError):
    """A cursor the server did not write, or one written for another kind of page."""


@dataclass(frozen=True)
class SyncPosition:
    """Where a client's sync stands: after the row (updated_at, note_id), in a run begun at started."""

    updated_at: datetime
    note_id: int
    started: datetime | None = None  # the database's clock when this catch-up run began


SYNC_START = SyncPosition(updated_at=datetime(1970, 1, 1, tzinfo=UTC), note_id=0)


def _dumps(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def _loads(cursor: str, kind: str) -> dict[str, Any]:
    try:
        payload = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise InvalidCursor("This cursor is not valid here; start again without one.")
    return payload


def list_cursor(*, before_note_id: int) -> str:
    """The cursor of a list page that continues before this note id (lists run newest first)."""
    return _dumps({"k": "list", "before": before_note_id})


def list_position(cursor: str) -> int:
    """The note id a list cursor continues before."""
    try:
        return int(_loads(cursor, "list")["before"])
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("This cursor is not valid.") from None


def sync_cursor(position: SyncPosition) -> str:
    return _dumps(
        {
            "k": "sync",
            "t": position.updated_at.isoformat(),
            "id": position.note_id,
            "s": position.started.isoformat() if position.started else None,
        }
    )


def sync_position(cursor: str) -> SyncPosition:
    payload = _loads(cursor, "sync")
    try:
        return SyncPosition(
            updated_at=datetime.fromisoformat(payload["t"]),
            note_id=int(payload["id"]),
            started=datetime.fromisoformat(payload["s"]) if payload.get("s") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("This cursor is not valid.") from None
