"""`search_reindex`: rebuild the DynamoDB mirror and the search index from MySQL, in batches.

For a first backfill, after an outage longer than the outbox should carry, or when an index was
lost. MySQL is the truth: every live note is written (DynamoDB `BatchWriteItem`, search batches),
then whatever the table or the index holds that is no longer a live note is removed. Progress is
saved after every batch, so an interrupted run resumes where it stopped.

A batch's DynamoDB writes go out in parallel chunks of 25 (a few threads: each chunk is one round
trip) while this thread uploads the batch's search documents and reads the next batch; the outbox
is marked only once both writes have landed, and never inside a transaction that waits on the
network. Only this thread touches the database. `BatchWriteItem` takes no condition (unlike the
mirror's sender): a note edited while its batch is in flight may be written as it was just before;
the outbox then records that older `updated_at`, so the reconciler sends the note again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from aws.clients import dynamodb_client
from legacy.models import LegacyNote
from notes.mirror import mirror_item
from notes.mobile import note_ids_for_uuids
from notes.models import MirrorEntry, MirrorState
from notes.search.backend import SearchBackend, search_backend
from notes.selectors import note_views, notes_with_owner_and_tags
from notes.stream import search_document_from_item

RESUME_MARK = "reindex.after_note_id"
DEFAULT_BATCH_SIZE = 1000  # notes a batch reads, writes and marks; also the resume step
DYNAMODB_BATCH_MAX = 25  # BatchWriteItem's limit
UNPROCESSED_ATTEMPTS = 8
UNPROCESSED_BACKOFF_SECONDS = 0.05
# BatchWriteItem chunks in flight at once: each is a round trip, so a few overlap the wait without
# loading the table more than a handful of writers would.
WRITE_THREADS = 4

_deserializer = TypeDeserializer()


class ReindexError(RuntimeError):
    """DynamoDB kept refusing part of a batch; the run can be started again and resumes."""


@dataclass
class ReindexReport:
    written: int = 0
    removed_from_table: int = 0
    removed_from_index: int = 0
    resumed_after_note_id: int = 0
    seconds: float = 0.0
    batches: list[int] = field(default_factory=list)


def _live_notes() -> Any:
    return LegacyNote.objects.filter(deleted=False).order_by("note_id")


def search_reindex(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    restart: bool = False,
    on_progress: Callable[[int], object] | None = None,
) -> ReindexReport:
    """Write every live note to the table and the index, then remove what is no longer live."""
    started = time.monotonic()
    if restart:
        MirrorState.objects.filter(name=RESUME_MARK).delete()
    after = _resume_point()
    report = ReindexReport(resumed_after_note_id=after)
    backend = search_backend()
    with ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="reindex") as writers:
        batch = _batch_after(after, batch_size)
        while batch:
            views = note_views(batch)
            following = _write_batch(
                writers,
                [mirror_item(view) for view in views],
                backend,
                meanwhile=partial(_batch_after, batch[-1].note_id, batch_size),
            )
            _mark_sent(views)
            after = batch[-1].note_id
            MirrorState.objects.update_or_create(name=RESUME_MARK, defaults={"value": str(after)})
            report.written += len(batch)
            report.batches.append(len(batch))
            if on_progress:
                on_progress(len(batch))
            batch = following
        table_pages = _table_pages(writers)  # its first page is read while the index is cleaned
        report.removed_from_index = _remove_from_index(backend)
        report.removed_from_table = _remove_from_table(writers, table_pages)
    MirrorState.objects.filter(name=RESUME_MARK).delete()
    report.seconds = time.monotonic() - started
    return report


def live_note_count(*, restart: bool = False) -> int:
    """How many notes a run (or the rest of an interrupted one) writes: for a progress bar."""
    after = (
        0 if restart else int(MirrorState.objects.filter(name=RESUME_MARK).values_list("value", flat=True).first() or 0)
    )
    return int(_live_notes().filter(note_id__gt=after).count())


def _batch_after(note_id: int, batch_size: int) -> list[LegacyNote]:
    """The next live notes after ``note_id`` (with owner and tags), in note id order."""
    return list(notes_with_owner_and_tags(_live_notes().filter(note_id__gt=note_id))[:batch_size])


def _resume_point() -> int:
    """The last note id an interrupted run wrote (0: none)."""
    return int(MirrorState.objects.filter(name=RESUME_MARK).values_list("value", flat=True).first() or 0)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _write_batch[T](
    writers: Executor, items: Sequence[dict[str, Any]], backend: SearchBackend, *, meanwhile: Callable[[], T]
) -> T:
    """The batch's items to the table (in `writers`' threads) while this thread uploads its documents
    to the index and then runs `meanwhile` (the next batch's read); returns what `meanwhile` returned
    once everything is written, or raises the first failure."""
    table_writes = _batch_write_start(writers, [{"PutRequest": {"Item": item}} for item in items])
    try:
        backend.index([search_document_from_item(_plain(item)) for item in items])
        return meanwhile()
    finally:
        _batch_write_wait(table_writes)


def _batch_write(writers: Executor, requests: Sequence[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25, several at a time, retrying what DynamoDB leaves unprocessed."""
    _batch_write_wait(_batch_write_start(writers, requests))


def _batch_write_start(writers: Executor, requests: Sequence[dict[str, Any]]) -> list[Future[None]]:
    return [
        writers.submit(_batch_write_chunk, requests[start : start + DYNAMODB_BATCH_MAX])
        for start in range(0, len(requests), DYNAMODB_BATCH_MAX)
    ]


def _batch_write_wait(chunks: Sequence[Future[None]]) -> None:
    """Wait for every chunk (none is left running behind a failure), then raise the first failure."""
    failures = [chunk.exception() for chunk in chunks]
    for failure in failures:
        if failure is not None:
            raise failure


def _batch_write_chunk(requests: Sequence[dict[str, Any]]) -> None:
    """One BatchWriteItem of at most 25 requests, its unprocessed part retried with backoff."""
    client = dynamodb_client()
    table = settings.NOTES_TABLE
    pending: dict[str, Any] = {table: list(requests)}
    for attempt in range(UNPROCESSED_ATTEMPTS):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(UNPROCESSED_BACKOFF_SECONDS * 2**attempt)
    raise ReindexError(f"DynamoDB left {len(pending[table])} writes unprocessed; run search_reindex again.")


def _mark_sent(views: Sequence[Any]) -> None:
    """The outbox agrees: these notes are mirrored as they are now (no drain or reconcile resend).

    Two statements per batch, whatever its size, in one transaction (one log flush): an upsert that
    creates the missing rows and records what was sent in all of them, then the generations.
    """
    now = timezone.now()
    with transaction.atomic():
        MirrorEntry.objects.bulk_create(
            [
                MirrorEntry(
                    legacy_note_id=view.note.note_id,
                    generation=0,
                    changed_at=now,
                    next_attempt_at=now,
                    attempts=0,
                    last_error="",
                    sent_at=now,
                    sent_updated_at=view.note.updated_at,
                    sent_version=view.mobile.version,
                )
                for view in views
            ],
            # A note that already has its row keeps it (its generation, its changed_at).
            update_conflicts=True,
            update_fields=["attempts", "last_error", "sent_at", "sent_updated_at", "sent_version"],
            # MySQL's ON DUPLICATE KEY takes no target, SQLite's ON CONFLICT (make run's fallback) needs one.
            unique_fields=["legacy_note_id"] if connection.features.supports_update_conflicts_with_target else None,
        )
        MirrorEntry.objects.filter(legacy_note_id__in=[view.note.note_id for view in views]).update(
            sent_generation=F("generation")
        )


def _stale_ids(note_ids: Sequence[str]) -> list[str]:
    """Of these noteIds, the ones that are not live notes in MySQL (deleted, gone, or unknown)."""
    parsed = {}
    for note_id in note_ids:
        with contextlib.suppress(ValueError):
            parsed[note_id] = uuid.UUID(note_id)
    legacy_ids, _rows = note_ids_for_uuids(parsed.values())
    live = set(LegacyNote.objects.filter(pk__in=legacy_ids.values(), deleted=False).values_list("pk", flat=True))
    live_uuids = {str(note_uuid) for note_uuid, legacy_id in legacy_ids.items() if legacy_id in live}
    return [note_id for note_id in note_ids if note_id not in live_uuids]


def _table_pages(writers: Executor) -> Iterator[list[str]]:
    """The table's noteIds, a scan page at a time; each page is read in `writers` while the caller
    works on the one before, and the first is asked for at once."""
    return _pages_from(writers, writers.submit(_table_page, None))


def _pages_from(writers: Executor, reading: Future[tuple[list[str], dict[str, Any] | None]]) -> Iterator[list[str]]:
    while True:
        note_ids, next_key = reading.result()
        if next_key is not None:
            reading = writers.submit(_table_page, next_key)
        yield note_ids
        if next_key is None:
            return


def _table_page(start_key: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
    """One consistent scan page of noteIds, and where the next starts (None after the last)."""
    start = {"ExclusiveStartKey": start_key} if start_key else {}
    page = dynamodb_client().scan(
        TableName=settings.NOTES_TABLE, ProjectionExpression="noteId", ConsistentRead=True, **start
    )
    return [item["noteId"]["S"] for item in page.get("Items", [])], page.get("LastEvaluatedKey")


def _remove_from_table(writers: Executor, pages: Iterator[list[str]]) -> int:
    removed = 0
    for note_ids in pages:
        stale = _stale_ids(note_ids)
        _batch_write(writers, [{"DeleteRequest": {"Key": {"noteId": {"S": note_id}}}} for note_id in stale])
        removed += len(stale)
    return removed


def _remove_from_index(backend: SearchBackend) -> int:
    removed = 0
    chunk: list[str] = []
    for note_id in backend.indexed_ids():
        chunk.append(note_id)
        if len(chunk) == DEFAULT_BATCH_SIZE:
            removed += _remove_chunk(backend, chunk)
            chunk = []
    if chunk:
        removed += _remove_chunk(backend, chunk)
    return removed


def _remove_chunk(backend: SearchBackend, note_ids: list[str]) -> int:
    stale = _stale_ids(note_ids)
    if stale:
        backend.delete(stale)
    return len(stale)
