"""App config of the accounts room."""

from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The accounts room's error codes (registry in api/errors.py) and its OpenAPI scheme.
        from accounts import errors, openapi  # noqa: F401
