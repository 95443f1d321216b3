"""Reads of notes for the API and the event handlers: who may see what, lists, detail and sync.

Every read takes a constant number of queries whatever the page size: the note rows with their
owner (one JOIN) and their tags (one JSON_ARRAYAGG subquery), then their MobileNote rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, JSONField, OuterRef, Q, QuerySet, Subquery

from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from notes.cursors import SyncPosition
from notes.mobile import mobile_notes_ensure
from notes.models import MobileNote

# How far behind "now" a sync cursor stays: rows written in these last seconds may still gain
# neighbours with the same `updated_at` (whole seconds), so they are sent again next time rather
# than risk skipping one. Clients apply changes by noteId and version, so a repeat is harmless.
SYNC_OVERLAP_SECONDS = 2


class JSONArrayAgg(Aggregate):
    """`JSON_ARRAYAGG(expr)` (MySQL 5.7.22+, MariaDB 10.5+); `json_group_array` on SQLite."""

    function = "JSON_ARRAYAGG"
    output_field = JSONField()

    def as_mysql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # MariaDB hands JSON_ARRAYAGG's text back in the column's charset (latin1) without
        # converting it for the utf8mb4 connection: "°" would arrive as an undecodable byte.
        return super().as_sql(
            compiler, connection, template="%(function)s(CONVERT(%(expressions)s USING utf8mb4))", **extra_context
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


@dataclass(frozen=True)
class NoteView:
    """A note as the API shows it: the site's row (with its owner), its tags and its mobile side."""

    note: LegacyNote
    mobile: MobileNote
    tags: list[str]

    @property
    def owner(self) -> LegacyUser | None:
        # The site never enforced the reference: the owner's row may be gone.
        return self.note.user  # type: ignore[return-value]

    @property
    def is_private(self) -> bool:
        return self.note.visibility == LegacyNote.Visibility.PRIVATE


def notes_with_owner_and_tags(queryset: QuerySet[LegacyNote]) -> QuerySet[LegacyNote]:
    tags = (
        LegacyNoteTag.objects.filter(note_id=OuterRef("note_id"))
        .order_by()
        .values("note_id")
        .annotate(tags=JSONArrayAgg("tag"))
        .values("tags")
    )
    return queryset.select_related("user").annotate(tag_list=Subquery(tags, output_field=JSONField()))


def note_views(notes: list[LegacyNote], *, known: Sequence[MobileNote] = ()) -> list[NoteView]:
    """The API's view of notes read with notes_with_owner_and_tags, in the same order."""
    mobiles = mobile_notes_ensure(notes, known=known)
    return [
        NoteView(
            note=note,
            mobile=mobiles[note.note_id],
            tags=sorted(getattr(note, "tag_list", None) or [], key=str.casefold),
        )
        for note in notes
    ]


def notes_visible_to(*, user_id: int) -> QuerySet[LegacyNote]:
    """Notes a user may read: their own, and public notes of active members; never deleted ones."""
    own = Q(user_id=user_id)
    public = Q(visibility=LegacyNote.Visibility.PUBLIC, user__status=LegacyUser.Status.ACTIVE)
    return LegacyNote.objects.filter(own | public, deleted=False)


@dataclass(frozen=True)
class NoteListFilters:
    scope: str = "own"  # "own" or "public"
    tag: str | None = None
    visibility: str | None = None
    updated_since: datetime | None = None


NOTE_LIST_SCOPES = ("own", "public")


def note_list(*, user_id: int, filters: NoteListFilters, before_note_id: int | None, limit: int) -> list[NoteView]:
    """A page of notes, newest first (by creation), starting after ``before_note_id``.

    Scope "own": the user's notes, private and public; "public": everyone's public notes.
    """
    if filters.scope == "public":
        queryset = notes_visible_to(user_id=user_id).filter(visibility=LegacyNote.Visibility.PUBLIC)
    else:
        queryset = LegacyNote.objects.filter(user_id=user_id, deleted=False)
    if filters.tag:
        queryset = queryset.filter(note_id__in=LegacyNoteTag.objects.filter(tag=filters.tag).values("note_id"))
    if filters.visibility:
        queryset = queryset.filter(visibility=filters.visibility)
    if filters.updated_since is not None:
        queryset = queryset.filter(updated_at__gte=filters.updated_since)
    if before_note_id is not None:
        queryset = queryset.filter(note_id__lt=before_note_id)
    notes = list(notes_with_owner_and_tags(queryset).order_by("-note_id")[:limit])
    return note_views(notes)


def note_get_visible(*, user_id: int, note_uuid: uuid.UUID) -> NoteView | None:
    """The note with this noteId if ``user_id`` may read it, else None (whether or not it exists)."""
    mobile = MobileNote.objects.filter(uuid=note_uuid, legacy_note__isnull=False).first()
    if mobile is None:
        return None
    note = notes_with_owner_and_tags(notes_visible_to(user_id=user_id).filter(pk=mobile.legacy_note_id)).first()
    if note is None:
        return None
    return note_views([note], known=[mobile])[0]


def note_get_owned(*, user_id: int, note_uuid: uuid.UUID) -> NoteView | None:
    """The note with this noteId if ``user_id`` owns it and it is not deleted, else None."""
    view = note_get_visible(user_id=user_id, note_uuid=note_uuid)
    if view is None or view.note.user_id != user_id:
        return None
    return view


# --- Offline sync ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangesPage:
    changed: list[NoteView]
    deleted: list[uuid.UUID]
    next_position: SyncPosition
    has_more: bool


def database_now() -> datetime:
    """The legacy database's clock (UTC), which is what sets `updated_at`."""
    connection = connections[settings.LEGACY_DATABASE_ALIAS]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SELECT UTC_TIMESTAMP()")
            (now,) = cursor.fetchone()
        else:
            cursor.execute("SELECT datetime('now')")
            now = datetime.fromisoformat(cursor.fetchone()[0])
    return now.replace(tzinfo=UTC)


def note_changes(*, user_id: int, since: SyncPosition, limit: int) -> ChangesPage:
    """The user's notes changed after ``since`` (oldest change first), deleted ones as bare ids.

    Changes come from `updated_at`, which moves on every write by the app, the admin or the PHP
    site. The next position never passes rows written in the last SYNC_OVERLAP_SECONDS of the
    run, so a write landing in an already-read second is still sent later.
    """
    started = since.started or database_now()
    after = Q(updated_at__gt=since.updated_at) | Q(updated_at=since.updated_at, note_id__gt=since.note_id)
    queryset = LegacyNote.objects.filter(after, user_id=user_id).order_by("updated_at", "note_id")
    rows = list(notes_with_owner_and_tags(queryset)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    views = note_views(rows)
    if rows:
        last = rows[-1]
        position = SyncPosition(updated_at=last.updated_at, note_id=last.note_id, started=started)
    else:
        position = SyncPosition(updated_at=since.updated_at, note_id=since.note_id, started=started)
    if not has_more:
        position = _settled(position, started)
    return ChangesPage(
        changed=[view for view in views if not view.note.deleted],
        deleted=[view.mobile.uuid for view in views if view.note.deleted],
        next_position=position,
        has_more=has_more,
    )


def _settled(position: SyncPosition, started: datetime) -> SyncPosition:
    """The end of a run: no later than the last second every write of which was surely visible."""
    settled_until = started - timedelta(seconds=SYNC_OVERLAP_SECONDS)
    if position.updated_at < settled_until:
        return SyncPosition(updated_at=position.updated_at, note_id=position.note_id)
    return SyncPosition(updated_at=settled_until, note_id=MAX_NOTE_ID)


MAX_NOTE_ID = 2**32 - 1  # notes.note_id is INT UNSIGNED


# --- Search results -------------------------------------------------------------------------


def notes_visible_by_uuids(*, user_id: int, note_uuids: Sequence[uuid.UUID]) -> list[NoteView]:
    """The notes with these noteIds that ``user_id`` may read now, in the order given.

    For search hits: the index may be behind MySQL, so a hit that was deleted or made private since
    is dropped here. Two queries whatever the number of ids (MobileNote rows, then the notes with
    owner and tags).
    """
    if not note_uuids:
        return []
    mobiles = list(MobileNote.objects.filter(uuid__in=set(note_uuids), legacy_note__isnull=False))
    if not mobiles:
        return []
    visible = notes_visible_to(user_id=user_id).filter(pk__in=[mobile.legacy_note_id for mobile in mobiles])
    notes = list(notes_with_owner_and_tags(visible))
    by_uuid = {view.mobile.uuid: view for view in note_views(notes, known=mobiles)}
    ranked = dict.fromkeys(note_uuids)  # a repeated id is shown once, at its best rank
    return [by_uuid[note_uuid] for note_uuid in ranked if note_uuid in by_uuid]
