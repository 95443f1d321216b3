"""Signals that only record: an ORM write to a note, its tags or its mobile row that bypassed the
services is a change of that note (notes/changes.py records it once per transaction, and not at
all inside a service, which records for itself)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from legacy.models import LegacyNote, LegacyNoteTag
from notes.changes import note_orm_write_record
from notes.models import MobileNote


@receiver([post_save, post_delete], sender=LegacyNote, dispatch_uid="mirror-note")
def note_written(sender: type[LegacyNote], instance: LegacyNote, **kwargs: Any) -> None:
    note_orm_write_record(legacy_note_id=instance.note_id)


@receiver([post_save, post_delete], sender=LegacyNoteTag, dispatch_uid="mirror-note-tag")
def note_tag_written(sender: type[LegacyNoteTag], instance: LegacyNoteTag, **kwargs: Any) -> None:
    note_orm_write_record(legacy_note_id=instance.note_id)


@receiver([post_save, post_delete], sender=MobileNote, dispatch_uid="mirror-mobile-note")
def mobile_note_written(sender: type[MobileNote], instance: MobileNote, **kwargs: Any) -> None:
    if instance.legacy_note_id is not None:
        note_orm_write_record(legacy_note_id=instance.legacy_note_id)
