"""The one point where a change to a note is recorded, and after the commit published.

    note_change_record(change)        inside the write's transaction, under the note's lock:
        → one outbox write (notes/mirror.py)      the mirror's record, in the same database
        → every registered recorder                database work only (e.g. a push outbox row)
        → schedules the publish
    commit → the note's lock is released →
    publish(change)
        → the send to DynamoDB (best effort; the drain retries)
        → every registered publisher               may call the network (e.g. a silent push)

notes/services.py calls note_change_record exactly once per note per write. Code that plugs into
the write path registers a function with `on_note_change_recorded` (runs in the transaction; it
must not touch the network) or `on_note_change_published` (runs after the commit, outside any lock;
its errors are logged, never raised to the writer). `NoteChange.device_id` is the device that
wrote (the `X-Device-Id` header), so a publisher can skip it.

ORM writes that bypass the services (a shell, a data migration) are recorded by the signals
(notes/signals.py) through `note_orm_write_record`: once per note per transaction, however many
rows of the note were written, and not at all inside a service (which records for itself).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from notes.locks import after_release
from notes.mirror import mirror_record, mirror_send_after_write

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoteChange:
    """One recorded change of a note. Only `legacy_note_id` is known for an ORM write that bypassed
    the services; the services fill in the rest."""

    legacy_note_id: int
    note_uuid: uuid.UUID | None = None
    owner_user_id: int | None = None
    version: int | None = None
    deleted: bool = False
    device_id: str | None = None


ChangeHook = Callable[[NoteChange], None]
_recorders: list[ChangeHook] = []
_publishers: list[ChangeHook] = []


def on_note_change_recorded(hook: ChangeHook) -> ChangeHook:
    """Register ``hook`` to run with every recorded change, inside its transaction (database only)."""
    if hook not in _recorders:
        _recorders.append(hook)
    return hook


def on_note_change_published(hook: ChangeHook) -> ChangeHook:
    """Register ``hook`` to run with every change after its commit, outside any lock (network allowed)."""
    if hook not in _publishers:
        _publishers.append(hook)
    return hook


def note_change_hook_remove(hook: ChangeHook) -> None:
    """Unregister ``hook`` (either kind)."""
    for hooks in (_recorders, _publishers):
        if hook in hooks:
            hooks.remove(hook)


def note_change_record(change: NoteChange) -> None:
    """Record one change in the current transaction; publish it after the commit and the lock."""
    mirror_record(note_id=change.legacy_note_id)
    _record_and_schedule(change)


def _record_and_schedule(change: NoteChange) -> None:
    for hook in _recorders:
        hook(change)
    transaction.on_commit(partial(after_release, partial(_publish, change)))


def _publish(change: NoteChange) -> None:
    mirror_send_after_write(note_id=change.legacy_note_id)
    for hook in _publishers:
        try:
            hook(change)
        except Exception:
            logger.exception("publishing the change of note %s failed", change.legacy_note_id)


# --- ORM writes that bypass the services -------------------------------------------------------


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.services_writing = 0
        self.token = ""


_state = _ThreadState()


@contextmanager
def services_writing() -> Iterator[None]:
    """The block in which a service writes a note and records the change itself: the signals stay
    silent (each of its row writes would otherwise be a change of its own)."""
    _state.services_writing += 1
    try:
        yield
    finally:
        _state.services_writing -= 1


def note_orm_write_record(*, legacy_note_id: int) -> None:
    """A row of note ``legacy_note_id`` was written through the ORM: record the change once per
    transaction and publish it after the commit.

    Once per transaction without reading Django's internals: the outbox row carries the token of
    the transaction that last recorded it, and a record whose token the row already carries is
    skipped. A rolled-back transaction takes its token's write with it, so nothing is skipped
    wrongly; the token is forgotten at every commit.
    """
    if _state.services_writing:
        return
    token = _state.token or uuid.uuid4().hex
    _state.token = token
    transaction.on_commit(partial(_forget_token, token))
    if mirror_record(note_id=legacy_note_id, once_per=token):
        _record_and_schedule(NoteChange(legacy_note_id=legacy_note_id))


def _forget_token(token: str) -> None:
    if _state.token == token:
        _state.token = ""
