"""The mobile side of notes (MobileNote: noteId, version, photo), derived on read, stored on write.

Reads never write. A note with a MobileNote row shows the row's noteId and photo; one without (the
PHP site wrote it, Lambridge never has) shows a derived noteId (notes/note_ids.py) and the photo
import_legacy_media copied for it. Its version is determined by the site's `updated_at`:

- no row: 1 + the seconds from `created_at` to `updated_at` (1 for a note never edited);
- a row whose `updated_at` is the one it recorded: the row's version;
- a row the site changed since: the row's version + the seconds `updated_at` moved (at least 1).

So a version is the same on every read, and moves whenever the site's `updated_at` does; a write
through the services stores one more than the version it read (mobile_note_for_write and
mobile_note_version_record, called only by notes/services.py under the note's lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db.models import Q
from django.db.models.functions import Now

from legacy.models import LegacyNote
from notes.models import MobileNote
from notes.note_ids import site_note_id, site_note_uuid
from uploads.legacy_media import legacy_media_keys

# A zero `created_at` (the site's oldest notes) counts from here.
_VERSION_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _seconds_between(earlier: datetime | None, later: datetime | None) -> int:
    if earlier is None or later is None:
        return 0
    return max(0, int((later - earlier).total_seconds()))


def _version_without_row(note: LegacyNote) -> int:
    return 1 + _seconds_between(note.created_at or _VERSION_EPOCH, note.updated_at)


def _version_of_row(mobile: MobileNote, note: LegacyNote) -> int:
    if mobile.legacy_updated_at == note.updated_at:
        return mobile.version
    return mobile.version + max(1, _seconds_between(mobile.legacy_updated_at, note.updated_at))


def mobile_notes_derive(
    notes: Sequence[LegacyNote], *, known: Sequence[MobileNote] = (), known_is_complete: bool = False
) -> dict[int, MobileNote]:
    """Each note's mobile side by legacy note id, as the API shows it; never writes.

    The MobileNote rows are read in one query (none when ``known`` holds them all, or holds every
    row these notes have: ``known_is_complete``), plus one for the copied site photos of notes
    without a row that have a site photo. A note without a row gets an unsaved MobileNote.
    The instances are views: their `version` is the derived one, not necessarily the stored one.
    """
    if not notes:
        return {}
    by_id = {note.note_id: note for note in notes}
    rows = {mobile.legacy_note_id: mobile for mobile in known if mobile.legacy_note_id in by_id}
    unknown = [note_id for note_id in by_id if note_id not in rows]
    if unknown and not known_is_complete:
        rows |= {mobile.legacy_note_id: mobile for mobile in MobileNote.objects.filter(legacy_note_id__in=unknown)}
    without_row = [note for note in notes if note.note_id not in rows]
    legacy_keys = legacy_media_keys(photo_paths=[note.photo_path for note in without_row if note.photo_path])
    derived: dict[int, MobileNote] = {}
    for note_id, note in by_id.items():
        row = rows.get(note_id)
        if row is None:
            derived[note_id] = _unsaved_mobile(note, photo_key=legacy_keys.get(note.photo_path or "", ""))
            continue
        version = _version_of_row(row, note)
        if version != row.version:
            row = MobileNote(
                **{field.attname: getattr(row, field.attname) for field in MobileNote._meta.concrete_fields}
            )
            row.version = version
        derived[note_id] = row
    return derived


def _unsaved_mobile(note: LegacyNote, *, photo_key: str) -> MobileNote:
    return MobileNote(
        uuid=site_note_uuid(note.note_id),
        legacy_note_id=note.note_id,
        version=_version_without_row(note),
        legacy_updated_at=note.updated_at,
        photo_key=photo_key,
    )


def note_ids_for_uuids(note_uuids: Iterable[uuid.UUID]) -> tuple[dict[uuid.UUID, int], list[MobileNote]]:
    """The legacy note id behind each noteId that names a note, and the MobileNote rows read on the
    way (pass them to mobile_notes_derive as ``known``). One query.

    A noteId is a row's, or a derived one whose note has no row: a note with a row is known only by
    the row's noteId.
    """
    wanted = set(note_uuids)
    if not wanted:
        return {}, []
    derived = {note_uuid: site_note_id(note_uuid) for note_uuid in wanted}
    derived_ids = {note_uuid: note_id for note_uuid, note_id in derived.items() if note_id is not None}
    rows = list(
        MobileNote.objects.filter(
            Q(uuid__in=wanted, legacy_note__isnull=False) | Q(legacy_note_id__in=set(derived_ids.values()))
        )
    )
    found = {row.uuid: row.legacy_note_id for row in rows if row.uuid in wanted and row.legacy_note_id is not None}
    with_row = {row.legacy_note_id for row in rows}
    for note_uuid, note_id in derived_ids.items():
        if note_uuid not in found and note_id not in with_row:
            found[note_uuid] = note_id
    return found, [row for row in rows if row.legacy_note_id is not None]


# --- For notes/services.py only, under the note's lock and inside its transaction ----------


def mobile_note_for_write(note: LegacyNote) -> MobileNote:
    """The note's MobileNote row as it is now (created, with the noteId and version the note shows
    without one, when it has none), its `version` set to the one the API shows before this write."""
    row = MobileNote.objects.filter(legacy_note_id=note.note_id).first()
    if row is None:
        shown = mobile_notes_derive([note])[note.note_id]
        row = MobileNote.objects.create(
            uuid=shown.uuid,
            legacy_note_id=note.note_id,
            version=shown.version,
            legacy_updated_at=note.updated_at,
            photo_key=shown.photo_key,
        )
        return row
    row.version = _version_of_row(row, note)
    return row


def mobile_note_version_record(*, mobile: MobileNote, note_id: int, touch: bool, photo_key: str | None = None) -> None:
    """After Lambridge changed note ``note_id``: one version more than ``mobile`` (from
    mobile_note_for_write), matched to the row's new `updated_at`, with the new photo if given.

    ``touch`` moves `updated_at` for a change the site's columns do not show (tags, photo), so
    sync and the mirror, which go by `updated_at`, see it too.
    """
    if touch:
        LegacyNote.objects.filter(pk=note_id).update(updated_at=Now())
    updated_at = LegacyNote.objects.filter(pk=note_id).values_list("updated_at", flat=True).first()
    mobile.version += 1
    mobile.legacy_updated_at = updated_at
    fields: dict[str, object] = {"version": mobile.version, "legacy_updated_at": updated_at}
    if photo_key is not None:
        mobile.photo_key = photo_key
        fields["photo_key"] = photo_key
    MobileNote.objects.filter(pk=mobile.pk).update(**fields)
