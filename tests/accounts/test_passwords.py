"""Site passwords against PHP itself: hashes PHP makes verify here, ours verify in PHP, and the
72-byte limit behaves the same on both sides."""

from __future__ import annotations

import hashlib

import pytest

from accounts.passwords import (
    UNUSABLE_SITE_PASSWORD_PREFIX,
    site_password_hash,
    site_password_is_usable,
    site_password_needs_upgrade,
    site_password_unusable,
    site_password_verify,
)
from tests.accounts.php import php_md5, php_password_hash, php_password_needs_rehash, php_password_verify

PASSWORDS = {
    "ascii": "correct horse battery staple",
    "accented": "Crème brûlée à Noël ½€",
    "exactly_72_bytes": "p" * 70 + "é",  # 70 + 2 bytes
    "over_72_bytes": "long passphrase " * 6,  # 96 bytes
    "cut_inside_a_character": "x" * 71 + "é" + "tail",  # byte 72 is the first half of "é"
    "emoji": "🔑 open sesame",
}


@pytest.mark.parametrize("password", PASSWORDS.values(), ids=PASSWORDS.keys())
def test_php_hash_verifies_here(password: str) -> None:
    stored = php_password_hash(password)

    assert stored.startswith("$2y$")
    assert site_password_verify(password, stored)
    if len(password.encode()) < 72:
        assert not site_password_verify(password + "!", stored)
    assert not site_password_verify("wrong", stored)


@pytest.mark.parametrize("password", PASSWORDS.values(), ids=PASSWORDS.keys())
def test_our_hash_verifies_in_php(password: str) -> None:
    stored = site_password_hash(password)

    assert php_password_verify(password, stored)
    assert not php_password_verify("wrong", stored)
    assert site_password_verify(password, stored)


def test_our_hash_is_what_php_writes() -> None:
    stored = site_password_hash("secret")

    assert stored.startswith("$2y$10$")
    assert len(stored) == 60
    assert not php_password_needs_rehash(stored, cost=10)
    assert not site_password_needs_upgrade(stored)


def test_over_72_bytes_behaves_as_in_php() -> None:
    shared = "a" * 72
    first, second = shared + "first ending", shared + "another ending"
    by_php, by_us = php_password_hash(first), site_password_hash(first)

    for stored in (by_php, by_us):
        assert php_password_verify(first, stored)
        assert php_password_verify(second, stored)
        assert site_password_verify(first, stored)
        assert site_password_verify(second, stored)
        assert not php_password_verify(shared[:-1], stored)
        assert not site_password_verify(shared[:-1], stored)


def test_other_bcrypt_prefixes_and_costs_verify() -> None:
    by_php = php_password_hash("secret", cost=4)
    as_2a, as_2b = "$2a$" + by_php[4:], "$2b$" + by_php[4:]

    for stored in (by_php, as_2a, as_2b):
        assert site_password_verify("secret", stored)
        assert not site_password_verify("Secret", stored)
    assert site_password_needs_upgrade(by_php)  # cost 4 < 10
    assert site_password_needs_upgrade("$2b$" + php_password_hash("secret")[4:])  # PHP would rehash it too


@pytest.mark.parametrize("password", ["sunshine2009", "Crème brûlée", ""])
def test_md5_verifies(password: str) -> None:
    stored = php_md5(password)

    assert stored == hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    assert site_password_verify(password, stored)
    assert site_password_verify(password, stored.upper())
    assert not site_password_verify(password + "x", stored)
    assert site_password_needs_upgrade(stored)


GARBAGE = [
    "",
    "!",
    "*0",
    "x" * 60,
    "$2y$10$",
    "$2y$10$" + "a" * 52,  # one character short
    "$2y$10$" + "a" * 54,
    "$2y$10$" + "~" * 53,
    "$2y$99$" + "a" * 53,  # cost bcrypt refuses
    "$2y$31$" + "a" * 53,  # valid but would take days: refused without trying
    "$2y$1٠$" + "a" * 53,  # a non-ASCII digit
    "$2x$10$" + "a" * 53,  # PHP's "buggy crypt_blowfish" variant
    "$2y$10$" + "a" * 53 + "\n",
    "$1$salt$hash",
    "0123456789abcdef0123456789abcdeg",  # 32 characters, not all hex
    "0123456789abcdef0123456789abcde",
    "5f4dcc3b5aa765d61d8327deb882cf99\n",
    "\x00" * 32,
    "pbkdf2_sha256$1000000$salt$hash",
]


@pytest.mark.parametrize("stored", GARBAGE)
def test_garbage_hashes_are_false_never_errors(stored: str) -> None:
    assert site_password_verify("password", stored) is False
    assert site_password_verify("", stored) is False
    assert site_password_needs_upgrade(stored) is False


def test_garbage_salt_is_false() -> None:
    # Well-formed to the pattern, but the salt's last character has bits bcrypt refuses (or
    # accepts, depending on the library): either way, no exception and no match.
    assert site_password_verify("password", "$2y$10$" + "." * 21 + "z" + "a" * 31) is False


def test_a_password_with_nul_is_refused() -> None:
    stored = site_password_hash("a")

    assert php_password_verify(b"a\0b", stored)  # PHP stops at the NUL ...
    assert site_password_verify("a\0b", stored) is False  # ... we refuse instead of guessing
    with pytest.raises(ValueError, match="NUL"):
        site_password_hash("a\0b")


def test_unusable_password_matches_nothing_anywhere() -> None:
    first, second = site_password_unusable(), site_password_unusable()

    assert first != second
    assert first.startswith(UNUSABLE_SITE_PASSWORD_PREFIX)
    assert not site_password_is_usable(first)
    for password in ("", "!", first, first[1:]):
        assert not site_password_verify(password, first)
        assert not php_password_verify(password, first)
    assert not site_password_needs_upgrade(first)


def test_usable_formats() -> None:
    assert site_password_is_usable(site_password_hash("x"))
    assert site_password_is_usable(php_md5("x"))
    assert not site_password_is_usable("")
