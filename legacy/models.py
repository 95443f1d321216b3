"""Unmanaged models of the PHP site's four tables (SPEC §1): Django reads and writes them, never
creates, alters or migrates them.

Started from ``inspectdb`` and edited by hand. Every quirk has a field that handles it (see
legacy/fields.py), and every model saves only the columns that really changed, so a row edited
here keeps its other columns byte for byte and ``updated_at`` moves exactly as when PHP edits it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from legacy.fields import (
    UTF8_3BYTE,
    AutoTimestampField,
    CharsetCharField,
    EnumField,
    LegacyDateTimeField,
    LooseForeignKey,
    TextColumnField,
    UnsignedAutoField,
    ZeroDateTimeField,
    nullable_in_database,
)
from legacy.validators import validate_latin1, validate_utf8mb3

# How the site's password column holds its two hash formats.
BCRYPT_PREFIX = "$2"  # PHP writes "$2y$"; "$2a$"/"$2b$" verify the same way.
MD5_HEX_PATTERN = r"^[0-9a-fA-F]{32}$"


class ReadOnlyModelError(TypeError):
    """Raised when code tries to write a table Lambridge only reads."""


class LegacyModel(models.Model):
    """Base of the site's tables: remembers what it loaded and writes back only what changed."""

    _loaded_values: dict[str, Any]

    class Meta:
        abstract = True
        managed = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; for a loaded row with no explicit ``update_fields``, only the changed columns.

        A row with nothing changed is not written at all, so ``updated_at`` does not move.
        """
        adding = self._state.adding
        if not adding and kwargs.get("update_fields") is None and hasattr(self, "_loaded_values"):
            changed = self.changed_fields()
            if not changed:
                return
            kwargs["update_fields"] = changed
        super().save(*args, **kwargs)
        if adding or not hasattr(self, "_loaded_values"):
            self._remember_loaded_values()
        else:
            # Only what was written is now the stored value; other edits are still pending.
            written = set(kwargs["update_fields"])
            for field in self._meta.concrete_fields:
                if field.name in written or field.attname in written:
                    self._loaded_values[field.attname] = getattr(self, field.attname)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_loaded_values()

    def _remember_loaded_values(self) -> None:
        deferred = self.get_deferred_fields()
        self._loaded_values = {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if field.attname not in deferred
        }

    def changed_fields(self) -> list[str]:
        """Names of the loaded columns whose value differs from what was read."""
        loaded = getattr(self, "_loaded_values", {})
        return [
            field.attname
            for field in self._meta.concrete_fields
            if not field.primary_key
            and field.attname in loaded
            and getattr(self, field.attname) != loaded[field.attname]
        ]


class LegacyUser(LegacyModel):
    """A person registered on the site (`users`, InnoDB)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        DELETED = "deleted", "Deleted"

    user_id = UnsignedAutoField(primary_key=True)
    email = models.CharField(max_length=190, unique=True, validators=[validate_latin1])
    username = models.CharField(max_length=60, unique=True, validators=[validate_latin1])
    # PHP password_hash() bcrypt ("$2y$10$..."), or an unsalted md5 hex digest for old accounts.
    password = models.CharField(max_length=255)
    # The one utf8 (3-byte) column: accents and most scripts, but no emoji.
    display_name = CharsetCharField(
        max_length=100, db_charset=UTF8_3BYTE, null=True, blank=True, validators=[validate_utf8mb3]
    )
    status = EnumField(choices=Status.choices, default=Status.ACTIVE)
    is_admin = models.BooleanField(default=False)
    created_at = ZeroDateTimeField(default=timezone.now)
    last_login = LegacyDateTimeField(null=True, blank=True)

    class Meta(LegacyModel.Meta):
        db_table = "users"
        verbose_name = "site user"
        ordering = ("-user_id",)

    def __str__(self) -> str:
        return self.username

    @property
    def password_scheme(self) -> str:
        """How the stored password is hashed, for display (never the hash itself)."""
        if self.password.startswith(BCRYPT_PREFIX):
            return "bcrypt"
        if re.fullmatch(MD5_HEX_PATTERN, self.password):
            return "md5 (legacy)"
        return "none (cannot sign in with a site password)"


class LegacyNote(LegacyModel):
    """A note written on the site or through Lambridge (`notes`, MyISAM: no transactions)."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private"
        PUBLIC = "public", "Public"

    note_id = UnsignedAutoField(primary_key=True)
    user = LooseForeignKey(LegacyUser, db_column="user_id", related_name="notes")
    headline = models.CharField(max_length=255, validators=[validate_latin1])
    body = TextColumnField(validators=[validate_latin1])
    # Relative to the site's upload folder, e.g. "uploads/2014/03/beach.jpg".
    photo_path = models.CharField(  # noqa: DJ001 - the site's column is NULL when there is no photo
        max_length=255, null=True, blank=True, validators=[validate_latin1]
    )
    visibility = EnumField(choices=Visibility.choices, default=Visibility.PRIVATE)
    created_at = ZeroDateTimeField(default=timezone.now)
    updated_at = AutoTimestampField()
    # The site soft-deletes: 1 hides the note everywhere.
    deleted = models.BooleanField(default=False)

    class Meta(LegacyModel.Meta):
        db_table = "notes"
        verbose_name = "note"
        ordering = ("-note_id",)

    def __str__(self) -> str:
        return self.headline


class LegacyNoteTag(LegacyModel):
    """One tag of a note (`note_tags`, MyISAM, primary key (note_id, tag), no surrogate id)."""

    pk = models.CompositePrimaryKey("note_id", "tag")
    note = models.ForeignKey(
        LegacyNote, db_column="note_id", related_name="tags", on_delete=models.DO_NOTHING, db_constraint=False
    )
    tag = models.CharField(max_length=64, validators=[validate_latin1])

    class Meta(LegacyModel.Meta):
        db_table = "note_tags"
        verbose_name = "note tag"
        ordering = ("note_id", "tag")

    def __str__(self) -> str:
        return self.tag


class LoginAuditQuerySet(models.QuerySet["LoginAudit"]):
    def update(self, **kwargs: Any) -> int:
        raise ReadOnlyModelError("login_audit is read-only for Lambridge.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ReadOnlyModelError("login_audit is read-only for Lambridge.")


class LoginAudit(models.Model):
    """The site's sign-in log (`login_audit`, MyISAM, no primary key): read-only here.

    Django needs a primary key, so the three columns stand in for one; rows are not unique and
    must never be written or deleted through Django, which the model and its queryset refuse.
    """

    pk = models.CompositePrimaryKey("user_id", "ip", "at")
    # What the table really has (legacy_check compares it): no primary key at all.
    DB_PRIMARY_KEY: ClassVar[tuple[str, ...]] = ()
    user_id = nullable_in_database(models.PositiveIntegerField())
    ip = nullable_in_database(models.CharField(max_length=45))
    at = nullable_in_database(LegacyDateTimeField())

    objects: ClassVar[LoginAuditQuerySet] = LoginAuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        managed = False
        db_table = "login_audit"
        verbose_name = "sign-in"
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"user {self.user_id} from {self.ip} at {self.at}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise ReadOnlyModelError("login_audit is read-only for Lambridge.")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ReadOnlyModelError("login_audit is read-only for Lambridge.")
