"""Writes of the accounts room: linking Cognito users to site users, profile edits, API keys."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import API_KEY_PREFIX_LENGTH, AccountDeletion, ApiKey, CognitoIdentity, api_key_digest
from accounts.passwords import (
    site_password_burn_time,
    site_password_hash,
    site_password_needs_upgrade,
    site_password_unusable,
    site_password_verify,
)
from legacy.models import BCRYPT_PREFIX, LegacyUser
from legacy.validators import fits_utf8mb3

logger = logging.getLogger(__name__)

API_KEY_BYTES = 32
# Site usernames are at most 60 characters; a new account gets the email's local part, made unique.
USERNAME_MAX_LENGTH = 60
DISPLAY_NAME_MAX_LENGTH = 100
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# What stands in, in a display name, for a character the site's utf8 (3-byte) column cannot store.
UNSTORABLE_CHARACTER = "\ufffd"


class SiteAccountUnavailable(Exception):
    """The Cognito user's site account is suspended or deleted: the API refuses it (403)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"This account is {status} on the site.")
        self.status = status


@dataclass(frozen=True)
class CognitoPerson:
    """What the linking needs from a verified token."""

    sub: str
    email: str | None
    email_verified: bool
    name: str | None = None


def email_normalised(email: str) -> str:
    """SPEC §3's form of an email for linking: trimmed, ASCII letters lower-cased, nothing else touched.

    Not str.lower(): that maps "İ" or "K" (Kelvin) onto ASCII letters, the lookalikes the site's
    accent-insensitive collation also confuses.
    """
    return email.strip().translate(_ASCII_LOWER)


def email_linkable(email: str | None) -> str | None:
    """The normalised email when it may link to an existing site account, else None.

    Only plain ASCII addresses (one "@", no whitespace or control characters) link, and only as the
    token gives them: a token email with spaces around it ("victim@gmail.com ") never links, as
    the site's collation would have called it equal to another person's address.
    """
    if not email or email != email.strip() or not email.isascii():
        return None
    if email.count("@") != 1 or any(character.isspace() or ord(character) < 32 for character in email):
        return None
    return email_normalised(email)


def _free_username(email: str) -> str:
    # Plain characters only: the username column is latin1 and the site shows it in URLs.
    base = (re.sub(r"[^A-Za-z0-9._-]+", "", email.split("@", 1)[0]) or "member")[: USERNAME_MAX_LENGTH - 8]
    candidate = base
    while LegacyUser.objects.filter(username=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


def _existing_link(sub: str) -> LegacyUser | None:
    if settings.LEGACY_DATABASE_ALIAS == "default":
        # Every authenticated request asks this: one JOIN instead of two round trips (make bench's
        # warm-latency and queries-per-request rows). Only when both tables share a database.
        return LegacyUser.objects.filter(cognito_identity__sub=sub).first()
    identity = CognitoIdentity.objects.filter(sub=sub).first()
    if identity is None:
        return None
    return LegacyUser.objects.filter(pk=identity.site_user_id).first()


def site_user_for_cognito(*, person: CognitoPerson) -> LegacyUser:
    """The site user a Cognito user is, linking them on first sight.

    An existing site account is linked only through an email Cognito has verified; otherwise the
    person gets a new site account (so the PHP site knows them too). Suspended or deleted site
    accounts raise SiteAccountUnavailable.
    """
    user = _existing_link(person.sub)
    if user is None:
        user = _link_on_first_sight(person)
    if user.status != LegacyUser.Status.ACTIVE:
        raise SiteAccountUnavailable(user.status)
    return user


def _link_on_first_sight(person: CognitoPerson) -> LegacyUser:
    """Link ``person`` to a site account; the account and the link commit together or not at all.

    When two first requests of the same person race, the loser's new site row is rolled back with
    its link (both tables are InnoDB) and it answers with the winner's account. A Cognito user
    whose account was deleted is never linked again (its tokens may live on until they expire).
    """
    if AccountDeletion.objects.filter(cognito_sub=person.sub).exists():
        raise SiteAccountUnavailable(LegacyUser.Status.DELETED)
    try:
        with transaction.atomic(using=settings.LEGACY_DATABASE_ALIAS), transaction.atomic():
            user, linked_by = _site_account_for(person)
            CognitoIdentity.objects.create(sub=person.sub, site_user_id=user.pk, linked_by=linked_by)
            return user
    except IntegrityError:
        linked = _existing_link(person.sub)
        if linked is None:
            raise
        return linked


def _site_account_for(person: CognitoPerson) -> tuple[LegacyUser, str]:
    """The site account to link: the unlinked one with this verified email, or a new one.

    MySQL only narrows the candidates (its collation calls "Gmaíl.com " and "gmail.com" equal);
    the match itself is exact, in Python, on SPEC §3's normal form of both sides.
    """
    email = email_linkable(person.email) if person.email_verified else None
    same_email = _site_users_with_email(email) if email else []
    if same_email:
        user = same_email[0]
        # Already someone else's: never share a site account between two logins.
        if not CognitoIdentity.objects.filter(site_user_id=user.pk).exists():
            return user, "email"
    # Only a verified, unused, plain email goes on the site; anything else would let a stranger
    # claim it (and the site's latin1 column could not hold every address).
    site_email = email if email and not _site_email_taken(email) else None
    user = LegacyUser.objects.create(
        email=site_email or f"{person.sub}@users.invalid",
        username=_free_username(site_email or person.sub),
        password=site_password_unusable(),  # the site has no password for them yet
        display_name=display_name_storable(person.name),
        status=LegacyUser.Status.ACTIVE,
    )
    return user, "created"


def _site_users_with_email(email: str) -> list[LegacyUser]:
    """Site users whose email is exactly `email` once normalised (the query's collation only narrows)."""
    candidates = LegacyUser.objects.filter(email=email).order_by("user_id")
    return [user for user in candidates if email_normalised(user.email) == email]


def _site_email_taken(email: str) -> bool:
    # The column's unique index uses the collation: a lookalike there would refuse the insert.
    return LegacyUser.objects.filter(email=email).exists()


def display_name_storable(name: str | None) -> str | None:
    """A token's name as the site's display_name column can hold it: characters it cannot store
    (emoji, control characters) replaced, cut to the column's length; None for nothing left."""
    if not name:
        return None
    storable = "".join(
        character if fits_utf8mb3(character) and (character.isprintable() or character == " ") else UNSTORABLE_CHARACTER
        for character in name.strip()
    )[:DISPLAY_NAME_MAX_LENGTH]
    return storable or None


def site_password_check(*, site_user: LegacyUser | None, password: str) -> bool:
    """Whether ``password`` is ``site_user``'s site password; an old hash is upgraded on success.

    Costs one bcrypt check whatever happens (also for a missing user or an md5 hash), so timing
    does not tell which accounts exist. The upgrade rewrites only the password column, and only
    if the site has not changed it since it was read, so PHP keeps verifying it.
    """
    stored = site_user.password if site_user is not None else ""
    if site_user is None or not stored.startswith(BCRYPT_PREFIX):
        site_password_burn_time(password)
    if site_user is None or not site_password_verify(password, stored):
        return False
    if site_password_needs_upgrade(stored):
        upgraded = site_password_hash(password)
        if LegacyUser.objects.filter(user_id=site_user.user_id, password=stored).update(password=upgraded):
            site_user.password = upgraded
            logger.info("Site user %s: password hash upgraded to bcrypt.", site_user.user_id)
    return True


def site_user_update_display_name(*, user: LegacyUser, display_name: str | None) -> LegacyUser:
    """Change a site user's display name (validated by the caller), writing only that column."""
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def api_key_issue(*, api_key: ApiKey) -> str:
    """Give the unsaved ``api_key`` a new key and save it; returns the key, shown once, never stored."""
    key = secrets.token_urlsafe(API_KEY_BYTES)
    api_key.prefix = key[:API_KEY_PREFIX_LENGTH]
    api_key.digest = api_key_digest(key)
    api_key.save()
    return key


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """A new, saved API key named ``name``, and the key itself."""
    api_key = ApiKey(name=name)
    return api_key, api_key_issue(api_key=api_key)


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def api_key_is_valid(key: str | None) -> bool:
    """Whether ``key`` is an issued, unrevoked key (always true when keys are not required)."""
    if not settings.API_KEY_REQUIRED:
        return True
    if not key:
        return False
    return ApiKey.objects.filter(digest=api_key_digest(key), revoked_at__isnull=True).exists()
