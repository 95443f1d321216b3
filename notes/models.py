"""Lambridge's own table next to the site's notes: the mobile id, version and photo of each note."""

from __future__ import annotations

import uuid

from django.db import models

from legacy.models import LegacyNote
from notes.search.models import SearchEntry  # noqa: F401 (the `mysql` search table, loaded with the app)


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
    # The token of the transaction of ORM writes that last recorded a change here (notes/changes.py):
    # a second record with the same token in that transaction is skipped.
    recorded_in = models.CharField(max_length=32, blank=True, default="")
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


class NoteIndex(models.Model):
    """Lambridge's own index of the site's notes: one InnoDB row per note of `notes`.

    Lists, tag filters, the public scope and the sync feed query it instead of scanning the site's
    MyISAM table (on which we may add no index); note bodies are still read from `notes`. Every
    recorded change (the services, change data capture, the reconciler) refreshes the note's row
    and gives it the next `change_seq`, so a client's sync position is one number, exact.
    """

    note_id = models.PositiveIntegerField(primary_key=True)
    owner_id = models.PositiveIntegerField()
    visibility = models.CharField(max_length=8)
    # Soft-deleted by anyone; `gone` when the site removed the row outright.
    deleted = models.BooleanField(default=False)
    gone = models.BooleanField(default=False)
    updated_at = models.DateTimeField(null=True)
    change_seq = models.PositiveBigIntegerField(unique=True)

    class Meta:
        verbose_name = "note index entry"
        verbose_name_plural = "note index"
        indexes = [
            models.Index(fields=["owner_id", "deleted", "note_id"], name="noteindex_owner_list"),
            models.Index(fields=["owner_id", "change_seq"], name="noteindex_owner_changes"),
            models.Index(fields=["visibility", "deleted", "note_id"], name="noteindex_public_list"),
        ]

    def __str__(self) -> str:
        return f"note {self.note_id} of user {self.owner_id} (change {self.change_seq})"


class NoteIndexTag(models.Model):
    """A tag of an indexed note (the site's `note_tags`, indexed by tag for the tag filter)."""

    note_id = models.PositiveIntegerField()
    tag = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "note_id"], name="noteindextag_tag_note")]
        indexes = [models.Index(fields=["note_id"], name="noteindextag_note")]

    def __str__(self) -> str:
        return f"{self.tag} on note {self.note_id}"


class NoteSyncTombstone(models.Model):
    """A note that left its owner's hands (moved to another user by the site): the old owner's sync
    feed reports it deleted at ``change_seq``."""

    owner_id = models.PositiveIntegerField()
    note_id = models.PositiveIntegerField()
    change_seq = models.PositiveBigIntegerField(unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner_id", "note_id"], name="notesynctombstone_owner_note")]
        indexes = [models.Index(fields=["owner_id", "change_seq"], name="notesynctombstone_changes")]

    def __str__(self) -> str:
        return f"note {self.note_id} left user {self.owner_id} (change {self.change_seq})"


class ChangeCounter(models.Model):
    """The one row whose value numbers every change. Writers take it with SELECT … FOR UPDATE right
    before their commit, so change numbers become visible in the order they were given: a sync
    position can never pass a change that commits later."""

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change {self.value}"
