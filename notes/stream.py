"""The DynamoDB stream handler: brings the search index in line with the Notes table (SPEC §5).

Zappa routes the table's stream events here (Lambda's event shape). The records only say which
notes changed: their images are not trusted, because a batch may be a replay, hold duplicate
INSERTs (moto sends two for an UpdateItem that creates an item), no-op MODIFYs, or arrive after a
newer batch. Instead the handler reads each note's CURRENT item (strongly consistent) and indexes
what exists and deletes what does not, so any order of any number of deliveries ends in the
table's state and nothing regresses.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from django.conf import settings

from aws.clients import dynamodb_client
from aws.metrics import COUNT, SECONDS, metrics_emit
from notes.mirror_status import search_index_progress_record
from notes.search import SearchDocument, search_backend

logger = logging.getLogger(__name__)

NOTE_KEY = "noteId"
# BatchGetItem takes at most 100 keys a call.
BATCH_GET_MAX_KEYS = 100
# UnprocessedKeys (throttling) are asked for again, with a short backoff, this many times.
BATCH_GET_ATTEMPTS = 5
BATCH_GET_BACKOFF_SECONDS = 0.05
# CloudSearch refuses a whole batch over one bad id; such a key is skipped (and logged) instead
# of blocking the stream forever.
DOCUMENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_\-=#;:/?@&]{1,128}")
VISIBILITIES = ("private", "public")
EPOCH = "1970-01-01T00:00:00Z"

_deserializer = TypeDeserializer()


class NotesTableReadError(RuntimeError):
    """Some items could not be read even after retries: the batch fails, and Lambda retries it."""


def stream_handler(event: dict[str, Any], context: object | None = None) -> dict[str, int]:
    """Index the current state of every note named in a DynamoDB stream batch; {"indexed", "deleted", ...}.

    Raises when the table cannot be read or the search upload fails, so Lambda retries the batch.
    Logs counts only, never note text.
    """
    records = event.get("Records") or []
    oldest = _oldest_record_time(records)
    metrics: dict[str, tuple[float, str]] = {"StreamBatchSize": (len(records), COUNT)}
    if oldest is not None:
        metrics["StreamLag"] = (round(max(0.0, time.time() - oldest.timestamp()), 1), SECONDS)
    metrics_emit(metrics=metrics)
    note_ids = stream_note_ids(records)
    if not note_ids:
        return {"records": len(records), "indexed": 0, "deleted": 0}
    items = notes_table_items(note_ids=note_ids)
    documents = [search_document_from_item(items[note_id]) for note_id in note_ids if note_id in items]
    gone = [note_id for note_id in note_ids if note_id not in items]
    backend = search_backend()
    if documents:
        backend.index(documents)
    if gone:
        backend.delete(gone)
    if oldest is not None:
        search_index_progress_record(oldest_record_at=oldest)
    logger.info(
        "search index updated from a stream batch: %d records, %d notes indexed, %d deleted",
        len(records),
        len(documents),
        len(gone),
    )
    return {"records": len(records), "indexed": len(documents), "deleted": len(gone)}


def _oldest_record_time(records: Sequence[dict[str, Any]]) -> datetime | None:
    """When the oldest record of the batch was written to the table (Lambda's epoch seconds)."""
    moments = []
    for record in records:
        value = (record.get("dynamodb") or {}).get("ApproximateCreationDateTime")
        if isinstance(value, int | float):
            moments.append(float(value))
        elif isinstance(value, datetime):
            moments.append(value.timestamp())
    return datetime.fromtimestamp(min(moments), UTC) if moments else None


def stream_note_ids(records: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct noteIds of DynamoDB stream records, in the order first seen."""
    note_ids: dict[str, None] = {}
    for record in records:
        if record.get("eventSource", "aws:dynamodb") != "aws:dynamodb":
            continue
        key = (record.get("dynamodb") or {}).get("Keys", {}).get(NOTE_KEY, {}).get("S")
        if not isinstance(key, str):
            continue
        if not DOCUMENT_ID_PATTERN.fullmatch(key):
            logger.warning("stream record skipped: its noteId is not a valid search document id")
            continue
        note_ids[key] = None
    return list(note_ids)


def notes_table_items(*, note_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The current items of the Notes table with these noteIds (plain Python values), by noteId.

    Strongly consistent reads, so a write the stream has just reported is seen.
    """
    client = dynamodb_client()
    table = settings.NOTES_TABLE
    found: dict[str, dict[str, Any]] = {}
    for offset in range(0, len(note_ids), BATCH_GET_MAX_KEYS):
        keys = [{NOTE_KEY: {"S": note_id}} for note_id in note_ids[offset : offset + BATCH_GET_MAX_KEYS]]
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(BATCH_GET_ATTEMPTS):
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
                found[str(plain[NOTE_KEY])] = plain
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(BATCH_GET_BACKOFF_SECONDS * 2**attempt)
        else:
            raise NotesTableReadError(f"{len(request[table]['Keys'])} notes could not be read from {table}.")
    return found


def search_document_from_item(item: dict[str, Any]) -> SearchDocument:
    """The search document of a Notes table item (as the mirror writes it, deserialized)."""
    visibility = str(item.get("visibility") or "private")
    return SearchDocument(
        note_id=str(item[NOTE_KEY]),
        headline=str(item.get("headline") or ""),
        text=str(item.get("text") or ""),
        user_id=int(item.get("userId") or 0),
        # Anything unexpected is treated as private: it can only hide a note, never expose one.
        visibility=visibility if visibility in VISIBILITIES else "private",
        updated_at=cloudsearch_date(item.get("updatedAt")),
        s3_url=str(item["s3Url"]) if item.get("s3Url") else None,
        version=int(item.get("version") or 0),
    )


def cloudsearch_date(value: Any) -> str:
    """An ISO-8601 timestamp as CloudSearch dates must be: UTC, 2026-11-21T10:00:00Z."""
    if not value:
        return EPOCH
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        logger.warning("a note's updatedAt is not ISO-8601; indexed as the epoch")
        return EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
