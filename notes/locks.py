"""Named locks held in MySQL, so that concurrent Lambda invocations serialize on one key."""

from __future__ import annotations

import hashlib
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
