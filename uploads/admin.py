"""Admin pages of the uploads room: read-only records of presigned uploads and imported site files."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from uploads.models import LegacyMediaFile, Upload


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: staff look, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ("key", "user_id", "content_type", "content_length", "created_at", "expires_at")
    list_filter = ("content_type",)
    search_fields = ("key", "filename", "=user_id")
    date_hierarchy = "created_at"


@admin.register(LegacyMediaFile)
class LegacyMediaFileAdmin(ReadOnlyAdmin):
    list_display = ("photo_path", "key", "size", "imported_at")
    search_fields = ("photo_path",)
