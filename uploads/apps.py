"""App config of the uploads room."""

from __future__ import annotations

from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Uploads"

    def ready(self) -> None:
        from uploads import errors  # noqa: F401 - registers the uploads API's error codes
