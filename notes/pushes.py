"""The owner's other devices hear of a note's change: push's two steps on the write line.

Registered with notes/changes.py (notes/apps.py): marking the devices is database work, done in the
writer's transaction; the silent pushes go out once the write committed and its lock is released.
A change recorded for an ORM write that bypassed the services knows no owner, and pushes nothing.
"""

from __future__ import annotations

from notes.changes import NoteChange
from push.services import push_notes_changed, push_sync_send


def note_change_mark_devices(change: NoteChange) -> None:
    if change.owner_user_id is not None:
        push_notes_changed(site_user_id=change.owner_user_id, except_device_id=change.device_id)


def note_change_push(change: NoteChange) -> None:
    if change.owner_user_id is not None:
        push_sync_send(site_user_ids=[change.owner_user_id], count_waiting=False)
