"""Writes to notes, shared by the API, the admin and the event handlers.

A note is written where the PHP site keeps it (`notes`, `note_tags`), so the site shows every
change; its MobileNote (noteId, version, photo) is kept in step by notes/mobile.py. Writes to one
note are serialized by a MySQL named lock, since `notes` is MyISAM and has no transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from legacy.validators import validate_latin1
from notes.locks import named_lock
from notes.mirror import mirror_note_changed
from notes.mobile import mobile_note_change_record, mobile_notes_ensure
from notes.models import MobileNote
from notes.selectors import NoteView, note_views, notes_with_owner_and_tags
from uploads.services import staff_photo_store

TAG_MAX_LENGTH = LegacyNoteTag._meta.get_field("tag").max_length or 64


class _Unset:
    """Marks an argument the caller did not give (None is a value: "no photo")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class NoteIdTaken(Exception):
    """The noteId already belongs to another user's note, or to a deleted note."""


class NoteVersionMismatch(Exception):
    """If-Match named a version that is no longer the note's current one."""

    def __init__(self, current: NoteView) -> None:
        super().__init__(f"The note is at version {current.mobile.version}.")
        self.current = current


def tags_parse(text: str) -> list[str]:
    """Tags from comma-separated text (the admin's field): see tags_clean."""
    return tags_clean(text.split(","))


def tags_clean(tags: Iterable[str]) -> list[str]:
    """Tags trimmed, blanks dropped, duplicates (any case) once; each must fit the site's column.

    The site's collation ignores case, so "Travel" and "travel" are the same tag there.
    """
    cleaned: dict[str, str] = {}
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(f"Tag '{tag[:20]}…' is longer than {TAG_MAX_LENGTH} characters.", code="max_length")
        validate_latin1(tag)
        cleaned.setdefault(tag.casefold(), tag)
    return list(cleaned.values())


def note_tags_set(*, note: LegacyNote, tags: Iterable[str]) -> bool:
    """Make ``note``'s tags exactly ``tags``, touching only the rows that change; True if any did."""
    wanted = list(dict.fromkeys(tags))
    current = list(LegacyNoteTag.objects.filter(note=note).values_list("tag", flat=True))
    wanted_folded = {tag.casefold() for tag in wanted}
    current_folded = {tag.casefold() for tag in current}
    removed = [tag for tag in current if tag.casefold() not in wanted_folded]
    added = [tag for tag in wanted if tag.casefold() not in current_folded]
    if removed:
        LegacyNoteTag.objects.filter(note=note, tag__in=removed).delete()
    if added:
        LegacyNoteTag.objects.bulk_create([LegacyNoteTag(note=note, tag=tag) for tag in added])
    return bool(removed or added)


def _record_change(*, mobile: MobileNote, note_id: int, touch: bool) -> None:
    """A change Lambridge made: the next version, and the note queued for the mirror."""
    mobile_note_change_record(mobile=mobile, note_id=note_id, touch=touch)
    mirror_note_changed(note_id=note_id)


def _note_lock_name(note_uuid: uuid.UUID) -> str:
    return f"lambridge.note.{note_uuid.hex}"


def _view_of(legacy_note_id: int) -> NoteView:
    note = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=legacy_note_id)).get()
    return note_views([note])[0]


@dataclass(frozen=True)
class NoteCreated:
    view: NoteView
    created: bool  # False when the same caller repeated a create: the existing note


def note_create(
    *,
    owner: LegacyUser,
    note_uuid: uuid.UUID | None = None,
    headline: str,
    text: str,
    visibility: str = LegacyNote.Visibility.PRIVATE,
    tags: Iterable[str] = (),
    photo_key: str = "",
) -> NoteCreated:
    """Create a note for ``owner``; idempotent on ``note_uuid`` (the app's noteId).

    The same owner repeating a noteId gets the existing note; a noteId of another user's note or
    of a deleted note raises NoteIdTaken. Concurrent creates of one noteId make one note: the
    noteId is claimed first, under its lock, so a create interrupted after the claim is finished
    by its retry. ``photo_key`` must already be checked (uploads.services.upload_check_attachable).
    """
    note_uuid = note_uuid or uuid.uuid4()
    with named_lock(_note_lock_name(note_uuid)):
        mobile = MobileNote.objects.filter(uuid=note_uuid).first()
        if mobile is not None and mobile.legacy_note_id is not None:
            return NoteCreated(view=_existing_for_repeat(mobile, owner), created=False)
        if mobile is not None and mobile.creator_user_id != owner.user_id:
            raise NoteIdTaken("This noteId is already used by another note.")
        if mobile is None:
            # The claim commits on its own: a retry after a crash from here on finds it and finishes.
            mobile = MobileNote.objects.create(uuid=note_uuid, creator_user_id=owner.user_id)
        with transaction.atomic():
            note = _note_insert(
                owner=owner,
                headline=headline,
                text=text,
                visibility=visibility,
                tags=tags,
                mobile=mobile,
                photo_key=photo_key,
            )
            mirror_note_changed(note_id=note.pk)
    return NoteCreated(view=_view_of(note.pk), created=True)


def _note_insert(
    *,
    owner: LegacyUser,
    headline: str,
    text: str,
    visibility: str,
    tags: Iterable[str],
    mobile: MobileNote,
    photo_key: str,
) -> LegacyNote:
    """The site's rows of a new note, then the link from its claimed MobileNote."""
    note = LegacyNote(user=owner, headline=headline, body=text, visibility=visibility, created_at=timezone.now())
    note.save()
    note_tags_set(note=note, tags=tags)
    updated_at = LegacyNote.objects.filter(pk=note.pk).values_list("updated_at", flat=True).first()
    MobileNote.objects.filter(pk=mobile.pk).update(
        legacy_note_id=note.pk, legacy_updated_at=updated_at, photo_key=photo_key
    )
    return note


def _existing_for_repeat(mobile: MobileNote, owner: LegacyUser) -> NoteView:
    note = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=mobile.legacy_note_id)).first()
    if note is None or note.user_id != owner.user_id:
        raise NoteIdTaken("This noteId is already used by another note.")
    if note.deleted:
        raise NoteIdTaken("This noteId belonged to a note that has been deleted; create the note with a new noteId.")
    return note_views([note])[0]


def note_update(
    *,
    view: NoteView,
    expected_version: int | None = None,
    headline: str | _Unset = UNSET,
    text: str | _Unset = UNSET,
    visibility: str | _Unset = UNSET,
    tags: Iterable[str] | _Unset = UNSET,
    photo_key: str | _Unset = UNSET,
) -> NoteView:
    """Change the given parts of a note (already authorized); a new version if anything changed.

    ``expected_version`` (If-Match) must still be current, else NoteVersionMismatch: this is
    checked under the note's lock, after counting any change the site made meanwhile.
    """
    note_id = view.note.note_id
    with named_lock(_note_lock_name(view.mobile.uuid)), transaction.atomic():
        current = _view_of(note_id)
        if expected_version is not None and current.mobile.version != expected_version:
            raise NoteVersionMismatch(current)
        note = current.note
        for attribute, value in (("headline", headline), ("body", text), ("visibility", visibility)):
            if not isinstance(value, _Unset):
                setattr(note, attribute, value)
        columns_changed = bool(note.changed_fields())
        note.save()
        tags_changed = not isinstance(tags, _Unset) and note_tags_set(note=note, tags=tags)
        photo_changed = not isinstance(photo_key, _Unset) and photo_key != current.mobile.photo_key
        if photo_changed:
            MobileNote.objects.filter(pk=current.mobile.pk).update(photo_key=photo_key)
        if columns_changed or tags_changed or photo_changed:
            _record_change(mobile=current.mobile, note_id=note_id, touch=not columns_changed)
        else:
            return current
    return _view_of(note_id)


def note_soft_delete(*, view: NoteView, expected_version: int | None = None) -> None:
    """Delete a note the way the site does (`deleted = 1`): the site and the apps stop showing it."""
    with named_lock(_note_lock_name(view.mobile.uuid)), transaction.atomic():
        current = _view_of(view.note.note_id)
        if expected_version is not None and current.mobile.version != expected_version:
            raise NoteVersionMismatch(current)
        if current.note.deleted:
            return
        current.note.deleted = True
        current.note.save()
        _record_change(mobile=current.mobile, note_id=current.note.note_id, touch=False)


def notes_set_deleted(*, notes: Iterable[LegacyNote], deleted: bool) -> int:
    """Soft-delete or restore several notes (the admin's actions); how many changed."""
    notes = list(notes)
    mobiles = mobile_notes_ensure(notes)
    changed = 0
    for note in notes:
        with named_lock(_note_lock_name(mobiles[note.note_id].uuid)), transaction.atomic():
            current = _view_of(note.note_id)
            if current.note.deleted == deleted:
                continue
            current.note.deleted = deleted
            current.note.save()
            _record_change(mobile=current.mobile, note_id=note.note_id, touch=False)
            changed += 1
    return changed


def note_staff_save(
    *, note: LegacyNote, tags: list[str] | None, photo: UploadedFile | None = None, remove_photo: bool = False
) -> None:
    """Save a note staff added or edited in the admin, with its tags (None: unchanged) and photo.

    ``photo`` (checked by the form) goes to the bucket through the default storage and replaces
    the note's photo in the apps; ``remove_photo`` takes it away. The site's `photo_path` is a
    separate column that staff edit as text.
    """
    if note._state.adding:
        note.save()
        note_tags_set(note=note, tags=tags or [])
        note.refresh_from_db(fields=["updated_at"])
        mobile = mobile_notes_ensure([note])[note.note_id]
        if photo is not None:
            MobileNote.objects.filter(pk=mobile.pk).update(
                photo_key=staff_photo_store(note_id=note.note_id, file=photo)
            )
        mirror_note_changed(note_id=note.note_id)
        return
    photo_key = staff_photo_store(note_id=note.note_id, file=photo) if photo is not None else None
    # Before saving, so the save below counts as Lambridge's change, not as one by the site.
    mobile = mobile_notes_ensure([note])[note.note_id]
    with named_lock(_note_lock_name(mobile.uuid)), transaction.atomic():
        columns_changed = bool(note.changed_fields())
        note.save()
        tags_changed = tags is not None and note_tags_set(note=note, tags=tags)
        new_photo_key = photo_key if photo_key is not None else ("" if remove_photo else mobile.photo_key)
        photo_changed = new_photo_key != mobile.photo_key
        if photo_changed:
            MobileNote.objects.filter(pk=mobile.pk).update(photo_key=new_photo_key)
        if columns_changed or tags_changed or photo_changed:
            _record_change(mobile=mobile, note_id=note.note_id, touch=not columns_changed)
