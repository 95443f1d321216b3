"""DATABASE_SECRET_ARN: a MySQL password rotated (in MySQL and in Secrets Manager) while the app runs
never breaks the next request. Real MariaDB user, moto's Secrets Manager over HTTP."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from aws.clients import secretsmanager_client
from project.mysql.base import SECRET_ARN_KEY
from project.mysql.credentials import forget_database_credentials
from tests.conftest import mysql_server_connection

# The branch name in the user: users on the shared server stay apart.
USER_PREFIX = "lambridge_ops_"


@pytest.fixture
def rotating_user(aws_stack: Any) -> Iterator[tuple[str, str, Any]]:
    """A MySQL user with rights on the test database and a Secrets Manager secret holding its password;
    the `default` connection uses it for the test and root again afterwards."""
    connection = connections["default"]
    database = connection.settings_dict["NAME"]
    user = f"{USER_PREFIX}{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(16)
    server = mysql_server_connection()
    server.cursor().execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    server.cursor().execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'%'")
    secret_arn = secretsmanager_client().create_secret(
        Name=f"lambridge/ops/{user}", SecretString=json.dumps({"username": user, "password": password})
    )["ARN"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"USER": "nobody", "PASSWORD": "", SECRET_ARN_KEY: secret_arn})
    forget_database_credentials()
    try:
        yield user, secret_arn, server
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        forget_database_credentials()
        server.cursor().execute(f"DROP USER IF EXISTS '{user}'@'%'")
        server.close()


def _rotate(user: str, secret_arn: str, server: Any) -> None:
    """What RDS's rotation does: a new password in MySQL, then in the secret."""
    password = secrets.token_urlsafe(16)
    server.cursor().execute(f"ALTER USER '{user}'@'%' IDENTIFIED BY '{password}'")
    secretsmanager_client().put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"username": user, "password": password})
    )


def _current_user() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        (current,) = cursor.fetchone()
    return str(current)


@pytest.mark.django_db(transaction=True)
def test_the_connection_uses_the_secret_s_credentials(rotating_user: tuple[str, str, Any], client: Client) -> None:
    user, _, _ = rotating_user

    response = client.get("/readyz")

    assert response.json()["checks"]["databases"] == "ok"
    assert _current_user().startswith(f"{user}@")


@pytest.mark.django_db(transaction=True)
def test_after_a_rotation_the_next_request_reads_the_secret_again_and_succeeds(
    rotating_user: tuple[str, str, Any], client: Client
) -> None:
    user, secret_arn, server = rotating_user
    assert client.get("/readyz").json()["checks"]["databases"] == "ok"
    _rotate(user, secret_arn, server)
    # The connection ends (CONN_MAX_AGE, a new container); the cached password is now stale.
    connections["default"].close()

    response = client.get("/readyz")

    assert response.json()["checks"]["databases"] == "ok"
    assert _current_user().startswith(f"{user}@")


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_in_the_secret_too_is_still_a_clear_database_failure(
    rotating_user: tuple[str, str, Any], client: Client
) -> None:
    user, secret_arn, _ = rotating_user
    secretsmanager_client().put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"username": user, "password": "not-it"})
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["databases"] == {"default": "unreachable"}
