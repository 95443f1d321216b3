"""The ``project.mysql`` database engine: Django's MySQL backend plus explicit table options and
credentials from Secrets Manager that survive a password rotation."""

from __future__ import annotations

from typing import Any

import MySQLdb
from django.db.backends.mysql import base
from django.db.backends.mysql.schema import DatabaseSchemaEditor as MySQLSchemaEditor

from project.mysql.credentials import ACCESS_DENIED, database_credentials

# Our own tables are InnoDB utf8mb4 whatever the database default is (the site's is latin1).
NEW_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
# The DATABASES entry key naming the Secrets Manager secret that holds USER and PASSWORD.
SECRET_ARN_KEY = "SECRET_ARN"  # noqa: S105 - a key name, not a secret


class DatabaseSchemaEditor(MySQLSchemaEditor):
    sql_create_table = f"CREATE TABLE %(table)s (%(definition)s) {NEW_TABLE_OPTIONS}"


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        secret_arn = self.settings_dict.get(SECRET_ARN_KEY)
        if secret_arn:
            credentials = database_credentials(secret_arn=secret_arn)
            params["user"], params["password"] = credentials.username, credentials.password
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        secret_arn = self.settings_dict.get(SECRET_ARN_KEY)
        try:
            return super().get_new_connection(conn_params)
        except MySQLdb.OperationalError as exc:
            if not secret_arn or exc.args[0] != ACCESS_DENIED:
                raise
        # The password was rotated since the secret was cached: read it again and try once more.
        credentials = database_credentials(secret_arn=secret_arn, refresh=True)
        return super().get_new_connection(
            {**conn_params, "user": credentials.username, "password": credentials.password}
        )
