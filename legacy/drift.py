"""Compares the live legacy schema with what the models expect (`manage.py legacy_check`).

The PHP site owns its tables and may change them at any time; Lambridge adapts but must know.
Expectations come from the models themselves (their fields' exact MySQL column types, character
sets and nullability), so the models stay the single description of the site's schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from legacy.fields import LATIN1

# information_schema names a type "int(10) unsigned" on MariaDB and "int unsigned" on MySQL 8.
_INTEGER_DISPLAY_WIDTH = re.compile(r"\b(bigint|int|mediumint|smallint)\(\d+\)")
# Django's db_type spellings that differ from information_schema's COLUMN_TYPE.
_DJANGO_TYPE_NAMES = {"integer": "int", "bool": "tinyint(1)"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    charset: str | None
    has_default: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    engine: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...]


@dataclass
class TableReport:
    table: str
    engine: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalize_type(column_type: str) -> str:
    """One spelling for a column type, whichever server or Django backend produced it."""
    text = column_type.lower().replace(" auto_increment", "")
    text = re.sub(r"\s+character set \w+", "", text)
    words = [_DJANGO_TYPE_NAMES.get(word, word) for word in text.split(" ")]
    return _INTEGER_DISPLAY_WIDTH.sub(r"\1", " ".join(words)).strip()


def _expected_charset(model_field: models.Field) -> str | None:
    if not isinstance(model_field, models.CharField | models.TextField):
        return None
    return getattr(model_field, "db_charset", LATIN1)


def expected_table(model: type[models.Model], connection: BaseDatabaseWrapper) -> Table:
    """The table a legacy model expects, in information_schema terms."""
    columns = {}
    for model_field in model._meta.concrete_fields:
        db_type = model_field.db_type(connection)
        if db_type is None:
            raise TypeError(f"{model.__name__}.{model_field.name} has no column type to compare")
        if isinstance(model_field, models.ForeignKey):
            target: Any = model_field.target_field
            db_type = target.rel_db_type(connection)
        columns[model_field.column] = Column(
            name=model_field.column,
            type=normalize_type(db_type),
            nullable=getattr(model_field, "db_null", model_field.null),
            charset=_expected_charset(model_field),
        )
    primary_key = getattr(model, "DB_PRIMARY_KEY", None)
    if primary_key is None:
        primary_key = tuple(pk_field.column for pk_field in model._meta.pk_fields)
    return Table(name=model._meta.db_table, engine="", columns=columns, primary_key=tuple(primary_key))


def live_table(table_name: str, connection: BaseDatabaseWrapper) -> Table | None:
    """The table as the database has it now, or None when it does not exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            [table_name],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, COLUMN_DEFAULT, EXTRA"
            " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
            " ORDER BY ORDINAL_POSITION",
            [table_name],
        )
        columns = {
            name: Column(
                name=name,
                type=normalize_type(column_type),
                nullable=is_nullable == "YES",
                charset=charset,
                # MariaDB reports "NULL" (a string) for a nullable column without a default.
                has_default=default is not None or is_nullable == "YES" or "auto_increment" in extra,
            )
            for name, column_type, is_nullable, charset, default, extra in cursor.fetchall()
        }
        cursor.execute(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
            [table_name],
        )
        primary_key = tuple(name for (name,) in cursor.fetchall())
    return Table(name=table_name, engine=row[0], columns=columns, primary_key=primary_key)


def compare_table(expected: Table, live: Table | None) -> TableReport:
    report = TableReport(table=expected.name)
    if live is None:
        report.problems.append("table is missing")
        return report
    report.engine = live.engine
    for name, want in expected.columns.items():
        have = live.columns.get(name)
        if have is None:
            report.problems.append(f"column `{name}` is missing (models expect {want.type})")
            continue
        if have.type != want.type:
            report.problems.append(f"column `{name}` is {have.type}; models expect {want.type}")
        if have.nullable != want.nullable:
            report.problems.append(
                f"column `{name}` is {'NULL' if have.nullable else 'NOT NULL'};"
                f" models expect {'NULL' if want.nullable else 'NOT NULL'}"
            )
        if have.charset != want.charset:
            report.problems.append(f"column `{name}` has character set {have.charset}; models expect {want.charset}")
    for name, have in live.columns.items():
        if name in expected.columns:
            continue
        if have.has_default:
            report.notes.append(
                f"column `{name}` ({have.type}) is not in the models; it has a default, so inserts work"
            )
        else:
            report.problems.append(
                f"column `{name}` ({have.type}) is not in the models and is NOT NULL without a default:"
                " inserts from Lambridge would fail"
            )
    if live.primary_key != expected.primary_key:
        report.problems.append(
            f"primary key is ({', '.join(live.primary_key) or 'none'});"
            f" models expect ({', '.join(expected.primary_key) or 'none'})"
        )
    return report


def check_legacy_schema(connection: BaseDatabaseWrapper) -> list[TableReport]:
    """One report per legacy model, comparing it with the live table on ``connection``."""
    return [
        compare_table(expected_table(model, connection), live_table(model._meta.db_table, connection))
        for model in apps.get_app_config("legacy").get_models()
    ]
