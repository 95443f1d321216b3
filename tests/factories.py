"""Rows for tests, written the way the PHP site writes them: plain SQL, no Django models."""

from __future__ import annotations

import itertools
from typing import Any

import MySQLdb
from django.conf import settings
from django.db import connections

_sequence = itertools.count(1)


def legacy_connection() -> Any:
    return connections[settings.LEGACY_DATABASE_ALIAS]


def site_insert(table: str, **columns: Any) -> int:
    """INSERT a row as PHP would; returns the new AUTO_INCREMENT id (0 when the table has none)."""
    connection = legacy_connection()
    names = ", ".join(f"`{name}`" for name in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO `{table}` ({names}) VALUES ({placeholders})", list(columns.values()))
        return int(cursor.lastrowid or 0)


def site_user(**columns: Any) -> int:
    n = next(_sequence)
    values = {
        "email": f"user{n}@example.com",
        "username": f"user{n}",
        "password": "$2y$10$" + "a" * 53,
        "created_at": "2015-06-01 10:00:00",
    } | columns
    return site_insert("users", **values)


def site_note(user_id: int, **columns: Any) -> int:
    n = next(_sequence)
    values = {
        "user_id": user_id,
        "headline": f"Note {n}",
        "body": f"Body of note {n}",
        "created_at": "2016-01-02 03:04:05",
    } | columns
    return site_insert("notes", **values)


def site_latin1_insert(table: str, **columns: Any) -> int:
    """INSERT over a latin1 connection, text encoded as latin1, the way an old PHP site does.

    For the MyISAM tables: the row is committed outside the test's transaction.
    """
    database = settings.DATABASES[settings.LEGACY_DATABASE_ALIAS]
    name = legacy_connection().settings_dict["NAME"]
    raw = MySQLdb.connect(
        host=database["HOST"] or "127.0.0.1",
        port=int(database["PORT"] or 3306),
        user=database["USER"],
        password=database["PASSWORD"],
        database=name,
        charset="latin1",
    )
    try:
        cursor = raw.cursor()
        names = ", ".join(f"`{column}`" for column in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.execute(f"INSERT INTO `{table}` ({names}) VALUES ({placeholders})", list(columns.values()))
        raw.commit()
        return int(cursor.lastrowid or 0)
    finally:
        raw.close()


def site_quirky_note(**columns: Any) -> int:
    """A note with every quirk at once (latin1 text over a latin1 connection, a zero date, NULL
    photo, an old updated_at, trailing spaces), written as the site writes it."""
    values = {
        "user_id": site_user(),
        "headline": "Crêpes in Brittany  ",
        "body": "First line\r\nSecond line ends in spaces   \r\n",
        "photo_path": None,
        "visibility": "private",
        "created_at": "0000-00-00 00:00:00",
        "updated_at": "2013-03-03 03:03:03",
    } | columns
    return site_latin1_insert("notes", **values)


def row_hex(table: str, key_column: str, key: Any) -> dict[str, str | None]:
    """Every column of one row as HEX() of its stored bytes, for byte-for-byte comparisons."""
    connection = legacy_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            [table],
        )
        columns = [name for (name,) in cursor.fetchall()]
        selected = ", ".join(f"HEX(`{column}`)" for column in columns)
        cursor.execute(f"SELECT {selected} FROM `{table}` WHERE `{key_column}` = %s", [key])
        row = cursor.fetchone()
    assert row is not None, f"no {table} row with {key_column} = {key}"
    return dict(zip(columns, row, strict=True))


def fetch_value(sql: str, params: list[Any] | None = None) -> Any:
    with legacy_connection().cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None
