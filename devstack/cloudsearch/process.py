"""The local CloudSearch server as a child process on 127.0.0.1, started and stopped like MotoServer."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Self

from devstack.cloudsearch.server import HEALTH_PATH
from devstack.local_server import HOST, LocalServerError, LocalServerProcess

STARTUP_TIMEOUT_SECONDS = 15.0


class CloudSearchServerError(LocalServerError):
    """The server did not start; the message carries the tail of its output."""


class CloudSearchServer(LocalServerProcess):
    """`python -m devstack.cloudsearch` on 127.0.0.1 (`with CloudSearchServer(data_dir=d) as cs: cs.endpoint_url`).

    `port=None` picks a free port. `data_dir=None` keeps the documents in a temporary directory
    removed on stop; give a directory to keep them across restarts. `fields_path` is a JSON list
    of IndexField definitions (default: the Notes fields). The endpoint_url is both the document
    and the search endpoint (CLOUDSEARCH_*_ENDPOINT).
    """

    name = "CloudSearch server"
    health_path = HEALTH_PATH
    error_class = CloudSearchServerError
    log_prefix = "cloudsearch-server-"
    working_directory = Path(__file__).resolve().parents[2]  # the project root, so `devstack` imports

    def __init__(
        self,
        port: int | None = None,
        *,
        data_dir: Path | None = None,
        fields_path: Path | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        verbose: bool = False,
    ) -> None:
        super().__init__(port, startup_timeout=startup_timeout)
        self._data_dir = data_dir
        self._temporary_data_dir: Path | None = None
        self.fields_path = fields_path
        self.verbose = verbose

    @property
    def data_dir(self) -> Path | None:
        return self._data_dir or self._temporary_data_dir

    def _command(self) -> list[str]:
        if self._data_dir is None and self._temporary_data_dir is None:
            self._temporary_data_dir = Path(tempfile.mkdtemp(prefix="cloudsearch-data-"))
        command = [sys.executable, "-m", "devstack.cloudsearch", "--host", HOST, "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        if self.fields_path is not None:
            command += ["--fields", str(self.fields_path)]
        if self.verbose:
            command.append("--verbose")
        return command

    def _extra_environment(self) -> dict[str, str]:
        # Its output reaches the log file as it is printed, not when a buffer fills.
        return {"PYTHONUNBUFFERED": "1"}

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit in time) and remove a temporary data dir."""
        self._stop_process()
        if self._temporary_data_dir is not None:
            shutil.rmtree(self._temporary_data_dir, ignore_errors=True)
            self._temporary_data_dir = None

    def restart(self) -> Self:
        """Stop and start again on the same port with the same data (a temporary data dir is kept)."""
        self._stop_process()
        self._port_is_ours = False
        return self.start()
