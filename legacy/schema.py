"""Creates the site's tables where they do not exist yet: test databases and the local stack.

On MySQL the tables come from the SQL file that mirrors the live site (legacy/sql); on SQLite
(`make run` without MySQL) they are built from the models, the closest that engine allows.
Never pointed at the site's real database: the site owns its tables.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

SCHEMA_SQL = Path(__file__).resolve().parent / "sql" / "legacy_schema.sql"
LEGACY_TABLES = ("users", "notes", "note_tags", "login_audit")


def schema_statements(path: Path = SCHEMA_SQL) -> list[str]:
    """The SQL file's statements, without comments (each ends with ";" at the end of a line)."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")]
    text = "\n".join(lines)
    statements = (statement.strip().rstrip(";").strip() for statement in text.split(";\n"))
    return [statement for statement in statements if statement]


def existing_legacy_tables(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor)) & set(LEGACY_TABLES)


def create_legacy_tables(connection: BaseDatabaseWrapper, *, replace: bool = False) -> None:
    """Create the four legacy tables on ``connection``; with ``replace``, drop them first.

    Does nothing when all four exist already; refuses when only some do.
    """
    existing = existing_legacy_tables(connection)
    if existing and not replace:
        if existing == set(LEGACY_TABLES):
            return
        raise RuntimeError(f"Only some legacy tables exist ({', '.join(sorted(existing))}); refusing to guess.")
    with connection.cursor() as cursor:
        for table in existing:
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")

    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            for statement in schema_statements():
                cursor.execute(statement)
        return
    with connection.schema_editor() as editor:
        for model in apps.get_app_config("legacy").get_models():
            editor.create_model(model)
