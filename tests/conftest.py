"""Shared test set-up: real MariaDB with the site's schema loaded from legacy/sql, cleanup of the
MyISAM tables that test transactions cannot roll back, and signed-in members of the site."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import reverse, set_script_prefix
from pytest_django import Settings as SettingsWrapper

from devstack.aws_resources import DevstackResources
from legacy.schema import create_legacy_tables, schema_statements
from notes.mirror import mirror_inline_resume
from tests.members import Member, signed_in_member
from tests.notes.helpers import scheduled_work

pytest_plugins = ["tests.aws_fixtures"]

# The MyISAM tables: writes to them survive a test's rollback, so each test's rows are deleted.
MYISAM_TABLES = ("note_tags", "notes", "login_audit")


def _mysql_server_problem() -> str | None:
    """Why the configured MySQL server cannot be used, or None when it answers."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != settings.MYSQL_ENGINE:
        return f"DATABASE_URL points at {database['ENGINE']}, not MySQL"
    try:
        mysql_server_connection().close()
    except MySQLdb.Error as exc:
        return f"MySQL at {database['HOST']}:{database['PORT']} does not answer ({exc})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `binlog` need a server with the row-based binlog on; `make test` runs them in a
    second pass against a private one (python -m devstack.binlog_mysql -- pytest -m binlog), which
    sets BINLOG_MYSQL_URL. Elsewhere they are deselected, not skipped: that pass is where they run."""
    if os.environ.get("BINLOG_MYSQL_URL"):
        return
    selected = [item for item in items if item.get_closest_marker("binlog") is None]
    if len(selected) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("binlog")])
        items[:] = selected


@pytest.fixture(scope="session", autouse=True)
def _mysql_available() -> None:
    """The suite runs on real MySQL; REQUIRE_MYSQL=1 (CI) turns its absence into a failure."""
    problem = _mysql_server_problem()
    if problem is None:
        return
    if os.environ.get("REQUIRE_MYSQL") == "1":
        pytest.exit(f"REQUIRE_MYSQL=1 but {problem}", returncode=1)
    pytest.skip(f"{problem}; the suite needs MySQL (set REQUIRE_MYSQL=1 to fail instead)")


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """Test databases named after this checkout and, under pytest-xdist (`-n 2`), the worker: other
    runs on the same MySQL server (a CI clone, a second worktree, a bench) and this run's other
    workers never share, drop or lock each other's databases."""
    checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:8]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    for config in settings.DATABASES.values():
        name = f"test_{config['NAME']}_{checkout}"
        config.setdefault("TEST", {})["NAME"] = f"{name}_{worker}" if worker else name


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Test databases as Django creates them, plus the site's four tables from the SQL file."""
    with django_db_blocker.unblock():
        create_legacy_tables(connections[settings.LEGACY_DATABASE_ALIAS], replace=True)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with no throttle counters (the cache is the process's local memory)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _mirror_sends_after_commit() -> Iterator[None]:
    """Each test starts like a new process: no pause of the mirror's after-commit sends left by
    another (some tests make AWS unreachable for a while)."""
    mirror_inline_resume()
    yield
    mirror_inline_resume()


@pytest.fixture(autouse=True)
def _root_script_prefix() -> None:
    """Each test reverses URLs from the root: a request through Zappa's handler under the stage
    prefix (/dev) leaves Django's script prefix at /dev/ for the thread, and a later test's
    `reverse("admin:login")` would name a path its test client gets a 404 for."""
    set_script_prefix("/")


@pytest.fixture(autouse=True)
def _empty_myisam_tables_after_test(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    yield
    if not {"db", "transactional_db", "_django_db_helper"} & set(request.fixturenames):
        return
    connection = connections[settings.LEGACY_DATABASE_ALIAS]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for table in MYISAM_TABLES:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def mysql_url(database: str) -> str:
    """A DATABASE_URL for ``database`` on the test MySQL server."""
    config = settings.DATABASES["default"]
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"mysql://{credentials}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 3306}/{database}"


def mysql_server_connection(database: str | None = None) -> MySQLdb.Connection:
    config = settings.DATABASES["default"]
    return MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"],
        database=database or "",
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture
def scratch_database(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Makes empty latin1 databases (like the site's) on the test server; drops them afterwards."""
    created: list[str] = []

    def make() -> str:
        name = f"scratch_{os.getpid()}_{len(created)}_{request.node.name[:20]}".lower()
        name = "".join(character if character.isalnum() else "_" for character in name)
        server = mysql_server_connection()
        server.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
        server.close()
        created.append(name)
        return name

    yield make
    server = mysql_server_connection()
    for name in created:
        server.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    server.close()


def run_sql(database: str, *statements: str) -> None:
    """Run ``statements`` in ``database`` on the test server, outside any test transaction."""
    server = mysql_server_connection(database)
    try:
        cursor = server.cursor()
        for statement in statements:
            cursor.execute(statement)
    finally:
        server.close()


def load_site_schema(database: str) -> None:
    """The site's tables in ``database``, from the same SQL file the test database uses."""
    run_sql(database, *schema_statements())


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_client(db: None, settings: SettingsWrapper) -> Client:
    """A browser signed into the admin as a Django superuser."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
    User.objects.create_user("staff", "staff@example.com", STAFF_PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "staff", "password": STAFF_PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    return client


@pytest.fixture
def make_member(aws_stack: DevstackResources) -> Callable[..., Member]:
    """Makes site users signed in through Cognito; keyword arguments are their `users` columns."""
    return partial(signed_in_member, aws_stack)


@pytest.fixture
def alice(make_member: Callable[..., Member]) -> Member:
    return make_member(display_name="Alice")


@pytest.fixture
def bob(make_member: Callable[..., Member]) -> Member:
    return make_member(display_name="Bob")


@pytest.fixture
def converge(
    aws_stack: DevstackResources, cloudsearch_domain: Any, settings: SettingsWrapper, tmp_path: Path
) -> Callable[[], None]:
    """The mirror's scheduled work on a Notes table of the test's own (its stream holds only this
    test's records): reconcile, drain, then the stream poller into the search index to the end."""
    return scheduled_work(settings, tmp_path)
