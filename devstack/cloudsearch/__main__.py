"""`python -m devstack.cloudsearch --port N --data-dir D`: the local CloudSearch server in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from devstack.cloudsearch.domain import Domain
from devstack.cloudsearch.fields import IndexFieldError, load_index_fields
from devstack.cloudsearch.server import CloudSearchHTTPServer

DEFAULT_PORT = 4572


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.cloudsearch", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--data-dir", type=Path, default=Path(".local/cloudsearch"), help="where documents are kept")
    parser.add_argument(
        "--fields", type=Path, default=None, help="JSON list of IndexField definitions (default: the Notes fields)"
    )
    parser.add_argument("--domain-name", default="notes", help="the domain name configuration calls must use")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    arguments = parser.parse_args(argv)
    try:
        fields = load_index_fields(arguments.fields)
    except (OSError, ValueError, IndexFieldError) as exc:
        parser.error(f"cannot load index fields: {exc}")
    domain = Domain(arguments.data_dir, fields, name=arguments.domain_name)
    server = CloudSearchHTTPServer((arguments.host, arguments.port), domain, verbose=arguments.verbose)
    # `kill` ends the serve loop like Ctrl-C does, so the SQLite file is closed cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(
        f"CloudSearch (local) at {server.endpoint_url}: domain {domain.name!r}, {len(domain)} documents "
        f"in {arguments.data_dir}; Ctrl-C stops it.",
        flush=True,
    )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        domain.close()


if __name__ == "__main__":
    main()
