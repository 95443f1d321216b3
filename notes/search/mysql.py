"""The `mysql` search backend: a FULLTEXT index in Lambridge's own InnoDB table, in the same MySQL.

Works in every AWS account (no extra service). The table is `notes_searchentry` (notes/search/
models.py, FULLTEXT indexes from the migration); the stream handler and `search_reindex` write it,
the search API reads it. The user's words reach MySQL only as a bound parameter, rewritten into a
boolean-mode query built from bare words (mysql_query.py); the access rule is SQL written here.

InnoDB applies FULLTEXT changes at commit: a document indexed inside an open transaction is not
found until that transaction commits (the stream handler and the reindex run in autocommit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import DatabaseError, OperationalError, ProgrammingError, connections

from notes.search.backend import SearchDocument, SearchPage, SearchRejected, SearchUnavailable
from notes.search.models import SearchEntry
from notes.search.mysql_query import DEFAULT_MIN_TOKEN_SIZE, boolean_query

logger = logging.getLogger(__name__)

TABLE = SearchEntry._meta.db_table
# A headline match outweighs body matches: the headline's relevance counts this many times over.
HEADLINE_WEIGHT = 8
# Rows per multi-row upsert, and the text bytes one statement may carry: far below the smallest
# max_allowed_packet in use (Aurora MySQL's 4 MB default on small instances).
WRITE_BATCH_ROWS = 500
WRITE_BATCH_BYTES = 1024 * 1024
# Ids per page when listing the whole index.
LIST_PAGE_SIZE = 1000
# MySQL error numbers: the table does not exist (migrations not run).
ER_NO_SUCH_TABLE = 1146
# revision = version << 34 | Unix seconds: seconds until the year 2514, versions up to 2**29.
REVISION_SECONDS_BITS = 34
EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 (naive UTC, as the connection's time_zone='+00:00' stores it)

# An older delivery never replaces a newer document: the stored row changes only when the incoming
# revision (version, then updated_at, in one number) is at least the one it holds. `revision` is
# assigned last because MySQL evaluates the assignments in order and every condition reads it.
# VALUES() is deprecated (not removed) in MySQL 8.0.20+, whose row alias MariaDB lacks.
_NEWER = "VALUES(revision) >= revision"
_UPSERT = (
    f"INSERT INTO {TABLE} (note_id, user_id, visibility, headline, text, version, updated_at, revision) "  # noqa: S608
    "VALUES {rows} ON DUPLICATE KEY UPDATE "
    + ", ".join(
        f"{column} = IF({_NEWER}, VALUES({column}), {column})"
        for column in ("user_id", "visibility", "headline", "text", "version", "updated_at", "revision")
    )
)
# The access rule lives here, in SQL: the caller's own notes and public notes, never others'.
# The filter MATCH requires every word (`+`); the ranking MATCHes read the same words without `+`,
# so a headline holding some of them still counts.
_SEARCH = (
    f"SELECT note_id, COUNT(*) OVER () AS found FROM {TABLE} "  # noqa: S608 (our table; words are parameters)
    "WHERE MATCH(headline, text) AGAINST (%s IN BOOLEAN MODE) AND (user_id = %s OR visibility = %s) "
    "ORDER BY MATCH(headline) AGAINST (%s IN BOOLEAN MODE) * %s "
    "+ MATCH(headline, text) AGAINST (%s IN BOOLEAN MODE) DESC, updated_at DESC, note_id "
    "LIMIT %s OFFSET %s"
)
_COUNT = (
    f"SELECT COUNT(*) FROM {TABLE} "  # noqa: S608 (our table; words are parameters)
    "WHERE MATCH(headline, text) AGAINST (%s IN BOOLEAN MODE) AND (user_id = %s OR visibility = %s)"
)
PUBLIC = "public"


def _stored_text(text: str) -> str:
    # Lone surrogates cannot be encoded for MySQL; they carry no searchable word.
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def revision(*, version: int, updated_at: datetime) -> int:
    """One number ordering a note's states: its version first, then its updated_at (seconds)."""
    seconds = max(0, int(updated_at.replace(tzinfo=UTC).timestamp()))
    return (max(0, int(version)) << REVISION_SECONDS_BITS) | min(seconds, 2**REVISION_SECONDS_BITS - 1)


def _stored_moment(value: str) -> datetime:
    """An ISO-8601 UTC timestamp as a naive UTC datetime (the connection's time zone is UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return EPOCH
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _row(document: SearchDocument) -> tuple[Any, ...]:
    updated_at = _stored_moment(document.updated_at)
    return (
        document.note_id,
        int(document.user_id),
        document.visibility,
        _stored_text(document.headline),
        _stored_text(document.text),
        int(document.version),
        updated_at,
        revision(version=document.version, updated_at=updated_at),
    )


def _write_batches(documents: Sequence[SearchDocument]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    size = 0
    for document in documents:
        row = _row(document)
        row_size = len(row[3]) + len(row[4]) + 200
        if batch and (len(batch) >= WRITE_BATCH_ROWS or size + row_size > WRITE_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row_size
    if batch:
        yield batch


@cache
def _min_token_size(alias: str) -> int:
    """The server's innodb_ft_min_token_size (fixed at server start, so read once per process)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT @@innodb_ft_min_token_size")
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] else DEFAULT_MIN_TOKEN_SIZE


@dataclass(frozen=True)
class MySQLSearchBackend:
    """Search in the FULLTEXT-indexed `notes_searchentry` table of the database `alias`."""

    alias: str = "default"

    @classmethod
    def from_settings(cls) -> MySQLSearchBackend:
        return cls()

    def _cursor(self) -> Any:
        connection = connections[self.alias]
        if connection.vendor != "mysql":
            raise SearchUnavailable(f"SEARCH_BACKEND=mysql needs MySQL or MariaDB, not {connection.vendor}.")
        return connection.cursor()

    def _run(self, operation: str, work: Any) -> Any:
        """Run `work(cursor)`, turning database failures into SearchUnavailable / SearchRejected."""
        try:
            with self._cursor() as cursor:
                return work(cursor)
        except OperationalError as exc:
            # The server is down or busy (gone away, lock wait timeout, too many connections).
            raise SearchUnavailable(f"MySQL search {operation} failed: error {_errno(exc)}.") from None
        except ProgrammingError as exc:
            if _errno(exc) == ER_NO_SUCH_TABLE:
                raise SearchUnavailable(f"The search table {TABLE} does not exist: run migrate.") from None
            raise SearchRejected(f"MySQL refused the search {operation}: error {_errno(exc)}.") from None
        except DatabaseError as exc:
            raise SearchRejected(f"MySQL refused the search {operation}: error {_errno(exc)}.") from None

    def index(self, documents: Sequence[SearchDocument]) -> None:
        def write(cursor: Any) -> None:
            for batch in _write_batches(documents):
                placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
                cursor.execute(_UPSERT.format(rows=placeholders), [value for row in batch for value in row])

        self._run("write", write)

    def delete(self, note_ids: Sequence[str]) -> None:
        def remove(cursor: Any) -> None:
            for start in range(0, len(note_ids), WRITE_BATCH_ROWS):
                chunk = list(note_ids[start : start + WRITE_BATCH_ROWS])
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {TABLE} WHERE note_id IN ({placeholders})", chunk)  # noqa: S608 (placeholders only)

        if note_ids:
            self._run("delete", remove)

    def search(self, *, text: str, user_id: int, size: int, start: int) -> SearchPage:
        def query(cursor: Any) -> SearchPage:
            required = boolean_query(text, min_token_size=_min_token_size(self.alias))
            if not required:
                return SearchPage(note_ids=[], found=0, start=start)
            ranking = required.replace("+", "")
            cursor.execute(
                _SEARCH,
                [required, int(user_id), PUBLIC, ranking, HEADLINE_WEIGHT, ranking, int(size), int(start)],
            )
            rows = cursor.fetchall()
            if rows:
                found = int(rows[0][1])
            elif start > 0:  # past the last hit: the window count has no row to ride on
                cursor.execute(_COUNT, [required, int(user_id), PUBLIC])
                found = int(cursor.fetchone()[0])
            else:
                found = 0
            return SearchPage(note_ids=[str(row[0]) for row in rows], found=found, start=start)

        page: SearchPage = self._run("query", query)
        return page

    def indexed_ids(self) -> Iterator[str]:
        after = ""
        while True:

            def page(cursor: Any, after: str = after) -> list[str]:
                cursor.execute(
                    f"SELECT note_id FROM {TABLE} WHERE note_id > %s ORDER BY note_id LIMIT %s",  # noqa: S608
                    [after, LIST_PAGE_SIZE],
                )
                return [str(row[0]) for row in cursor.fetchall()]

            ids: list[str] = self._run("listing", page)
            if not ids:
                return
            yield from ids
            after = ids[-1]


def _errno(exc: Exception) -> int | str:
    # mysqlclient's errors carry (number, message); the message may quote the query: not logged.
    cause = exc.__cause__ or exc
    args = getattr(cause, "args", ())
    return args[0] if args and isinstance(args[0], int) else "unknown"
