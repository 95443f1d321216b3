"""Admin pages of the uploads room: read-only records of presigned uploads and imported site files."""

from __future__ import annotations

from django.contrib import admin

from api.readonly_admin import ReadOnlyAdmin
from uploads.models import LegacyMediaFile, Upload


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
