"""The benchmarks' own world: a fresh MariaDB database with demo data, moto, the local CloudSearch, Cognito users.

`bench_stack(database_url=...)` starts the moto server and the local CloudSearch server as child
processes, drops and recreates the bench database (its name must contain "bench", so a developer's
database is never touched), loads the site's schema, migrates, writes the demo data
(devstack.demo_data) plus BENCH_USERS users with BENCH_NOTES_PER_USER notes each (raw SQL, as the
site writes), creates the AWS resources and signs every bench user in through the pool for a real
Cognito ID token. Django is set up in this process against all of it; `Stack.environment` is what
a child process (gunicorn) needs to reach the same.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import MySQLdb

from artifact.build import DIST
from artifact.runtime import EXECUTE_API_HOST

# Named after this checkout, like the test databases: a bench in a second worktree or a CI clone on the
# same server never drops another's.
CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
DEFAULT_DATABASE_URL = f"mysql://root@127.0.0.1:3306/lambridge_bench_{CHECKOUT}"
BENCH_USERS = 8
BENCH_NOTES_PER_USER = 60
DEMO_USERS = 300
DEMO_NOTES = 3000
BENCH_PASSWORD = "Bench-User-Password-42"  # noqa: S105 - a user of the local emulator
# Throttling must not shape the load figures: a rate no benchmark reaches (the check still runs).
UNTHROTTLED_RATE = "10000000/min"
WORK_DIR = DIST / "bench"
# Lambridge's URL map plus the hand-written baseline view (bench/baseline.py).
ROOT_URLCONF = "bench.baseline"
BASELINE_PATH = "/bench/notes-baseline/"
TAGS = ("travel", "work", "family", "ideas", "recipes", "garden")


class BenchSetupError(RuntimeError):
    """The bench's world could not be made (a database that is not the bench's, a server that did not start)."""


@dataclass(frozen=True)
class BenchUser:
    email: str
    user_id: int
    id_token: str


@dataclass
class Stack:
    """What every benchmark shares; `lambridge_zip()` builds the artifact once per run."""

    database_url: str
    resources: Any  # devstack.aws_resources.DevstackResources
    cloudsearch_endpoint: str
    users: list[BenchUser]
    environment: dict[str, str]
    log_path: Path
    _zip: Path | None = field(default=None, repr=False)

    def lambridge_zip(self) -> Path:
        """The dev stage's artifact (`make package LOCAL=1` with the moto resources rendered in)."""
        if self._zip is None:
            from artifact.build import build

            self._zip = build(
                stage="dev",
                local=True,
                environment={
                    "NOTES_STREAM_ARN": self.resources.notes_stream_arn,
                    "COGNITO_USER_POOL_ID": self.resources.user_pool_id,
                    "AWS_STORAGE_BUCKET_NAME": self.resources.bucket,
                },
            ).zip_path
        return self._zip


def database_name(url: str) -> str:
    import environ

    name: str = environ.Env.db_url_config(url)["NAME"]
    return name


def recreate_database(url: str) -> None:
    """DROP and CREATE the bench database (latin1, like the site's); refuses a name without "bench"."""
    import environ

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if "bench" not in name:
        raise BenchSetupError(f"The bench drops and recreates its database; {name!r} does not look like one.")
    server = MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
    )
    try:
        cursor = server.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    finally:
        server.close()


def _base_environment(database_url: str, moto_endpoint: str, cloudsearch_endpoint: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "SECRET_KEY": "bench-only-not-a-secret",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        # API Gateway's execute-api host (artifact.runtime's events) and gunicorn's.
        "ALLOWED_HOSTS": f"{EXECUTE_API_HOST},127.0.0.1,localhost",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID") or "testing",
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY") or "testing",
        "CLOUDSEARCH_DOCUMENT_ENDPOINT": cloudsearch_endpoint,
        "CLOUDSEARCH_SEARCH_ENDPOINT": cloudsearch_endpoint,
        # The backfill row measures the reference pipeline; bench/search.py switches per backend.
        "SEARCH_BACKEND": "cloudsearch",
        "API_THROTTLE_RATE_USER": UNTHROTTLED_RATE,
        "API_THROTTLE_RATE_ANON": UNTHROTTLED_RATE,
    }


def _insert_bench_users(*, count: int, notes_per_user: int) -> list[tuple[str, int]]:
    """Site users with notes (some public, some tagged), written with plain SQL as the site does."""
    from django.db import connection

    rng = random.Random(20250101)  # noqa: S311 - the same rows every run
    users: list[tuple[str, int]] = []
    with connection.cursor() as cursor:
        for n in range(count):
            email = f"bench-{n}@bench.example"
            cursor.execute(
                "INSERT INTO users (email, username, password, display_name, status, created_at)"
                " VALUES (%s, %s, '!', %s, 'active', '2015-06-01 10:00:00')",
                [email, f"bench{n}", f"Bench User {n}"],
            )
            user_id = int(cursor.lastrowid)
            users.append((email, user_id))
            for k in range(notes_per_user):
                cursor.execute(
                    "INSERT INTO notes (user_id, headline, body, visibility, created_at)"
                    " VALUES (%s, %s, %s, %s, '2016-01-02 03:04:05')",
                    [
                        user_id,
                        f"Bench note {k} of user {n}",
                        f"Body of bench note {k}: " + "lorem ipsum dolor sit amet " * rng.randint(2, 20),
                        "public" if k % 4 == 0 else "private",
                    ],
                )
                note_id = cursor.lastrowid
                for tag in rng.sample(TAGS, rng.randint(0, 3)):
                    cursor.execute("INSERT INTO note_tags (note_id, tag) VALUES (%s, %s)", [note_id, tag])
    return users


def log_to_file(path: Path) -> None:
    """Request log lines go to a file: the bench's terminal shows the table, not thousands of JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(stream)


@contextmanager
def bench_stack(*, database_url: str = DEFAULT_DATABASE_URL, users: int = BENCH_USERS) -> Iterator[Stack]:
    """Everything the benchmarks use, started and filled; the servers stop on exit."""
    from devstack.cloudsearch.process import CloudSearchServer
    from devstack.moto_server import MotoServer

    with ExitStack() as servers:
        moto = servers.enter_context(MotoServer())
        cloudsearch = servers.enter_context(CloudSearchServer())
        environment = _base_environment(database_url, moto.endpoint_url, cloudsearch.endpoint_url)
        os.environ.update(environment)
        recreate_database(database_url)
        import django

        django.setup()
        log_path = WORK_DIR / "requests.log"
        log_to_file(log_path)
        from django.core.management import call_command
        from django.db import connection

        from devstack.aws_resources import cognito_user_signed_in, ensure_resources, local_environment
        from devstack.demo_data import load_demo_data
        from legacy.schema import create_legacy_tables

        create_legacy_tables(connection)
        call_command("migrate", verbosity=0, interactive=False)
        load_demo_data(users=DEMO_USERS, notes=DEMO_NOTES)
        site_users = _insert_bench_users(count=users, notes_per_user=BENCH_NOTES_PER_USER)
        resources = ensure_resources()
        aws = local_environment(resources)
        environment |= aws
        os.environ.update(aws)
        _point_settings_at(resources)
        bench_users = [
            BenchUser(
                email=email,
                user_id=user_id,
                id_token=str(cognito_user_signed_in(resources, email=email, password=BENCH_PASSWORD)["IdToken"]),
            )
            for email, user_id in site_users
        ]
        yield Stack(
            database_url=database_url,
            resources=resources,
            cloudsearch_endpoint=cloudsearch.endpoint_url,
            users=bench_users,
            environment=environment,
            log_path=log_path,
        )


def _point_settings_at(resources: Any) -> None:
    """Settings read before ensure_resources() knew the pool: give them the pool's values now."""
    from django.conf import settings

    from aws.clients import reset_clients

    settings.COGNITO_USER_POOL_ID = resources.user_pool_id
    settings.COGNITO_APP_CLIENT_IDS = [resources.app_client_id]
    settings.COGNITO_JWKS_URL = resources.jwks_url
    settings.AWS_STORAGE_BUCKET_NAME = resources.bucket
    settings.NOTES_TABLE = resources.notes_table
    reset_clients()
