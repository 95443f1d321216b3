"""App config of the notes room."""

from __future__ import annotations

from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    verbose_name = "Notes"

    def ready(self) -> None:
        from accounts.lifecycle import register_user_data
        from notes import errors, lifecycle, signals  # noqa: F401 - the API's error codes; the mirror's receivers
        from notes.changes import on_note_change_published, on_note_change_recorded
        from notes.note_index import note_index_record
        from notes.pushes import note_change_mark_devices, note_change_push
        from uploads.services import uploads_delete_for_user

        on_note_change_recorded(note_index_record)
        on_note_change_recorded(note_change_mark_devices)
        on_note_change_published(note_change_push)

        # Notes first (the mirror drops them from DynamoDB and search), then their photos, then
        # whatever else the apps uploaded (uploads may not import accounts: registered here).
        register_user_data(
            section="notes",
            order=lifecycle.NOTES_ERASE_ORDER,
            erase=lifecycle.notes_soft_delete_all_for_owner_step,
            export=lifecycle.notes_export_for_owner,
        )
        register_user_data(
            section="note_photos", order=lifecycle.NOTE_PHOTOS_ERASE_ORDER, erase=lifecycle.note_photos_delete_step
        )
        register_user_data(section="uploads", order=lifecycle.UPLOADS_ERASE_ORDER, erase=uploads_delete_for_user)
