"""`make bench-scale`: sites of 100k and 1M notes, made by SQL as the PHP site would have them, and
the (scale) rows of SPEC §8 measured on each, side by side.

    python -m bench.scale [--sizes 100000 1000000] [--keep]

Each site is a database of its own (`lambridge_bench_scale_<notes>`, dropped and made again unless
--keep finds it complete) on a private MariaDB with the row-based binlog on, as a deployment with CDC
has it (devstack/binlog_mysql.py; its data directory is kept in dist/bench-scale-mysql for --keep):
10,000 users, one heavy user with a tenth of the notes (100k on the 1M site), one light user with 50,
10% public, 8% soft-deleted, one to three tags each, a rare tag on 1 note in 50,000, and a mirror that
is settled (every note sent once). A moto server stands in for DynamoDB. Every site is measured in a
process of its own (Django knows one database per process); this process compares.

The site's UPDATE row alternates idle and busy windows (idle, busy, busy, idle): busy is a reconcile
pass after another, `search_reindex` and the CDC reader following the binlog, each in a process of its
own at a lower CPU priority, as is the moto server (on AWS they run on Lambda and DynamoDB, not on
the database's CPU; here they share two cores with it, and the row is about MyISAM's table locks,
not about this machine's CPU).

Generation uses MariaDB's SEQUENCE engine (`seq_1_to_N`); on MySQL 8 it would need a recursive CTE.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import MySQLdb

from artifact.build import DIST
from bench.results import Row, print_table, record

SIZES = (100_000, 1_000_000)
USERS = 10_000
LIGHT_NOTES = 50
RARE_TAG = "rare-orchid"
RARE_EVERY = 50_000
TAGS = (
    "travel", "work", "family", "ideas", "recipes", "garden", "books", "music", "sport", "kids",
    "health", "money", "films", "pets", "home", "cars", "art", "code", "notes", "misc",
)  # fmt: skip
UPDATE_WINDOW_SECONDS = 15.0  # per window; two idle and two busy windows
WARMUP_WINDOW_SECONDS = 5.0
WINDOW_SECONDS = 12.0
CDC_RUN_SECONDS = 5.0
BACKGROUND_NICENESS = 10
BACKGROUND_JOBS = ("reconcile", "reindex", "cdc")
STEADY_RUNS = 5
SERVER_DATADIR = DIST / "bench-scale-mysql"


def host_url() -> str:
    """The private MariaDB's URL, set by main() for itself and its children."""
    return os.environ["BENCH_SCALE_SERVER_URL"]


def database_for(notes: int) -> str:
    return f"lambridge_bench_scale_{notes}"


def heavy_notes(notes: int) -> int:
    return notes // 10


# --- Making a site ---------------------------------------------------------------------------------


def _server(database: str | None = None) -> Any:
    import environ

    config = environ.Env.db_url_config(f"{host_url()}/{database or 'mysql'}")
    return MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
        database=database or "",
        autocommit=True,
        charset="latin1",
    )


def _site_is_complete(database: str, notes: int) -> bool:
    try:
        server = _server(database)
    except MySQLdb.Error:
        return False
    try:
        cursor = server.cursor()
        cursor.execute("SELECT COUNT(*) FROM notes_mirrorentry")
        return int(cursor.fetchone()[0]) == notes
    except MySQLdb.Error:
        return False
    finally:
        server.close()


def generate_site(notes: int) -> float:
    """Create the site's database with `notes` notes (schema, Django's tables, settled mirror); seconds taken."""
    started = time.monotonic()
    database = database_for(notes)
    server = _server()
    cursor = server.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
    cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    server.close()
    # Django's tables and the site's, through the project's own code, in a child process.
    _child(notes, "migrate")
    heavy = heavy_notes(notes)
    tag_list = ", ".join(f"'{tag}'" for tag in TAGS)
    statements = [
        "INSERT INTO users (email, username, password, display_name, status, created_at)"
        f" SELECT CONCAT('scale-', seq, '@bench.example'), CONCAT('scale', seq), '!', CONCAT('User ', seq),"
        f" 'active', '2015-01-01 00:00:00' FROM seq_1_to_{USERS}",
        # User 1 is the heavy user, user 2 the light one (exactly LIGHT_NOTES), the rest share the others.
        "INSERT INTO notes (note_id, user_id, headline, body, visibility, created_at, updated_at, deleted)"
        f" SELECT seq, CASE WHEN seq <= {heavy} THEN 1 WHEN seq <= {heavy + LIGHT_NOTES} THEN 2"
        f" ELSE 3 + seq % {USERS - 2} END,"
        " CONCAT('Scale note ', seq), CONCAT('Body of scale note ', seq, ' about ', ELT(1 + seq % 20, "
        f"{tag_list}), ' and more words for the index'),"
        " IF(seq % 10 = 0, 'public', 'private'), '2016-01-01 00:00:00',"
        " TIMESTAMP('2020-01-01 00:00:00') + INTERVAL seq SECOND, IF(seq % 25 IN (1, 2), 1, 0)"
        f" FROM seq_1_to_{notes}",
        f"INSERT INTO note_tags (note_id, tag) SELECT note_id, ELT(1 + note_id % 20, {tag_list}) FROM notes",
        f"INSERT INTO note_tags (note_id, tag) SELECT note_id, ELT(1 + (note_id DIV 20 + 1 + note_id) % 20, {tag_list})"
        " FROM notes WHERE note_id % 3 <> 0 AND (note_id DIV 20 + 1 + note_id) % 20 <> note_id % 20",
        f"INSERT IGNORE INTO note_tags (note_id, tag) SELECT note_id, '{RARE_TAG}' FROM notes"
        f" WHERE note_id % {RARE_EVERY} = 7",
        # The mirror, settled: every note sent once, as after search_reindex.
        "INSERT INTO notes_mirrorentry (legacy_note_id, generation, sent_generation, changed_at, attempts,"
        " next_attempt_at, last_error, sent_at, sent_updated_at, sent_version, recorded_in)"
        " SELECT note_id, 1, 1, UTC_TIMESTAMP(), 0, UTC_TIMESTAMP(), '', UTC_TIMESTAMP(), updated_at, 1, ''"
        " FROM notes",
        "INSERT INTO notes_mirrorstate (name, value, updated_at)"
        f" VALUES ('reconcile.tail', '{notes}', UTC_TIMESTAMP())",
        # The note index, built (what the first full reconcile pass leaves).
        "INSERT INTO notes_noteindex (note_id, owner_id, visibility, deleted, gone, updated_at, change_seq)"
        " SELECT note_id, user_id, visibility, deleted, 0, updated_at, note_id FROM notes",
        "INSERT INTO notes_noteindextag (note_id, tag) SELECT note_id, tag FROM note_tags",
        f"INSERT INTO notes_changecounter (id, value) VALUES (1, {notes})",
    ]
    server = _server(database)
    cursor = server.cursor()
    cursor.execute("SET time_zone = '+00:00'")
    for statement in statements:
        cursor.execute(statement)
    # The generation is not a change to capture, and its binlog is large: start the log afresh.
    cursor.execute("RESET MASTER")
    server.close()
    return time.monotonic() - started


# --- Measuring one site (in its own process) ---------------------------------------------------


def _timed(function: Callable[[], object]) -> float:
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def _median_ms(function: Callable[[], object], runs: int) -> float:
    return statistics.median(_timed(function) for _ in range(runs)) * 1000


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _site_updates(database: str, notes: int, seconds: float, results: Any) -> None:
    """The PHP site's single-row UPDATEs by primary key, one after another, in a process of their own
    (as the site's are: no share of our interpreter); puts the latency of each (ms) on ``results``."""
    rng = random.Random(7)  # noqa: S311 - a benchmark's sample, not security
    server = _server(database)
    cursor = server.cursor()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        note_id = rng.randint(1, notes)
        began = time.perf_counter()
        cursor.execute("UPDATE notes SET headline = CONCAT('Scale note ', note_id) WHERE note_id = %s", [note_id])
        latencies.append((time.perf_counter() - began) * 1000)
        time.sleep(0.002)
    server.close()
    results.put(latencies)


def _sampled_updates(database: str, notes: int, seconds: float = UPDATE_WINDOW_SECONDS) -> list[float]:
    """Latencies of the site's UPDATEs for ``seconds``, made in a process of their own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    sampler = context.Process(target=_site_updates, args=(database, notes, seconds, results))
    sampler.start()
    latencies: list[float] = results.get(timeout=900)
    sampler.join()
    return latencies


def _background(work: str, started: Any) -> None:
    """One of the busy window's jobs, over and over until it is stopped, at a lower CPU priority."""
    os.nice(BACKGROUND_NICENESS)
    import django

    django.setup()
    started.set()
    from notes.cdc import cdc_run
    from notes.reconcile import mirror_reconcile
    from notes.reindex import search_reindex

    jobs: dict[str, Callable[[], object]] = {
        "reconcile": lambda: mirror_reconcile(full=True, max_seconds=WINDOW_SECONDS),
        "reindex": search_reindex,  # resumes where the previous window's run was stopped
        "cdc": lambda: cdc_run(max_seconds=CDC_RUN_SECONDS, blocking=True),
    }
    while True:
        jobs[work]()


def _busy_updates(database: str, notes: int) -> list[float]:
    """The site's UPDATE latencies while reconcile, reindex and CDC run beside them."""
    context = multiprocessing.get_context("spawn")
    started = {work: context.Event() for work in BACKGROUND_JOBS}
    workers = [
        context.Process(target=_background, args=(work, started[work]), daemon=True, name=work)
        for work in BACKGROUND_JOBS
    ]
    for worker in workers:
        worker.start()
    try:
        # Sampling starts once every job has set Django up and is at work.
        for worker in workers:
            if not started[worker.name].wait(timeout=120) or not worker.is_alive():
                raise RuntimeError(f"the busy window's job {worker.name} did not start (exit {worker.exitcode})")
        return _sampled_updates(database, notes)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(timeout=30)


def _cdc_from_here() -> None:
    """CDC starts at the binlog's current end: the site's generation is not a change to capture."""
    from django.db import connection

    from notes.cdc import POSITION_MARK
    from notes.models import MirrorState

    with connection.cursor() as cursor:
        cursor.execute("SHOW MASTER STATUS")
        log_file, log_pos = cursor.fetchone()[:2]
    MirrorState.objects.update_or_create(name=POSITION_MARK, defaults={"value": f"{log_file}:{log_pos}"})


def _measure_site(notes: int) -> dict[str, Any]:
    import django

    django.setup()
    from devstack.aws_resources import ensure_resources
    from notes.cursors import SYNC_START
    from notes.reconcile import mirror_reconcile
    from notes.selectors import NoteListFilters, note_changes, note_list

    ensure_resources()
    database = database_for(notes)
    figures: dict[str, Any] = {"notes": notes}
    mirror_reconcile()  # warm: connection, caches
    figures["reconcile_steady_ms"] = _median_ms(mirror_reconcile, STEADY_RUNS)

    own = NoteListFilters()
    figures["list_heavy_ms"] = _median_ms(lambda: note_list(user_id=1, filters=own, before_note_id=None, limit=50), 5)
    figures["list_light_ms"] = _median_ms(lambda: note_list(user_id=2, filters=own, before_note_id=None, limit=50), 5)
    figures["changes_heavy_ms"] = _median_ms(lambda: note_changes(user_id=1, since=SYNC_START, limit=100), 5)
    figures["changes_light_ms"] = _median_ms(lambda: note_changes(user_id=2, since=SYNC_START, limit=100), 5)
    rare = NoteListFilters(scope="public", tag=RARE_TAG)
    figures["rare_tag_public_ms"] = _median_ms(
        lambda: note_list(user_id=2, filters=rare, before_note_id=None, limit=50), 3
    )

    # The site's UPDATEs: idle and busy windows alternating (A B B A), so drift hits both alike.
    from notes.cdc import POSITION_MARK
    from notes.models import MirrorState
    from notes.reconcile import CURSOR_MARK
    from notes.reindex import RESUME_MARK

    MirrorState.objects.filter(name=CURSOR_MARK).delete()
    _cdc_from_here()
    _sampled_updates(database, notes, WARMUP_WINDOW_SECONDS)  # untimed: the first read cold caches
    idle: list[float] = []
    busy: list[float] = []
    for window in ("idle", "busy", "busy", "idle"):
        if window == "idle":
            idle += _sampled_updates(database, notes)
        else:
            busy += _busy_updates(database, notes)
    figures["update_idle_p50_ms"] = _percentile(idle, 0.5)
    figures["update_idle_p99_ms"] = _percentile(idle, 0.99)
    figures["update_busy_p50_ms"] = _percentile(busy, 0.5)
    figures["update_busy_p99_ms"] = _percentile(busy, 0.99)
    figures["update_busy_samples"] = len(busy)
    figures["update_busy_jobs"] = list(BACKGROUND_JOBS)
    # What the jobs got through in the busy windows: the reindex's resume mark, CDC's position.
    figures["update_busy_marks"] = dict(
        MirrorState.objects.filter(name__in=[RESUME_MARK, POSITION_MARK, CURSOR_MARK]).values_list("name", "value")
    )
    return figures


def _child(notes: int, what: str) -> dict[str, Any]:
    """Run `what` ("migrate" or "measure") for the site of `notes` in a fresh process."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-a-secret"),
        "DEBUG": "false",
        "DATABASE_URL": f"{host_url()}/{database_for(notes)}",
        "LOG_LEVEL": "WARNING",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", what, "--sizes", str(notes)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.scale {what} for {notes} notes failed:\n{completed.stderr[-3000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {}


def _child_main(what: str, notes: int) -> int:
    if what == "migrate":
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from legacy.schema import create_legacy_tables

        create_legacy_tables(connection)
        call_command("migrate", verbosity=0, interactive=False)
        print("{}")
        return 0
    print(json.dumps(_measure_site(notes)))
    return 0


# --- The rows ----------------------------------------------------------------------------------


def rows_from(small: dict[str, Any], large: dict[str, Any]) -> list[Row]:
    size = f"{large['notes'] // 1000}k"

    def ratio_row(name: str, numerator: float, denominator: float, limit: float, details: dict[str, Any]) -> Row:
        ratio = numerator / denominator if denominator else float("inf")
        return Row(name, ratio, "x", f"<= {limit}x", ratio <= limit, details)

    return [
        ratio_row(
            f"mirror_reconcile, nothing changed: {size} vs {small['notes'] // 1000}k notes",
            large["reconcile_steady_ms"],
            small["reconcile_steady_ms"],
            2.0,
            {"large_ms": large["reconcile_steady_ms"], "small_ms": small["reconcile_steady_ms"]},
        ),
        ratio_row(
            f"site UPDATE p99 while reconcile, reindex and CDC run vs idle ({size})",
            large["update_busy_p99_ms"],
            large["update_idle_p99_ms"],
            1.5,
            {key: large[key] for key in large if key.startswith("update_")},
        ),
        ratio_row(
            f"changes feed, heavy ({heavy_notes(large['notes']) // 1000}k notes) vs light user ({size})",
            large["changes_heavy_ms"],
            large["changes_light_ms"],
            2.0,
            {"heavy_ms": large["changes_heavy_ms"], "light_ms": large["changes_light_ms"]},
        ),
        ratio_row(
            f"notes list, heavy vs light user ({size})",
            large["list_heavy_ms"],
            large["list_light_ms"],
            2.0,
            {"heavy_ms": large["list_heavy_ms"], "light_ms": large["list_light_ms"]},
        ),
        Row(
            f"rare tag, public scope ({size})",
            large["rare_tag_public_ms"],
            "ms",
            "",
            None,
            {"small_ms": small["rare_tag_public_ms"]},
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="notes per site (two, ascending)")
    parser.add_argument("--keep", action="store_true", help="reuse a site that is already complete")
    parser.add_argument("--child", choices=("migrate", "measure"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        return _child_main(arguments.child, arguments.sizes[0])
    if len(arguments.sizes) != 2:
        parser.error("give two sizes: the small site and the large one")
    measured = []
    from devstack.binlog_mysql import BinlogMySQL
    from devstack.moto_server import MotoServer

    SERVER_DATADIR.parent.mkdir(parents=True, exist_ok=True)
    with BinlogMySQL(datadir=SERVER_DATADIR) as server, MotoServer() as moto:
        # moto stands in for DynamoDB, which is not on the database's CPU either: it runs niced like
        # the busy window's jobs (threads it starts from now on inherit the priority).
        if moto.pid is not None:
            os.setpriority(os.PRIO_PROCESS, moto.pid, BACKGROUND_NICENESS)
        os.environ |= {
            "BENCH_SCALE_SERVER_URL": server.url,
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        for notes in arguments.sizes:
            if not (arguments.keep and _site_is_complete(database_for(notes), notes)):
                print(f"bench-scale: making the {notes:,}-note site...", flush=True)
                print(f"bench-scale: made in {generate_site(notes):.0f} s", flush=True)
            print(f"bench-scale: measuring the {notes:,}-note site...", flush=True)
            measured.append(_child(notes, "measure"))
    rows = rows_from(measured[0], measured[1])
    print()
    print_table(rows)
    print(f"\nwritten to {record(rows)}")
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
