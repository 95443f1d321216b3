"""MySQL refusing connections, dying mid-request, or out of connections: the API answers 503 with
`Retry-After` in the SPEC's error shape — never a 500, never a hang."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import MySQLdb
import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.errors import SERVICE_UNAVAILABLE
from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.conftest import mysql_server_connection
from tests.factories import site_user

pytestmark = pytest.mark.django_db(transaction=True)

# Far below the connect and read timeouts a hang would show.
ANSWER_WITHIN_SECONDS = 4


@pytest.fixture
def member(aws_stack: DevstackResources) -> APIClient:
    """A signed-in member whose first request (linking) already happened."""
    email = unique_email("fault")
    site_user(email=email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {cognito_tokens(aws_stack, email=email).id_token}")
    assert client.get("/api/v1/me").status_code == 200
    return client


def assert_unavailable(response: Any, elapsed: float) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"].isdigit()
    assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
    assert elapsed < ANSWER_WITHIN_SECONDS


@pytest.fixture
def database_settings_changed() -> Iterator[Callable[..., None]]:
    """Change the default connection's settings (a new connection is made); restored afterwards."""
    saved = dict(connection.settings_dict)
    saved_options = dict(saved["OPTIONS"])

    def change(**values: Any) -> None:
        connection.close()
        connection.settings_dict.update(values)

    yield change
    connection.close()
    connection.settings_dict.update(saved)
    connection.settings_dict["OPTIONS"] = saved_options


def test_a_refused_connection_is_a_quick_503(member: APIClient, database_settings_changed: Callable[..., None]) -> None:
    database_settings_changed(PORT=free_port())
    started = time.monotonic()

    response = member.get("/api/v1/notes/")

    assert_unavailable(response, time.monotonic() - started)


def test_a_connection_killed_mid_request_is_a_503(member: APIClient) -> None:
    killer = mysql_server_connection()

    def kill_before_reading_notes(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if "FROM `notes`" in sql:
            connection_id = connection.connection.thread_id()
            killer.cursor().execute(f"KILL CONNECTION {int(connection_id)}")
        return execute(sql, *args)

    started = time.monotonic()
    try:
        with connection.execute_wrapper(kill_before_reading_notes):
            response = member.get("/api/v1/notes/")
    finally:
        killer.close()
        connection.close()

    assert_unavailable(response, time.monotonic() - started)
    assert member.get("/api/v1/notes/").status_code == 200  # the next request reconnects


@pytest.fixture
def limited_user() -> Iterator[tuple[str, str]]:
    """A MySQL user allowed one connection at a time (the server-wide limit, for this user only)."""
    name, password = f"lim_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    database = connection.settings_dict["NAME"]
    admin = mysql_server_connection()
    cursor = admin.cursor()
    cursor.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}' WITH MAX_USER_CONNECTIONS 1")
    cursor.execute(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{password}' WITH MAX_USER_CONNECTIONS 1")
    for host in ("%", "localhost"):
        cursor.execute(f"GRANT ALL ON `{database}`.* TO '{name}'@'{host}'")
    yield name, password
    for host in ("%", "localhost"):
        cursor.execute(f"DROP USER IF EXISTS '{name}'@'{host}'")
    admin.close()


def test_exhausted_connections_are_a_503(
    member: APIClient, limited_user: tuple[str, str], database_settings_changed: Callable[..., None]
) -> None:
    name, password = limited_user
    settings = connection.settings_dict
    holder = MySQLdb.connect(
        host=settings["HOST"] or "127.0.0.1", port=int(settings["PORT"] or 3306), user=name, password=password
    )
    try:
        database_settings_changed(USER=name, PASSWORD=password)
        started = time.monotonic()
        response = member.get("/api/v1/notes/")
    finally:
        holder.close()

    assert_unavailable(response, time.monotonic() - started)
