"""App config of the project itself: start-up work that belongs to no room (SnapStart hooks)."""

from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "project"
    verbose_name = "Lambridge"

    def ready(self) -> None:
        from project import snapstart

        snapstart.register()
