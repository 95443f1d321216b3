"""Model fields for the quirks of the PHP site's columns.

Each field knows the exact MySQL column it stands for (``legacy_check`` compares them with the live
schema) and how to read and write it without changing what the site expects. On SQLite (the
`make run` fallback) they degrade to the nearest plain column.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Now

MYSQL_ZERO_DATETIME = "0000-00-00 00:00:00"

# Character sets as MariaDB/MySQL report them in information_schema.
LATIN1 = "latin1"
UTF8_3BYTE = "utf8mb3"


def nullable_in_database[FieldT: models.Field](field: FieldT) -> FieldT:
    """Mark a field whose column allows NULL although Django must treat it as required.

    Only for columns in a composite key stand-in (Django refuses nullable key parts); the model
    that uses it must be read-only. ``legacy_check`` reads ``db_null``.
    """
    field.db_null = True  # type: ignore[attr-defined]
    return field


def _is_mysql(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "mysql"


class UnsignedAutoField(models.AutoField):
    """`INT(10) UNSIGNED AUTO_INCREMENT`: the site's primary keys, up to 4,294,967,295.

    Django treats it as an unsigned integer (lookups and validation use that range; a plain
    AutoField would find no row above 2,147,483,647) that the database numbers itself.
    """

    def get_internal_type(self) -> str:
        return "PositiveIntegerField"

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return "integer UNSIGNED AUTO_INCREMENT"
        return connection.data_types["AutoField"]

    def db_type_suffix(self, connection: BaseDatabaseWrapper) -> str | None:
        return connection.data_types_suffix.get("AutoField")

    def db_check(self, connection: BaseDatabaseWrapper) -> str | None:
        # UNSIGNED already says it on MySQL; SQLite refuses a CHECK between PRIMARY KEY and AUTOINCREMENT.
        return None

    def rel_db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return "integer UNSIGNED"
        return models.PositiveIntegerField().db_type(connection)


class LooseForeignKey(models.ForeignKey):
    """A reference the site never enforced: MyISAM has no foreign keys, so rows may be orphans.

    The column is NOT NULL in the database (``db_null``), but the field is nullable to Django so
    joins are LEFT OUTER and an orphan row is still listed instead of vanishing from results.
    Forms still require a value (``blank=False``).
    """

    db_null = False

    def __init__(self, to: Any, **kwargs: Any) -> None:
        kwargs.setdefault("on_delete", models.DO_NOTHING)
        kwargs.setdefault("db_constraint", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", False)
        super().__init__(to, **kwargs)


class EnumField(models.CharField):
    """A MySQL `ENUM(...)`; the allowed values are the field's choices, in column order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        choices = kwargs["choices"]
        values = [value for value, _label in choices]
        kwargs.setdefault("max_length", max(len(value) for value in values))
        super().__init__(*args, **kwargs)

    @property
    def enum_values(self) -> list[str]:
        return [str(value) for value, _label in self.flatchoices]

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            quoted = ",".join("'{}'".format(value.replace("'", "''")) for value in self.enum_values)
            return f"enum({quoted})"
        return super().db_type(connection)


class LegacyDateTimeField(models.DateTimeField):
    """A plain `DATETIME` (whole seconds), not Django's `DATETIME(6)`.

    Microseconds are dropped before writing: MySQL would round them, moving the time by a second.
    """

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return "datetime"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if isinstance(value, datetime.datetime):
            value = value.replace(microsecond=0)
        return super().get_db_prep_value(value, connection, prepared)


class ZeroDateTimeField(LegacyDateTimeField):
    """`DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00'`, where old rows hold the zero date.

    mysqlclient reads the zero date as ``None``; writing ``None`` back puts the zero date back
    (never NULL, which the column refuses), so a row survives a round trip through Django.
    """

    db_null = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if value is None and _is_mysql(connection):
            return MYSQL_ZERO_DATETIME
        return super().get_db_prep_value(value, connection, prepared)


class TextColumnField(models.TextField):
    """A latin1 MySQL `TEXT` column (65,535 bytes, one per character), not Django's `LONGTEXT`."""

    MAX_LENGTH = 65_535

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.MAX_LENGTH)
        super().__init__(*args, **kwargs)
        self.validators.append(MaxLengthValidator(self.max_length))

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return "text"
        return super().db_type(connection)


class AutoTimestampField(models.DateTimeField):
    """`TIMESTAMP ... DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`, kept by MySQL.

    Django never writes it: inserts send ``DEFAULT`` and updates leave it out, so the server bumps
    it exactly when a row really changes, as it does for the PHP site's own writes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("db_default", Now())
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return "timestamp"
        return super().db_type(connection)


class CharsetCharField(models.CharField):
    """A VARCHAR whose character set differs from its table's (``db_charset``)."""

    def __init__(self, *args: Any, db_charset: str, **kwargs: Any) -> None:
        self.db_charset = db_charset
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["db_charset"] = self.db_charset
        return name, path, args, kwargs

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if _is_mysql(connection):
            return f"varchar({self.max_length}) CHARACTER SET {self.db_charset}"
        return super().db_type(connection)
