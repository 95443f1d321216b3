"""The one point where a change to a note is recorded, and after the commit published.

    note_change_record(change)        inside the write's transaction, under the note's lock:
        → one outbox write (notes/mirror.py)      the mirror's record, in the same database
        → every registered recorder                database work only (e.g. a push outbox row)
        → schedules the publish
    commit → the note's lock is released →
    publish(changes)
        → the send to DynamoDB (best effort; the drain retries)
        → every registered publisher               may call the network (e.g. a silent push)

notes/services.py calls note_change_record exactly once per note per write. Code that plugs into
the write path registers a function with `on_note_change_recorded` (runs in the transaction; it
must not touch the network) or `on_note_change_published` (runs after the commit, outside any lock;
its errors are logged, never raised to the writer). A hook gets a batch of changes: one for a
write, many for the site's changes found by the capture. `NoteChange.device_id` is the device
that wrote (the `X-Device-Id` header), so a publisher can skip it.

ORM writes that bypass the services (a shell, a data migration) are recorded by the signals
(notes/signals.py) through `note_orm_write_record`: once per note per transaction, however many
rows of the note were written, and not at all inside a service (which records for itself).

The PHP site's own writes, found by change data capture (notes/cdc.py) or the reconciler
(notes/reconcile.py), are recorded through `site_changes_record`: the same outbox write and hooks,
a batch of notes at a time, published once for the call (or, inside `site_changes_published_together`,
once for the block: a reconciler run); their send to DynamoDB is the caller's (after CDC saved its
position, or the drain's).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from legacy.models import LegacyNote
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
    # Site users the capture saw own the note before (a move, an outright delete): their feeds changed too.
    previous_owner_ids: frozenset[int] = frozenset()


# The site's changes are recorded this many notes at a time (each batch's note index refresh holds
# the change counter until it commits).
SITE_CHANGES_BATCH = 500

# Hooks get a batch of changes: one note's for a write, up to a chunk's for the site's changes.
ChangeHook = Callable[[Sequence[NoteChange]], None]
_recorders: list[ChangeHook] = []
_publishers: list[ChangeHook] = []


def on_note_change_recorded(hook: ChangeHook) -> ChangeHook:
    """Register ``hook`` to run with every batch of recorded changes, inside its transaction (database only)."""
    if hook not in _recorders:
        _recorders.append(hook)
    return hook


def on_note_change_published(hook: ChangeHook) -> ChangeHook:
    """Register ``hook`` to run with every batch of changes after its commit, outside any lock (network allowed)."""
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
    _record_and_schedule([change], send=True)


def site_changes_record(
    note_ids: Iterable[int],
    *,
    notify_owners: bool = True,
    owners_seen: Mapping[int, Iterable[int]] | None = None,
    batch_size: int = SITE_CHANGES_BATCH,
) -> None:
    """Record the changes the capture found in the PHP site's own writes (CDC, the reconciler): one
    outbox change per note and the same hooks as a service's write, ``batch_size`` notes at a time
    (a few queries a batch, besides the outbox's one a note); published once, for them all.

    The owners' devices hear of them unless ``notify_owners`` is off (a first run's backfill of what
    is already there); ``owners_seen`` names, by note, site users the capture saw own it before (a
    move, an outright delete), whose devices hear of it too. The send to DynamoDB is the caller's.
    """
    ids = sorted(set(note_ids))
    recorded: list[NoteChange] = []
    for start in range(0, len(ids), batch_size):
        changes = _site_changes(ids[start : start + batch_size], notify_owners=notify_owners, owners_seen=owners_seen)
        for change in changes:
            mirror_record(note_id=change.legacy_note_id)
        _run_recorders(changes)
        recorded += changes
    if _state.site_changes is not None:
        _state.site_changes += recorded
    elif recorded:
        _schedule_publish(recorded, send=False)


@contextmanager
def site_changes_published_together() -> Iterator[None]:
    """The site changes recorded in the block are published once, when it ends (a reconciler run's
    chunks: each owner's devices hear once). After an error nothing is published here: the devices
    marked so far are sent by the push drain."""
    outer, _state.site_changes = _state.site_changes, []
    try:
        yield
        recorded = _state.site_changes
    finally:
        _state.site_changes = outer
    if recorded:
        _schedule_publish(recorded, send=False)


def _site_changes(
    note_ids: list[int], *, notify_owners: bool, owners_seen: Mapping[int, Iterable[int]] | None
) -> list[NoteChange]:
    """The changes of the site's notes ``note_ids``, with their owners when they are to be told."""
    if not notify_owners:
        return [NoteChange(legacy_note_id=note_id) for note_id in note_ids]
    owners = dict(LegacyNote.objects.filter(pk__in=note_ids).values_list("note_id", "user_id"))
    seen = owners_seen or {}
    return [
        NoteChange(
            legacy_note_id=note_id,
            owner_user_id=owners.get(note_id),
            previous_owner_ids=frozenset(user for user in seen.get(note_id, ()) if user != owners.get(note_id)),
        )
        for note_id in note_ids
    ]


def _record_and_schedule(changes: Sequence[NoteChange], *, send: bool) -> None:
    _run_recorders(changes)
    _schedule_publish(changes, send=send)


def _run_recorders(changes: Sequence[NoteChange]) -> None:
    for hook in _recorders:
        hook(changes)


def _schedule_publish(changes: Sequence[NoteChange], *, send: bool) -> None:
    transaction.on_commit(partial(after_release, partial(_publish, changes, send=send)))


def _publish(changes: Sequence[NoteChange], *, send: bool) -> None:
    if send:
        for change in changes:
            mirror_send_after_write(note_id=change.legacy_note_id)
    for hook in _publishers:
        try:
            hook(changes)
        except Exception:
            logger.exception("publishing the changes of notes %s failed", [change.legacy_note_id for change in changes])


# --- ORM writes that bypass the services -------------------------------------------------------


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.services_writing = 0
        self.token = ""
        # Inside site_changes_published_together: the site changes recorded so far, to publish at its end.
        self.site_changes: list[NoteChange] | None = None


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
        _record_and_schedule([NoteChange(legacy_note_id=legacy_note_id)], send=True)


def _forget_token(token: str) -> None:
    if _state.token == token:
        _state.token = ""
