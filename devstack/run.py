"""`make run`: the whole local stack in one command, stopped by one Ctrl-C.

MySQL at DATABASE_URL (or, when none answers, an SQLite file, said loudly), the site's tables
and demo data, migrations, moto in server mode with the bucket, table and Cognito pool, the local
CloudSearch server with the Notes index fields and the stream poller feeding it from the table's
stream, then the API and admin on http://127.0.0.1:8000. Never run against real AWS or the site's real database:
it creates tables and demo rows.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The same default as project/settings.py; needed here before settings may be loaded.
DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/lambridge"
SERVER_STARTUP_TIMEOUT_SECONDS = 60.0
DEFAULT_MOTO_PORT = "5000"
DEFAULT_CLOUDSEARCH_PORT = "4572"
# The local CloudSearch keeps its documents here, so the index survives a restart.
DEFAULT_CLOUDSEARCH_DATA = ROOT / ".local" / "cloudsearch"
# The stream poller's position in the table's stream (see devstack/stream_poller.py).
DEFAULT_STREAM_STATE = ROOT / ".local" / "stream_poller.json"
# The search domain the local server serves and the configuration calls name.
CLOUDSEARCH_DOMAIN_NAME = "notes"
# Another shell can `set -a; . .local/devstack.env` to run manage.py commands against the stack.
# DEVSTACK_ENV_FILE puts it elsewhere (the tests do, so a developer's own file is left alone).
DEFAULT_ENV_FILE = ROOT / ".local" / "devstack.env"
# Printed once everything answers; tests wait for it.
READY_LINE = "Lambridge is running."

# The Django staff account `make run` creates for the admin (local stack only).
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "lambridge-staff"  # noqa: S105 - a local demo login, printed on purpose
STAFF_EMAIL = "staff@example.com"
# The demo user's Cognito password: the pool's policy wants more than the site's old passwords.
DEMO_COGNITO_PASSWORD = "Lambridge-Demo-1"  # noqa: S105 - a local demo login
LOCAL_ALLOWED_HOSTS = "localhost,127.0.0.1,[::1],10.0.2.2"
# How often the run checks that the emulators, the poller and the web server are still alive.
WATCH_INTERVAL_SECONDS = 1.0
# What the env file carries besides the live endpoints and ids: everything a manage.py command
# run from a clean shell (`env -i`) needs to use the stack, credentials for the emulator included.
ENV_FILE_SETTINGS = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "DEV_APPS",
    "LOG_FORMAT",
    "ALLOWED_HOSTS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "SEARCH_BACKEND",
)


def say(message: str = "") -> None:
    print(message, flush=True)


def shout(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    say("!" * width)
    for line in lines:
        say(f"! {line.ljust(width - 4)} !")
    say("!" * width)


def _environment_defaults() -> None:
    """Local values for what a developer did not set (a .env file or the shell wins)."""
    if (ROOT / ".env").is_file():
        import environ

        environ.Env.read_env(ROOT / ".env", overwrite=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DEBUG", "true")
    # The local stack's own commands and infra_apply are installed only when asked.
    os.environ.setdefault("DEV_APPS", "true")
    # A terminal, not CloudWatch: one readable line per record.
    os.environ.setdefault("LOG_FORMAT", "plain")
    # CloudWatch's metric lines (one JSON object per request) would drown the terminal.
    os.environ.setdefault("METRICS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    # The Android emulator reaches the host's 127.0.0.1 as 10.0.2.2, and sends that as the Host.
    os.environ.setdefault("ALLOWED_HOSTS", LOCAL_ALLOWED_HOSTS)
    # The reference pipeline stays visible locally (stream → local CloudSearch); a deployment's
    # default is `mysql` (SEARCH_BACKEND=mysql make run to try it here).
    os.environ.setdefault("SEARCH_BACKEND", "cloudsearch")


def ensure_mysql_database(url: str) -> str | None:
    """Connect to the MySQL server of ``url`` and create its database if needed; why not, or None."""
    import MySQLdb

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        server = MySQLdb.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=urllib.parse.unquote(parts.username or "root"),
            password=urllib.parse.unquote(parts.password or ""),
            connect_timeout=3,
        )
    except MySQLdb.Error as exc:
        return f"{exc.args[-1] if exc.args else exc}"
    try:
        # Like the site's database: latin1 by default (our own tables are utf8mb4 regardless).
        server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET latin1")
    finally:
        server.close()
    return None


def _host_and_port(url: str) -> str:
    """Where a database URL points, without its credentials (they never reach the output)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or 3306}"


def choose_database() -> str:
    """DATABASE_URL's MySQL when it answers; otherwise an SQLite file, announced loudly."""
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith("mysql"):
        return url
    problem = ensure_mysql_database(url)
    if problem is None:
        legacy_url = os.environ.get("LEGACY_DATABASE_URL")
        if legacy_url:
            legacy_problem = ensure_mysql_database(legacy_url)
            if legacy_problem:
                raise SystemExit(f"LEGACY_DATABASE_URL does not answer: {legacy_problem}")
        return url
    sqlite_path = Path(os.environ.get("DEVSTACK_SQLITE_PATH", ROOT / ".local" / "lambridge.sqlite3"))
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    shout(
        [
            f"NO MYSQL at {_host_and_port(url)}: {problem}",
            f"FALLING BACK TO SQLITE: {sqlite_path}",
            "The site's tables are built from the models: MyISAM, latin1, zero dates and",
            "strict mode are NOT reproduced. Start MySQL/MariaDB for the real thing.",
        ]
    )
    os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    os.environ.pop("LEGACY_DATABASE_URL", None)
    return os.environ["DATABASE_URL"]


def prepare_database() -> Any:
    """The site's tables, our migrations, demo rows and a staff login; returns the demo summary."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from devstack.demo_data import load_demo_data
    from legacy.schema import create_legacy_tables

    create_legacy_tables(connections[settings.LEGACY_DATABASE_ALIAS])
    call_command("migrate", interactive=False, verbosity=0)
    summary = load_demo_data()
    staff_model = get_user_model()
    if not staff_model.objects.filter(username=STAFF_USERNAME).exists():
        staff_model.objects.create_superuser(STAFF_USERNAME, STAFF_EMAIL, STAFF_PASSWORD)
    return summary


def demo_bearer_token(resources: Any) -> str:
    """An ID token of the demo site user, from the emulated Cognito pool (valid for an hour)."""
    from devstack.aws_resources import cognito_user_signed_in
    from devstack.demo_data import DEMO_USER

    result = cognito_user_signed_in(resources, email=DEMO_USER.email, password=DEMO_COGNITO_PASSWORD)
    return str(result["IdToken"])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server exited with code {process.returncode} before answering {url}.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"The server did not answer {url} within {timeout:.0f} s.")


def configure_search_domain(endpoint_url: str) -> None:
    """The Notes domain's index fields, defined through the configuration API as infra/ does on AWS."""
    from aws.clients import cloudsearch_client
    from notes.search.schema import NOTES_INDEX_FIELDS

    client = cloudsearch_client(endpoint_url)
    for field in NOTES_INDEX_FIELDS:
        client.define_index_field(DomainName=CLOUDSEARCH_DOMAIN_NAME, IndexField=field)
    client.index_documents(DomainName=CLOUDSEARCH_DOMAIN_NAME)


def search_environment(endpoint_url: str) -> dict[str, str]:
    """The settings that point the API and the stream handler at the local CloudSearch server."""
    return {"CLOUDSEARCH_DOCUMENT_ENDPOINT": endpoint_url, "CLOUDSEARCH_SEARCH_ENDPOINT": endpoint_url}


def _stop_process(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    _environment_defaults()
    database_url = choose_database()

    from devstack.cloudsearch.process import CloudSearchServer, CloudSearchServerError
    from devstack.moto_server import MotoServer, MotoServerError

    moto_port = int(os.environ.get("DEVSTACK_MOTO_PORT", DEFAULT_MOTO_PORT))
    web_port = int(os.environ.get("DEVSTACK_PORT", "8000"))
    cloudsearch_port = int(os.environ.get("DEVSTACK_CLOUDSEARCH_PORT", DEFAULT_CLOUDSEARCH_PORT))
    cloudsearch_data = ROOT / os.environ.get("DEVSTACK_CLOUDSEARCH_DATA", DEFAULT_CLOUDSEARCH_DATA)
    stream_state = ROOT / os.environ.get("DEVSTACK_STREAM_STATE", DEFAULT_STREAM_STATE)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server: subprocess.Popen[bytes] | None = None
    poller: subprocess.Popen[bytes] | None = None
    exit_code = 0
    moto_server = MotoServer(moto_port, stable_ids=True)
    try:
        moto_server.start()
    except MotoServerError as exc:
        raise SystemExit(f"The AWS emulator did not start: {exc}\nSet DEVSTACK_MOTO_PORT to a free port.") from None
    search_server = CloudSearchServer(cloudsearch_port, data_dir=cloudsearch_data)
    try:
        search_server.start()
    except CloudSearchServerError as exc:
        moto_server.stop()
        raise SystemExit(
            f"The local CloudSearch server did not start: {exc}\nSet DEVSTACK_CLOUDSEARCH_PORT to a free port."
        ) from None
    with moto_server as moto, search_server as cloudsearch:
        try:
            os.environ["AWS_ENDPOINT_URL"] = moto.endpoint_url
            os.environ.update(search_environment(cloudsearch.endpoint_url))
            import django

            django.setup()
            from devstack.aws_resources import ensure_resources, local_environment

            summary = prepare_database()
            resources = ensure_resources()
            configure_search_domain(cloudsearch.endpoint_url)
            os.environ.update(local_environment(resources))
            _write_env_file(database_url, local_environment(resources) | search_environment(cloudsearch.endpoint_url))
            token = demo_bearer_token(resources)
            mirror_and_index_notes()
            # The local stand-in for the stream → Lambda mapping: table changes reach the index.
            poller = _start_poller(stream_state)

            base = f"http://127.0.0.1:{web_port}"
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{web_port}"],
                env=os.environ.copy(),
            )
            wait_for_http(f"{base}/healthz", server, SERVER_STARTUP_TIMEOUT_SECONDS)
            _print_banner(base, database_url, moto.endpoint_url, resources, summary, token, cloudsearch_data)
            exit_code, poller = _watch(
                server=server, poller=poller, moto=moto, cloudsearch=cloudsearch, state=stream_state
            )
        except KeyboardInterrupt:
            say("\nStopping the server, the stream poller, CloudSearch and the AWS emulator…")
        finally:
            _stop_process(server)
            _stop_process(poller)
    say("Stopped.")
    if exit_code:
        raise SystemExit(exit_code)


def mirror_and_index_notes() -> None:
    """Every live note into the DynamoDB table and the search index, with a progress bar.

    The emulator starts empty each time, so this runs at every start: search_reindex's own
    machinery (batched writes, the outbox marked sent), from the first note.
    """
    from tqdm import tqdm

    from notes.reindex import live_note_count, search_reindex

    total = live_note_count(restart=True)
    say(f"Mirroring {total} notes into DynamoDB and the search index (search_reindex)…")
    with tqdm(total=total, unit="note", file=sys.stdout, mininterval=0.5, ascii=True) as bar:
        report = search_reindex(restart=True, on_progress=bar.update)
    say(f"Mirrored and indexed {report.written} notes in {report.seconds:.1f} s.")


def _start_poller(stream_state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.stream_poller", "--state-file", str(stream_state)],
        env=os.environ.copy(),
    )


def _watch(
    *, server: subprocess.Popen[bytes], poller: subprocess.Popen[bytes], moto: Any, cloudsearch: Any, state: Path
) -> tuple[int, subprocess.Popen[bytes]]:
    """Serve until the web server exits; stop everything when an emulator dies, restart a dead poller.

    The emulators hold the stack's state in memory (the table, the pool and its users): a new one
    would be empty, so the run says what happened and stops rather than serve half a stack.
    Returns the exit code for the run and the poller now running.
    """
    while True:
        if server.poll() is not None:
            say(f"The web server exited with code {server.returncode}; stopping everything.")
            return (server.returncode or 1), poller
        for name, emulator in (("The AWS emulator (moto)", moto), ("The local CloudSearch server", cloudsearch)):
            if not emulator.is_running:
                log = f" Its log: {emulator.log_path}." if emulator.log_path else ""
                say(f"{name} stopped unexpectedly.{log} Stopping everything: run `make run` again.")
                return 1, poller
        if poller.poll() is not None:
            say(f"The stream poller exited with code {poller.returncode}; starting it again.")
            poller = _start_poller(state)
        time.sleep(WATCH_INTERVAL_SECONDS)


def env_file() -> Path:
    """Where the stack's settings are written for other shells (relative paths: to the repo root)."""
    return ROOT / os.environ.get("DEVSTACK_ENV_FILE", DEFAULT_ENV_FILE)


def env_file_settings(database_url: str, stack_environment: dict[str, str]) -> dict[str, str]:
    """Everything another shell needs to use the running stack, even one started with `env -i`."""
    settings = {name: os.environ[name] for name in ENV_FILE_SETTINGS if os.environ.get(name)}
    settings |= {"DATABASE_URL": database_url, "DEBUG": "true"}
    settings |= stack_environment
    # boto3 outside Django (the aws CLI, a script) reads the region from here.
    settings["AWS_DEFAULT_REGION"] = settings.get("AWS_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return settings


def _write_env_file(database_url: str, stack_environment: dict[str, str]) -> None:
    path = env_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = env_file_settings(database_url, stack_environment)
    lines = [f"{name}={shlex.quote(value)}" for name, value in settings.items()]
    header = "# Written by `make run` for the stack it runs: set -a; . this-file; set +a\n"
    path.write_text(header + "\n".join(lines) + "\n")


def _print_banner(
    base: str, database_url: str, endpoint: str, resources: Any, summary: Any, token: str, search_data: Path
) -> None:
    from devstack.demo_data import DEMO_USER

    database = urllib.parse.urlsplit(database_url)
    say()
    say(READY_LINE)
    say(f"  Admin:      {base}/admin/   (staff login: {STAFF_USERNAME} / {STAFF_PASSWORD})")
    say(f"  Health:     {base}/healthz   readiness: {base}/readyz")
    say(f"  Database:   {database.scheme}://{database.hostname or ''}{database.path}")
    say(f"  Demo data:  {summary.users} site users, {summary.notes} notes")
    say(f"  AWS:        moto at {endpoint}: bucket {resources.bucket}, table {resources.notes_table},")
    say(f"              Cognito pool {resources.user_pool_id}, app client {resources.app_client_id}")
    shown_data = search_data.relative_to(ROOT) if search_data.is_relative_to(ROOT) else search_data
    if os.environ.get("SEARCH_BACKEND") == "mysql":
        say("  Search:     mysql: a FULLTEXT table in the database above; the stream poller feeds it from the table")
        say("              (`make run` without SEARCH_BACKEND=mysql shows the reference: local CloudSearch)")
    else:
        search_endpoint = os.environ["CLOUDSEARCH_SEARCH_ENDPOINT"]
        say(f"  Search:     CloudSearch (local) at {search_endpoint}: domain {CLOUDSEARCH_DOMAIN_NAME},")
        say(f"              documents in {shown_data}; the stream poller feeds it from the table")
        say("              (SEARCH_BACKEND=mysql make run: search with MySQL FULLTEXT, a new deployment's default)")
    path = env_file()
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    say(f"  Shell:      set -a; . {shown}; set +a   (then manage.py commands use the stack)")
    say(f"  Cognito:    demo user {DEMO_USER.email} / {DEMO_COGNITO_PASSWORD}; a new token: make token")
    say(f"  Demo token: ID token of {DEMO_USER.email} (valid 1 h), for Authorization: Bearer …")
    say(f"{token}")
    say("Press Ctrl-C to stop everything.")


if __name__ == "__main__":
    main()
