"""Named locks held in MySQL, so that concurrent Lambda invocations serialize on one key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

# MySQL and MariaDB cap lock names at 64 characters.
LOCK_NAME_MAX_LENGTH = 64


class LockTimeout(Exception):
    """The lock stayed taken longer than the caller was willing to wait."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Timed out waiting for lock {name!r}.")
        self.name = name


@contextmanager
def named_lock(name: str, *, timeout_seconds: int = 10, using: str = "default") -> Iterator[None]:
    """Hold MySQL's ``GET_LOCK(name)`` for the block; other holders of the same name wait.

    The lock belongs to the connection, not a transaction, so it also orders writes to MyISAM
    tables; MySQL releases it if the connection dies. On SQLite (the devstack's fallback, one
    process) there is nothing to take.
    """
    if len(name) > LOCK_NAME_MAX_LENGTH:
        raise ValueError(f"Lock name longer than {LOCK_NAME_MAX_LENGTH} characters: {name!r}")
    connection = connections[using]
    if connection.vendor != "mysql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, %s)", [name, timeout_seconds])
        (acquired,) = cursor.fetchone()
    if acquired != 1:
        raise LockTimeout(name)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
