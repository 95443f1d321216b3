"""The mobile side of notes (MobileNote): given to every note on first sight, versioned on change.

Both reads and writes go through here. A note the PHP site wrote gets its `noteId` the first time
Lambridge reads it, and a note the site changed since Lambridge last saw it (its `updated_at`
moved) counts as a new version, so `If-Match` also protects the site's edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import F
from django.db.models.functions import Now

from legacy.models import LegacyNote
from notes.models import MobileNote
from uploads.legacy_media import legacy_media_keys


def mobile_notes_ensure(notes: Sequence[LegacyNote], *, known: Sequence[MobileNote] = ()) -> dict[int, MobileNote]:
    """Each note's MobileNote by legacy note id, created or brought up to date as needed.

    One query when every note is known and unchanged (the usual case; none when the caller read
    them already, ``known``); writes only for notes the site wrote or changed. Safe when several
    requests do it at once.
    """
    if not notes:
        return {}
    by_id = {note.note_id: note for note in notes}
    mobiles = {mobile.legacy_note_id: mobile for mobile in known if mobile.legacy_note_id in by_id}
    unknown = [note_id for note_id in by_id if note_id not in mobiles]
    if unknown:
        mobiles |= {mobile.legacy_note_id: mobile for mobile in MobileNote.objects.filter(legacy_note_id__in=unknown)}
    missing = [note for note in notes if note.note_id not in mobiles]
    if missing:
        # A photo the site had, once import_legacy_media copied it to the bucket.
        legacy_keys = legacy_media_keys(photo_paths=[note.photo_path for note in missing if note.photo_path])
        MobileNote.objects.bulk_create(
            [
                MobileNote(
                    legacy_note_id=note.note_id,
                    legacy_updated_at=note.updated_at,
                    photo_key=legacy_keys.get(note.photo_path or "", ""),
                )
                for note in missing
            ],
            ignore_conflicts=True,  # another request may have created some of them meanwhile
        )
        for mobile in MobileNote.objects.filter(legacy_note_id__in=[note.note_id for note in missing]):
            mobiles[mobile.legacy_note_id] = mobile
    for note_id, mobile in mobiles.items():
        if mobile.legacy_updated_at != by_id[note_id].updated_at:
            _count_outside_change(mobile, by_id[note_id].updated_at)
    return mobiles


def _count_outside_change(mobile: MobileNote, updated_at: datetime | None) -> None:
    """One more version for a change made outside Lambridge; exactly once however many see it."""
    seen = mobile.legacy_updated_at
    bumped = MobileNote.objects.filter(pk=mobile.pk, legacy_updated_at=seen).update(
        version=F("version") + 1, legacy_updated_at=updated_at
    )
    if bumped:
        mobile.version += 1
        mobile.legacy_updated_at = updated_at
    else:
        mobile.refresh_from_db(fields=["version", "legacy_updated_at"])


def mobile_note_change_record(*, mobile: MobileNote, note_id: int, touch: bool) -> MobileNote:
    """After Lambridge changed note ``note_id``: the next version, matched to the row's `updated_at`.

    ``touch`` moves `updated_at` for a change the site's columns do not show (tags, photo), so
    sync and the mirror, which go by `updated_at`, see it too. Call it with ``mobile`` as read
    before the change (mobile_notes_ensure), under the note's lock.
    """
    if touch:
        LegacyNote.objects.filter(pk=note_id).update(updated_at=Now())
    updated_at = LegacyNote.objects.filter(pk=note_id).values_list("updated_at", flat=True).first()
    counted = MobileNote.objects.filter(pk=mobile.pk, legacy_updated_at=mobile.legacy_updated_at).update(
        version=F("version") + 1, legacy_updated_at=updated_at
    )
    if not counted:
        # A reader saw the new `updated_at` first and already counted this change.
        MobileNote.objects.filter(pk=mobile.pk).update(legacy_updated_at=updated_at)
    mobile.refresh_from_db(fields=["version", "legacy_updated_at"])
    return mobile


def mobile_notes_attach_legacy_photos(*, batch_size: int = 1000) -> int:
    """Give notes whose site photo was copied to the bucket (import_legacy_media) that photo.

    Only notes without a photo of their own; the site's `photo_path` is left as it is. Each note
    that gains a photo is a new version. Returns how many did.
    """
    attached = 0
    notes = LegacyNote.objects.exclude(photo_path__isnull=True).exclude(photo_path="").order_by("note_id")
    last_id = 0
    while batch := list(notes.filter(note_id__gt=last_id)[:batch_size]):
        last_id = batch[-1].note_id
        keys = legacy_media_keys(photo_paths=[note.photo_path for note in batch if note.photo_path])
        mobiles = mobile_notes_ensure(batch)
        for note in batch:
            key = keys.get(note.photo_path or "")
            mobile = mobiles[note.note_id]
            if key and not mobile.photo_key:
                attached += MobileNote.objects.filter(pk=mobile.pk, photo_key="").update(
                    photo_key=key, version=F("version") + 1
                )
    return attached
