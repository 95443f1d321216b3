"""App config of the push room."""

from __future__ import annotations

from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "push"
    verbose_name = "Push notifications"

    def ready(self) -> None:
        from accounts.lifecycle import register_user_data
        from push.selectors import devices_export_for_user
        from push.services import devices_delete_for_user

        # A deleted account's devices lose their SNS endpoints; the export lists them (never a token).
        register_user_data(section="devices", order=50, erase=devices_delete_for_user, export=devices_export_for_user)
