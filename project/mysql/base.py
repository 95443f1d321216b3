"""The ``project.mysql`` database engine: Django's MySQL backend plus explicit table options."""

from __future__ import annotations

from django.db.backends.mysql import base
from django.db.backends.mysql.schema import DatabaseSchemaEditor as MySQLSchemaEditor

# Our own tables are InnoDB utf8mb4 whatever the database default is (the site's is latin1).
NEW_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


class DatabaseSchemaEditor(MySQLSchemaEditor):
    sql_create_table = f"CREATE TABLE %(table)s (%(definition)s) {NEW_TABLE_OPTIONS}"


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
