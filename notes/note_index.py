"""Lambridge's own index of the site's notes (NoteIndex): kept in step with `notes`, and queried.

The site's `notes` is MyISAM with one secondary index (`user_id`) and we may add none: a user's
newest notes, a tag, the public scope or "what changed since" would each scan it under a table lock.
So every recorded change refreshes the note's row in our InnoDB index (owner, visibility, deleted,
updated_at, tags) and numbers it (`change_seq`, from ChangeCounter); lists and the sync feed pick
note ids from the index and read the notes themselves from `notes` by primary key, re-checking
what they show there (the site's tables stay the truth).

What the index cannot know yet: notes the site inserted since the last capture. They are the
tail above what the capture has seen, a primary-key range of `notes`, and every query adds it; the
site's edits and deletes of older notes reach the index with the next capture (CDC within a minute,
or the reconciler).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from legacy.models import LegacyNote, LegacyNoteTag
from notes.models import ChangeCounter, MirrorState, NoteIndex, NoteIndexTag, NoteSyncTombstone

if TYPE_CHECKING:
    from notes.changes import NoteChange


def _next_seqs(count: int) -> int:
    """Reserve ``count`` change numbers; returns the first. Holds the counter's row lock until the
    caller's transaction commits, so numbers become visible in order."""
    counter = ChangeCounter.objects.select_for_update().filter(pk=1).first()
    if counter is None:
        ChangeCounter.objects.get_or_create(pk=1)
        counter = ChangeCounter.objects.select_for_update().get(pk=1)
    ChangeCounter.objects.filter(pk=1).update(value=F("value") + count)
    return int(counter.value) + 1


@dataclass(frozen=True)
class _State:
    """What the index holds of one note."""

    owner_id: int
    visibility: str
    deleted: bool
    updated_at: datetime | None
    tags: frozenset[str]


# The columns of `notes` the index holds, in this order (a caller that read them passes the rows).
SITE_COLUMNS = ("note_id", "user_id", "visibility", "deleted", "updated_at")
SiteRow = tuple[int, int, str, bool, datetime | None]


def _site_states(ids: list[int], rows: Sequence[SiteRow] | None) -> dict[int, _State]:
    """The notes' state in the site's tables: primary-key reads of `note_tags` (and of `notes`)."""
    tags: dict[int, set[str]] = {}
    for note_id, tag in LegacyNoteTag.objects.filter(note_id__in=ids).values_list("note_id", "tag"):
        tags.setdefault(note_id, set()).add(tag)
    if rows is None:
        rows = list(LegacyNote.objects.filter(pk__in=ids).values_list(*SITE_COLUMNS))
    return {
        note_id: _State(owner, visibility, bool(deleted), updated_at, frozenset(tags.get(note_id, ())))
        for note_id, owner, visibility, deleted, updated_at in rows
    }


def _indexed_states(ids: list[int]) -> tuple[dict[int, _State], set[int]]:
    """The index's state of the notes, and which of them it knows the site removed."""
    tags: dict[int, set[str]] = {}
    for note_id, tag in NoteIndexTag.objects.filter(note_id__in=ids).values_list("note_id", "tag"):
        tags.setdefault(note_id, set()).add(tag)
    states: dict[int, _State] = {}
    gone: set[int] = set()
    for note_id, owner, visibility, deleted, updated_at, is_gone in NoteIndex.objects.filter(
        note_id__in=ids
    ).values_list("note_id", "owner_id", "visibility", "deleted", "updated_at", "gone"):
        states[note_id] = _State(owner, visibility, deleted, updated_at, frozenset(tags.get(note_id, ())))
        if is_gone:
            gone.add(note_id)
    return states, gone


def note_index_refresh(
    note_ids: Iterable[int], *, force: bool = False, site_rows: Sequence[SiteRow] | None = None
) -> int:
    """Bring the index rows of ``note_ids`` in line with `notes`; returns how many got a new number.

    Runs in the caller's transaction when there is one (the services', so the row commits with the
    write), else in its own. A note whose indexed state differs gets a new change number, and with
    ``force`` every note does (a recorded change of its text alters nothing the index holds, yet the
    owner's feed must carry it). A note that moved to another owner leaves a tombstone in the old
    owner's feed; one the site removed stays as `gone` so its owner's feed reports it.
    """
    ids = sorted(set(note_ids))
    if not ids:
        return 0
    # No savepoint inside the caller's transaction: every caller lets an error end its transaction,
    # and SAVEPOINT/RELEASE were two more round trips on every note write.
    with transaction.atomic(savepoint=False):
        site = _site_states(ids, site_rows)
        indexed, known_gone = _indexed_states(ids)
        changed = [
            note_id
            for note_id in ids
            if (note_id in site and (force or site[note_id] != indexed.get(note_id)))
            or (note_id not in site and note_id in indexed and note_id not in known_gone)
            or (note_id in site and note_id in known_gone)
        ]
        if not changed:
            return 0
        moved = [note_id for note_id in changed if note_id in site and note_id in indexed
                 and indexed[note_id].owner_id != site[note_id].owner_id]  # fmt: skip
        seq = _next_seqs(len(changed) + len(moved))
        entries: list[NoteIndex] = []
        for note_id in changed:
            state, old = site.get(note_id), indexed.get(note_id)
            if state is None:  # removed by the site: the owner's feed reports it deleted
                NoteIndex.objects.filter(note_id=note_id).update(deleted=True, gone=True, change_seq=seq)
                seq += 1
                continue
            if note_id in moved and old is not None:
                NoteSyncTombstone.objects.update_or_create(
                    owner_id=old.owner_id, note_id=note_id, defaults={"change_seq": seq}
                )
                seq += 1
            entries.append(
                NoteIndex(
                    note_id=note_id,
                    owner_id=state.owner_id,
                    visibility=state.visibility,
                    deleted=state.deleted,
                    gone=False,
                    updated_at=state.updated_at,
                    change_seq=seq,
                )
            )
            seq += 1
        NoteIndex.objects.bulk_create(
            entries,
            update_conflicts=True,
            update_fields=["owner_id", "visibility", "deleted", "gone", "updated_at", "change_seq"],
        )
        # A note back with an owner it once left is theirs again: no tombstone for it.
        owners = {entry.note_id: entry.owner_id for entry in entries}
        stale = [
            tombstone.pk
            for tombstone in NoteSyncTombstone.objects.filter(note_id__in=list(owners))
            if owners[tombstone.note_id] == tombstone.owner_id
        ]
        if stale:
            NoteSyncTombstone.objects.filter(pk__in=stale).delete()
        NoteIndexTag.objects.filter(note_id__in=changed).delete()
        NoteIndexTag.objects.bulk_create(
            [NoteIndexTag(note_id=entry.note_id, tag=tag) for entry in entries for tag in site[entry.note_id].tags]
        )
    return len(changed)


def note_index_record(changes: Sequence[NoteChange]) -> None:
    """The recorder hook of notes/changes.py: recorded changes renumber their notes in the index, in
    the writer's transaction (one refresh for the batch)."""
    note_index_refresh([change.legacy_note_id for change in changes], force=True)


# --- Queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexPage:
    """Note ids the index offers for a page (newest first), and where its knowledge ends: notes above
    ``indexed_up_to`` are the site's new ones, maybe not indexed yet (the tail)."""

    note_ids: list[int]
    indexed_up_to: int


def index_note_ids(
    *,
    owner_id: int | None,
    public: bool,
    tag: str | None,
    visibility: str | None,
    updated_since: datetime | None,
    before_note_id: int | None,
    limit: int,
) -> IndexPage:
    """Candidate ids of a list page, newest first, from the index alone."""
    entries = NoteIndex.objects.filter(deleted=False)
    if owner_id is not None:
        entries = entries.filter(owner_id=owner_id)
    if public:
        entries = entries.filter(visibility="public")
    if visibility:
        entries = entries.filter(visibility=visibility)
    if updated_since is not None:
        entries = entries.filter(updated_at__gte=updated_since)
    if tag:
        entries = entries.filter(note_id__in=NoteIndexTag.objects.filter(tag=tag).values("note_id"))
    if before_note_id is not None:
        entries = entries.filter(note_id__lt=before_note_id)
    note_ids = list(entries.order_by("-note_id").values_list("note_id", flat=True)[:limit])
    return IndexPage(note_ids, captured_up_to())


@dataclass(frozen=True)
class FeedEntry:
    note_id: int
    change_seq: int
    live: bool  # False: deleted, removed by the site, or moved to another owner


def index_changes(*, owner_id: int, after_seq: int, limit: int) -> list[FeedEntry]:
    """The owner's changes after ``after_seq`` in change order: at most ``limit`` entries."""
    entries = [
        FeedEntry(note_id, seq, not deleted)
        for note_id, seq, deleted in NoteIndex.objects.filter(owner_id=owner_id, change_seq__gt=after_seq)
        .order_by("change_seq")
        .values_list("note_id", "change_seq", "deleted")[:limit]
    ]
    entries += [
        FeedEntry(note_id, seq, False)
        for note_id, seq in NoteSyncTombstone.objects.filter(owner_id=owner_id, change_seq__gt=after_seq)
        .order_by("change_seq")
        .values_list("note_id", "change_seq")[:limit]
    ]
    return sorted(entries, key=lambda entry: entry.change_seq)[:limit]


# Every note up to this id has been seen by the capture (the reconciler's tail, CDC's inserts), so
# the index knows it; above it are the site's new notes, which every query reads from `notes` too.
# It only grows, so a value a few seconds old is safe (the tail it leaves is longer, never shorter):
# caching it keeps a list request at its query count.
CAPTURED_UP_TO_MARK = "reconcile.tail"
CAPTURED_CACHE_SECONDS = 2.0
_captured: tuple[int, float] = (0, 0.0)


def captured_up_to() -> int:
    """The highest note id below which the capture has seen every note (0 before its first run)."""
    global _captured
    value, read_at = _captured
    if time.monotonic() - read_at < CAPTURED_CACHE_SECONDS:
        return value
    mark = MirrorState.objects.filter(name=CAPTURED_UP_TO_MARK).values_list("value", flat=True).first()
    value = int(mark) if mark else 0
    _captured = (value, time.monotonic())
    return value


def captured_up_to_advance(note_id: int) -> None:
    """Every note up to ``note_id`` has been seen by the capture."""
    MirrorState.objects.update_or_create(name=CAPTURED_UP_TO_MARK, defaults={"value": str(note_id)})
