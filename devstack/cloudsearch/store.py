"""The domain's documents and field definitions in a SQLite file, so they survive a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATABASE_FILE_NAME = "cloudsearch.sqlite3"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, fields TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS index_fields (name TEXT PRIMARY KEY, definition TEXT NOT NULL)",
)


class DocumentStore:
    """One SQLite connection; callers serialise access (the domain's lock)."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DATABASE_FILE_NAME
        # The HTTP server's threads share it under the domain's lock.
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._connection.execute(statement)

    def documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for document_id, fields in self._connection.execute("SELECT id, fields FROM documents"):
            yield document_id, json.loads(fields)

    def apply(self, puts: list[tuple[str, dict[str, Any]]], deletes: list[str]) -> None:
        """Write a whole batch in one transaction: all of it lands, or none."""
        with self._transaction():
            self._connection.executemany(
                "INSERT OR REPLACE INTO documents (id, fields) VALUES (?, ?)",
                [(document_id, json.dumps(fields)) for document_id, fields in puts],
            )
            self._connection.executemany(
                "DELETE FROM documents WHERE id = ?", [(document_id,) for document_id in deletes]
            )

    def index_field_definitions(self) -> list[dict[str, Any]]:
        rows = self._connection.execute("SELECT definition FROM index_fields ORDER BY name")
        return [json.loads(definition) for (definition,) in rows]

    def save_index_field(self, name: str, definition: dict[str, Any]) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO index_fields (name, definition) VALUES (?, ?)", (name, json.dumps(definition))
        )

    def delete_index_field(self, name: str) -> None:
        self._connection.execute("DELETE FROM index_fields WHERE name = ?", (name,))

    def close(self) -> None:
        self._connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)


class _Transaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._connection.execute("ROLLBACK" if exc_type is not None else "COMMIT")
