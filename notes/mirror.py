"""The mirror of notes in DynamoDB (SPEC §5): the outbox, the sender and the drain.

A change to a note only records, in the same database, that the note must be sent (an outbox row,
MirrorEntry; notes/changes.py decides when); after the commit, outside any lock, the sender writes
the note's state as MySQL has it then. A send
that fails leaves the row pending, with the error and a later time to retry (exponential
backoff); `manage.py mirror_drain`, run on a schedule, sends what is due. Writes are conditional
on `version`, so an older state never overwrites a newer one. The PHP site writes `notes` without
Lambridge, and `notes` is MyISAM (a crash between the note and its outbox row loses the row):
`manage.py mirror_reconcile` (notes/reconcile.py) and change data capture (notes/cdc.py) find them.

Nothing here runs inside a transaction while it talks to AWS.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aws.clients import dynamodb_client
from aws.metrics import COUNT, metrics_emit
from notes.locks import LockTimeout, named_lock
from notes.models import MirrorEntry, MobileNote
from notes.note_ids import site_note_uuid
from notes.selectors import NoteView, note_view_by_id
from uploads.services import media_stable_url

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
# After a failed send right after a write, leave sending to the drain for a while: an AWS outage
# must not slow every API write down by a connection timeout.
INLINE_PAUSE_SECONDS = 30
LAST_ERROR_MAX_LENGTH = 1000

_CONDITION_NOT_OLDER = "attribute_not_exists(noteId) OR #version <= :version"

_inline_paused_until = 0.0


@dataclass
class MirrorResult:
    sent: int = 0
    failed: int = 0
    busy: int = 0  # another process was sending the same note


# --- Recording changes ----------------------------------------------------------------------


def mirror_record(*, note_id: int, once_per: str = "") -> bool:
    """Record, in the current transaction, that note ``note_id`` must be sent again: one write to
    its outbox row (an UPDATE; an INSERT the first time). True when it recorded.

    ``once_per`` (a token) makes it idempotent: a row that already carries the token is left alone
    (notes/changes.py gives each transaction of ORM writes its own token).
    """
    now = timezone.now()
    entries = MirrorEntry.objects.filter(legacy_note_id=note_id)
    if once_per:
        entries = entries.exclude(recorded_in=once_per)
    if entries.update(generation=F("generation") + 1, changed_at=now, recorded_in=once_per):
        return True
    if once_per and MirrorEntry.objects.filter(legacy_note_id=note_id).exists():
        return False  # recorded already, by this transaction
    try:
        with transaction.atomic():
            MirrorEntry.objects.create(
                legacy_note_id=note_id, changed_at=now, next_attempt_at=now, recorded_in=once_per
            )
    except IntegrityError:  # created by a concurrent change
        MirrorEntry.objects.filter(legacy_note_id=note_id).update(
            generation=F("generation") + 1, changed_at=now, recorded_in=once_per
        )
    return True


def mirror_send_after_write(*, note_id: int) -> None:
    """The send right after a write committed (notes/changes.py publishes it outside any lock):
    best effort, never failing the writer; after a failure, sends wait for the drain a while."""
    global _inline_paused_until
    if not settings.MIRROR_SEND_ON_COMMIT or time.monotonic() < _inline_paused_until:
        return
    try:
        result = mirror_send(note_ids=[note_id])
    except Exception:
        logger.exception("mirror: sending note %s after commit failed; the drain will retry", note_id)
        result = MirrorResult(failed=1)
    if result.failed:
        _inline_paused_until = time.monotonic() + INLINE_PAUSE_SECONDS


def mirror_inline_resume() -> None:
    """Send after commit again at once, without waiting out a pause that an earlier failure began."""
    global _inline_paused_until
    _inline_paused_until = 0.0


# --- Sending --------------------------------------------------------------------------------


def mirror_item(view: NoteView) -> dict[str, Any]:
    """The note as a DynamoDB item (SPEC §5 attributes), in the low-level attribute format."""
    note, mobile = view.note, view.mobile
    updated_at = note.updated_at or note.created_at
    item: dict[str, Any] = {
        "noteId": {"S": str(mobile.uuid)},
        "userId": {"N": str(note.user_id)},
        "headline": {"S": note.headline},
        "text": {"S": note.body},
        "visibility": {"S": note.visibility},
        "tags": {"L": [{"S": tag} for tag in view.tags]},
        "updatedAt": {"S": _iso(updated_at)},
        "version": {"N": str(mobile.version)},
    }
    if mobile.photo_key:
        item["photoKey"] = {"S": mobile.photo_key}
        item["s3Url"] = {"S": media_stable_url(key=mobile.photo_key)}
    return item


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return "1970-01-01T00:00:00Z"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mirror_send(
    *, note_ids: Iterable[int] | None = None, limit: int = 500, ignore_backoff: bool = False
) -> MirrorResult:
    """Send pending entries: those of ``note_ids`` now, or else every entry that is due.

    ``ignore_backoff`` sends every pending entry, due or not: once AWS is back after an outage.
    """
    pending = MirrorEntry.objects.filter(generation__gt=F("sent_generation"))
    if note_ids is not None:
        pending = pending.filter(legacy_note_id__in=list(note_ids))
    elif not ignore_backoff:
        pending = pending.filter(next_attempt_at__lte=timezone.now())
    result = MirrorResult()
    for legacy_note_id in pending.order_by("next_attempt_at").values_list("legacy_note_id", flat=True)[:limit]:
        try:
            with named_lock(f"lambridge.mirror.{legacy_note_id}", timeout_seconds=0):
                sent = _send_one(legacy_note_id)
        except LockTimeout:
            result.busy += 1
            continue
        if sent:
            result.sent += 1
        else:
            result.failed += 1
    if result.sent or result.failed:
        metrics_emit(metrics={"MirrorSent": (result.sent, COUNT), "MirrorFailed": (result.failed, COUNT)})
    return result


def _send_one(legacy_note_id: int) -> bool:
    """Write one note's current state (or its deletion) to DynamoDB; record the outcome."""
    entry = MirrorEntry.objects.get(legacy_note_id=legacy_note_id)
    generation = entry.generation
    view = note_view_by_id(legacy_note_id)
    note = view.note if view is not None else None
    try:
        if view is not None and not view.note.deleted:
            _put(view)
        else:
            _delete(legacy_note_id, view, sent_version=entry.sent_version)
    except (ClientError, BotoCoreError) as exc:
        _record_failure(entry, exc)
        return False
    MirrorEntry.objects.filter(pk=entry.pk).update(
        sent_generation=generation,
        attempts=0,
        last_error="",
        next_attempt_at=timezone.now(),
        sent_at=timezone.now(),
        sent_updated_at=note.updated_at if note is not None else None,
        sent_version=view.mobile.version if view is not None else None,
    )
    return True


def _put(view: NoteView) -> None:
    try:
        dynamodb_client().put_item(
            TableName=settings.NOTES_TABLE,
            Item=mirror_item(view),
            ConditionExpression=_CONDITION_NOT_OLDER,
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":version": {"N": str(view.mobile.version)}},
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise
        logger.info("mirror: note %s already newer in DynamoDB than version %s", view.mobile.uuid, view.mobile.version)


def _delete(legacy_note_id: int, view: NoteView | None, *, sent_version: int | None) -> None:
    """Remove the note's item. A note the site removed outright has no view: its noteId is the stored
    one, or (never written by Lambridge) the one derived from the site's id, mirrored at ``sent_version``."""
    if view is not None:
        note_uuid, version = view.mobile.uuid, view.mobile.version
    else:
        mobile = MobileNote.objects.filter(legacy_note_id=legacy_note_id).first()
        if mobile is not None:
            note_uuid, version = mobile.uuid, mobile.version
        elif sent_version is not None:
            note_uuid, version = site_note_uuid(legacy_note_id), sent_version
        else:
            return  # never mirrored
    try:
        dynamodb_client().delete_item(
            TableName=settings.NOTES_TABLE,
            Key={"noteId": {"S": str(note_uuid)}},
            ConditionExpression=_CONDITION_NOT_OLDER,
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":version": {"N": str(version)}},
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise


def _is_condition_failure(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _record_failure(entry: MirrorEntry, exc: Exception) -> None:
    attempts = entry.attempts + 1
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    MirrorEntry.objects.filter(pk=entry.pk).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    logger.warning(
        "mirror: sending note %s failed (attempt %s, %s); retry in %ss",
        entry.legacy_note_id,
        attempts,
        type(exc).__name__,
        int(delay),
    )
