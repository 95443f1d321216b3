"""The reconciler: the safety net that finds notes the PHP site changed without Lambridge hearing of it.

`notes` is the site's MyISAM table and we may not index it, so the only cheap way through it is its
primary key. A run reads short primary-key ranges (``CHUNK_ROWS`` rows a statement, a few
milliseconds of MyISAM read lock each, so the site's writes never queue behind us) and queues every
note whose `updated_at` differs from what the mirror last sent, that has no outbox row, or that
the site removed.

Each scheduled run does two things, whatever the table's size:
- the tail: notes above the highest id it has seen (new notes, found within one run);
- the next slice (``slice_rows``) of a rolling pass over the whole table, from a cursor saved after
  every chunk; at the end of the table the pass starts over.
So a run's cost is bounded by the slice, not by the table; an edit of an old note is found within one
pass. With change data capture on (notes/cdc.py) every change is heard at once, and a daily ``full``
pass (resumable: cut off by Lambda's timeout, the next run goes on) is only the net under the net.

`updated_at` has whole seconds: two site edits in the same second as a send look unchanged here;
CDC sees both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from legacy.models import LegacyNote
from notes.changes import site_changes_published_together, site_changes_record
from notes.models import MirrorEntry, MirrorState, NoteIndex
from notes.note_index import (
    CAPTURED_UP_TO_MARK,
    SITE_COLUMNS,
    SiteRow,
    captured_up_to_advance,
    note_index_refresh,
)

CURSOR_MARK = "reconcile.cursor"
TAIL_MARK = CAPTURED_UP_TO_MARK
CHUNK_ROWS = 500
SLICE_ROWS = 20_000
MAX_SECONDS = 20.0


@dataclass
class ReconcileProgress:
    changed: list[int] = field(default_factory=list)
    checked: int = 0


def _mark(name: str) -> int:
    value = MirrorState.objects.filter(name=name).values_list("value", flat=True).first()
    return int(value) if value else 0


def _set_mark(name: str, value: object) -> None:
    MirrorState.objects.update_or_create(name=name, defaults={"value": str(value)})


def _queue_changed(rows: list[SiteRow], *, low: int, high: int | None, notify_owners: bool) -> list[int]:
    """Queue the notes of ``rows`` (ids in (low, high]) that changed, and mirrored ids gone from that
    range, through the write line's seam (their owners' devices hear of them when ``notify_owners``);
    returns their ids."""
    entries = MirrorEntry.objects.filter(legacy_note_id__gt=low)
    if high is not None:
        entries = entries.filter(legacy_note_id__lte=high)
    known = {
        note_id: (generation > sent_generation, sent_updated_at)
        for note_id, generation, sent_generation, sent_updated_at in entries.values_list(
            "legacy_note_id", "generation", "sent_generation", "sent_updated_at"
        )
    }
    changed: list[int] = []
    for note_id, *_, updated_at in rows:
        pending, sent_updated_at = known.pop(note_id, (False, None))
        if pending or (sent_updated_at is not None and sent_updated_at == updated_at):
            continue
        changed.append(note_id)
    # What is left was mirrored or indexed once and is no longer in `notes`: the site deleted the row.
    changed += [
        note_id for note_id, (pending, sent_updated_at) in known.items() if not pending and sent_updated_at is not None
    ]
    present = {row[0] for row in rows}
    indexed = NoteIndex.objects.filter(note_id__gt=low, gone=False)
    if high is not None:
        indexed = indexed.filter(note_id__lte=high)
    changed += [note_id for note_id in indexed.values_list("note_id", flat=True) if note_id not in present]
    changed = list(dict.fromkeys(changed))
    # Recorded like any change (outbox, note index, pushes), the chunk's notes at once. The note index
    # follows the site's rows (the first pass builds it): the changed notes get a new change number,
    # the others one only where the index differs.
    site_changes_record(changed, notify_owners=notify_owners)
    changed_ids = set(changed)
    unchanged = [row for row in rows if row[0] not in changed_ids]
    note_index_refresh([row[0] for row in unchanged], site_rows=unchanged)
    return changed


def _chunk(after: int, size: int) -> list[SiteRow]:
    """The next ``size`` notes by primary key after ``after``: one short range read of MyISAM."""
    return list(LegacyNote.objects.filter(note_id__gt=after).order_by("note_id").values_list(*SITE_COLUMNS)[:size])


def _check_chunk(after: int, size: int, progress: ReconcileProgress, *, notify_owners: bool) -> tuple[int, bool]:
    """Check one chunk after ``after``; returns (the new cursor, whether the table's end was reached)."""
    rows = _chunk(after, size)
    at_end = len(rows) < size
    high = None if at_end else rows[-1][0]
    progress.changed += _queue_changed(rows, low=after, high=high, notify_owners=notify_owners)
    progress.checked += len(rows)
    return (0, True) if at_end else (rows[-1][0], False)


def mirror_reconcile(
    *,
    full: bool = False,
    slice_rows: int = SLICE_ROWS,
    chunk_rows: int = CHUNK_ROWS,
    max_seconds: float = MAX_SECONDS,
) -> int:
    """Queue notes changed outside Lambridge; returns how many were queued.

    A scheduled run checks the tail and the next ``slice_rows`` of the rolling pass. ``full`` goes on
    with the pass to the end of the table (or until ``max_seconds``; the next run resumes).
    """
    deadline = time.monotonic() + max_seconds
    progress = ReconcileProgress()

    tail = _mark(TAIL_MARK)
    # The owners' other devices hear of the site's changes, once a run; not on the first run, which
    # is a backfill of everything already there.
    notify_owners = tail != 0
    with site_changes_published_together():
        while time.monotonic() < deadline:
            rows = _chunk(tail, chunk_rows)
            if not rows:
                break
            progress.changed += _queue_changed(rows, low=tail, high=rows[-1][0], notify_owners=notify_owners)
            tail = rows[-1][0]
            captured_up_to_advance(tail)

        cursor = _mark(CURSOR_MARK)
        checked_before = progress.checked
        while time.monotonic() < deadline:
            cursor, at_end = _check_chunk(cursor, chunk_rows, progress, notify_owners=notify_owners)
            _set_mark(CURSOR_MARK, cursor)
            if at_end:
                break
            if not full and progress.checked - checked_before >= slice_rows:
                break
    return len(progress.changed)
