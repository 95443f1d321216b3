"""A private MariaDB with the row-based binlog on, for change data capture in tests and `make run`.

The machine's shared MySQL server is never reconfigured: this one is the installed `mariadbd` with
its own data directory, port and socket, `--log-bin --binlog-format=ROW`, started and stopped by us.

    python -m devstack.binlog_mysql -- pytest tests/cdc   # run a command with DATABASE_URL pointing at it
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import ClassVar, Self

import MySQLdb

from devstack.local_server import HOST, LocalServerError, LocalServerProcess

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
# A server id of its own: replication clients (our CDC reader) need ids that differ from it.
SERVER_ID = 4242


class BinlogMySQLError(LocalServerError):
    """The private MariaDB did not start."""


class BinlogMySQL(LocalServerProcess):
    """MariaDB on 127.0.0.1:<port> with the binlog as RDS would have it for CDC (ROW, FULL images)."""

    name = "MariaDB with the binlog"
    health_path = ""
    error_class: ClassVar[type[LocalServerError]] = BinlogMySQLError
    log_prefix = "lambridge-binlog-mariadb-"

    def __init__(
        self,
        port: int | None = None,
        *,
        datadir: Path | None = None,
        startup_timeout: float = 60.0,
        log_path: Path | None = None,
    ) -> None:
        super().__init__(port, startup_timeout=startup_timeout, log_path=log_path)
        # A temporary data directory is removed on stop; a given one is kept (make run reuses it).
        self._datadir_is_ours = datadir is None
        self.datadir = datadir if datadir is not None else Path(tempfile.mkdtemp(prefix="lambridge-binlog-"))

    @property
    def url(self) -> str:
        """A DATABASE_URL root prefix for this server: append the database name."""
        return f"mysql://root@{HOST}:{self.port}"

    def start(self) -> Self:
        if not (self.datadir / "mysql").is_dir():
            self._install()
        return super().start()

    def _install(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        command = [
            INSTALL_DB,
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *self._user_option(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BinlogMySQLError(f"{INSTALL_DB} failed ({result.returncode}):\n{result.stderr[-2000:]}")

    @staticmethod
    def _user_option() -> list[str]:
        # mariadbd refuses to run as root unless told to.
        return ["--user=root"] if os.geteuid() == 0 else []

    def _command(self) -> list[str]:
        return [
            MARIADBD,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            f"--bind-address={HOST}",
            f"--socket={self.datadir / 'mysqld.sock'}",
            f"--pid-file={self.datadir / 'mysqld.pid'}",
            f"--log-bin={self.datadir / 'binlog'}",
            "--binlog-format=ROW",
            "--binlog-row-image=FULL",
            "--binlog-row-metadata=FULL",
            f"--server-id={SERVER_ID}",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=128M",
            "--character-set-server=latin1",
            "--collation-server=latin1_swedish_ci",
            *self._user_option(),
        ]

    def stop(self) -> None:
        super().stop()
        if self._datadir_is_ours:
            shutil.rmtree(self.datadir, ignore_errors=True)

    def _probe(self) -> str | None:
        try:
            MySQLdb.connect(host=HOST, port=self.port, user="root", connect_timeout=1).close()
        except MySQLdb.Error as exc:
            return str(exc)
        return None


def main(argv: list[str] | None = None) -> int:
    """Run a command with DATABASE_URL (and BINLOG_MYSQL_URL) pointing at a fresh private server."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="lambridge", help="the database name in DATABASE_URL")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    with BinlogMySQL() as server:
        environment = {
            **os.environ,
            "DATABASE_URL": f"{server.url}/{args.database}",
            "BINLOG_MYSQL_URL": server.url,
        }
        print(f"MariaDB with the binlog on {server.url} (data in {server.datadir})", file=sys.stderr, flush=True)
        return subprocess.run(command, env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
