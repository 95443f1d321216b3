"""The positions a client pages from (list and sync) and their opaque, signed cursors.

A cursor is the server's own writing: signed (Django's signing, salted), so a client can neither
forge one nor pass a list cursor where a sync cursor is expected; anything else is InvalidCursor,
which the API answers with 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing

_CURSOR_SALT = "notes.cursor"


class InvalidCursor(ValueError):
    """A cursor the server did not write, or one written for another kind of page."""


@dataclass(frozen=True)
class SyncPosition:
    """Where a client's sync stands: after change number ``seq`` of the note index (notes/note_index.py),
    and after note ``tail_after`` among the site's new notes the index did not number yet (those come
    again, numbered, once captured)."""

    seq: int
    tail_after: int = 0


SYNC_START = SyncPosition(seq=0)


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
    return _dumps({"k": "sync", "q": position.seq, "a": position.tail_after})


def sync_position(cursor: str) -> SyncPosition:
    """The position a sync cursor names. A cursor of the earlier format (by `updated_at`) starts over:
    the client is sent every note again, which it applies by noteId and version."""
    payload = _loads(cursor, "sync")
    if "q" not in payload and "t" in payload:
        return SYNC_START
    try:
        seq, tail_after = int(payload["q"]), int(payload.get("a", 0))
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("This cursor is not valid.") from None
    if seq < 0 or tail_after < 0:
        raise InvalidCursor("This cursor is not valid.")
    return SyncPosition(seq=seq, tail_after=tail_after)
