"""A local HTTP server run as a child process on 127.0.0.1: the part moto and CloudSearch share."""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self

HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 5.0
# A port picked by free_port() can be taken before the server binds it; then we try another.
STARTUP_ATTEMPTS = 3
STDERR_TAIL_CHARS = 3000
HEALTH_POLL_SECONDS = 0.05


class LocalServerError(RuntimeError):
    """The server did not start; the message carries the tail of its output.

    `exited_early`: it never got to answer (the port was taken or the process exited), so another
    port may do better.
    """

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


class LocalServerProcess:
    """A server child process on 127.0.0.1, started and stopped by us; subclasses say which.

    Use as a context manager (`with Server() as server: server.endpoint_url`) or call start() and
    stop(). `port=None` picks a free port (and another if that one is taken before the server
    binds it). The output goes to a log file (a pipe nobody reads would fill and freeze the
    server), whose tail is in the error when the server fails to start: `log_path=None` is a
    temporary file removed on stop, a given path is kept.

    A subclass sets `name`, `health_path`, `error_class` and `log_prefix` and defines
    `_command()`; `_extra_environment()` and `working_directory` when it needs them.
    """

    # For messages: "<name> on port 5000 exited ...".
    name: ClassVar[str]
    # Answers 200 once the server is up.
    health_path: ClassVar[str]
    error_class: ClassVar[type[LocalServerError]] = LocalServerError
    # Of the temporary log file's name.
    log_prefix: ClassVar[str]
    working_directory: ClassVar[Path | None] = None

    def __init__(self, port: int | None, *, startup_timeout: float, log_path: Path | None = None) -> None:
        self.port = port if port is not None else free_port()
        # Only a port we picked ourselves may be swapped for another if someone takes it first.
        self._port_is_ours = port is None
        self.startup_timeout = startup_timeout
        self._log_path = log_path
        self._log_file: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        """The child's command line for self.port; called once that port is known to be free."""
        raise NotImplementedError

    def _extra_environment(self) -> dict[str, str]:
        """Variables the child gets on top of ours."""
        return {}

    @property
    def endpoint_url(self) -> str:
        """What clients are pointed at (AWS_ENDPOINT_URL, CLOUDSEARCH_*_ENDPOINT)."""
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path | None:
        """Where the server's output goes (None before start)."""
        return Path(self._log_file.name) if self._log_file is not None else None

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (None before start and after stop)."""
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and return once it answers HTTP; raise error_class otherwise."""
        if self.is_running:
            return self
        for attempt in range(STARTUP_ATTEMPTS if self._port_is_ours else 1):
            if attempt:
                self.port = free_port()
            try:
                self._start_once()
            except LocalServerError as exc:
                if not (exc.exited_early and self._port_is_ours and attempt + 1 < STARTUP_ATTEMPTS):
                    raise
            else:
                return self
        return self  # not reached: the last attempt returns or raises

    def _start_once(self) -> None:
        # Otherwise a server already on the port (a forgotten one of ours) would answer our health check.
        if not _port_is_free(self.port):
            raise self.error_class(
                f"Port {self.port} on {HOST} is already in use; stop what listens there or pick another port.",
                exited_early=True,
            )
        command = self._command()
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self._log_path.open("wb")
        else:
            self._log_file = tempfile.NamedTemporaryFile(prefix=self.log_prefix, suffix=".log", delete=False)  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=self.working_directory,
            env={**os.environ, **self._extra_environment()},
        )
        atexit.register(self.stop)
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit in time). Safe to call twice."""
        self._stop_process()

    def _stop_process(self) -> None:
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
            raise self.error_class(f"{self.name} was not started")
        deadline = time.monotonic() + self.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            returncode = self._process.poll()
            if returncode is not None:
                raise self.error_class(
                    f"{self.name} on port {self.port} exited with code {returncode} while starting.\n"
                    f"{self._output_tail()}",
                    exited_early=True,
                )
            problem = self._probe()
            if problem is None:
                return
            last_problem = problem
            time.sleep(HEALTH_POLL_SECONDS)
        raise self.error_class(
            f"{self.name} on port {self.port} did not answer {self.health_path} within "
            f"{self.startup_timeout:.0f}s (last: {last_problem}).\n{self._output_tail()}"
        )

    def _probe(self) -> str | None:
        """None once the server answers; else what went wrong this time (subclasses probe otherwise)."""
        try:
            with urllib.request.urlopen(self.endpoint_url + self.health_path, timeout=1) as response:  # noqa: S310
                return None if response.status == 200 else f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            return str(exc)

    def _output_tail(self) -> str:
        if self._log_file is None:
            return "(no output captured)"
        self._log_file.flush()
        text = Path(self._log_file.name).read_text(encoding="utf-8", errors="replace")
        tail = text[-STDERR_TAIL_CHARS:].strip()
        return f"Its output ended with:\n{tail}" if tail else "(it printed nothing)"
