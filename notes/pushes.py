"""The owners' other devices hear of notes' changes: push's two steps on the write line.

Registered with notes/changes.py (notes/apps.py): marking the devices is database work, done in the
writer's transaction; the silent pushes go out once the write committed and its lock is released.
Each owner once a batch; a site's change found by the capture also reaches the owners it saw the
note have before (a move, an outright delete). A change recorded for an ORM write that bypassed the
services knows no owner, and pushes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from notes.changes import NoteChange
from push.services import push_notes_changed, push_sync_send


def _told(change: NoteChange) -> list[int]:
    """The site users whose devices hear of ``change``: its owner, then those it had before."""
    owner = [change.owner_user_id] if change.owner_user_id is not None else []
    return owner + sorted(change.previous_owner_ids)


def note_change_mark_devices(changes: Sequence[NoteChange]) -> None:
    marked: set[tuple[int, str | None]] = set()
    for change in changes:
        for site_user_id in _told(change):
            # Only the owner's own device wrote the change; an earlier owner's devices all hear of it.
            except_device_id = change.device_id if site_user_id == change.owner_user_id else None
            if (site_user_id, except_device_id) not in marked:
                marked.add((site_user_id, except_device_id))
                push_notes_changed(site_user_id=site_user_id, except_device_id=except_device_id)


def note_change_push(changes: Sequence[NoteChange]) -> None:
    site_user_ids = sorted({site_user_id for change in changes for site_user_id in _told(change)})
    if site_user_ids:
        push_sync_send(site_user_ids=site_user_ids, count_waiting=False)
