"""Deleting an account (SPEC §12): Cognito user signed out and deleted, the site's row closed with
placeholders, the link removed, then every registered section of the user's data erased.

Each step is idempotent and recorded on the AccountDeletion as it completes, so a run that
crashes (or gives up on an unreachable AWS) after any step is finished by the next run: the same
request repeated, the admin action again, or the scheduled `account_deletions_resume`. Network
steps (Cognito, S3) run outside any transaction and hold no lock: a lease column on the record,
taken with one UPDATE, keeps two runs from working on the same deletion at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.lifecycle import user_data_sections
from accounts.models import AccountDeletion, CognitoIdentity
from accounts.passwords import site_password_unusable
from aws.clients import cognito_idp_client
from legacy.models import LegacyUser

logger = logging.getLogger(__name__)

# The steps accounts does itself, first and in this order; the registered sections follow.
STEP_COGNITO_SIGN_OUT: Final = "cognito_sign_out"
STEP_COGNITO_DELETE: Final = "cognito_delete"
STEP_SITE_USER: Final = "site_user"
STEP_LINK: Final = "link"
ACCOUNT_STEPS: Final = (STEP_COGNITO_SIGN_OUT, STEP_COGNITO_DELETE, STEP_SITE_USER, STEP_LINK)

# The placeholders of a deleted site row: unique (they carry the user id) and never anyone's
# address (RFC 2606 reserves .invalid).
DELETED_EMAIL_DOMAIN: Final = "deleted.invalid"
DELETED_USERNAME_PREFIX: Final = "deleted-"
# Longer than any Lambda invocation (15 min): a run that died leaves its lease to expire.
LEASE_SECONDS: Final = 15 * 60
COGNITO_USER_NOT_FOUND: Final = "UserNotFoundException"
ERROR_TEXT_MAX_LENGTH: Final = 500


class AccountDeletionIncomplete(Exception):
    """A step failed; the steps before it are recorded and a later run goes on from it."""

    def __init__(self, deletion: AccountDeletion, step: str) -> None:
        super().__init__(f"Account deletion of site user {deletion.site_user_id} stopped at step {step!r}.")
        self.deletion = deletion
        self.step = step


class AccountDeletionBusy(Exception):
    """Another run is working on this deletion right now."""

    def __init__(self, deletion: AccountDeletion) -> None:
        super().__init__(f"Account deletion of site user {deletion.site_user_id} is already running.")
        self.deletion = deletion


def account_deletion_steps() -> list[str]:
    """Every step of a deletion, in order: accounts' own, then each registered section's eraser."""
    return [*ACCOUNT_STEPS, *(section.section for section in user_data_sections() if section.erase is not None)]


def account_is_closed(deletion: AccountDeletion) -> bool:
    """Whether the account can no longer be used (Cognito user gone, site row closed)."""
    return STEP_SITE_USER in deletion.completed_steps


def account_deletion_start(*, site_user_id: int, requested_by: str, cognito_username: str = "") -> AccountDeletion:
    """The deletion of a site account: recorded now (with the linked Cognito user), or the one
    already recorded, so asking twice never starts two. Runs no step (account_deletion_run)."""
    link = CognitoIdentity.objects.filter(site_user_id=site_user_id).first()
    try:
        deletion, created = AccountDeletion.objects.get_or_create(
            site_user_id=site_user_id,
            defaults={
                "requested_by": requested_by[:160],
                "cognito_sub": link.sub if link is not None else "",
                "cognito_username": cognito_username[:128],
            },
        )
    except IntegrityError:  # two first requests at once: the other one recorded it
        deletion, created = AccountDeletion.objects.get(site_user_id=site_user_id), False
    if not created and link is not None and not deletion.cognito_sub:
        # Linked after an earlier deletion request recorded none (e.g. staff first, then the app).
        AccountDeletion.objects.filter(pk=deletion.pk).update(cognito_sub=link.sub)
        deletion.cognito_sub = link.sub
    if created:
        logger.info("Account deletion of site user %s requested by %s.", site_user_id, requested_by)
    return deletion


def account_deletion_run(*, deletion: AccountDeletion, max_steps: int | None = None) -> AccountDeletion:
    """Do the steps of ``deletion`` not done yet, in order, recording each; at most ``max_steps``.

    Raises AccountDeletionIncomplete when a step fails (its error is recorded; what was done
    stays done) and AccountDeletionBusy when another run holds the deletion. Returns the record,
    with ``finished_at`` set once every step is done.
    """
    now = timezone.now()
    claimed = AccountDeletion.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=deletion.pk, finished_at__isnull=True
    ).update(lease_until=now + timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1)
    deletion.refresh_from_db()
    if not claimed:
        if deletion.finished_at is not None:
            return deletion
        raise AccountDeletionBusy(deletion)
    done = list(deletion.completed_steps)
    ran = 0
    try:
        for step in account_deletion_steps():
            if step in done:
                continue
            if max_steps is not None and ran >= max_steps:
                break
            try:
                _step_function(step)(deletion)
            except Exception as exc:
                error = f"{step}: {type(exc).__name__}: {exc}"[:ERROR_TEXT_MAX_LENGTH]
                AccountDeletion.objects.filter(pk=deletion.pk).update(last_error=error)
                logger.warning("Account deletion of site user %s failed at %s.", deletion.site_user_id, error)
                raise AccountDeletionIncomplete(deletion, step) from exc
            done.append(step)
            ran += 1
            AccountDeletion.objects.filter(pk=deletion.pk).update(completed_steps=done)
        if all(step in done for step in account_deletion_steps()):
            AccountDeletion.objects.filter(pk=deletion.pk).update(finished_at=timezone.now(), last_error="")
            logger.info("Account deletion of site user %s finished.", deletion.site_user_id)
    finally:
        AccountDeletion.objects.filter(pk=deletion.pk).update(lease_until=None)
        deletion.refresh_from_db()
    return deletion


def account_delete(*, site_user_id: int, requested_by: str, cognito_username: str = "") -> AccountDeletion:
    """Record and run the deletion of an account (the API's and the admin's one call)."""
    deletion = account_deletion_start(
        site_user_id=site_user_id, requested_by=requested_by, cognito_username=cognito_username
    )
    return account_deletion_run(deletion=deletion)


@dataclass(frozen=True)
class ResumeSummary:
    finished: int
    incomplete: int
    busy: int


def account_deletions_resume() -> ResumeSummary:
    """Finish every deletion a crash or an outage left unfinished (the scheduled event)."""
    finished = incomplete = busy = 0
    for deletion in AccountDeletion.objects.filter(finished_at__isnull=True).order_by("requested_at"):
        try:
            account_deletion_run(deletion=deletion)
        except AccountDeletionIncomplete:
            incomplete += 1
        except AccountDeletionBusy:
            busy += 1
        else:
            finished += 1
    return ResumeSummary(finished=finished, incomplete=incomplete, busy=busy)


# --- The steps ------------------------------------------------------------------------------------


def _step_function(step: str) -> Callable[[AccountDeletion], object]:
    own: dict[str, Callable[[AccountDeletion], object]] = {
        STEP_COGNITO_SIGN_OUT: _cognito_sign_out,
        STEP_COGNITO_DELETE: _cognito_delete,
        STEP_SITE_USER: _site_user_close,
        STEP_LINK: _link_remove,
    }
    if step in own:
        return own[step]
    for section in user_data_sections():
        if section.section == step and section.erase is not None:
            erase = section.erase
            return lambda deletion: erase(site_user_id=deletion.site_user_id)
    raise LookupError(f"No eraser is registered for step {step!r}.")


def _cognito_username(deletion: AccountDeletion) -> str | None:
    """The Cognito username to delete: from the caller's token, else looked up by `sub`; None
    when the account has no Cognito user (any more)."""
    if deletion.cognito_username:
        return deletion.cognito_username
    if not deletion.cognito_sub:
        return None
    # `sub` is a UUID (no quotes to escape); ListUsers filters on it exactly.
    users = cognito_idp_client().list_users(
        UserPoolId=settings.COGNITO_USER_POOL_ID, Filter=f'sub = "{deletion.cognito_sub}"', Limit=1
    )["Users"]
    return str(users[0]["Username"]) if users else None


def _cognito_call(operation: str, deletion: AccountDeletion) -> None:
    username = _cognito_username(deletion)
    if username is None:
        return
    try:
        getattr(cognito_idp_client(), operation)(UserPoolId=settings.COGNITO_USER_POOL_ID, Username=username)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != COGNITO_USER_NOT_FOUND:
            raise
        # Already gone: what this step wanted.


def _cognito_sign_out(deletion: AccountDeletion) -> None:
    """Every refresh token of the user revoked: no app of theirs gets new tokens."""
    _cognito_call("admin_user_global_sign_out", deletion)


def _cognito_delete(deletion: AccountDeletion) -> None:
    _cognito_call("admin_delete_user", deletion)
    # The username may be the person's email: not kept once the user is gone (a repeat of this
    # step then looks the user up by `sub` and finds none).
    AccountDeletion.objects.filter(pk=deletion.pk).update(cognito_username="")
    deletion.cognito_username = ""


def _site_user_close(deletion: AccountDeletion) -> None:
    """The site's row: `deleted`, placeholders instead of personal fields, a password nothing
    matches (PHP's password_verify() included). Only these columns are written."""
    user = LegacyUser.objects.filter(pk=deletion.site_user_id).first()
    if user is None:
        return  # the site removed the row itself
    placeholder = f"{DELETED_USERNAME_PREFIX}{deletion.site_user_id}"
    for suffix in ("", f"-{secrets.token_hex(4)}"):
        user.status = LegacyUser.Status.DELETED
        user.email = f"{placeholder}{suffix}@{DELETED_EMAIL_DOMAIN}"
        user.username = f"{placeholder}{suffix}"
        user.display_name = None
        user.password = site_password_unusable()
        user.last_login = None
        try:
            # A savepoint, so a clash leaves the surrounding transaction usable for the retry.
            with transaction.atomic(using=settings.LEGACY_DATABASE_ALIAS):
                user.save(update_fields=["status", "email", "username", "display_name", "password", "last_login"])
            return
        except IntegrityError:
            # A site user really is called "deleted-42": the random suffix makes it unique.
            if suffix:
                raise


def _link_remove(deletion: AccountDeletion) -> None:
    CognitoIdentity.objects.filter(site_user_id=deletion.site_user_id).delete()
