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


class MirrorEntry(models.Model):
    """The mirror's outbox: one row per note whose DynamoDB copy may be behind (SPEC §5).

    A change only records that the note must be sent again (``generation`` goes up); the sender
    then writes the note's state as MySQL has it at that moment, so many changes cost one write
    and a late send can never carry old text. The row stays, remembering what was last sent, which
    lets the reconciler tell a note the site changed from one already mirrored.
    """

    legacy_note_id = models.PositiveIntegerField(unique=True)
    # Pending while generation > sent_generation.
    generation = models.PositiveIntegerField(default=1)
    sent_generation = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField()
    # Failed sends back off exponentially; a new change does not reset the wait.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # The note's `updated_at` and version as last sent.
    sent_updated_at = models.DateTimeField(null=True, blank=True)
    sent_version = models.PositiveIntegerField(null=True, blank=True)
    # Computed by MySQL and indexed with changed_at: readiness and the admin's mirror status find
    # the few pending entries among one row per note ever mirrored without reading them all.
    pending = models.GeneratedField(
        expression=models.ExpressionWrapper(
            models.Q(generation__gt=models.F("sent_generation")), output_field=models.BooleanField()
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = "mirror entry"
        verbose_name_plural = "mirror entries"
        indexes = [models.Index(fields=["pending", "changed_at"], name="notes_mirror_pending_age")]

    def __str__(self) -> str:
        state = "pending" if self.generation > self.sent_generation else "sent"
        return f"note {self.legacy_note_id}: {state}"


class MirrorState(models.Model):
    """Small named values the mirror keeps between runs (the reconciler's high-water mark, …)."""

    name = models.CharField(max_length=64, unique=True)
    value = models.CharField(max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"
