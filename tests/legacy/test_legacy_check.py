"""`manage.py legacy_check` passes on the site's schema and reports drift readably."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import load_site_schema, mysql_url, run_sql

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A manage.py command in a fresh process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_passes_on_the_site_schema() -> None:
    out = StringIO()

    call_command("legacy_check", stdout=out)

    report = out.getvalue()
    assert "users (InnoDB): ok" in report
    assert "notes (MyISAM): ok" in report
    assert "All 4 legacy tables match the models." in report


def test_reports_a_changed_type_and_a_missing_column_and_fails(scratch_database: Callable[[], str]) -> None:
    database = scratch_database()
    load_site_schema(database)
    run_sql(
        database,
        "ALTER TABLE notes MODIFY headline VARCHAR(100) NOT NULL, DROP COLUMN photo_path",
        "ALTER TABLE users MODIFY display_name VARCHAR(100) CHARACTER SET latin1 NULL",
    )

    result = run_manage("legacy_check", LEGACY_DATABASE_URL=mysql_url(database))

    assert result.returncode == 1
    assert "notes (MyISAM): DRIFT" in result.stdout
    assert "column `headline` is varchar(100); models expect varchar(255)" in result.stdout
    assert "column `photo_path` is missing (models expect varchar(255))" in result.stdout
    assert "column `display_name` has character set latin1; models expect utf8mb3" in result.stdout
    assert "note_tags (MyISAM): ok" in result.stdout
    assert "3 difference(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_reports_missing_tables_keys_and_columns_that_would_break_inserts(
    scratch_database: Callable[[], str],
) -> None:
    database = scratch_database()
    load_site_schema(database)
    run_sql(
        database,
        "DROP TABLE login_audit",
        "ALTER TABLE note_tags DROP PRIMARY KEY",
        "ALTER TABLE users ADD COLUMN phone VARCHAR(20) NOT NULL",
        "ALTER TABLE notes ADD COLUMN mood VARCHAR(20) NULL",
    )

    result = run_manage("legacy_check", LEGACY_DATABASE_URL=mysql_url(database))

    assert result.returncode == 1
    assert "login_audit: DRIFT" in result.stdout
    assert "table is missing" in result.stdout
    assert "primary key is (none); models expect (note_id, tag)" in result.stdout
    assert "column `phone` (varchar(20)) is not in the models and is NOT NULL without a default" in result.stdout
    assert "column `mood` (varchar(20)) is not in the models; it has a default" in result.stdout
