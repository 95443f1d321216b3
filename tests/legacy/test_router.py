"""Migrations never touch the site's tables, in the shared database or in a separate one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.test import override_settings

from legacy.router import LegacyRouter
from tests.conftest import load_site_schema, mysql_server_connection, mysql_url, run_sql
from tests.legacy.test_legacy_check import run_manage

LEGACY_TABLES = ("users", "notes", "note_tags", "login_audit")


def _snapshot(database: str) -> dict[str, tuple[str, int]]:
    """SHOW CREATE TABLE and a content checksum for every table of ``database``."""
    server = mysql_server_connection(database)
    cursor = server.cursor()
    cursor.execute("SHOW TABLES")
    tables = sorted(name for (name,) in cursor.fetchall())
    snapshot = {}
    for table in tables:
        cursor.execute(f"SHOW CREATE TABLE `{table}`")
        create = cursor.fetchone()[1]
        cursor.execute(f"CHECKSUM TABLE `{table}`")
        snapshot[table] = (create, cursor.fetchone()[1])
    server.close()
    return snapshot


def _fill_like_the_site(database: str) -> None:
    run_sql(
        database,
        "INSERT INTO users (email, username, password, created_at) VALUES ('a@example.com', 'a', 'x', 0)",
        "INSERT INTO notes (user_id, headline, body) VALUES (1, 'Crème', 'body')",
        "INSERT INTO note_tags VALUES (1, 'food')",
        "INSERT INTO login_audit VALUES (1, '::1', NOW())",
    )


def test_migrate_leaves_the_legacy_tables_byte_identical(scratch_database: Callable[[], str]) -> None:
    database = scratch_database()
    load_site_schema(database)
    _fill_like_the_site(database)
    before = _snapshot(database)

    result = run_manage("migrate", "--no-input", DATABASE_URL=mysql_url(database))

    assert result.returncode == 0, result.stderr
    after = _snapshot(database)
    assert {table: after[table] for table in LEGACY_TABLES} == {table: before[table] for table in LEGACY_TABLES}
    # Our own tables were created, InnoDB utf8mb4 although the database defaults to latin1.
    assert "auth_user" in after
    assert "ENGINE=InnoDB" in after["auth_user"][0]
    assert "CHARSET=utf8mb4" in after["auth_user"][0]


def test_migrate_creates_nothing_in_a_separate_legacy_database(scratch_database: Callable[[], str]) -> None:
    ours, sites = scratch_database(), scratch_database()
    load_site_schema(sites)
    _fill_like_the_site(sites)
    before = _snapshot(sites)
    env = {"DATABASE_URL": mysql_url(ours), "LEGACY_DATABASE_URL": mysql_url(sites)}

    assert run_manage("migrate", "--no-input", **env).returncode == 0
    assert run_manage("migrate", "--no-input", "--database", "legacy", **env).returncode == 0

    assert _snapshot(sites) == before
    assert "django_migrations" in _snapshot(ours)
    check = run_manage("legacy_check", **env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_legacy_migration_is_state_only(scratch_database: Callable[[], str]) -> None:
    result = run_manage("sqlmigrate", "legacy", "0001", DATABASE_URL=mysql_url(scratch_database()))

    assert result.returncode == 0, result.stderr
    statements = [line for line in result.stdout.splitlines() if line.strip() and not line.startswith("--")]
    assert statements == []


@pytest.mark.parametrize(("alias", "expected"), [("default", "default"), ("legacy", "legacy")])
def test_the_router_sends_legacy_models_to_the_legacy_alias(alias: str, expected: str) -> None:
    router = LegacyRouter()
    note = apps.get_model("legacy", "LegacyNote")
    session = apps.get_model("sessions", "Session")

    with override_settings(LEGACY_DATABASE_ALIAS=alias):
        assert router.db_for_read(note) == expected
        assert router.db_for_write(note) == expected
        assert router.db_for_read(session) is None
        assert router.allow_migrate("default", "legacy", "legacynote") is False
        assert router.allow_migrate("default", "sessions", "session") is None
        assert router.allow_migrate("legacy", "sessions", "session") is (False if alias == "legacy" else None)
