"""The mirror of notes in DynamoDB (SPEC §5): the outbox, the sender, the drain and the reconciler.

A change to a note only records, in the same database, that the note must be sent (an outbox row,
MirrorEntry); after the commit the sender writes the note's state as MySQL has it then. A send
that fails leaves the row pending, with the error and a later time to retry (exponential
backoff); `manage.py mirror_drain`, run on a schedule, sends what is due. Writes are conditional
on `version`, so an older state never overwrites a newer one. The PHP site writes `notes` without
Lambridge, and `notes` is MyISAM (a crash between the note and its outbox row loses the row):
`manage.py mirror_reconcile` finds notes whose `updated_at` differs from what was last sent.

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
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from aws.clients import dynamodb_client
from aws.metrics import COUNT, metrics_emit
from legacy.models import LegacyNote
from notes.locks import LockTimeout, named_lock
from notes.models import MirrorEntry, MirrorState, MobileNote
from notes.selectors import NoteView, database_now, note_views, notes_with_owner_and_tags
from uploads.services import media_stable_url

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
# After a failed send right after a write, leave sending to the drain for a while: an AWS outage
# must not slow every API write down by a connection timeout.
INLINE_PAUSE_SECONDS = 30
# The reconciler looks this far back before its last run: `updated_at` has whole seconds, and
# a write may land in a second it has already read.
RECONCILE_OVERLAP_SECONDS = 120
RECONCILE_BATCH_SIZE = 1000
LAST_ERROR_MAX_LENGTH = 1000
RECONCILE_MARK = "reconcile.high_water"

_CONDITION_NOT_OLDER = "attribute_not_exists(noteId) OR #version <= :version"

_inline_paused_until = 0.0


@dataclass
class MirrorResult:
    sent: int = 0
    failed: int = 0
    busy: int = 0  # another process was sending the same note


# --- Recording changes ----------------------------------------------------------------------


def mirror_note_changed(*, note_id: int, send: bool = True) -> None:
    """Record that note ``note_id`` must be sent again; send it once the transaction commits.

    One outbox write in the same database as the change. Inside a transaction, repeated calls for
    one note send it once, after the commit. ``send=False`` leaves sending to the drain.
    """
    now = timezone.now()
    if not MirrorEntry.objects.filter(legacy_note_id=note_id).update(generation=F("generation") + 1, changed_at=now):
        try:
            with transaction.atomic():
                MirrorEntry.objects.create(legacy_note_id=note_id, changed_at=now, next_attempt_at=now)
        except IntegrityError:  # created by a concurrent change
            MirrorEntry.objects.filter(legacy_note_id=note_id).update(generation=F("generation") + 1, changed_at=now)
    if not (send and settings.MIRROR_SEND_ON_COMMIT):
        return
    # Django keeps the transaction's pending callbacks (and drops them on rollback): one per note.
    pending = (entry[1] for entry in connection.run_on_commit)  # (savepoint ids, callback, robust)
    if not any(
        isinstance(callback, _SendAfterCommit) and callback.note_id == note_id and not callback.ran
        for callback in pending
    ):
        transaction.on_commit(_SendAfterCommit(note_id))


@dataclass
class _SendAfterCommit:
    """The send right after a write: best effort, never failing the request that wrote."""

    note_id: int
    ran: bool = False  # a callback that already ran (tests can run them early) covers no later change

    def __call__(self) -> None:
        global _inline_paused_until
        self.ran = True
        if time.monotonic() < _inline_paused_until:
            return
        try:
            result = mirror_send(note_ids=[self.note_id])
        except Exception:
            logger.exception("mirror: sending note %s after commit failed; the drain will retry", self.note_id)
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
    note = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=legacy_note_id)).first()
    view = note_views([note])[0] if note is not None else None
    try:
        if view is not None and not view.note.deleted:
            _put(view)
        else:
            _delete(legacy_note_id, view)
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


def _delete(legacy_note_id: int, view: NoteView | None) -> None:
    mobile = view.mobile if view is not None else MobileNote.objects.filter(legacy_note_id=legacy_note_id).first()
    if mobile is None:
        return  # never had a noteId, so never mirrored
    try:
        dynamodb_client().delete_item(
            TableName=settings.NOTES_TABLE,
            Key={"noteId": {"S": str(mobile.uuid)}},
            ConditionExpression=_CONDITION_NOT_OLDER,
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":version": {"N": str(mobile.version)}},
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


# --- Reconciling the site's own writes ------------------------------------------------------


def mirror_reconcile(*, overlap_seconds: int = RECONCILE_OVERLAP_SECONDS) -> int:
    """Queue notes changed outside Lambridge since the last run; returns how many were queued.

    A note is queued when it has no outbox row, or its `updated_at` differs from the one last
    sent (and it is not already pending). The first run looks at every note.
    """
    started = database_now()
    mark = MirrorState.objects.filter(name=RECONCILE_MARK).values_list("value", flat=True).first()
    since = datetime.fromisoformat(mark) - timedelta(seconds=overlap_seconds) if mark else None
    queued = 0
    last: tuple[datetime, int] | None = None
    while True:
        notes = LegacyNote.objects.order_by("updated_at", "note_id")
        if since is not None:
            notes = notes.filter(updated_at__gte=since)
        if last is not None:
            notes = notes.filter(updated_at__gte=last[0]).exclude(updated_at=last[0], note_id__lte=last[1])
        batch = list(notes.values_list("note_id", "updated_at")[:RECONCILE_BATCH_SIZE])
        if not batch:
            break
        last = (batch[-1][1], batch[-1][0])
        entries = {
            entry.legacy_note_id: entry
            for entry in MirrorEntry.objects.filter(legacy_note_id__in=[n for n, _ in batch])
        }
        for note_id, updated_at in batch:
            entry = entries.get(note_id)
            if entry is not None and (entry.generation > entry.sent_generation or entry.sent_updated_at == updated_at):
                continue
            mirror_note_changed(note_id=note_id, send=False)
            queued += 1
    MirrorState.objects.update_or_create(name=RECONCILE_MARK, defaults={"value": started.isoformat()})
    return queued
