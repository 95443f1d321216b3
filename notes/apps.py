"""App config of the notes room."""

from __future__ import annotations

from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    verbose_name = "Notes"

    def ready(self) -> None:
        from notes import errors, signals  # noqa: F401 - the API's error codes; the mirror's receivers
