"""HTTP load (SPEC §8): gunicorn with 2 workers on MariaDB under wrk, 16 connections, a list/detail/create mix.

gunicorn serves `project.wsgi` (Lambridge's settings, the bench database, the moto stack, the
throttle rate set out of reach so throttling cannot shape the figures) on a free port; wrk runs
bench/load.lua for BENCH_LOAD_SECONDS (default 30) with real Cognito ID tokens of every bench user
(each asks for its own notes' details). Reported: requests/s, p50, p99 and errors: non-2xx
answers plus socket errors (connect, read, write, timeout); the targets are 0 errors and p99 ≤ 100 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.inprocess import body, call, expect_status, get_event, zappa_handler
from bench.results import Row
from bench.stack import WORK_DIR, Stack
from devstack.run import wait_for_http

NAME = "load"
WORKERS = 2
CONNECTIONS = 16
THREADS = 2
DEFAULT_SECONDS = 30
STARTUP_TIMEOUT_SECONDS = 30.0
WRK_TIMEOUT = "5s"
TARGET_P99_MS = 100.0
SCRIPT = Path(__file__).resolve().parent / "load.lua"
RESULT_MARKER = "@@wrk@@"


def load_seconds() -> int:
    return int(os.environ.get("BENCH_LOAD_SECONDS") or DEFAULT_SECONDS)


def write_users_file(stack: Stack, path: Path) -> None:
    """One line per bench user: the ID token, then the noteIds of their newest notes (read through the API)."""
    handler = zappa_handler()
    lines = []
    for user in stack.users:
        response = call(handler, get_event("/api/v1/notes/", token=user.id_token, query={"pageSize": "50"}))
        note_ids = [note["noteId"] for note in body(expect_status(response, 200, "GET /api/v1/notes/"))["results"]]
        lines.append(" ".join([user.id_token, *note_ids]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    try:
        wait_for_http(url, process, STARTUP_TIMEOUT_SECONDS)
    except SystemExit as exc:  # make run's way of giving up; here the bench's own error, with the log
        raise RuntimeError(f"gunicorn: {exc}; see {log_path}") from None


def run_wrk(base_url: str, users_file: Path, seconds: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: run `bash devstack/system-packages.sh test` (apt package wrk)")
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}"]
    command += ["-s", str(SCRIPT), base_url, "--", str(users_file)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    _, marker, after = completed.stdout.rpartition(RESULT_MARKER)
    if completed.returncode != 0 or not marker:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    result: dict[str, Any] = json.loads(after.strip().splitlines()[0])
    return result


def run(stack: Stack, *, seconds: int | None = None) -> list[Row]:
    from devstack.local_server import free_port

    seconds = seconds or load_seconds()
    users_file = WORK_DIR / "load-users.txt"
    write_users_file(stack, users_file)
    port = free_port()
    log_path = WORK_DIR / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "project.wsgi", f"--workers={WORKERS}", f"--bind=127.0.0.1:{port}"]
    root = Path(__file__).resolve().parent.parent
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=root, env=os.environ | stack.environment, stdout=log, stderr=log)
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log_path)
            result = run_wrk(f"http://127.0.0.1:{port}", users_file, seconds)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    duration = result["durationMicroseconds"] / 1e6
    socket_errors = result["connectErrors"] + result["readErrors"] + result["writeErrors"] + result["timeouts"]
    errors = result["non2xx"] + socket_errors
    p99_ms = result["p99Microseconds"] / 1000
    setup = f"gunicorn {WORKERS} workers, wrk {CONNECTIONS} connections, {seconds} s"
    details = result | {"seconds": seconds, "workers": WORKERS, "connections": CONNECTIONS, "users": len(stack.users)}
    return [
        Row(
            f"HTTP load: requests/s ({setup}; 60% list, 30% detail, 10% create)", result["requests"] / duration, "req/s"
        ),
        Row("HTTP load: p50 latency", result["p50Microseconds"] / 1000, "ms"),
        Row(
            "HTTP load: p99 latency",
            p99_ms,
            "ms",
            target=f"<= {TARGET_P99_MS:g} ms",
            passed=p99_ms <= TARGET_P99_MS,
        ),
        Row(
            f"HTTP load: errors (non-2xx + socket errors) of {result['requests']} requests",
            errors,
            "errors",
            target="0",
            passed=errors == 0,
            details=details,
        ),
    ]
