"""Tests of devstack.demo_data: demo rows in the legacy tables, written as the PHP site would."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse

from devstack.demo_data import (
    DEMO_ACCOUNTS,
    DEMO_BCRYPT_PASSWORDS,
    DEMO_MD5_PASSWORDS,
    DEMO_MD5_USER,
    DEMO_SITE_ADMIN,
    DEMO_USER,
    DEMO_USER_NOTES,
    LATIN1_HEADLINES,
    LATIN1_SENTENCES,
    PEOPLE,
    TAGS,
    DemoSummary,
    LegacyTablesMissingError,
    load_demo_data,
)
from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from legacy.schema import create_legacy_tables

SMALL = {"users": 60, "notes": 300}
ZERO_DATE = "0000-00-00 00:00:00"


def _rows(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connections[settings.LEGACY_DATABASE_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _scalar(sql: str, params: tuple[Any, ...] = ()) -> Any:
    return _rows(sql, params)[0][0]


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every legacy row, as the database holds it (HEX for text, so bytes are compared)."""
    return {
        "users": _rows(
            "SELECT user_id, HEX(email), HEX(username), password, HEX(display_name), status, is_admin,"
            " CAST(created_at AS CHAR), last_login FROM users ORDER BY user_id"
        ),
        "notes": _rows(
            "SELECT note_id, user_id, HEX(headline), HEX(body), photo_path, visibility,"
            " CAST(created_at AS CHAR), updated_at, deleted FROM notes ORDER BY note_id"
        ),
        "note_tags": _rows("SELECT note_id, HEX(tag) FROM note_tags ORDER BY note_id, tag"),
        "login_audit": _rows("SELECT user_id, ip, at FROM login_audit ORDER BY user_id, at, ip"),
    }


def _php_verify(password: str, stored: str) -> bool:
    """PHP password_verify() for "$2y$": the same algorithm as "$2b$"."""
    return bcrypt.checkpw(password.encode(), ("$2b$" + stored.removeprefix("$2y$")).encode())


def _md5(password: str) -> str:
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def small() -> DemoSummary:
    return load_demo_data(**SMALL)


# --- Vocabulary -----------------------------------------------------------------------------


def test_display_names_fit_3_byte_utf8() -> None:
    names = [name for name, _stem in PEOPLE] + [account.display_name for account in DEMO_ACCOUNTS]
    assert all(ord(char) <= 0xFFFF for name in names for char in name)


def test_text_for_latin1_columns_fits_cp1252_and_the_rest_is_ascii() -> None:
    for text in (*LATIN1_HEADLINES, *LATIN1_SENTENCES, *TAGS):
        text.encode("cp1252")
    for note in DEMO_USER_NOTES:
        (note.headline + note.body).encode("cp1252")


# --- Counts ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_small_load_counts(small: DemoSummary) -> None:
    assert small.users == 60
    assert 4 <= small.md5_users <= 9
    assert 1 <= small.suspended <= 4
    assert 1 <= small.deleted <= 4
    assert 3 <= small.admins <= 5  # siteadmin and oldtimer, and a few of the others
    assert 5 <= small.zero_date_users <= 14
    assert small.notes == 300
    assert 300 <= small.tags <= 600
    assert 40 <= small.photos <= 90
    assert 3 <= small.zero_date_notes <= 20
    assert 5 <= small.latin1_rows <= 20
    assert 5 <= small.deleted_notes <= 40
    assert small.logins > 20


@pytest.mark.django_db
def test_summary_matches_the_tables(small: DemoSummary) -> None:
    assert small.users == _scalar("SELECT COUNT(*) FROM users")
    assert small.zero_date_users == _scalar("SELECT COUNT(*) FROM users WHERE created_at = %s", (ZERO_DATE,))
    assert small.zero_date_notes == _scalar("SELECT COUNT(*) FROM notes WHERE created_at = %s", (ZERO_DATE,))
    assert small.photos == _scalar("SELECT COUNT(*) FROM notes WHERE photo_path IS NOT NULL")
    assert small.deleted_notes == _scalar("SELECT COUNT(*) FROM notes WHERE deleted = 1")
    assert small.tags == _scalar("SELECT COUNT(*) FROM note_tags")
    assert small.md5_users == _scalar("SELECT COUNT(*) FROM users WHERE password REGEXP '^[0-9a-f]{32}$'")


@pytest.mark.django_db
def test_notes_look_like_years_of_a_php_site(small: DemoSummary) -> None:
    visibilities = dict(_rows("SELECT visibility, COUNT(*) FROM notes GROUP BY visibility"))
    assert visibilities["public"] > 50
    assert visibilities["private"] > 100
    years = _rows("SELECT MIN(created_at), MAX(created_at) FROM notes WHERE created_at <> %s", (ZERO_DATE,))[0]
    assert years[0].year <= 2011
    assert years[1].year >= 2023
    assert _scalar("SELECT COUNT(*) FROM notes WHERE body LIKE %s", ("%\r\n%",)) > 10
    assert _scalar("SELECT COUNT(*) FROM notes WHERE body LIKE %s", ("%\n\n%",)) > 10
    photo_paths = [path for (path,) in _rows("SELECT photo_path FROM notes WHERE photo_path IS NOT NULL")]
    assert len(set(photo_paths)) == len(photo_paths)
    assert all(path.startswith("uploads/20") for path in photo_paths)
    tags_per_note = _rows("SELECT COUNT(*) FROM note_tags GROUP BY note_id")
    assert max(count for (count,) in tags_per_note) <= 4
    assert _scalar("SELECT COUNT(*) FROM notes WHERE note_id NOT IN (SELECT note_id FROM note_tags)") > 0
    assert _scalar("SELECT COUNT(*) FROM notes WHERE user_id NOT IN (SELECT user_id FROM users)") == 0


@pytest.mark.django_db
def test_login_audit_has_ipv4_and_ipv6(small: DemoSummary) -> None:
    ips = [ip for (ip,) in _rows("SELECT ip FROM login_audit")]
    assert any(":" in ip for ip in ips)
    assert any("." in ip and ":" not in ip for ip in ips)
    assert _scalar("SELECT COUNT(*) FROM users WHERE last_login IS NULL") > 0


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_most_passwords_are_php_bcrypt_and_the_demo_passwords_verify(small: DemoSummary) -> None:
    hashes = [password for (password,) in _rows("SELECT password FROM users")]
    bcrypt_hashes = [value for value in hashes if value.startswith("$2y$10$")]
    assert len(bcrypt_hashes) >= 0.8 * len(hashes)
    assert all(len(value) == 60 for value in bcrypt_hashes)
    assert all(value.startswith("$2y$10$") or len(value) == 32 for value in hashes)
    assert len(set(bcrypt_hashes)) <= 8
    # The fixed accounts' own hashes are checked in test_fixed_demo_accounts.
    fixed = (DEMO_SITE_ADMIN.username, DEMO_USER.username)
    pool = _rows("SELECT DISTINCT password FROM users WHERE password LIKE %s AND username NOT IN %s", ("$2y$%", fixed))
    candidates = list(DEMO_BCRYPT_PASSWORDS)
    for (stored,) in pool:
        password = next((candidate for candidate in candidates if _php_verify(candidate, stored)), None)
        assert password is not None, stored
        candidates.remove(password)


@pytest.mark.django_db
def test_md5_users_hold_unsalted_md5_of_a_demo_password(small: DemoSummary) -> None:
    rows = _rows("SELECT password, created_at, last_login FROM users WHERE password NOT LIKE %s", ("$%",))
    known = {_md5(password) for password in DEMO_MD5_PASSWORDS}
    before_bcrypt = datetime(2013, 1, 1)  # noqa: DTZ001 - DATETIME columns read back naive
    assert rows
    for password, created_at, last_login in rows:
        assert password in known
        assert created_at is None or created_at < before_bcrypt
        assert last_login is None or last_login < before_bcrypt


@pytest.mark.django_db
def test_bcrypt_users_from_before_2013_signed_in_since(small: DemoSummary) -> None:
    """The site rehashed md5 passwords at sign-in: an old account with bcrypt has signed in since."""
    rows = _rows(
        "SELECT last_login FROM users WHERE password LIKE %s AND created_at < %s AND username <> %s",
        ("$2y$%", "2013-01-01", DEMO_SITE_ADMIN.username),
    )
    assert rows
    assert all(last_login is not None and last_login.year >= 2013 for (last_login,) in rows)


@pytest.mark.django_db
def test_fixed_demo_accounts(small: DemoSummary) -> None:
    admin = LegacyUser.objects.get(username=DEMO_SITE_ADMIN.username)
    assert admin.email == "admin@example.com"
    assert admin.is_admin
    assert admin.status == LegacyUser.Status.ACTIVE
    assert admin.password.startswith("$2y$10$")
    assert _php_verify(DEMO_SITE_ADMIN.password, admin.password)

    old = LegacyUser.objects.get(username=DEMO_MD5_USER.username)
    assert old.password == _md5(DEMO_MD5_USER.password)
    assert old.is_admin  # so the md5 → bcrypt upgrade at admin sign-in can be shown

    demo = LegacyUser.objects.get(username=DEMO_USER.username)
    assert _php_verify(DEMO_USER.password, demo.password)
    assert demo.display_name == "Zoë Demo"
    notes = list(LegacyNote.objects.filter(user=demo, deleted=False))
    assert {note.headline for note in notes} == {note.headline for note in DEMO_USER_NOTES}
    assert {note.visibility for note in notes} == {"public", "private"}
    beach = next(note for note in notes if note.headline == "Beach day in Brighton")
    assert beach.photo_path == "uploads/2014/03/beach.jpg"
    assert beach.created_at == datetime(2014, 3, 15, 14, 2, 11, tzinfo=UTC)
    assert set(LegacyNoteTag.objects.filter(note=beach).values_list("tag", flat=True)) == {"beach", "photos", "travel"}


# --- Quirks ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_zero_dates_are_stored_and_read_back_as_none(small: DemoSummary) -> None:
    assert _scalar("SELECT COUNT(*) FROM users WHERE created_at = '0000-00-00 00:00:00'") > 0
    assert _scalar("SELECT COUNT(*) FROM notes WHERE created_at = '0000-00-00 00:00:00'") > 0
    user_id = _scalar("SELECT MIN(user_id) FROM users WHERE created_at = %s", (ZERO_DATE,))
    note_id = _scalar("SELECT MIN(note_id) FROM notes WHERE created_at = %s", (ZERO_DATE,))
    assert LegacyUser.objects.get(pk=user_id).created_at is None
    assert LegacyNote.objects.get(pk=note_id).created_at is None


@pytest.mark.django_db
def test_latin1_rows_hold_latin1_bytes_and_read_back_as_text(small: DemoSummary) -> None:
    headline = "Crème brûlée, finally"
    note_id, stored = _rows("SELECT note_id, HEX(headline) FROM notes WHERE headline = %s", (headline,))[0]
    assert "E9" in stored
    assert "C3A9" not in stored
    assert bytes.fromhex(stored) == headline.encode("cp1252")
    note = LegacyNote.objects.get(pk=note_id)
    assert note.headline == headline
    assert "25 €" in note.body
    assert "80" in _scalar("SELECT HEX(body) FROM notes WHERE note_id = %s", (note_id,))


@pytest.mark.django_db
def test_every_accented_note_is_cp1252_bytes_of_what_the_orm_reads(small: DemoSummary) -> None:
    stored = _rows(
        "SELECT note_id, HEX(headline), HEX(body) FROM notes"
        " WHERE LENGTH(CONVERT(headline USING utf8mb4)) <> CHAR_LENGTH(headline)"
        " OR LENGTH(CONVERT(body USING utf8mb4)) <> CHAR_LENGTH(body)"
    )
    assert len(stored) == small.latin1_rows
    notes = LegacyNote.objects.in_bulk([note_id for note_id, _headline, _body in stored])
    for note_id, headline, body in stored:
        assert bytes.fromhex(headline).decode("cp1252") == notes[note_id].headline
        assert bytes.fromhex(body).decode("cp1252") == notes[note_id].body
    assert any("€" in note.headline + note.body for note in notes.values())


@pytest.mark.django_db
def test_tags_with_accents_are_latin1(small: DemoSummary) -> None:
    cafe = _rows("SELECT DISTINCT HEX(tag) FROM note_tags WHERE tag = %s", ("café",))
    assert cafe == [("café".encode("cp1252").hex().upper(),)]
    assert "café" in set(LegacyNoteTag.objects.values_list("tag", flat=True))


@pytest.mark.django_db
def test_display_names_read_back_exactly(small: DemoSummary) -> None:
    known = {name for name, _stem in PEOPLE} | {account.display_name for account in DEMO_ACCOUNTS}
    names = list(LegacyUser.objects.values_list("display_name", flat=True))
    assert None in names
    assert {name for name in names if name is not None} <= known
    assert any(not name.isascii() for name in names if name)
    for user_id, stored in _rows("SELECT user_id, HEX(display_name) FROM users WHERE display_name IS NOT NULL"):
        assert bytes.fromhex(stored).decode("utf-8") == LegacyUser.objects.get(pk=user_id).display_name


@pytest.mark.django_db
def test_non_latin_display_names_survive() -> None:
    load_demo_data(users=400, notes=10)
    names = set(LegacyUser.objects.values_list("display_name", flat=True))
    for expected in ("Γιώργος Παπαδόπουλος", "Анна Смирнова", "山田 太郎"):
        assert expected in names


# --- Idempotence and determinism ------------------------------------------------------------


@pytest.mark.django_db
def test_second_call_without_replace_adds_nothing(small: DemoSummary) -> None:
    before = _snapshot()
    assert load_demo_data(users=100, notes=50, seed=7) == small
    assert _snapshot() == before


@pytest.mark.django_db
def test_same_seed_gives_the_same_rows() -> None:
    first = load_demo_data(**SMALL, seed=42, replace=True)
    first_rows = _snapshot()
    second = load_demo_data(**SMALL, seed=42, replace=True)
    assert second == first
    assert _snapshot() == first_rows
    load_demo_data(**SMALL, seed=43, replace=True)
    assert _snapshot() != first_rows


@pytest.mark.django_db
def test_replace_deletes_rows_already_there(small: DemoSummary) -> None:
    summary = load_demo_data(users=20, notes=40, replace=True)
    assert (summary.users, summary.notes) == (20, 40)
    assert _scalar("SELECT MIN(user_id) FROM users") == 1
    assert _scalar("SELECT MIN(note_id) FROM notes") == 1


@pytest.mark.django_db
def test_too_few_users_for_the_fixed_accounts() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        load_demo_data(users=2)


@pytest.mark.django_db
def test_default_size_loads_quickly() -> None:
    started = time.perf_counter()
    summary = load_demo_data()
    elapsed = time.perf_counter() - started
    assert elapsed < 10
    assert (summary.users, summary.notes) == (300, 3000)
    assert 25 <= summary.md5_users <= 35
    assert 35 <= summary.zero_date_users <= 50
    assert 500 <= summary.photos <= 700
    assert 60 <= summary.latin1_rows <= 120


# --- Management command ---------------------------------------------------------------------


@pytest.mark.django_db
def test_command_loads_then_leaves_data_alone() -> None:
    out = StringIO()
    call_command("load_demo_data", "--users", "40", "--notes", "80", stdout=out)
    assert "Demo data loaded" in out.getvalue()
    assert "users: 40" in out.getvalue()
    assert "siteadmin / lambridge-admin" in out.getvalue()

    out = StringIO()
    call_command("load_demo_data", "--users", "90", stdout=out)
    assert "already holds 40 users" in out.getvalue()
    assert _scalar("SELECT COUNT(*) FROM users") == 40

    out = StringIO()
    call_command("load_demo_data", "--users", "30", "--notes", "10", "--replace", "--seed", "5", stdout=out)
    assert "notes: 10" in out.getvalue()


@pytest.mark.django_db
def test_command_refuses_too_few_users() -> None:
    with pytest.raises(CommandError, match="at least 3"):
        call_command("load_demo_data", "--users", "1", stdout=StringIO())


# --- SQLite (the `make run` fallback) -------------------------------------------------------


@pytest.fixture
def empty_sqlite_alias(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A throwaway SQLite database (the `make run` fallback), without any table.

    Used outside pytest-django's test case (no django_db mark), which refuses databases it did not set up.
    """
    alias = "demo_sqlite"
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "legacy.sqlite3")}
    connections.settings[alias] = connections.configure_settings({"default": {}, alias: sqlite})[alias]
    try:
        with django_db_blocker.unblock():
            yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def sqlite_alias(empty_sqlite_alias: str) -> str:
    """The same with the legacy tables, built from the models as `make run` does without MySQL."""
    create_legacy_tables(connections[empty_sqlite_alias])
    return empty_sqlite_alias


def test_missing_tables_are_reported(empty_sqlite_alias: str) -> None:
    with pytest.raises(LegacyTablesMissingError, match="login_audit, note_tags, notes, users"):
        load_demo_data(using=empty_sqlite_alias)
    with pytest.raises(CommandError, match="create the legacy tables first"):
        call_command("load_demo_data", "--database", empty_sqlite_alias, stdout=StringIO())


def test_sqlite_fallback(sqlite_alias: str) -> None:
    summary = load_demo_data(using=sqlite_alias, **SMALL)
    assert (summary.users, summary.notes) == (60, 300)
    assert summary.zero_date_users > 0
    assert summary.latin1_rows > 0
    users = LegacyUser.objects.using(sqlite_alias)
    assert users.filter(created_at__isnull=True).exists()
    assert _php_verify(DEMO_SITE_ADMIN.password, users.get(username="siteadmin").password)
    note = LegacyNote.objects.using(sqlite_alias).get(headline="Crème brûlée, finally")
    assert "25 €" in note.body
    assert load_demo_data(using=sqlite_alias, users=10) == summary


@pytest.mark.django_db(databases="__all__")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])  # fast Django-side hashes
def test_the_md5_demo_admin_signs_in_to_the_admin_and_leaves_with_a_php_bcrypt_hash(small: DemoSummary) -> None:
    # The real login form, with the site-password backend first as in project/settings.py.
    response = Client().post(
        reverse("admin:login"),
        {"username": DEMO_MD5_USER.username, "password": DEMO_MD5_USER.password, "next": "/admin/"},
        follow=True,
    )

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/admin/"
    assert response.context["user"].is_staff
    stored = LegacyUser.objects.get(username=DEMO_MD5_USER.username).password
    assert stored.startswith("$2y$10$")
    assert _php_verify(DEMO_MD5_USER.password, stored)
