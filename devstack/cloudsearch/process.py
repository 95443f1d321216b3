"""The local CloudSearch server as a child process on 127.0.0.1, started and stopped like MotoServer."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from devstack.cloudsearch.server import HEALTH_PATH
from devstack.moto_server import HOST, STARTUP_ATTEMPTS, STDERR_TAIL_CHARS, _port_is_free, free_port

STARTUP_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 5.0


class CloudSearchServerError(RuntimeError):
    """The server did not start; the message carries the tail of its output."""

    def __init__(self, message: str, *, exited_early: bool = False) -> None:
        super().__init__(message)
        self.exited_early = exited_early


class CloudSearchServer:
    """`python -m devstack.cloudsearch` on 127.0.0.1 (`with CloudSearchServer(data_dir=d) as cs: cs.endpoint_url`).

    `port=None` picks a free port. `data_dir=None` keeps the documents in a temporary directory
    removed on stop; give a directory to keep them across restarts. `fields_path` is a JSON list
    of IndexField definitions (default: the Notes fields).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        data_dir: Path | None = None,
        fields_path: Path | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        verbose: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        self._port_is_ours = port is None
        self._data_dir = data_dir
        self._temporary_data_dir: Path | None = None
        self.fields_path = fields_path
        self.startup_timeout = startup_timeout
        self.verbose = verbose
        self._log_file: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """Both the document and the search endpoint (CLOUDSEARCH_*_ENDPOINT)."""
        return f"http://{HOST}:{self.port}"

    @property
    def data_dir(self) -> Path | None:
        return self._data_dir or self._temporary_data_dir

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server and return once it answers HTTP; CloudSearchServerError otherwise."""
        if self.is_running:
            return self
        for attempt in range(STARTUP_ATTEMPTS if self._port_is_ours else 1):
            if attempt:
                self.port = free_port()
            try:
                self._start_once()
            except CloudSearchServerError as exc:
                if not (exc.exited_early and self._port_is_ours and attempt + 1 < STARTUP_ATTEMPTS):
                    raise
            else:
                return self
        return self  # not reached: the last attempt returns or raises

    def _start_once(self) -> None:
        # Otherwise a server already on the port would answer our health check.
        if not _port_is_free(self.port):
            raise CloudSearchServerError(
                f"Port {self.port} on {HOST} is already in use; stop what listens there or pick another port.",
                exited_early=True,
            )
        if self._data_dir is None and self._temporary_data_dir is None:
            self._temporary_data_dir = Path(tempfile.mkdtemp(prefix="cloudsearch-data-"))
        data_dir = self.data_dir
        assert data_dir is not None  # noqa: S101 (set just above)
        self._log_file = tempfile.NamedTemporaryFile(prefix="cloudsearch-server-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "devstack.cloudsearch", "--host", HOST, "--port", str(self.port)]
        command += ["--data-dir", str(data_dir)]
        if self.fields_path is not None:
            command += ["--fields", str(self.fields_path)]
        if self.verbose:
            command.append("--verbose")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],  # the project root, so `devstack` imports
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
        if self._temporary_data_dir is not None:
            shutil.rmtree(self._temporary_data_dir, ignore_errors=True)
            self._temporary_data_dir = None

    def restart(self) -> Self:
        """Stop and start again on the same port with the same data (a temporary data dir is kept)."""
        self._stop_process()
        self._port_is_ours = False
        return self.start()

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
            raise CloudSearchServerError("the CloudSearch server was not started")
        deadline = time.monotonic() + self.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            returncode = self._process.poll()
            if returncode is not None:
                raise CloudSearchServerError(
                    f"CloudSearch server on port {self.port} exited with code {returncode} while starting.\n"
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
            time.sleep(0.05)
        raise CloudSearchServerError(
            f"CloudSearch server on port {self.port} did not answer {HEALTH_PATH} within "
            f"{self.startup_timeout:.0f}s (last: {last_problem}).\n{self._output_tail()}"
        )

    def _output_tail(self) -> str:
        if self._log_file is None:
            return "(no output captured)"
        self._log_file.flush()
        text = Path(self._log_file.name).read_text(encoding="utf-8", errors="replace")
        tail = text[-STDERR_TAIL_CHARS:].strip()
        return f"Its output ended with:\n{tail}" if tail else "(it printed nothing)"
