"""Lambridge's own table next to the site's notes: the mobile id, version and photo of each note."""

from __future__ import annotations

import uuid

from django.db import models

from legacy.models import LegacyNote


class MobileNote(models.Model):
    """The mobile side of one row of the site's `notes` table.

    The note itself (text, visibility, tags, `updated_at`, `deleted`) stays in the site's tables so
    the PHP site sees every change; this row adds what the apps need and the site has no column
    for. It is created with the note by the API, or on first sight for notes the site wrote.
    """

    # The API's `noteId`: chosen by the app for offline creation, or assigned by the server.
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # Null only while an API create is in progress: the id is claimed before the note is written.
    legacy_note = models.OneToOneField(
        LegacyNote,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="legacy_note_id",
        related_name="mobile",
        null=True,
    )
    # Who created it through the API; decides "same caller" for a repeated create. None for notes
    # found on the site.
    creator_user_id = models.PositiveIntegerField(null=True, blank=True)
    # Goes up by one with every change, wherever it was made (the API's `version` and `ETag`).
    version = models.PositiveIntegerField(default=1)
    # The site's `updated_at` that `version` describes: a different value there means the note was
    # changed outside Lambridge (by the PHP site), which counts as a new version.
    legacy_updated_at = models.DateTimeField(null=True, blank=True)
    # S3 key of the note's photo: uploaded by the app or staff, or copied from the site's uploads.
    photo_key = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mobile note"

    def __str__(self) -> str:
        return f"{self.uuid} → note {self.legacy_note_id}"
