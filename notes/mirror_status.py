"""How far behind the mirror is: the outbox backlog for /readyz, the admin's Mirror status page, the
drain's metrics; and the search index's lag as the stream handler last saw it.

Reads go through the `pending` index (MirrorEntry.pending, changed_at), so their cost follows the
backlog, not the number of notes ever mirrored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from notes.mirror import MirrorResult, mirror_send
from notes.models import MirrorEntry, MirrorState

logger = logging.getLogger(__name__)

SEARCH_PROGRESS_MARK = "search.last_batch"
ATTENTION_LIST_LIMIT = 200


@dataclass(frozen=True)
class MirrorBacklog:
    """The outbox right now: entries waiting to be sent, those whose last send failed, and how old
    the oldest change still waiting is."""

    pending: int
    failing: int
    oldest_pending_at: datetime | None
    now: datetime

    @property
    def oldest_age_seconds(self) -> int:
        if self.oldest_pending_at is None:
            return 0
        return max(0, int((self.now - self.oldest_pending_at).total_seconds()))


@dataclass(frozen=True)
class SearchIndexProgress:
    """The last stream batch the search index took: when, and how old its oldest record was then."""

    batch_at: datetime
    lag_seconds: float


def mirror_backlog() -> MirrorBacklog:
    """Counts and age of the pending outbox entries (one indexed query)."""
    found = MirrorEntry.objects.filter(pending=True).aggregate(
        pending=Count("id"), failing=Count("id", filter=Q(attempts__gt=0)), oldest=Min("changed_at")
    )
    return MirrorBacklog(
        pending=found["pending"], failing=found["failing"], oldest_pending_at=found["oldest"], now=timezone.now()
    )


def mirror_stuck(*, max_age_seconds: int) -> dict[str, int] | None:
    """None when every pending change is younger than `max_age_seconds`; else what is stuck:
    {"pending", "failing", "oldestAgeSeconds"} counting only the entries older than that."""
    cutoff = timezone.now() - timedelta(seconds=max_age_seconds)
    found = MirrorEntry.objects.filter(pending=True, changed_at__lt=cutoff).aggregate(
        pending=Count("id"), failing=Count("id", filter=Q(attempts__gt=0)), oldest=Min("changed_at")
    )
    if not found["pending"]:
        return None
    return {
        "pending": found["pending"],
        "failing": found["failing"],
        "oldestAgeSeconds": int((timezone.now() - found["oldest"]).total_seconds()),
    }


def mirror_failing_count() -> int:
    """How many pending entries failed their last send (the admin's banner)."""
    return MirrorEntry.objects.filter(pending=True, attempts__gt=0).count()


def mirror_entries_needing_attention(*, limit: int = ATTENTION_LIST_LIMIT) -> list[MirrorEntry]:
    """Pending entries, failing ones first, then the oldest: what the Mirror status page lists."""
    return list(MirrorEntry.objects.filter(pending=True).order_by("-attempts", "changed_at")[:limit])


def mirror_retry_now(*, note_ids: list[int] | None = None) -> MirrorResult:
    """Send these pending notes (or every pending one) now, whatever their backoff says."""
    if note_ids is None:
        return mirror_send(ignore_backoff=True)
    return mirror_send(note_ids=note_ids)


def search_index_progress_record(*, oldest_record_at: datetime) -> None:
    """Remember the stream batch just indexed and how far behind its oldest record was.

    Best effort: the index is already updated, and a database hiccup must not make Lambda retry
    the batch.
    """
    now = timezone.now()
    value = json.dumps({"at": now.isoformat(), "lagSeconds": round((now - oldest_record_at).total_seconds(), 1)})
    try:
        MirrorState.objects.update_or_create(name=SEARCH_PROGRESS_MARK, defaults={"value": value})
    except Exception as exc:  # a gauge for the admin: never a reason to fail the batch
        logger.warning("search index progress not recorded: %s", type(exc).__name__)


def search_index_progress() -> SearchIndexProgress | None:
    """What search_index_progress_record kept last, or None before the first stream batch."""
    value = MirrorState.objects.filter(name=SEARCH_PROGRESS_MARK).values_list("value", flat=True).first()
    if value is None:
        return None
    document = json.loads(value)
    return SearchIndexProgress(
        batch_at=datetime.fromisoformat(document["at"]), lag_seconds=float(document["lagSeconds"])
    )
