"""Reads of notes for the API and the event handlers: who may see what, lists, detail and sync.

Reads never write (a GET issues no INSERT or UPDATE): a note's noteId and version are derived
where no write stored them (notes/mobile.py). Every read takes a constant number of queries
whatever the page size: the note rows with their owner (one JOIN) and their tags (one
JSON_ARRAYAGG subquery), then their MobileNote rows (a list joins those to its notes when the
site's tables share Lambridge's database).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Aggregate, Exists, JSONField, OuterRef, Q, QuerySet, Subquery

from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from notes.cursors import SyncPosition
from notes.mobile import mobile_notes_derive, note_ids_for_uuids
from notes.models import MobileNote
from notes.note_ids import site_note_uuid
from notes.note_index import captured_up_to, index_changes, index_note_ids


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


def note_views(
    notes: list[LegacyNote], *, known: Sequence[MobileNote] = (), known_is_complete: bool = False
) -> list[NoteView]:
    """The API's view of notes read with notes_with_owner_and_tags, in the same order; no writes."""
    mobiles = mobile_notes_derive(notes, known=known, known_is_complete=known_is_complete)
    return [
        NoteView(
            note=note,
            mobile=mobiles[note.note_id],
            tags=sorted(getattr(note, "tag_list", None) or [], key=str.casefold),
        )
        for note in notes
    ]


def note_view_by_id(legacy_note_id: int) -> NoteView | None:
    """The note with this site id as the API shows it, whatever its state (deleted ones too); None
    when the site has no such row. For the write line and the mirror, which read a note back by id:
    one query where the MobileNote row can be joined, else two."""
    queryset = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=legacy_note_id))
    if not _mobile_rows_joinable():
        note = queryset.first()
        return note_views([note])[0] if note is not None else None
    note = queryset.select_related("mobile").first()
    if note is None:
        return None
    mobile = getattr(note, "mobile", None)
    return note_views([note], known=[mobile] if mobile is not None else [], known_is_complete=True)[0]


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
    public = filters.scope == "public"
    page = index_note_ids(
        owner_id=None if public else user_id,
        public=public,
        tag=filters.tag,
        visibility=filters.visibility,
        updated_since=filters.updated_since,
        before_note_id=before_note_id,
        limit=limit,
    )
    if public:
        queryset = notes_visible_to(user_id=user_id).filter(visibility=LegacyNote.Visibility.PUBLIC)
    else:
        queryset = LegacyNote.objects.filter(user_id=user_id, deleted=False)
    # The index's candidates and the site's notes newer than it knows, read by primary key; every
    # filter is applied again to the rows themselves, which are the truth.
    queryset = queryset.filter(Q(pk__in=page.note_ids) | Q(pk__gt=page.indexed_up_to))
    if filters.tag:
        queryset = queryset.filter(Exists(LegacyNoteTag.objects.filter(note_id=OuterRef("note_id"), tag=filters.tag)))
    if filters.visibility:
        queryset = queryset.filter(visibility=filters.visibility)
    if filters.updated_since is not None:
        queryset = queryset.filter(updated_at__gte=filters.updated_since)
    if before_note_id is not None:
        queryset = queryset.filter(note_id__lt=before_note_id)
    queryset = notes_with_owner_and_tags(queryset).order_by("-note_id")
    if not _mobile_rows_joinable():
        return note_views(list(queryset[:limit]))
    notes = list(queryset.select_related("mobile")[:limit])
    rows = [mobile for note in notes if (mobile := getattr(note, "mobile", None)) is not None]
    return note_views(notes, known=rows, known_is_complete=True)


def _mobile_rows_joinable() -> bool:
    """Whether a page's MobileNote rows can come with its notes (a LEFT JOIN) instead of a query of
    their own: only when the site's tables share Lambridge's database. One round trip less on every
    list request (make bench's warm-latency and load rows)."""
    return bool(settings.LEGACY_DATABASE_ALIAS == "default")


def note_get_visible(*, user_id: int, note_uuid: uuid.UUID) -> NoteView | None:
    """The note with this noteId if ``user_id`` may read it, else None (whether or not it exists)."""
    legacy_ids, rows = note_ids_for_uuids([note_uuid])
    if note_uuid not in legacy_ids:
        return None
    note = notes_with_owner_and_tags(notes_visible_to(user_id=user_id).filter(pk=legacy_ids[note_uuid])).first()
    if note is None:
        return None
    return note_views([note], known=rows, known_is_complete=True)[0]


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


def note_changes(*, user_id: int, since: SyncPosition, limit: int) -> ChangesPage:
    """The user's notes changed after ``since``, in change order; deleted ones as bare ids.

    Changes come from the note index's change numbers (notes/note_index.py), which every recorded
    change gives out in commit order: a position never passes a change that is not visible yet. A
    note the index still lists as the user's but `notes` shows deleted or moved is reported deleted
    (the site's tables are the truth). The site's notes newer than the index knows come with the
    last page, and again, numbered, once captured.
    """
    entries = index_changes(owner_id=user_id, after_seq=since.seq, limit=limit + 1)
    has_more = len(entries) > limit
    entries = entries[:limit]
    live_ids = [entry.note_id for entry in entries if entry.live]
    notes = list(notes_with_owner_and_tags(LegacyNote.objects.filter(pk__in=live_ids, user_id=user_id, deleted=False)))
    order = {entry.note_id: position for position, entry in enumerate(entries)}
    notes.sort(key=lambda note: order[note.note_id])
    shown = {note.note_id for note in notes}
    gone = [entry.note_id for entry in entries if entry.note_id not in shown]
    tail_after = since.tail_after
    if not has_more:
        # The site's notes newer than the capture has seen, by id, a page at a time.
        tail_query = LegacyNote.objects.filter(user_id=user_id, deleted=False, pk__gt=max(captured_up_to(), tail_after))
        tail = list(notes_with_owner_and_tags(tail_query).order_by("note_id")[: limit + 1])
        has_more = len(tail) > limit
        tail = tail[:limit]
        if tail:
            tail_after = tail[-1].note_id
        notes += [note for note in tail if note.note_id not in shown]
    stored = dict(MobileNote.objects.filter(legacy_note_id__in=gone).values_list("legacy_note_id", "uuid"))
    deleted = [stored.get(note_id) or site_note_uuid(note_id) for note_id in gone]
    position = SyncPosition(seq=entries[-1].change_seq if entries else since.seq, tail_after=tail_after)
    return ChangesPage(changed=note_views(notes), deleted=deleted, next_position=position, has_more=has_more)


# --- Search results -------------------------------------------------------------------------


def notes_visible_by_uuids(*, user_id: int, note_uuids: Sequence[uuid.UUID]) -> list[NoteView]:
    """The notes with these noteIds that ``user_id`` may read now, in the order given.

    For search hits: the index may be behind MySQL, so a hit that was deleted or made private since
    is dropped here. Two queries whatever the number of ids (MobileNote rows, then the notes with
    owner and tags).
    """
    legacy_ids, rows = note_ids_for_uuids(note_uuids)
    if not legacy_ids:
        return []
    visible = notes_visible_to(user_id=user_id).filter(pk__in=set(legacy_ids.values()))
    notes = list(notes_with_owner_and_tags(visible))
    by_uuid = {view.mobile.uuid: view for view in note_views(notes, known=rows, known_is_complete=True)}
    ranked = dict.fromkeys(note_uuids)  # a repeated id is shown once, at its best rank
    return [by_uuid[note_uuid] for note_uuid in ranked if note_uuid in by_uuid]
