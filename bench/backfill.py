"""Mirror backfill (SPEC §8): notes/s of `search_reindex` vs the same notes written one at a time.

Both write every live note of the bench database (the demo data plus the bench users' notes) to
the moto DynamoDB table and the local CloudSearch domain. One at a time is what the mirror does per
change: read the note (with owner and tags), PutItem it, and index its single document. The
batched side is notes.reindex.search_reindex(restart=True) as `manage.py search_reindex` runs it,
its clean-up scan of the table and the index included. The sides alternate (one-at-a-time, batch,
batch, one-at-a-time for ROUNDS=2), each rate is the median of its rounds.
"""

from __future__ import annotations

import statistics
import time

from bench.results import Row
from bench.stack import Stack

NAME = "backfill"
TARGET_RATIO = 10.0
ROUNDS = 2


def live_note_ids() -> list[int]:
    from legacy.models import LegacyNote

    return list(LegacyNote.objects.filter(deleted=False).order_by("note_id").values_list("note_id", flat=True))


def one_at_a_time(note_ids: list[int]) -> float:
    """Seconds to mirror and index `note_ids` one note per DynamoDB write and per search upload."""
    from boto3.dynamodb.types import TypeDeserializer
    from django.conf import settings

    from aws.clients import dynamodb_client
    from legacy.models import LegacyNote
    from notes.mirror import mirror_item
    from notes.search import search_backend
    from notes.selectors import note_views, notes_with_owner_and_tags
    from notes.stream import search_document_from_item

    deserializer = TypeDeserializer()
    client = dynamodb_client()
    backend = search_backend()
    started = time.perf_counter()
    for note_id in note_ids:
        note = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=note_id)).get()
        item = mirror_item(note_views([note])[0])
        client.put_item(TableName=settings.NOTES_TABLE, Item=item)
        backend.index([search_document_from_item({name: deserializer.deserialize(v) for name, v in item.items()})])
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
