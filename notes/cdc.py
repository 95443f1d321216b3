"""Change data capture: the PHP site's writes, read from MySQL's row-based binlog (SPEC §5).

The site writes `notes`, `note_tags` and `users` without Lambridge. Scanning `notes` for them
(the reconciler) costs a pass over a MyISAM table, under its table lock; the binlog already says
which rows changed, as Debezium and AWS DMS read it. This reader follows the binlog from a position
kept in Lambridge's own table, records one outbox change per note touched through the same seam as
the services' writes (notes/changes.py `site_changes_record`: the mirror, the index and pushes
follow), and sends them after the position is saved.

Bounded runs: the scheduled event reads for at most ``max_seconds`` and stops; the next run goes on
from the saved position. The position is saved only at transaction boundaries (COMMIT / XID), and
only after the changes read so far are recorded, so a run cut off anywhere reads some events again
(recording twice is harmless) and never skips one.

A position the server no longer has (binlog retention ran out while CDC was off) or no position at
all is healed by starting at the server's current position and running one full chunked reconcile,
which finds whatever happened in between.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections

from legacy.models import LegacyNote
from notes.changes import site_changes_record
from notes.mirror import mirror_send
from notes.models import MirrorState
from notes.note_index import captured_up_to, captured_up_to_advance

logger = logging.getLogger(__name__)

POSITION_MARK = "cdc.position"
STATUS_MARK = "cdc.status"
# The site's tables whose rows say which notes changed.
CAPTURED_TABLES = ("notes", "note_tags", "users")
# Changes are recorded and the position saved at least this often while reading.
RECORD_EVERY_NOTES = 500
HEARTBEAT_SECONDS = 1.0
# Notes recorded per batch: each batch's note index refresh holds the change counter until it commits.
INDEX_BATCH = 50


class CdcUnavailable(Exception):
    """The server cannot be followed: binlog off, not ROW-based, or no replication privilege."""


@dataclass(frozen=True)
class BinlogPosition:
    log_file: str
    log_pos: int

    def __str__(self) -> str:
        return f"{self.log_file}:{self.log_pos}"

    @classmethod
    def parse(cls, text: str) -> BinlogPosition:
        log_file, _, log_pos = text.rpartition(":")
        return cls(log_file, int(log_pos))


@dataclass
class CdcRunResult:
    events: int = 0
    notes_recorded: int = 0
    position: str = ""
    # "started" (no position before), "expired" (the server no longer had it) or "" (went on).
    healed: str = ""
    reconciled: int = 0
    sent: int = 0
    failed: int = 0
    # Owners whose notes moved away or were removed: their sync feeds must hear of it.
    owners_touched: set[int] = field(default_factory=set)


def _legacy_connection_settings() -> dict[str, Any]:
    config = settings.DATABASES[settings.LEGACY_DATABASE_ALIAS]
    return {
        "host": config["HOST"] or "127.0.0.1",
        "port": int(config["PORT"] or 3306),
        "user": config["USER"],
        "password": config["PASSWORD"],
        "charset": "utf8mb4",
        "connect_timeout": 5,
    }


def _client_server_id() -> int:
    """The replication client's server id: set, or derived from the database's name."""
    if settings.CDC_CLIENT_SERVER_ID:
        return int(settings.CDC_CLIENT_SERVER_ID)
    name = str(settings.DATABASES[settings.LEGACY_DATABASE_ALIAS]["NAME"])
    return 1_000_000 + zlib.crc32(name.encode()) % 1_000_000_000


def _server_query(sql: str) -> list[tuple[Any, ...]]:
    with connections[settings.LEGACY_DATABASE_ALIAS].cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def cdc_server_check() -> None:
    """Raise CdcUnavailable with what an operator must change when the binlog cannot be followed."""
    variables = dict(_server_query("SHOW VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format')"))
    if variables.get("log_bin", "OFF").upper() != "ON":
        raise CdcUnavailable(
            "The database's binary log is off: set log_bin (on RDS: automated backups on, retention >= 1 day) "
            "or leave CDC_ENABLED off and rely on mirror_reconcile."
        )
    if variables.get("binlog_format", "").upper() != "ROW":
        raise CdcUnavailable(
            f"binlog_format is {variables.get('binlog_format')!r}; CDC needs ROW (the DB parameter group in infra/)."
        )


def _current_position() -> BinlogPosition:
    rows = _server_query("SHOW MASTER STATUS")
    if not rows:
        raise CdcUnavailable("SHOW MASTER STATUS returned nothing: the binary log is off or not readable.")
    return BinlogPosition(str(rows[0][0]), int(rows[0][1]))


def _server_has(position: BinlogPosition) -> bool:
    return any(str(row[0]) == position.log_file for row in _server_query("SHOW BINARY LOGS"))


def _load_position() -> BinlogPosition | None:
    value = MirrorState.objects.filter(name=POSITION_MARK).values_list("value", flat=True).first()
    return BinlogPosition.parse(value) if value else None


def _save_position(position: BinlogPosition) -> None:
    MirrorState.objects.update_or_create(name=POSITION_MARK, defaults={"value": str(position)})


def _save_status(text: str) -> None:
    MirrorState.objects.update_or_create(name=STATUS_MARK, defaults={"value": text[:255]})


def cdc_status() -> str:
    """What the last run said: "ok", or the problem an operator must look at ('' before any run)."""
    return MirrorState.objects.filter(name=STATUS_MARK).values_list("value", flat=True).first() or ""


@dataclass
class _Changes:
    """Note ids read from row events, until they are recorded."""

    note_ids: set[int] = field(default_factory=set)
    user_ids: set[int] = field(default_factory=set)
    # The owners the rows named, by note (before and after: a moved note's old owner too).
    owners: dict[int, set[int]] = field(default_factory=dict)
    # The site inserts into MyISAM `notes` one statement at a time, ids in commit order: once an
    # insert is read, every note below it has been too.
    inserted_up_to: int = 0

    def add_rows(self, table: str, rows: Iterable[dict[str, Any]], *, event_kind: str) -> None:
        for row in rows:
            images = [row[key] for key in ("values", "before_values", "after_values") if key in row]
            if table == "users":
                before, after = row.get("before_values"), row.get("after_values")
                # Only a status change alters what the apps may see of that user's notes (a new
                # user has none yet; a removed one leaves orphans the site no longer shows either).
                if before is not None and after is not None and before.get("status") != after.get("status"):
                    self.user_ids.add(int(after["user_id"]))
                continue
            self.note_ids.update(int(image["note_id"]) for image in images)
            if table == "notes":
                for image in images:
                    self.owners.setdefault(int(image["note_id"]), set()).add(int(image["user_id"]))
                if "values" in row and event_kind == "insert":
                    self.inserted_up_to = max(self.inserted_up_to, int(row["values"]["note_id"]))

    def __len__(self) -> int:
        return len(self.note_ids) + len(self.user_ids)


def _record(changes: _Changes, result: CdcRunResult) -> list[int]:
    """One outbox change per note read so far; returns their ids (to send once the position is saved)."""
    note_ids = set(changes.note_ids)
    if changes.user_ids:
        note_ids.update(
            LegacyNote.objects.filter(user_id__in=changes.user_ids).values_list("note_id", flat=True).iterator()
        )
    ordered = sorted(note_ids)
    # The owners' devices hear of the site's changes: the notes' owners now, and whoever the rows
    # named before (the old owner of a moved note, the owner of one removed outright).
    site_changes_record(ordered, owners_seen=changes.owners, batch_size=INDEX_BATCH)
    if changes.inserted_up_to > captured_up_to():
        captured_up_to_advance(changes.inserted_up_to)
    result.notes_recorded += len(note_ids)
    result.owners_touched.update(*changes.owners.values())
    changes.note_ids.clear()
    changes.user_ids.clear()
    changes.owners.clear()
    return sorted(note_ids)


def _events(position: BinlogPosition, *, blocking: bool) -> Iterator[tuple[Any, BinlogPosition]]:
    """Row and commit events after ``position``, each with the position just after it."""
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.event import HeartbeatLogEvent, QueryEvent, XidEvent
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    stream = BinLogStreamReader(
        connection_settings=_legacy_connection_settings(),
        server_id=_client_server_id(),
        resume_stream=True,
        log_file=position.log_file,
        log_pos=position.log_pos,
        blocking=blocking,
        # While waiting for new events, the server sends a heartbeat each second: the run's
        # deadline is checked then too.
        slave_heartbeat=HEARTBEAT_SECONDS if blocking else None,
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, QueryEvent, XidEvent, HeartbeatLogEvent],
        only_schemas=[settings.DATABASES[settings.LEGACY_DATABASE_ALIAS]["NAME"]],
        only_tables=list(CAPTURED_TABLES),
        # File and position, the classic dump protocol MySQL and MariaDB share (the library's MariaDB
        # mode starts from a GTID state instead, which would ignore the position).
        is_mariadb=False,
    )
    try:
        for event in stream:
            yield event, BinlogPosition(stream.log_file, stream.log_pos)
    finally:
        stream.close()


def _kind(event: Any) -> str:
    from pymysqlreplication.row_event import WriteRowsEvent

    return "insert" if isinstance(event, WriteRowsEvent) else "other"


def _is_commit(event: Any) -> bool:
    from pymysqlreplication.event import QueryEvent, XidEvent

    if isinstance(event, XidEvent):
        return True
    return isinstance(event, QueryEvent) and str(event.query).strip().upper() == "COMMIT"


def cdc_run(*, max_seconds: float = 20.0, blocking: bool = False) -> CdcRunResult:
    """Read the binlog from the saved position for at most ``max_seconds``; record and send the notes.

    ``blocking`` waits for new events instead of stopping at the end of the log (the local
    follower); it still stops after ``max_seconds``.
    """
    from notes.reconcile import mirror_reconcile

    cdc_server_check()
    result = CdcRunResult()
    position = _load_position()
    if position is None or not _server_has(position):
        result.healed = "started" if position is None else "expired"
        if position is not None:
            logger.warning("cdc: binlog position %s is gone from the server; healing with a reconcile", position)
        # Start where the server is now, then catch up on everything before it by a full reconcile.
        position = _current_position()
        _save_position(position)
        result.reconciled = mirror_reconcile(full=True)
    deadline = time.monotonic() + max_seconds
    changes = _Changes()
    to_send: list[int] = []
    for event, after in _events(position, blocking=blocking):
        if not hasattr(event, "rows") and not _is_commit(event):  # a heartbeat, or a statement of no interest
            if time.monotonic() >= deadline:
                break
            continue
        if _is_commit(event):
            position = after
            if len(changes) >= RECORD_EVERY_NOTES or time.monotonic() >= deadline:
                to_send += _record(changes, result)
                _save_position(position)
            if time.monotonic() >= deadline:
                break
            continue
        result.events += 1
        changes.add_rows(str(event.table), event.rows, event_kind=_kind(event))
    to_send += _record(changes, result)
    _save_position(position)
    result.position = str(position)
    _save_status("ok")
    for start in range(0, len(to_send), RECORD_EVERY_NOTES):
        sent = mirror_send(note_ids=to_send[start : start + RECORD_EVERY_NOTES])
        result.sent += sent.sent
        result.failed += sent.failed
    return result
