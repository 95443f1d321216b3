"""`make bench`: run the benchmarks, print their table, add the rows to bench/results/<date>.json.

python -m bench [--runs 10] [--database-url mysql://root@127.0.0.1:3306/lambridge_bench]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from artifact.build import DIST
from bench import cold_start
from bench.results import print_table, record
from devstack.moto_server import MotoServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lambridge benchmarks (SPEC §8).")
    parser.add_argument("--runs", type=int, default=10, help="samples of each side, alternating")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", cold_start.DEFAULT_DATABASE_URL))
    arguments = parser.parse_args(argv)
    with MotoServer() as moto:
        prepared = cold_start.prepare(
            database_url=arguments.database_url, moto_endpoint=moto.endpoint_url, work=DIST / "bench-runtime"
        )
        rows = cold_start.measure(prepared, runs=arguments.runs)
    print_table(rows)
    for row in rows:
        for entry in row.details.get("slowestImports", []):
            print(f"  slow import: {entry['module']:<40} {entry['cumulativeMs']:8.1f} ms")
    print(f"written to {record(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
