"""moto in server mode as a child process on 127.0.0.1: the local stand-in for S3, DynamoDB, Cognito, SNS."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

from devstack.local_server import HOST, LocalServerError, LocalServerProcess
from devstack.local_server import free_port as free_port  # where the tests have always imported it from

# moto's own dashboard: answers 200 once the server is up, whatever services are in use.
HEALTH_PATH = "/moto-api/"
STARTUP_TIMEOUT_SECONDS = 30.0
# moto then derives Cognito pool and client ids from their name and settings instead of random
# ones, so ids written into a .env survive a restart of the emulator. Off by default: with it, a
# second pool created with the same name and settings silently replaces the first.
STABLE_ID_ENVIRONMENT = {
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}


class MotoServerError(LocalServerError):
    """moto did not start; the message carries the tail of its output."""


class MotoServer(LocalServerProcess):
    """`python -m moto.server` on 127.0.0.1, started and stopped by us (see LocalServerProcess).

    `with MotoServer() as moto: moto.endpoint_url`. `stable_ids=True` keeps Cognito ids the same
    across restarts (see STABLE_ID_ENVIRONMENT). werkzeug logs every request to the log file;
    `log_path` keeps it there instead of in a temporary file.
    """

    name = "moto server"
    health_path = HEALTH_PATH
    error_class = MotoServerError
    log_prefix = "moto-server-"

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        log_path: Path | None = None,
        stable_ids: bool = False,
    ) -> None:
        super().__init__(port, startup_timeout=startup_timeout, log_path=log_path)
        self.stable_ids = stable_ids

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)]

    def _extra_environment(self) -> dict[str, str]:
        return {
            "MOTO_PORT": str(self.port),
            # TOTP codes of Cognito staff are checked (against moto's fixed secret) like Cognito does.
            "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
            **(STABLE_ID_ENVIRONMENT if self.stable_ids else {}),
        }


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
