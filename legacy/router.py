"""Sends the legacy models to the site's database and keeps every migration away from it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model

LEGACY_APP_LABEL = "legacy"


def _is_legacy(model: type[Model] | Model) -> bool:
    return model._meta.app_label == LEGACY_APP_LABEL


class LegacyRouter:
    """Routes `legacy` models to ``settings.LEGACY_DATABASE_ALIAS``; refuses all their migrations.

    The site's tables are never created, altered or dropped by Django. When they live in their own
    database (``LEGACY_DATABASE_URL``), nothing at all is migrated there.
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return settings.LEGACY_DATABASE_ALIAS if _is_legacy(model) else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return settings.LEGACY_DATABASE_ALIAS if _is_legacy(model) else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Our tables refer to the site's rows by id (no database constraint), even across databases.
        if _is_legacy(obj1) or _is_legacy(obj2):
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if app_label == LEGACY_APP_LABEL:
            return False
        if db != "default" and db == settings.LEGACY_DATABASE_ALIAS:
            return False
        return None
