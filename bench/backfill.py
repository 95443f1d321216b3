"""Mirror backfill (SPEC §8): notes/s of `search_reindex` vs the same notes written one at a time.

Both write every live note of the bench database (the demo data plus the bench users' notes) to
the moto DynamoDB table and the local CloudSearch domain. One at a time is what the mirror does per
change: the mirror's sender for that note (mirror_send) then the stream handler for its one
record (the item read back, its document uploaded); the outbox rows are made pending beforehand,
untimed, as a change leaves them. So both sides do the same work: table, index and outbox. The
batched side is notes.reindex.search_reindex(restart=True) as `manage.py search_reindex` runs it,
its clean-up scan of the table and the index included. The sides alternate (one-at-a-time, batch,
batch, one-at-a-time for ROUNDS=2); each rate is the median of its rounds.
"""

from __future__ import annotations

import statistics
import time

from bench.results import Row
from bench.stack import Stack

NAME = "backfill"
TARGET_RATIO = 15.0
ROUNDS = 2


def live_note_ids() -> list[int]:
    from legacy.models import LegacyNote

    return list(LegacyNote.objects.filter(deleted=False).order_by("note_id").values_list("note_id", flat=True))


def mark_pending(note_ids: list[int]) -> dict[int, str]:
    """Untimed: every note pending in the mirror's outbox, as after a change; their noteIds by note id."""
    from legacy.models import LegacyNote
    from notes.mirror import mirror_record
    from notes.selectors import note_views

    note_uuids: dict[int, str] = {}
    for start in range(0, len(note_ids), 500):
        views = note_views(list(LegacyNote.objects.filter(pk__in=note_ids[start : start + 500])))
        note_uuids |= {view.note.note_id: str(view.mobile.uuid) for view in views}
    for note_id in note_ids:
        mirror_record(note_id=note_id)
    return note_uuids


def one_at_a_time(note_ids: list[int]) -> float:
    """Seconds to mirror and index `note_ids` the way a single change travels, one note after another:
    the mirror's sender (mirror_send: outbox row, note read, conditional PutItem, outbox update),
    then the stream handler with that note's one record (read the item back, upload its document)."""
    from notes.mirror import mirror_send
    from notes.stream import stream_handler

    note_uuids = mark_pending(note_ids)
    started = time.perf_counter()
    for note_id in note_ids:
        result = mirror_send(note_ids=[note_id])
        if result.sent != 1:
            raise RuntimeError(f"mirror_send did not send note {note_id}: {result}")
        record = {
            "eventSource": "aws:dynamodb",
            "eventName": "MODIFY",
            "dynamodb": {"Keys": {"noteId": {"S": note_uuids[note_id]}}},
        }
        stream_handler({"Records": [record]})
    return time.perf_counter() - started


def batched() -> tuple[float, int]:
    """Seconds of one full search_reindex run, and how many notes it wrote."""
    from notes.reindex import search_reindex

    started = time.perf_counter()
    report = search_reindex(restart=True)
    return time.perf_counter() - started, report.written


def run(stack: Stack, *, rounds: int = ROUNDS) -> list[Row]:
    note_ids = live_note_ids()
    single_rates: list[float] = []
    batch_rates: list[float] = []
    for n in range(rounds):
        if n % 2 == 0:
            single_rates.append(len(note_ids) / one_at_a_time(note_ids))
        seconds, written = batched()
        if written != len(note_ids):
            raise RuntimeError(f"search_reindex wrote {written} notes, not the {len(note_ids)} live ones")
        batch_rates.append(written / seconds)
        if n % 2 == 1:
            single_rates.append(len(note_ids) / one_at_a_time(note_ids))
    single, batch = statistics.median(single_rates), statistics.median(batch_rates)
    ratio = batch / single
    details = {
        "notes": len(note_ids),
        "rounds": rounds,
        "reindexNotesPerSecond": [round(rate, 1) for rate in batch_rates],
        "oneAtATimeNotesPerSecond": [round(rate, 1) for rate in single_rates],
    }
    return [
        Row(f"backfill: search_reindex, {len(note_ids)} notes (median of {rounds})", batch, "notes/s"),
        Row(f"backfill: one note at a time, same notes (median of {rounds})", single, "notes/s"),
        Row(
            "backfill ratio (search_reindex / one at a time)",
            ratio,
            "x",
            target=f">= {TARGET_RATIO:g}x",
            passed=ratio >= TARGET_RATIO,
            details=details,
        ),
    ]
