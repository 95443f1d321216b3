"""Datasets in the admin, read-only: staff can see what a user's devices synced, for support."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from api.readonly_admin import ReadOnlyAdmin
from datasets.models import Dataset, DatasetRecord


class DatasetRecordInline(admin.TabularInline):
    model = DatasetRecord
    fields = ("key", "value", "sync_count", "updated_at")
    readonly_fields = fields
    ordering = ("key",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ("name", "user_id", "sync_count", "record_count", "size_bytes", "updated_at")
    search_fields = ("=user_id", "name")
    readonly_fields = ("user_id", "name", "sync_count", "record_count", "size_bytes", "created_at", "updated_at")
    inlines = (DatasetRecordInline,)
