"""moto in server mode as a child process on 127.0.0.1: the local stand-in for S3, DynamoDB, Cognito, SNS."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

HOST = "127.0.0.1"
# moto's own dashboard: answers 200 once the server is up, whatever services are in use.
HEALTH_PATH = "/moto-api/"
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0
# A port picked by free_port() can be taken before moto binds it; then we try another.
STARTUP_ATTEMPTS = 3
STDERR_TAIL_CHARS = 3000
# moto then derives Cognito pool and client ids from their name and settings instead of random
# ones, so ids written into a .env survive a restart of the emulator. Off by default: with it, a
# second pool created with the same name and settings silently replaces the first.
STABLE_ID_ENVIRONMENT = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}


class MotoServerError(RuntimeError):
    """moto did not start; the message carries the tail of its output."""

    def __init__(self, message: str, *, exited_early: bool = False) -> None:
        super().__init__(message)
        self.exited_early = exited_early


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now (another process may still take it before us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will bind: a port left in TIME_WAIT by a stopped server counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class MotoServer:
    """`python -m moto.server` on 127.0.0.1, started and stopped by us.

    Use as a context manager (`with MotoServer() as moto: moto.endpoint_url`) or call start() and
    stop(). `port=None` picks a free port; `stable_ids=True` keeps Cognito ids the same across
    restarts (see STABLE_ID_ENVIRONMENT). The server's output goes to a log file (werkzeug logs
    every request; a pipe nobody reads would fill and freeze the server), whose tail is shown when
    the server fails to start.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        log_path: Path | None = None,
        stable_ids: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        # Only a port we picked ourselves may be swapped for another if someone takes it first.
        self._port_is_ours = port is None
        self.startup_timeout = startup_timeout
        self._log_path = log_path
        self.stable_ids = stable_ids
        self._log_file: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """What AWS_ENDPOINT_URL should be set to."""
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        """Where the server's output goes (None before start)."""
        return Path(self._log_file.name) if self._log_file is not None else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and return once it answers HTTP; raise MotoServerError otherwise."""
        if self.is_running:
            return self
        for attempt in range(STARTUP_ATTEMPTS if self._port_is_ours else 1):
            if attempt:
                self.port = free_port()
            try:
                self._start_once()
            except MotoServerError as exc:
                if not (exc.exited_early and self._port_is_ours and attempt + 1 < STARTUP_ATTEMPTS):
                    raise
            else:
                return self
        return self  # not reached: the last attempt returns or raises

    def _start_once(self) -> None:
        # Otherwise a server already on the port (a forgotten moto) would answer our health check.
        if not _port_is_free(self.port):
            raise MotoServerError(
                f"Port {self.port} on {HOST} is already in use; stop what listens there or pick another port.",
                exited_early=True,
            )
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self._log_path.open("wb")
        else:
            self._log_file = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=self._child_environment(),
        )
        atexit.register(self.stop)
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _child_environment(self) -> dict[str, str]:
        environment = {**os.environ, "MOTO_PORT": str(self.port)}
        if self.stable_ids:
            environment.update(STABLE_ID_ENVIRONMENT)
        return environment

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit in time). Safe to call twice."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self._log_file is not None:
            self._log_file.close()
            if self._log_path is None:
                with contextlib.suppress(OSError):
                    os.unlink(self._log_file.name)
            self._log_file = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_answering(self) -> None:
        if self._process is None:
            raise MotoServerError("moto server was not started")
        deadline = time.monotonic() + self.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            returncode = self._process.poll()
            if returncode is not None:
                raise MotoServerError(
                    f"moto server on port {self.port} exited with code {returncode} while starting.\n"
                    f"{self._output_tail()}",
                    exited_early=True,
                )
            try:
                with urllib.request.urlopen(self.endpoint_url + HEALTH_PATH, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
                    last_problem = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_problem = str(exc)
            time.sleep(0.1)
        raise MotoServerError(
            f"moto server on port {self.port} did not answer {HEALTH_PATH} within "
            f"{self.startup_timeout:.0f}s (last: {last_problem}).\n{self._output_tail()}"
        )

    def _output_tail(self) -> str:
        if self._log_file is None:
            return "(no output captured)"
        self._log_file.flush()
        text = Path(self._log_file.name).read_text(encoding="utf-8", errors="replace")
        tail = text[-STDERR_TAIL_CHARS:].strip()
        return f"Its output ended with:\n{tail}" if tail else "(it printed nothing)"


def main() -> None:
    """`python -m devstack.moto_server [PORT]`: run moto in the foreground until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    # Ctrl-C even when started in the background (which ignores SIGINT), and `kill` unwinds the
    # `with` below so the child stops too instead of being orphaned.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    log_path = Path(tempfile.gettempdir()) / f"moto-server-{port}.log"
    with MotoServer(port, log_path=log_path, stable_ids=True) as moto:
        print(f"moto server at {moto.endpoint_url} (log: {moto.log_path}); Ctrl-C stops it.")
        print(f"export AWS_ENDPOINT_URL={moto.endpoint_url}")
        try:
            while moto.is_running:
                time.sleep(1)
        except KeyboardInterrupt:
            return
        print(f"moto server exited on its own; see {moto.log_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
