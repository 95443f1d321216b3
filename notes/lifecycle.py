"""A user's notes and photos in the account lifecycle (accounts/lifecycle.py): erased when the
account is deleted, exported for GET /api/v1/me/export.

The uploads room may not import accounts, so its eraser is registered from here with the notes'.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from legacy.models import LegacyNote
from notes.mobile import mobile_notes_ensure
from notes.models import MobileNote
from notes.selectors import note_views, notes_with_owner_and_tags
from notes.services import note_soft_delete
from uploads.legacy_media import legacy_media_keys
from uploads.services import media_objects_delete, media_url

# Notes read per query while erasing or exporting: memory stays flat whatever the user holds.
BATCH_SIZE = 500
NOTES_ERASE_ORDER = 10
NOTE_PHOTOS_ERASE_ORDER = 20
UPLOADS_ERASE_ORDER = 30


def notes_soft_delete_all_for_owner(*, owner_user_id: int) -> int:
    """Soft-delete every live note of a user through the note service (so the mirror drops each
    one from DynamoDB and search); how many it deleted. Idempotent: a repeat finds none left.

    Interim: one service call per note, until the write path's batched version replaces it.
    """
    deleted = 0
    while True:
        batch = list(
            notes_with_owner_and_tags(LegacyNote.objects.filter(user_id=owner_user_id, deleted=False)).order_by(
                "note_id"
            )[:BATCH_SIZE]
        )
        if not batch:
            return deleted
        for view in note_views(batch):
            note_soft_delete(view=view)
            deleted += 1


def note_photos_delete_for_owner(*, owner_user_id: int) -> int:
    """Delete from the bucket every photo of the user's notes (app uploads, staff photos, copies of
    the site's old uploads), except one another user's note still shows; how many keys it asked for.

    The MobileNote rows keep their keys, so a repeat after a crash deletes the same keys again.
    """
    keys: set[str] = set()
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
        keys.update(legacy_media_keys(photo_paths=[path for _, path in rows if path]).values())
    shared = set(
        MobileNote.objects.filter(photo_key__in=keys)
        .exclude(legacy_note__user_id=owner_user_id)
        .values_list("photo_key", flat=True)
    )
    return media_objects_delete(keys=sorted(keys - shared))


def notes_export_for_owner(*, site_user_id: int) -> Iterator[dict[str, Any]]:
    """Every note of the user, deleted ones too (flagged), with tags, dates and photo URLs, read
    BATCH_SIZE at a time in note order so only one batch is in memory."""
    last_id = 0
    while True:
        batch = list(
            notes_with_owner_and_tags(LegacyNote.objects.filter(user_id=site_user_id, note_id__gt=last_id))
            .select_related(None)  # the owner is the caller: no JOIN
            .order_by("note_id")[:BATCH_SIZE]
        )
        if not batch:
            return
        last_id = batch[-1].note_id
        mobiles = mobile_notes_ensure(batch)
        for note in batch:
            mobile = mobiles[note.note_id]
            private = note.visibility == LegacyNote.Visibility.PRIVATE
            yield {
                "noteId": str(mobile.uuid),
                "headline": note.headline,
                "text": note.body,
                "visibility": note.visibility,
                "tags": sorted(getattr(note, "tag_list", None) or [], key=str.casefold),
                "createdAt": _iso(note.created_at),
                "updatedAt": _iso(note.updated_at),
                "deleted": bool(note.deleted),
                "version": mobile.version,
                "photoKey": mobile.photo_key or None,
                "s3Url": media_url(key=mobile.photo_key, private=private) if mobile.photo_key else None,
                "sitePhotoPath": note.photo_path,
            }


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def notes_soft_delete_all_for_owner_step(*, site_user_id: int) -> int:
    """The account-deletion step (erasers take `site_user_id`)."""
    return notes_soft_delete_all_for_owner(owner_user_id=site_user_id)


def note_photos_delete_step(*, site_user_id: int) -> int:
    """The account-deletion step (erasers take `site_user_id`)."""
    return note_photos_delete_for_owner(owner_user_id=site_user_id)
