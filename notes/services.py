"""Writes to notes: the only way a note changes, for the API, the admin, the events and the commands.

A note is written where the PHP site keeps it (`notes`, `note_tags`), so the site shows every
change; its MobileNote row (noteId, version, photo) is written with it. Every write follows one line:

1. checks that need the network (the photo's object in S3), before any lock;
2. the note's MySQL named lock: writers of one note queue here (`notes` is MyISAM, without
   transactions); a writer that waits too long gets LockTimeout (the API's 503 + Retry-After);
3. under it, `transaction.atomic(durable=True)`: the note read as it is now, the checks (If-Match,
   what changed), the writes, and exactly one recorded change (notes/changes.py: one outbox write);
4. the commit, then the lock's release;
5. only then the publish: the send to DynamoDB, and whatever else plugs in (notes/changes.py).

Nothing here calls the network under the lock or inside the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from legacy.validators import validate_latin1
from notes.changes import NoteChange, note_change_record, services_writing
from notes.locks import named_lock
from notes.mobile import mobile_note_for_write, mobile_note_version_record, mobile_notes_derive, note_ids_for_uuids
from notes.models import MobileNote
from notes.note_ids import site_note_id
from notes.selectors import NoteView, note_view_by_id, note_views, notes_with_owner_and_tags
from uploads.legacy_media import legacy_media_keys
from uploads.services import staff_photo_store, upload_check_attachable

TAG_MAX_LENGTH = LegacyNoteTag._meta.get_field("tag").max_length or 64
# Notes soft-deleted per batch by notes_soft_delete_all_for_owner (each through its own line).
DELETE_ALL_BATCH_SIZE = 200


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


def _note_tags_set(*, note: LegacyNote, tags: Iterable[str]) -> bool:
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


# --- The line ---------------------------------------------------------------------------------


def _note_lock(note_uuid: uuid.UUID) -> AbstractContextManager[None]:
    return named_lock(f"lambridge.note.{note_uuid.hex}", timeout_seconds=settings.NOTE_LOCK_TIMEOUT_SECONDS)


def _in_line[T](note_uuid: uuid.UUID, write: Callable[[], T]) -> T:
    """Steps 2 to 5 of the line for one note: ``write`` runs under the lock, in a durable transaction;
    what it recorded is published once both are over."""
    with services_writing(), _note_lock(note_uuid), transaction.atomic(durable=True):
        return write()


def _view_of(legacy_note_id: int) -> NoteView:
    view = note_view_by_id(legacy_note_id)
    if view is None:
        raise LegacyNote.DoesNotExist(f"The site has no note {legacy_note_id}.")
    return view


def _current(view: NoteView, expected_version: int | None) -> tuple[NoteView, MobileNote]:
    """Under the lock: the note as it is now and its MobileNote row (created if it had none), after
    checking If-Match against the version the API shows."""
    current = _view_of(view.note.note_id)
    if expected_version is not None and current.mobile.version != expected_version:
        raise NoteVersionMismatch(current)
    return current, mobile_note_for_write(current.note)


@dataclass(frozen=True)
class _Wanted:
    """A change asked of a note: each part UNSET when left as it is."""

    headline: str | _Unset = UNSET
    text: str | _Unset = UNSET
    visibility: str | _Unset = UNSET
    deleted: bool | _Unset = UNSET
    tags: Iterable[str] | _Unset = UNSET
    photo_key: str | _Unset = UNSET
    # Columns an admin form changed, as they are to be written (attname → value).
    columns: dict[str, object] | None = None
    # Move the site's `updated_at` for a change its columns do not show (tags, photo), so sync and
    # the mirror see it; not for the copy of the site's own photo, which leaves the site's rows alone.
    touch_site: bool = True


def _apply(note: LegacyNote, mobile: MobileNote, wanted: _Wanted, *, device_id: str | None) -> bool:
    """Write what ``wanted`` changes (nothing when it changes nothing) and record the change once;
    True when something changed. The one change detection every service shares."""
    parts: tuple[tuple[str, object], ...] = (
        ("headline", wanted.headline),
        ("body", wanted.text),
        ("visibility", wanted.visibility),
        ("deleted", wanted.deleted),
    )
    for attribute, value in parts:
        if not isinstance(value, _Unset):
            setattr(note, attribute, value)
    for attname, value in (wanted.columns or {}).items():
        setattr(note, attname, value)
    columns_changed = bool(note.changed_fields())
    note.save()
    tags_changed = not isinstance(wanted.tags, _Unset) and _note_tags_set(note=note, tags=wanted.tags)
    photo_changed = not isinstance(wanted.photo_key, _Unset) and wanted.photo_key != mobile.photo_key
    if not (columns_changed or tags_changed or photo_changed):
        return False
    mobile_note_version_record(
        mobile=mobile,
        note_id=note.note_id,
        touch=wanted.touch_site and not columns_changed,
        photo_key=wanted.photo_key if photo_changed and isinstance(wanted.photo_key, str) else None,
    )
    _record(note, mobile, device_id=device_id)
    return True


def _record(note: LegacyNote, mobile: MobileNote, *, device_id: str | None) -> None:
    note_change_record(
        NoteChange(
            legacy_note_id=note.note_id,
            note_uuid=mobile.uuid,
            owner_user_id=note.user_id,
            version=mobile.version,
            deleted=bool(note.deleted),
            device_id=device_id,
        )
    )


def _check_photo(*, owner_user_id: int, photo_key: str | _Unset, current_key: str = "") -> None:
    """Step 1: a new photo key must be the owner's finished upload (a call to S3, before the lock)."""
    if isinstance(photo_key, str) and photo_key and photo_key != current_key:
        upload_check_attachable(user_id=owner_user_id, key=photo_key)


# --- Create -----------------------------------------------------------------------------------


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
    device_id: str | None = None,
) -> NoteCreated:
    """Create a note for ``owner``; idempotent on ``note_uuid`` (the app's noteId).

    The same owner repeating a noteId gets the existing note; a noteId of another user's note or of
    a deleted note raises NoteIdTaken. Concurrent creates of one noteId make one note: the noteId
    is claimed first, under its lock, so a create interrupted after the claim is finished by its
    retry. A ``photo_key`` must be the owner's upload (UploadNotAttachable otherwise).
    """
    note_uuid = note_uuid or uuid.uuid4()
    if site_note_id(note_uuid) is not None:
        # A noteId derived from a note the site wrote: a repeat of that note, never a new one.
        legacy_ids, _rows = note_ids_for_uuids([note_uuid])
        return NoteCreated(view=_existing_for_repeat(legacy_ids.get(note_uuid), owner), created=False)
    _check_photo(owner_user_id=owner.user_id, photo_key=photo_key)
    with services_writing(), _note_lock(note_uuid):
        mobile = MobileNote.objects.filter(uuid=note_uuid).first()
        if mobile is not None and mobile.legacy_note_id is not None:
            return NoteCreated(view=_existing_for_repeat(mobile.legacy_note_id, owner), created=False)
        if mobile is not None and mobile.creator_user_id != owner.user_id:
            raise NoteIdTaken("This noteId is already used by another note.")
        if mobile is None:
            # The claim commits on its own: a retry after a crash from here on finds it and finishes.
            mobile = MobileNote.objects.create(uuid=note_uuid, creator_user_id=owner.user_id)
        with transaction.atomic(durable=True):
            note = LegacyNote(
                user=owner, headline=headline, body=text, visibility=visibility, created_at=timezone.now()
            )
            note.save()
            _note_tags_set(note=note, tags=tags)
            _link(mobile, note, photo_key=photo_key)
            _record(note, mobile, device_id=device_id)
            view = _view_of(note.pk)
    return NoteCreated(view=view, created=True)


def _link(mobile: MobileNote, note: LegacyNote, *, photo_key: str) -> None:
    """A new note's claimed MobileNote row, linked to the note at version 1."""
    updated_at = LegacyNote.objects.filter(pk=note.pk).values_list("updated_at", flat=True).first()
    mobile.legacy_note_id, mobile.legacy_updated_at, mobile.photo_key, mobile.version = (
        note.pk,
        updated_at,
        photo_key,
        1,
    )
    MobileNote.objects.filter(pk=mobile.pk).update(
        legacy_note_id=note.pk, legacy_updated_at=updated_at, photo_key=photo_key, version=1
    )


def _existing_for_repeat(legacy_note_id: int | None, owner: LegacyUser) -> NoteView:
    note = None
    if legacy_note_id is not None:
        note = notes_with_owner_and_tags(LegacyNote.objects.filter(pk=legacy_note_id)).first()
    if note is None or note.user_id != owner.user_id:
        raise NoteIdTaken("This noteId is already used by another note.")
    if note.deleted:
        raise NoteIdTaken("This noteId belonged to a note that has been deleted; create the note with a new noteId.")
    return note_views([note])[0]


# --- Change -----------------------------------------------------------------------------------


def note_update(
    *,
    view: NoteView,
    expected_version: int | None = None,
    headline: str | _Unset = UNSET,
    text: str | _Unset = UNSET,
    visibility: str | _Unset = UNSET,
    tags: Iterable[str] | _Unset = UNSET,
    photo_key: str | _Unset | None = UNSET,
    device_id: str | None = None,
) -> NoteView:
    """Change the given parts of a note (already authorized: the caller owns it); PATCH.

    A new version if anything changed. ``expected_version`` (If-Match) must still be current, else
    NoteVersionMismatch: checked under the note's lock, counting any change the site made meanwhile.
    ``photo_key`` None or "" removes the photo; a new key must be the owner's upload.
    """
    wanted = _Wanted(
        headline=headline,
        text=text,
        visibility=visibility,
        tags=tags,
        photo_key="" if photo_key is None else photo_key,
    )
    return _change(view=view, expected_version=expected_version, wanted=wanted, device_id=device_id)


def note_replace(
    *,
    view: NoteView,
    expected_version: int | None = None,
    headline: str,
    text: str,
    visibility: str = LegacyNote.Visibility.PRIVATE,
    tags: Iterable[str] = (),
    photo_key: str | None = None,
    device_id: str | None = None,
) -> NoteView:
    """Replace a note (PUT): what is left out goes back to its default (private, no tags, no photo)."""
    wanted = _Wanted(headline=headline, text=text, visibility=visibility, tags=tags, photo_key=photo_key or "")
    return _change(view=view, expected_version=expected_version, wanted=wanted, device_id=device_id)


def _change(*, view: NoteView, expected_version: int | None, wanted: _Wanted, device_id: str | None) -> NoteView:
    _check_photo(owner_user_id=view.note.user_id, photo_key=wanted.photo_key, current_key=view.mobile.photo_key)

    def write() -> NoteView:
        current, mobile = _current(view, expected_version)
        if not _apply(current.note, mobile, wanted, device_id=device_id):
            return current
        return _view_of(current.note.note_id)

    return _in_line(view.mobile.uuid, write)


def note_soft_delete(*, view: NoteView, expected_version: int | None = None, device_id: str | None = None) -> None:
    """Delete a note the way the site does (`deleted = 1`): the site and the apps stop showing it."""
    _change(view=view, expected_version=expected_version, wanted=_Wanted(deleted=True), device_id=device_id)


def notes_set_deleted(*, notes: Iterable[LegacyNote], deleted: bool) -> int:
    """Soft-delete or restore several notes (the admin's actions), each through the line; how many changed."""
    views = note_views(list(notes))
    return sum(_set_deleted(view, deleted=deleted) for view in views)


def _set_deleted(view: NoteView, *, deleted: bool, device_id: str | None = None) -> bool:
    def write() -> bool:
        current, mobile = _current(view, None)
        return _apply(current.note, mobile, _Wanted(deleted=deleted), device_id=device_id)

    return _in_line(view.mobile.uuid, write)


def notes_soft_delete_all_for_owner(*, owner_user_id: int, batch_size: int = DELETE_ALL_BATCH_SIZE) -> int:
    """Soft-delete every note of a site user (account deletion); how many were deleted.

    Read in batches of ``batch_size``; each note goes through the line on its own (its lock, its
    transaction, its one recorded change), so a crash midway leaves whole notes, and running it
    again finishes the rest. Call it outside any transaction (each note's is durable), like every
    service here.
    """
    deleted = 0
    last_id = 0
    notes = LegacyNote.objects.filter(user_id=owner_user_id, deleted=False).order_by("note_id")
    while batch := list(notes.filter(note_id__gt=last_id)[:batch_size]):
        last_id = batch[-1].note_id
        deleted += sum(_set_deleted(view, deleted=True) for view in note_views(batch))
    return deleted


# --- The admin --------------------------------------------------------------------------------


def note_staff_save(
    *, note: LegacyNote, tags: list[str] | None, photo: UploadedFile | None = None, remove_photo: bool = False
) -> None:
    """Save a note staff added or edited in the admin, with its tags (None: unchanged) and photo.

    ``note`` carries the form's edits, not yet saved. ``photo`` (checked by the form) goes to the
    bucket, outside any lock or transaction, and replaces the note's photo in the apps;
    ``remove_photo`` takes it away. The site's `photo_path` is a separate column that staff edit as
    text. A new note with a photo is two versions: the note, then its photo (the photo's key names
    the note, which has no id before it is written).
    """
    if note._state.adding:
        _staff_create(note=note, tags=tags or [])
        if photo is None:
            return
    view = note_views([note])[0]
    photo_key: str | _Unset = UNSET
    if photo is not None:
        photo_key = staff_photo_store(note_id=note.note_id, file=photo)  # step 1: S3, before the lock
    elif remove_photo:
        photo_key = ""
    edited = {attname: getattr(note, attname) for attname in note.changed_fields()}

    def write() -> None:
        current, mobile = _current(view, None)
        _apply(
            current.note,
            mobile,
            _Wanted(tags=UNSET if tags is None else tags, photo_key=photo_key, columns=edited),
            device_id=None,
        )
        note.refresh_from_db()

    _in_line(view.mobile.uuid, write)


def _staff_create(*, note: LegacyNote, tags: list[str]) -> None:
    """A note staff add: its rows, its MobileNote row with the noteId it would show anyway, one
    recorded change. No lock: no other writer can know a note that does not exist yet."""
    with services_writing(), transaction.atomic(durable=True):
        note.save()
        _note_tags_set(note=note, tags=tags)
        note.refresh_from_db()
        mobile = mobile_note_for_write(note)
        _record(note, mobile, device_id=None)


# --- Commands ---------------------------------------------------------------------------------


def notes_attach_legacy_photos(*, batch_size: int = 1000) -> int:
    """Give notes whose site photo was copied to the bucket (import_legacy_media) that photo.

    Only notes without a photo of their own; the site's `photo_path` is left as it is. Each note
    that gains a photo is a new version, through the line. Returns how many did.
    """
    attached = 0
    notes = LegacyNote.objects.exclude(photo_path__isnull=True).exclude(photo_path="").order_by("note_id")
    last_id = 0
    while batch := list(notes.filter(note_id__gt=last_id)[:batch_size]):
        last_id = batch[-1].note_id
        keys = legacy_media_keys(photo_paths=[note.photo_path for note in batch if note.photo_path])
        if not keys:
            continue
        rows = {
            row.legacy_note_id: row
            for row in MobileNote.objects.filter(legacy_note_id__in=[note.note_id for note in batch])
        }
        shown = mobile_notes_derive(batch, known=list(rows.values()), known_is_complete=True)
        for note in batch:
            key = keys.get(note.photo_path or "")
            row = rows.get(note.note_id)
            # A note without a row already shows the copied photo; it becomes a version of its own.
            if key and (row is None or not row.photo_key):
                attached += _attach_legacy_photo(note, shown[note.note_id].uuid, key)
    return attached


def _attach_legacy_photo(note: LegacyNote, note_uuid: uuid.UUID, key: str) -> bool:
    def write() -> bool:
        current = _view_of(note.note_id)
        mobile = mobile_note_for_write(current.note)
        if mobile.photo_key and mobile.photo_key != key:
            return False  # a photo of its own meanwhile
        mobile.photo_key = ""  # as the note was before the copy, so the copy counts as a change
        return _apply(current.note, mobile, _Wanted(photo_key=key, touch_site=False), device_id=None)

    return _in_line(note_uuid, write)
