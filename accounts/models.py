"""Lambridge's own account tables: Cognito identities linked to site users, and API keys."""

from __future__ import annotations

import hashlib

from django.db import models

from legacy.models import LegacyUser

API_KEY_PREFIX_LENGTH = 8


class CognitoIdentity(models.Model):
    """One Cognito user (its `sub`) linked to one row of the site's `users` table.

    The site's row is referred to by id without a database constraint: it may live in another
    database (LEGACY_DATABASE_URL) and the site never expects foreign keys into its tables.
    """

    sub = models.CharField(max_length=64, unique=True)
    site_user = models.OneToOneField(
        LegacyUser,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="site_user_id",
        related_name="cognito_identity",
    )
    # How the link was made: an existing account matched by verified email, or a new account.
    linked_by = models.CharField(max_length=16, choices=[("email", "verified email"), ("created", "new site account")])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Cognito identity"
        verbose_name_plural = "Cognito identities"

    def __str__(self) -> str:
        return f"{self.sub} → site user {self.site_user_id}"


def api_key_digest(key: str) -> str:
    """What is stored for a key: its SHA-256 (keys are long random strings, not passwords)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    """A key for the `x-api-key` header (SPEC §2); only its digest is stored."""

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. 'iOS app 3.2'.")
    prefix = models.CharField(max_length=API_KEY_PREFIX_LENGTH, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AccountDeletion(models.Model):
    """One account being deleted (SPEC §12), and the steps already done.

    The record outlives the account: it makes the deletion resumable (a crash after any step and
    a retry finish the job), refuses the deleted Cognito user's tokens (401) once the link is
    gone, and tells staff when and by whom an account was deleted. Once the Cognito user is
    deleted it holds no personal data (ids only).
    """

    # The site's `users.user_id`; one deletion per account, so a repeat finds the same record.
    site_user_id = models.PositiveIntegerField(unique=True)
    # The Cognito user linked to it, when there was one (taken from the link at the start).
    cognito_sub = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # From the caller's token, until the Cognito user is deleted (it may be their email).
    cognito_username = models.CharField(max_length=128, blank=True, default="")
    # "self" (DELETE /api/v1/me) or "staff:<username>" (the admin action).
    requested_by = models.CharField(max_length=160)
    requested_at = models.DateTimeField(auto_now_add=True)
    # Names of the steps done, in order (see accounts/deletion.py).
    completed_steps = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # A run in progress holds the record until then, so two runs never do the same step at once.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "account deletion"

    def __str__(self) -> str:
        state = "done" if self.finished_at else f"{len(self.completed_steps)} step(s) done"
        return f"site user {self.site_user_id}: {state}"
