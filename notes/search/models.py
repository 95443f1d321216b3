"""The `mysql` search backend's own table: one row per indexed note, with FULLTEXT indexes on its text.

Lambridge's table (InnoDB utf8mb4), never the site's: the FULLTEXT indexes are added by the
migration (Django has no FULLTEXT index type), on `headline` and on (`headline`, `text`), with the
table in utf8mb4_unicode_ci so words match case- and accent-insensitively ("creme" finds "crème").
"""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    """A note as the `mysql` search backend holds it (SPEC §5's document fields, minus the photo)."""

    # The API's noteId: the document id, exactly as the stream and the reindex name it.
    note_id = models.CharField(max_length=128, primary_key=True)
    # Who may find it: the owner, and everyone when public. Only the server's filter reads these.
    user_id = models.PositiveIntegerField()
    visibility = models.CharField(max_length=7)
    headline = models.TextField()
    text = models.TextField()
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()
    # (version, updated_at) as one number, which a write compares so that an older delivery never
    # replaces a newer one (notes/search/mysql.py).
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "search entry"
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return self.note_id
