"""Named locks: scoped to their database, so two deployments on one MySQL server never block each other."""

from __future__ import annotations

import pytest
from django.db import connection

from notes.locks import LOCK_NAME_MAX_LENGTH, LockTimeout, named_lock, scoped_lock_name
from tests.conftest import mysql_server_connection

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "lambridge.note.0123456789abcdef0123456789abcdef"


def _hold(lock_name: str):  # type: ignore[no-untyped-def]
    """Another session of the server holding ``lock_name``, as another deployment would."""
    other = mysql_server_connection()
    cursor = other.cursor()
    cursor.execute("SELECT GET_LOCK(%s, 0)", [lock_name])
    assert cursor.fetchone() == (1,)
    return other


def test_a_lock_held_for_another_database_does_not_block_this_one() -> None:
    other = _hold(scoped_lock_name(NAME, "lambridge_staging"))
    try:
        with named_lock(NAME, timeout_seconds=0):
            pass
    finally:
        other.close()


def test_a_lock_held_for_this_database_blocks() -> None:
    other = _hold(scoped_lock_name(NAME, connection.settings_dict["NAME"]))
    try:
        with pytest.raises(LockTimeout), named_lock(NAME, timeout_seconds=0):
            pass
    finally:
        other.close()


def test_a_long_database_name_still_fits_mysqls_limit() -> None:
    long_name = "d" * 64
    scoped = scoped_lock_name(NAME, long_name)
    assert len(scoped) <= LOCK_NAME_MAX_LENGTH
    assert scoped != scoped_lock_name(NAME, "e" * 64)
    assert scoped_lock_name(NAME, "lambridge").startswith("lambridge:")
