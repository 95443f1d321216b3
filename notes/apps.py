"""App config of the notes room."""

from __future__ import annotations

from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    verbose_name = "Notes"

    def ready(self) -> None:
        from notes import errors, signals  # noqa: F401 - the API's error codes; the mirror's receivers
        from notes.changes import on_note_change_published, on_note_change_recorded
        from notes.note_index import note_index_record
        from notes.pushes import note_change_mark_devices, note_change_push

        on_note_change_recorded(note_index_record)
        on_note_change_recorded(note_change_mark_devices)
        on_note_change_published(note_change_push)
