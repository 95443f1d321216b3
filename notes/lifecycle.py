"""A user's notes and photos in the account lifecycle (accounts/lifecycle.py): erased when the
account is deleted, exported for GET /api/v1/me/export.

The uploads room may not import accounts, so its eraser is registered from here with the notes'.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from legacy.models import LegacyNote
from notes.models import MobileNote
from notes.selectors import note_views, notes_with_owner_and_tags
from notes.services import notes_soft_delete_all_for_owner
from uploads.legacy_media import legacy_media_keys
from uploads.services import media_objects_delete, media_url

# Notes read per query while erasing or exporting: memory stays flat whatever the user holds.
BATCH_SIZE = 500
NOTES_ERASE_ORDER = 10
NOTE_PHOTOS_ERASE_ORDER = 20
UPLOADS_ERASE_ORDER = 30


def note_photos_delete_for_owner(*, owner_user_id: int) -> int:
    """Delete from the bucket every photo of the user's notes (app uploads, staff photos, copies of
    the site's old uploads), except one another user's note still shows; how many keys it asked for.

    The MobileNote rows keep their keys, so a repeat after a crash deletes the same keys again.
    """
    keys: set[str] = set()
    paths_of_keys: dict[str, str] = {}
    last_id = 0
    while True:
        rows = list(
            LegacyNote.objects.filter(user_id=owner_user_id, note_id__gt=last_id)
            .order_by("note_id")
            .values_list("note_id", "photo_path")[:BATCH_SIZE]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        note_ids = [note_id for note_id, _ in rows]
        keys.update(
            MobileNote.objects.filter(legacy_note_id__in=note_ids)
            .exclude(photo_key="")
            .values_list("photo_key", flat=True)
        )
        imported = legacy_media_keys(photo_paths=[path for _, path in rows if path])
        keys.update(imported.values())
        paths_of_keys.update({key: path for path, key in imported.items()})
    ordered = sorted(keys)
    shared: set[str] = set()
    for start in range(0, len(ordered), BATCH_SIZE):
        # Two queries, not a JOIN: the site's tables may live in another database.
        users_of = dict(
            MobileNote.objects.filter(photo_key__in=ordered[start : start + BATCH_SIZE]).values_list(
                "legacy_note_id", "photo_key"
            )
        )
        others = LegacyNote.objects.filter(pk__in=list(users_of)).exclude(user_id=owner_user_id)
        shared.update(users_of[note_id] for note_id in others.values_list("note_id", flat=True))
    # A copy of the site's old upload that another user's note still names in its photo_path.
    key_of_path = {path: key for key, path in paths_of_keys.items()}
    paths = list(key_of_path)
    for start in range(0, len(paths), BATCH_SIZE):
        still_named = (
            LegacyNote.objects.filter(photo_path__in=paths[start : start + BATCH_SIZE])
            .exclude(user_id=owner_user_id)
            .values_list("photo_path", flat=True)
        )
        shared.update(key_of_path[path] for path in still_named if path)
    return media_objects_delete(keys=[key for key in ordered if key not in shared])


def notes_export_for_owner(*, site_user_id: int) -> Iterator[dict[str, Any]]:
    """Every note of the user, deleted ones too (flagged), with tags, dates and photo URLs, read
    BATCH_SIZE at a time in note order so only one batch is in memory.

    Rows are read as tuples, not models (100k notes: building models would be most of the cost);
    only notes without an up-to-date MobileNote (never seen by the apps, or changed by the site)
    are loaded as models, to get their noteId and version the way every read does.
    """
    last_id = 0
    while True:
        rows = list(
            notes_with_owner_and_tags(LegacyNote.objects.filter(user_id=site_user_id, note_id__gt=last_id))
            .select_related(None)  # the owner is the caller: no JOIN
            .order_by("note_id")
            .values_list(*_EXPORT_COLUMNS)[:BATCH_SIZE]
        )
        if not rows:
            return
        last_id = rows[-1][0]
        mobiles = _export_mobiles(rows)
        for note_id, headline, body, visibility, created_at, updated_at, deleted, photo_path, tags in rows:
            note_uuid, version, photo_key = mobiles[note_id]
            yield {
                "noteId": str(note_uuid),
                "headline": headline,
                "text": body,
                "visibility": visibility,
                "tags": sorted(tags or [], key=str.casefold),
                "createdAt": _iso(created_at),
                "updatedAt": _iso(updated_at),
                "deleted": bool(deleted),
                "version": version,
                "photoKey": photo_key or None,
                "s3Url": media_url(key=photo_key, private=visibility == LegacyNote.Visibility.PRIVATE)
                if photo_key
                else None,
                "sitePhotoPath": photo_path,
            }


_EXPORT_COLUMNS = (
    "note_id",
    "headline",
    "body",
    "visibility",
    "created_at",
    "updated_at",
    "deleted",
    "photo_path",
    "tag_list",
)


def _export_mobiles(rows: list[tuple[Any, ...]]) -> dict[int, tuple[Any, int, str]]:
    """(noteId, version, photo key) of each exported row's note."""
    updated = {row[0]: row[5] for row in rows}
    known = {
        note_id: (note_uuid, version, photo_key, seen)
        for note_id, note_uuid, version, photo_key, seen in MobileNote.objects.filter(
            legacy_note_id__in=list(updated)
        ).values_list("legacy_note_id", "uuid", "version", "photo_key", "legacy_updated_at")
    }
    stale = [note_id for note_id in updated if note_id not in known or known[note_id][3] != updated[note_id]]
    mobiles = {note_id: values[:3] for note_id, values in known.items()}
    if stale:
        # Through the one reader every API read uses, so noteIds and versions match the apps'.
        views = note_views(list(LegacyNote.objects.filter(pk__in=stale)))
        mobiles.update(
            {view.note.note_id: (view.mobile.uuid, view.mobile.version, view.mobile.photo_key) for view in views}
        )
    return mobiles


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def notes_soft_delete_all_for_owner_step(*, site_user_id: int) -> int:
    """The account-deletion step (erasers take `site_user_id`): every note through the note line, so
    the mirror drops each from DynamoDB and search. Idempotent: a repeat finds none left."""
    return notes_soft_delete_all_for_owner(owner_user_id=site_user_id)


def note_photos_delete_step(*, site_user_id: int) -> int:
    """The account-deletion step (erasers take `site_user_id`)."""
    return note_photos_delete_for_owner(owner_user_id=site_user_id)
