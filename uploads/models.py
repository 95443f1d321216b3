"""Lambridge's own media tables: presigned uploads issued to the apps, and the site's old files copied to S3."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

KEY_MAX_LENGTH = 512


class ExactCharField(models.CharField):
    """A VARCHAR compared byte for byte, as S3 keys and the site's (Linux) file names are.

    "A.jpg" and "a.jpg" are different files, which MySQL's default case-insensitive collation
    would merge. SQLite (make run's fallback) already compares exactly and knows no utf8mb4_bin.
    """

    MYSQL_COLLATION = "utf8mb4_bin"

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "mysql":
            parameters["collation"] = self.MYSQL_COLLATION
        return parameters


class Upload(models.Model):
    """One presigned POST handed to an app: who may upload what, where, until when.

    A record, not a promise that the object exists: the app may never upload, and moto (unlike
    S3) does not enforce the form's conditions, so attaching a key checks the object itself.
    """

    key = ExactCharField(max_length=KEY_MAX_LENGTH, unique=True)
    # The site user (`users.user_id`) it was issued to; the key lives under their prefix.
    user_id = models.PositiveIntegerField(db_index=True)
    content_type = models.CharField(max_length=100)
    content_length = models.PositiveBigIntegerField()
    # As the app sent it (the key holds a sanitized copy).
    filename = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "presigned upload"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.key


class LegacyMediaFile(models.Model):
    """One file of the PHP site's upload folder, copied into the bucket by `import_legacy_media`.

    Size and SHA-256 make the import resumable and idempotent: an unchanged file is not sent again.
    """

    # The site's `notes.photo_path` value, exactly (e.g. "uploads/2014/03/beach.jpg").
    photo_path = ExactCharField(max_length=255, unique=True)
    key = ExactCharField(max_length=KEY_MAX_LENGTH)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = "legacy media file"
        ordering = ("photo_path",)

    def __str__(self) -> str:
        return self.photo_path
