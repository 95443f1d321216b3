"""The PHP site's password formats (SPEC §1 `users.password`): check, hash and upgrade them the way
PHP's password_hash()/password_verify() do, so a hash written here keeps working on the site.

Two formats live in the column: PHP bcrypt (`$2y$10$...`, the same algorithm as `$2b$`) and, for
accounts older than 2013, an unsalted md5 hex digest. bcrypt only reads the first 72 bytes of a
password; PHP truncates silently while the bcrypt library (>= 5) raises, so every function here
truncates the UTF-8 bytes to 72 first. Nothing here ever logs a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache

import bcrypt

from legacy.models import MD5_HEX_PATTERN

# PHP's default bcrypt cost (PASSWORD_DEFAULT up to PHP 8.3); the site's hashes use it.
SITE_BCRYPT_COST = 10
# What PHP writes; bcrypt's "$2b$" is the same algorithm under another name.
PHP_BCRYPT_PREFIX = "$2y$"
# bcrypt reads no more than this many bytes of a password.
BCRYPT_MAX_PASSWORD_BYTES = 72
# Costs bcrypt accepts that a login can afford: a damaged row claiming cost 31 would take days
# to check (PHP's default is 10, and 12 from PHP 8.4).
BCRYPT_COST_RANGE = range(4, 16)
# A stored value starting with "!" is neither bcrypt nor md5: password_verify() rejects every
# password against it, here and on the site (Django uses the same convention).
UNUSABLE_SITE_PASSWORD_PREFIX = "!"  # noqa: S105 - a marker, not a password

# "$2a$"/"$2b$"/"$2y$", a two-digit cost, then 22 characters of salt and 31 of hash.
_BCRYPT_PATTERN = re.compile(r"\$2([aby])\$([0-9]{2})\$[./A-Za-z0-9]{53}")
_MD5_HEX_PATTERN = re.compile(MD5_HEX_PATTERN)


def site_password_verify(password: str, stored: str) -> bool:
    """True when ``password`` matches the site's ``stored`` hash (PHP bcrypt or old md5).

    Anything that is neither a bcrypt hash nor an md5 hex digest (an unusable marker, an empty or
    damaged value) is False; this function never raises on what it finds in the column.
    """
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    bcrypt_match = _BCRYPT_PATTERN.fullmatch(stored)
    if bcrypt_match is not None:
        return int(bcrypt_match.group(2)) in BCRYPT_COST_RANGE and _bcrypt_verify(password, stored)
    if _MD5_HEX_PATTERN.fullmatch(stored):
        computed = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(computed, stored.lower())
    return False


def site_password_hash(password: str) -> str:
    """A PHP-compatible bcrypt hash of ``password``: `$2y$10$...`, exactly what password_hash() writes.

    Raises ValueError for a password containing a NUL character, as PHP 8 does.
    """
    encoded = _bcrypt_password_bytes(password)
    hashed = bcrypt.hashpw(encoded, bcrypt.gensalt(rounds=SITE_BCRYPT_COST)).decode("ascii")
    return PHP_BCRYPT_PREFIX + hashed.removeprefix("$2b$")


def site_password_needs_upgrade(stored: str) -> bool:
    """True when a hash that just verified should be rewritten with site_password_hash().

    md5 always; bcrypt below the site's cost, or under a prefix other than PHP's "$2y$" (PHP's own
    password_needs_rehash() does not recognise those as its bcrypt either). Unusable or damaged
    values are False: there is nothing to upgrade from.
    """
    if not isinstance(stored, str):
        return False
    if _MD5_HEX_PATTERN.fullmatch(stored):
        return True
    bcrypt_match = _BCRYPT_PATTERN.fullmatch(stored)
    if bcrypt_match is None:
        return False
    variant, cost = bcrypt_match.group(1), int(bcrypt_match.group(2))
    return variant != "y" or cost < SITE_BCRYPT_COST


def site_password_unusable() -> str:
    """A value for `users.password` that no password matches, here or in PHP's password_verify().

    Random after the prefix, like Django's unusable passwords, so two such rows never look alike.
    """
    return UNUSABLE_SITE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def site_password_is_usable(stored: str) -> bool:
    """True when ``stored`` is a format some password can match (bcrypt or md5)."""
    return isinstance(stored, str) and bool(_BCRYPT_PATTERN.fullmatch(stored) or _MD5_HEX_PATTERN.fullmatch(stored))


def site_password_burn_time(password: str) -> None:
    """Spend the time of one bcrypt check at the site's cost, for a login that has no real hash to
    check, so a response's timing does not tell whether a username exists."""
    _bcrypt_verify(password, _dummy_hash())


def _bcrypt_verify(password: str, stored: str) -> bool:
    try:
        encoded = _bcrypt_password_bytes(password)
    except ValueError:
        # PHP would truncate at the NUL and might accept; refusing is the safe side of that quirk.
        return False
    # The bcrypt library knows "$2a$" and "$2b$", not PHP's "$2y$" (the same algorithm).
    if stored.startswith(PHP_BCRYPT_PREFIX):
        stored = "$2b$" + stored.removeprefix(PHP_BCRYPT_PREFIX)
    try:
        return bcrypt.checkpw(encoded, stored.encode("ascii"))
    except ValueError:
        # A damaged salt or an out-of-range cost.
        return False


def _bcrypt_password_bytes(password: str) -> bytes:
    """The bytes bcrypt sees: UTF-8, cut at 72 bytes like PHP (possibly inside a character)."""
    encoded = password.encode()
    if b"\0" in encoded:
        raise ValueError("A site password cannot contain a NUL character.")
    return encoded[:BCRYPT_MAX_PASSWORD_BYTES]


@cache
def _dummy_hash() -> str:
    return site_password_hash(secrets.token_urlsafe(16))
