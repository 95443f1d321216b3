"""`make run` end to end: `python -m devstack.run` as a real process, used over HTTP as a newcomer would.

Each stack gets its own ports (never 8000/5000, which a developer's own `make run` may hold), its
own empty database and its own env file. One stack on a fresh MySQL database is shared by the
tests that only look at it; stopping, the SQLite fallback and a restart each start their own.
Seven starts (each mirrors and indexes the demo notes, about 10 s): the file takes a few minutes on a
busy machine.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from devstack.demo_data import DEFAULT_NOTES, DEFAULT_USERS, DEMO_SITE_ADMIN, DEMO_USER, DEMO_USER_NOTES
from devstack.moto_server import free_port
from devstack.run import DEMO_COGNITO_PASSWORD, READY_LINE, STAFF_PASSWORD, STAFF_USERNAME
from devstack.token import NOT_RUNNING_MESSAGE, read_env_file
from notes.search.schema import NOTES_INDEX_FIELDS
from tests.conftest import mysql_server_connection, mysql_url
from tests.devstack.server_helpers import accepts_connections

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 30.0
HTTP_TIMEOUT_SECONDS = 10.0
STOPPED_LINE = "Stopped."
SQLITE_BANNER = "FALLING BACK TO SQLITE"
# What a developer's shell, a .env loaded earlier or pytest's own defaults (DEBUG=false) may set:
# a newcomer has none of it, and `make run` picks its own local values.
NEWCOMER_UNSET = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "LEGACY_DATABASE_URL",
    "AWS_ENDPOINT_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "MEDIA_CDN_DOMAIN",
    "NOTES_TABLE",
    "COGNITO_USER_POOL_ID",
    "COGNITO_APP_CLIENT_IDS",
    "COGNITO_JWKS_URL",
    "CLOUDSEARCH_DOCUMENT_ENDPOINT",
    "CLOUDSEARCH_SEARCH_ENDPOINT",
    "SEARCH_BACKEND",
    "API_KEY_REQUIRED",
)


def _three_free_ports() -> tuple[int, int, int]:
    ports: list[int] = []
    while len(ports) < 3:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports[0], ports[1], ports[2]


class RunningStack:
    """`python -m devstack.run` on free ports, in its own process group, its output kept for asserts.

    A thread reads the output all the time: runserver logs every request, and a pipe nobody reads
    would fill and freeze it.
    """

    def __init__(self, *, database_url: str, env_file: Path, **environment: str) -> None:
        self.port, self.moto_port, self.cloudsearch_port = _three_free_ports()
        self.env_file = env_file
        self.environment = {
            **{name: value for name, value in os.environ.items() if name not in NEWCOMER_UNSET},
            "DATABASE_URL": database_url,
            "DEVSTACK_PORT": str(self.port),
            "DEVSTACK_MOTO_PORT": str(self.moto_port),
            "DEVSTACK_ENV_FILE": str(env_file),
            "DEVSTACK_CLOUDSEARCH_PORT": str(self.cloudsearch_port),
            # Next to the env file: never the repository's own .local/.
            "DEVSTACK_CLOUDSEARCH_DATA": str(env_file.parent / f"{env_file.stem}-cloudsearch"),
            "DEVSTACK_STREAM_STATE": str(env_file.parent / f"{env_file.stem}-stream.json"),
            "PYTHONUNBUFFERED": "1",
            **environment,
        }
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def moto_url(self) -> str:
        """The emulator endpoint as the banner prints it."""
        match = re.search(r"moto at (http://[\d.]+:\d+)", self.output)
        assert match, f"no moto endpoint in the output:\n{self.output}"
        return match.group(1)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def line_after(self, prefix: str) -> str:
        """The line that follows the first line starting with ``prefix`` (after indentation)."""
        lines = self.output.splitlines()
        for index, line in enumerate(lines[:-1]):
            if line.strip().startswith(prefix):
                return lines[index + 1].strip()
        raise AssertionError(f"no line starting with {prefix!r} in the output:\n{self.output}")

    def start(self) -> RunningStack:
        """Start the run and return once it prints READY_LINE; fail with its output otherwise."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devstack.run"],
            cwd=ROOT,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            # Its own process group: Ctrl-C in a terminal reaches the whole group, and a teardown
            # can take down the servers it started along with it.
            start_new_session=True,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._ready.wait(timeout=0.2):
            if self._process.poll() is not None:
                self._reader.join(timeout=5)
                pytest.fail(f"`make run` exited with code {self._process.returncode} before ready:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"`make run` not ready within {READY_TIMEOUT_SECONDS:.0f} s:\n{self.output}")
        # The banner is printed right after the ready line; wait until it is complete.
        while "Press Ctrl-C" not in self.output and self._process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.append(line)
            if line.strip() == READY_LINE:
                self._ready.set()

    def stop(self, signum: int = signal.SIGINT, *, whole_group: bool = True) -> int | None:
        """Send ``signum`` (to the process group, as a terminal's Ctrl-C does, or to the run only,
        as `kill` does) and wait for the run to exit; its return code, or None if it did not."""
        if self._process is None or self._process.poll() is not None:
            return self.returncode
        if whole_group:
            os.killpg(self._process.pid, signum)
        else:
            self._process.send_signal(signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return self.returncode

    def close(self) -> None:
        """Whatever happened in the test: Ctrl-C, then kill whatever is left of the group."""
        if self._process is None:
            return
        if self.stop() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self._process.stdout is not None:
            self._process.stdout.close()


def _get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    """Status and body of a GET, error statuses included."""
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _admin_session(stack: RunningStack) -> urllib.request.OpenerDirector:
    """An opener signed in to the admin with the staff login the banner prints."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, login_page = _get(f"{stack.base_url}/admin/login/", opener)
    assert status == 200
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert match, login_page
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1),
            "username": STAFF_USERNAME,
            "password": STAFF_PASSWORD,
            "next": "/admin/",
        }
    ).encode()
    with opener.open(f"{stack.base_url}/admin/login/?next=/admin/", data=form, timeout=HTTP_TIMEOUT_SECONDS) as page:
        landing = page.read().decode()
        assert page.url == f"{stack.base_url}/admin/", landing
        assert "Log out" in landing
    return opener


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    assert len(parts) == 3, token
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", part) for part in parts), token
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return claims


def _emulator_client(stack: RunningStack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _search_client(stack: RunningStack) -> Any:
    return boto3.client(
        "cloudsearchdomain",
        endpoint_url=f"http://{HOST}:{stack.cloudsearch_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _count_users(database: str) -> int:
    server = mysql_server_connection(database)
    try:
        cursor = server.cursor()
        cursor.execute("SELECT COUNT(*) FROM users")
        (count,) = cursor.fetchone()
        return int(count)
    finally:
        server.close()


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[..., RunningStack]]:
    """Starts stacks (env file in tmp_path) and always stops them after the test."""
    stacks: list[RunningStack] = []

    def start(*, database_url: str, **environment: str) -> RunningStack:
        env_file = tmp_path / f"devstack-{len(stacks)}.env"
        stack = RunningStack(database_url=database_url, env_file=env_file, **environment)
        stacks.append(stack)
        return stack.start()

    yield start
    for stack in stacks:
        stack.close()


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """An empty latin1 database like the site's, for the module's shared stack (see scratch_database)."""
    name = f"scratch_{os.getpid()}_devstack_run"
    server = mysql_server_connection()
    server.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    server.close()
    yield name
    server = mysql_server_connection()
    server.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    server.close()


@pytest.fixture(scope="module")
def stack(shared_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One `make run` on a fresh, empty MySQL database, shared by the tests that only look at it."""
    running = RunningStack(
        database_url=mysql_url(shared_database), env_file=tmp_path_factory.mktemp("devstack") / "devstack.env"
    )
    try:
        yield running.start()
    finally:
        running.close()


# --- A fresh database ------------------------------------------------------------------------


def test_health_and_readiness_answer(stack: RunningStack) -> None:
    assert _get(f"{stack.base_url}/healthz") == (200, '{"status": "ok"}')
    status, body = _get(f"{stack.base_url}/readyz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"


def test_the_banner_shows_the_urls_the_logins_and_the_demo_data(stack: RunningStack) -> None:
    assert f"{stack.base_url}/admin/" in stack.output
    assert f"staff login: {STAFF_USERNAME} / {STAFF_PASSWORD}" in stack.output
    assert f"{DEFAULT_USERS} site users, {DEFAULT_NOTES} notes" in stack.output
    assert stack.moto_url == f"http://{HOST}:{stack.moto_port}"
    assert SQLITE_BANNER not in stack.output


def test_the_staff_login_opens_the_admin_on_the_demo_site_users(stack: RunningStack) -> None:
    admin = _admin_session(stack)

    status, users = _get(f"{stack.base_url}/admin/legacy/legacyuser/", admin)
    assert status == 200
    assert f"{DEFAULT_USERS} site users" in users
    status, found = _get(f"{stack.base_url}/admin/legacy/legacyuser/?q={DEMO_SITE_ADMIN.username}", admin)
    assert status == 200
    assert DEMO_SITE_ADMIN.email in found
    assert f"{DEFAULT_USERS} total" in found


def test_the_admin_finds_the_demo_users_notes(stack: RunningStack) -> None:
    admin = _admin_session(stack)
    headline = DEMO_USER_NOTES[0].headline

    status, notes = _get(f"{stack.base_url}/admin/legacy/legacynote/?q={urllib.parse.quote(headline)}", admin)

    assert status == 200
    assert headline in notes
    assert DEMO_USER.username in notes


def test_the_bucket_table_and_cognito_pool_exist_in_the_emulator(stack: RunningStack) -> None:
    _emulator_client(stack, "s3").head_bucket(Bucket="lambridge-media")
    table = _emulator_client(stack, "dynamodb").describe_table(TableName="Notes")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    cognito = _emulator_client(stack, "cognito-idp")
    pools = [pool for pool in cognito.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == "lambridge-local"]
    assert len(pools) == 1
    clients = cognito.list_user_pool_clients(UserPoolId=pools[0]["Id"], MaxResults=60)["UserPoolClients"]
    assert clients
    assert f"Cognito pool {pools[0]['Id']}" in stack.output


def test_the_demo_token_is_an_id_token_of_the_demo_user_from_the_pool(stack: RunningStack) -> None:
    token = stack.line_after("Demo token:")
    pool_id = re.search(r"Cognito pool (\S+),", stack.output)
    assert pool_id, stack.output

    claims = _jwt_claims(token)

    assert claims["email"] == DEMO_USER.email
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id.group(1)}"
    assert claims["token_use"] == "id"


def test_the_demo_token_calls_the_api_as_the_demo_site_user(stack: RunningStack) -> None:
    request = urllib.request.Request(
        f"{stack.base_url}/api/v1/me", headers={"Authorization": f"Bearer {stack.line_after('Demo token:')}"}
    )

    with urllib.request.urlopen(request, timeout=10) as response:
        profile = json.loads(response.read())

    assert profile["username"] == DEMO_USER.username
    assert profile["email"] == DEMO_USER.email


def test_the_env_file_goes_where_devstack_env_file_says_and_points_at_the_stack(stack: RunningStack) -> None:
    settings = read_env_file(stack.env_file)

    assert settings["DATABASE_URL"] == stack.environment["DATABASE_URL"]
    assert settings["AWS_ENDPOINT_URL"] == stack.moto_url
    assert settings["AWS_STORAGE_BUCKET_NAME"] == "lambridge-media"
    assert settings["NOTES_TABLE"] == "Notes"
    assert settings["COGNITO_USER_POOL_ID"] in stack.output
    assert settings["COGNITO_JWKS_URL"].startswith(stack.moto_url)
    assert f"set -a; . {stack.env_file}; set +a" in stack.output
    assert settings["CLOUDSEARCH_DOCUMENT_ENDPOINT"] == f"http://{HOST}:{stack.cloudsearch_port}"
    assert settings["CLOUDSEARCH_SEARCH_ENDPOINT"] == f"http://{HOST}:{stack.cloudsearch_port}"


def test_the_cloudsearch_endpoint_answers_with_the_notes_index_fields(stack: RunningStack) -> None:
    assert f"CloudSearch (local) at http://{HOST}:{stack.cloudsearch_port}" in stack.output

    answer = _search_client(stack).search(query="matchall", queryParser="structured", size=0)
    fields = boto3.client(
        "cloudsearch",
        endpoint_url=f"http://{HOST}:{stack.cloudsearch_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).describe_index_fields(DomainName="notes")["IndexFields"]

    assert answer["hits"]["found"] >= 0
    assert {field["Options"]["IndexFieldName"] for field in fields} == {
        field["IndexFieldName"] for field in NOTES_INDEX_FIELDS
    }


def test_a_note_written_to_the_table_is_found_in_cloudsearch_through_the_stream_poller(stack: RunningStack) -> None:
    note_id = str(uuid.uuid4())
    _emulator_client(stack, "dynamodb").put_item(
        TableName="Notes",
        Item={
            "noteId": {"S": note_id},
            "userId": {"N": "1"},
            "headline": {"S": "Polled into the index"},
            "text": {"S": "zeppelin"},
            "visibility": {"S": "public"},
            "tags": {"L": []},
            "updatedAt": {"S": "2026-11-21T10:00:00Z"},
            "version": {"N": "1"},
        },
    )

    deadline = time.monotonic() + 20
    found: list[str] = []
    while time.monotonic() < deadline and note_id not in found:
        found = [hit["id"] for hit in _search_client(stack).search(query="zeppelin")["hits"]["hit"]]
        time.sleep(0.2)

    assert note_id in found, stack.output


def _in_a_clean_shell(stack: RunningStack, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` in a shell started with `env -i` (only PATH and HOME) that sourced the env file."""
    return subprocess.run(
        [
            "env",
            "-i",
            f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}",
            f"HOME={os.environ.get('HOME', str(ROOT))}",
            "bash",
            "-c",
            f"set -a; . {stack.env_file}; set +a; {command}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _api_get(stack: RunningStack, path: str, token: str) -> Any:
    request = urllib.request.Request(f"{stack.base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.loads(response.read())


def test_a_word_of_a_demo_note_is_found_by_search_right_after_start(stack: RunningStack) -> None:
    word = DEMO_USER_NOTES[0].headline.split()[0]

    found = _api_get(stack, f"/api/v1/notes/search?q={urllib.parse.quote(word)}", stack.line_after("Demo token:"))

    assert DEMO_USER_NOTES[0].headline in [note["headline"] for note in found["results"]], found
    assert re.search(r"Mirrored and indexed \d+ notes", stack.output)


def test_the_demo_notes_are_in_the_dynamodb_table_at_start(stack: RunningStack) -> None:
    table = _emulator_client(stack, "dynamodb")

    count = sum(page["Count"] for page in table.get_paginator("scan").paginate(TableName="Notes", Select="COUNT"))
    mirrored = re.search(r"Mirroring (\d+) notes into DynamoDB", stack.output)

    assert mirrored, stack.output
    assert int(mirrored.group(1)) > DEFAULT_NOTES // 2  # the live ones of the demo notes
    assert count >= int(mirrored.group(1))  # other tests of this module may add items


def test_from_a_clean_shell_the_env_file_is_enough_for_the_mirror_commands(stack: RunningStack) -> None:
    """`set -a; . .local/devstack.env; set +a` in a shell with nothing else: the PHP site changes a
    note, then mirror_reconcile and mirror_drain bring it to DynamoDB (no NoCredentialsError)."""
    database = urllib.parse.urlsplit(stack.environment["DATABASE_URL"]).path.lstrip("/")
    server = mysql_server_connection(database)
    try:
        cursor = server.cursor()
        cursor.execute("SELECT MIN(note_id) FROM notes WHERE deleted = 0")
        (note_id,) = cursor.fetchone()
        cursor.execute("UPDATE notes SET headline = 'Changed by the PHP site' WHERE note_id = %s", (note_id,))
        server.commit()
    finally:
        server.close()

    reconciled = _in_a_clean_shell(stack, ".venv/bin/python manage.py mirror_reconcile")
    drained = _in_a_clean_shell(stack, ".venv/bin/python manage.py mirror_drain")

    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert drained.returncode == 0, drained.stdout + drained.stderr
    assert "Credentials" not in reconciled.stderr + drained.stderr
    assert "failed (will retry): 0" in drained.stdout
    items = _emulator_client(stack, "dynamodb").scan(TableName="Notes")["Items"]
    assert "Changed by the PHP site" in [item["headline"]["S"] for item in items]


def test_make_token_prints_a_fresh_token_that_works(stack: RunningStack) -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^token:.*\n\t@\$\(PY\) -m devstack\.token$", makefile, re.MULTILINE)

    printed = subprocess.run(
        [sys.executable, "-m", "devstack.token"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DEVSTACK_ENV_FILE": str(stack.env_file)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    assert _jwt_claims(token)["email"] == DEMO_USER.email
    assert _api_get(stack, "/api/v1/me", token)["username"] == DEMO_USER.username
    assert f"{DEMO_USER.email} / {DEMO_COGNITO_PASSWORD}" in stack.output


def test_make_token_without_a_running_stack_says_to_start_one(tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "devstack.token"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DEVSTACK_ENV_FILE": str(tmp_path / "none.env")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert printed.returncode != 0
    assert "start it with `make run`" in printed.stderr
    assert printed.stdout == ""
    assert NOT_RUNNING_MESSAGE.split("{")[0] in printed.stderr


def test_the_terminal_log_has_one_line_per_request_and_no_traceback_for_a_403(stack: RunningStack) -> None:
    admin = _admin_session(stack)
    before = len(stack.output)

    # Site users are never added in the admin: a 403 (PermissionDenied) — an ordinary refusal.
    status, _ = _get(f"{stack.base_url}/admin/legacy/legacyuser/add/", admin)
    unauthorized, _ = _get(f"{stack.base_url}/api/v1/me?probe=one-line")
    deadline = time.monotonic() + 10
    while "route=/api/v1/me " not in stack.output[before:] and time.monotonic() < deadline:
        time.sleep(0.1)
    log = stack.output[before:]

    assert (status, unauthorized) == (403, 401)
    assert "Traceback" not in log, log
    assert len(re.findall(r"route=/admin/legacy/legacyuser/add/ status=403", log)) == 1, log
    assert len(re.findall(r"route=/api/v1/me status=401", log)) == 1, log
    assert '"GET /api/v1/me' not in log, log  # runserver's own line, a repeat
    assert "Unauthorized: /api/v1/me" not in log, log


def test_the_banner_never_breaks_a_phrase_across_lines(stack: RunningStack) -> None:
    assert re.search(r"Search: +CloudSearch \(local\) at \S+: domain notes,$", stack.output, re.MULTILINE)
    assert "make token" in stack.output


# --- Stopping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [
        pytest.param(signal.SIGINT, True, id="ctrl-c-in-the-terminal"),
        pytest.param(signal.SIGTERM, False, id="kill"),
    ],
)
def test_a_stop_signal_stops_the_server_and_the_emulator(
    signum: int,
    whole_group: bool,
    start_stack: Callable[..., RunningStack],
    scratch_database: Callable[[], str],
) -> None:
    stack = start_stack(database_url=mysql_url(scratch_database()))
    assert accepts_connections(stack.port)
    assert accepts_connections(stack.moto_port)

    returncode = stack.stop(signum, whole_group=whole_group)

    assert returncode is not None, f"still running {STOP_TIMEOUT_SECONDS:.0f} s after the signal:\n{stack.output}"
    assert returncode == 0, stack.output
    assert stack.output.rstrip().endswith(STOPPED_LINE), stack.output
    assert not accepts_connections(stack.port)
    assert not accepts_connections(stack.moto_port)
    assert not accepts_connections(stack.cloudsearch_port)


# --- No MySQL --------------------------------------------------------------------------------


def test_without_mysql_it_falls_back_to_sqlite_loudly_and_still_works(
    start_stack: Callable[..., RunningStack], tmp_path: Path
) -> None:
    sqlite_path = tmp_path / "lambridge.sqlite3"
    nobody_listens = free_port()

    stack = start_stack(
        database_url=f"mysql://root@{HOST}:{nobody_listens}/lambridge", DEVSTACK_SQLITE_PATH=str(sqlite_path)
    )

    assert SQLITE_BANNER in stack.output
    assert re.search(rf"NO MYSQL at \S*{re.escape(HOST)}:{nobody_listens}", stack.output)
    assert sqlite_path.is_file()
    assert _get(f"{stack.base_url}/healthz")[0] == 200
    admin = _admin_session(stack)
    status, users = _get(f"{stack.base_url}/admin/legacy/legacyuser/?q={DEMO_SITE_ADMIN.username}", admin)
    assert status == 200
    assert DEMO_SITE_ADMIN.email in users
    assert stack.stop() == 0
    assert not accepts_connections(stack.port)
    assert not accepts_connections(stack.moto_port)


# --- A second start --------------------------------------------------------------------------


def test_a_second_start_on_the_same_database_keeps_the_demo_data_it_has(
    start_stack: Callable[..., RunningStack], scratch_database: Callable[[], str]
) -> None:
    database = scratch_database()
    first = start_stack(database_url=mysql_url(database))
    assert first.stop() == 0
    users_after_first_run = _count_users(database)

    second = start_stack(database_url=mysql_url(database))

    assert users_after_first_run == DEFAULT_USERS
    assert _count_users(database) == DEFAULT_USERS
    assert f"{DEFAULT_USERS} site users, {DEFAULT_NOTES} notes" in second.output
    status, users = _get(f"{second.base_url}/admin/legacy/legacyuser/", _admin_session(second))
    assert status == 200
    assert f"{DEFAULT_USERS} site users" in users


# --- The emulator dies -----------------------------------------------------------------------


def _children_running(parent_pid: int, marker: str) -> list[int]:
    """Pids of ``parent_pid``'s children whose command line contains ``marker`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent_pid and marker in command:
            found.append(int(stat.parent.name))
    return found


def test_when_the_emulator_dies_make_run_says_so_and_stops_everything(
    start_stack: Callable[..., RunningStack], scratch_database: Callable[[], str]
) -> None:
    stack = start_stack(database_url=mysql_url(scratch_database()))
    assert stack._process is not None
    (moto_pid,) = _children_running(stack._process.pid, "moto.server")

    os.kill(moto_pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        stack._process.wait(timeout=STOP_TIMEOUT_SECONDS)

    assert stack.returncode == 1, stack.output
    assert "The AWS emulator (moto) stopped unexpectedly" in stack.output
    assert not accepts_connections(stack.port)
    assert not accepts_connections(stack.cloudsearch_port)
