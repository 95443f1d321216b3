"""Signals that only record: any ORM write to a note, its tags or its mobile row queues the note
for the mirror (notes/mirror.py). Lambridge's own services record explicitly too, since their
bulk writes (`update()`, `bulk_create()`) send no signals; recording twice is harmless."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from legacy.models import LegacyNote, LegacyNoteTag
from notes.mirror import mirror_note_changed
from notes.models import MobileNote


@receiver([post_save, post_delete], sender=LegacyNote, dispatch_uid="mirror-note")
def note_written(sender: type[LegacyNote], instance: LegacyNote, **kwargs: Any) -> None:
    mirror_note_changed(note_id=instance.note_id)


@receiver([post_save, post_delete], sender=LegacyNoteTag, dispatch_uid="mirror-note-tag")
def note_tag_written(sender: type[LegacyNoteTag], instance: LegacyNoteTag, **kwargs: Any) -> None:
    mirror_note_changed(note_id=instance.note_id)


@receiver([post_save, post_delete], sender=MobileNote, dispatch_uid="mirror-mobile-note")
def mobile_note_written(sender: type[MobileNote], instance: MobileNote, **kwargs: Any) -> None:
    if instance.legacy_note_id is not None:
        mirror_note_changed(note_id=instance.legacy_note_id)
