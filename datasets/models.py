"""Datasets: per user, named sets of string records, each change counted (SPEC §11).

Every change to a dataset raises its `sync_count` by one and stamps the records it wrote with
the new count; a deleted record stays as a tombstone (value NULL) so other devices learn of it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

NAME_MAX_LENGTH = 128
KEY_MAX_LENGTH = 128


class ExactCharField(models.CharField):
    """A VARCHAR compared byte for byte: "Theme" and "theme" are two keys (MySQL's default
    collation would merge them, and accents too)."""

    MYSQL_COLLATION = "utf8mb4_bin"

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "mysql":
            parameters["collation"] = self.MYSQL_COLLATION
        return parameters


class Dataset(models.Model):
    # The site's `users.user_id` (no constraint: the site's table may live in another database).
    user_id = models.PositiveIntegerField()
    name = ExactCharField(max_length=NAME_MAX_LENGTH)
    sync_count = models.PositiveBigIntegerField(default=0)
    # Live records (tombstones not counted) and the UTF-8 bytes of their keys and values.
    record_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "name"], name="dataset_unique_name_per_user")]

    def __str__(self) -> str:
        return f"{self.name} (user {self.user_id})"


class DatasetRecord(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records")
    key = ExactCharField(max_length=KEY_MAX_LENGTH)
    # NULL: deleted (a tombstone, kept so devices syncing later delete it too).
    value = models.TextField(null=True, blank=True)  # noqa: DJ001 - NULL (deleted) is not "" (an empty value)
    # The dataset's sync_count when this record was last written.
    sync_count = models.PositiveBigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "key"], name="dataset_record_unique_key")]
        indexes = [models.Index(fields=["dataset", "sync_count"], name="dataset_record_by_count")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.sync_count}"
