"""Named locks held in MySQL, so that concurrent Lambda invocations serialize on one key.

Nothing may talk to the network while a lock is held (other writers would queue behind a slow
AWS call): `after_release` defers such work to the moment this thread holds no lock any more.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connections

from api.errors import TemporarilyUnavailable

# MySQL and MariaDB cap lock names at 64 characters.
LOCK_NAME_MAX_LENGTH = 64


# How long a client is told to wait after a lock timeout (the API's 503 carries it as Retry-After).
LOCK_RETRY_AFTER_SECONDS = 2


class LockTimeout(TemporarilyUnavailable):
    """The lock stayed taken longer than the caller was willing to wait (the API answers 503)."""

    retry_after_seconds = LOCK_RETRY_AFTER_SECONDS
    client_message = "Another change to the same object is in progress; retry after Retry-After seconds."

    def __init__(self, name: str) -> None:
        super().__init__(f"Timed out waiting for lock {name!r}.")
        self.name = name


class _Held(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.after_release: list[Callable[[], None]] = []


_held = _Held()


def after_release(work: Callable[[], None]) -> None:
    """Run ``work`` once this thread holds no named lock: at once if it holds none, else when the
    last one is released (only if the block holding it ends; after an error it is dropped)."""
    if _held.depth == 0:
        work()
    else:
        _held.after_release.append(work)


def _released() -> None:
    pending, _held.after_release = _held.after_release, []
    for work in pending:
        work()


def scoped_lock_name(name: str, database: str) -> str:
    """``name`` made private to ``database``: MySQL's named locks are global to the server, so two
    deployments (staging and production on one RDS instance) or two test runs would otherwise
    block each other. The database's name leads when it fits in 64 characters, else its digest."""
    scoped = f"{database}:{name}"
    if len(scoped) > LOCK_NAME_MAX_LENGTH:
        scoped = f"{hashlib.sha256(database.encode()).hexdigest()[:12]}:{name}"
    if len(scoped) > LOCK_NAME_MAX_LENGTH:
        raise ValueError(f"Lock name longer than {LOCK_NAME_MAX_LENGTH} characters: {scoped!r}")
    return scoped


@contextmanager
def named_lock(name: str, *, timeout_seconds: int = 10, using: str = "default") -> Iterator[None]:
    """Hold MySQL's ``GET_LOCK(name)``, scoped to the connection's database, for the block; other
    holders of the same name in the same database wait.

    The lock belongs to the connection, not a transaction, so it also orders writes to MyISAM
    tables; MySQL releases it if the connection dies. On SQLite (the devstack's fallback, one
    process) there is nothing to take.
    """
    connection = connections[using]
    name = scoped_lock_name(name, str(connection.settings_dict["NAME"]))
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [name, timeout_seconds])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise LockTimeout(name)
    _held.depth += 1
    completed = False
    try:
        yield
        completed = True
    finally:
        if connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
        _held.depth -= 1
        if _held.depth == 0:
            if completed:
                _released()
            else:
                _held.after_release = []
