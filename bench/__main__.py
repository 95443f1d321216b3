"""`make bench`: run the benchmarks (all, or those named), print one table, add the rows to bench/results/<date>.json.

python -m bench [cold warm queries jwks backfill push search load artifact] [--runs 10] [--database-url mysql://.../lambridge_bench]
                [--search-scale 100000 [--search-scale-backends mysql]]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from bench import artifact_size, backfill, cold_start, jwks, load, push, queries, search, warm_latency
from bench.results import Row, print_table, record
from bench.stack import DEFAULT_DATABASE_URL, Stack, bench_stack

# In the order they run: the cold starts first, while nothing else has warmed the machine's caches.
BENCHMARKS = (cold_start, warm_latency, queries, jwks, backfill, push, search, load, artifact_size)
NAMES = tuple(module.NAME for module in BENCHMARKS)


def runners(arguments: argparse.Namespace) -> dict[str, Callable[[Stack], list[Row]]]:
    return {
        cold_start.NAME: lambda stack: cold_start.run(stack, runs=arguments.runs),
        warm_latency.NAME: lambda stack: warm_latency.run(stack, iterations=arguments.iterations),
        queries.NAME: queries.run,
        jwks.NAME: jwks.run,
        backfill.NAME: backfill.run,
        push.NAME: push.run,
        search.NAME: lambda stack: search.run(
            stack,
            iterations=arguments.search_iterations,
            scale_notes=arguments.search_scale,
            scale_backends=arguments.search_scale_backends.split(","),
            scale_iterations=arguments.search_scale_iterations,
        ),
        load.NAME: load.run,
        artifact_size.NAME: artifact_size.run,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lambridge benchmarks (SPEC §8).")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"run only these: {', '.join(NAMES)} (default: all)")
    parser.add_argument("--runs", type=int, default=cold_start.DEFAULT_RUNS, help="cold starts of each side")
    parser.add_argument(
        "--iterations", type=int, default=warm_latency.DEFAULT_ITERATIONS, help="warm requests of each side"
    )
    parser.add_argument(
        "--search-iterations", type=int, default=search.DEFAULT_ITERATIONS, help="search requests of each backend"
    )
    parser.add_argument(
        "--search-scale",
        type=int,
        default=0,
        metavar="N",
        help="after the demo-size search rows, add N notes by SQL and measure search again (e.g. 100000)",
    )
    parser.add_argument(
        "--search-scale-iterations",
        type=int,
        default=search.SCALE_ITERATIONS,
        help="search requests of each backend at --search-scale",
    )
    parser.add_argument(
        "--search-scale-backends",
        default=",".join(search.BACKENDS),
        help="backends indexed and measured at --search-scale (comma-separated; default: all)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="dropped and recreated: its name must contain 'bench'",
    )
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    selected = [name for name in NAMES if not arguments.names or name in arguments.names]
    run = runners(arguments)
    rows: list[Row] = []
    started = time.monotonic()
    with bench_stack(database_url=arguments.database_url) as stack:
        for name in selected:
            print(f"bench: {name}...", flush=True)
            began = time.monotonic()
            rows += run[name](stack)
            print(f"bench: {name} took {time.monotonic() - began:.0f} s", flush=True)
    print()
    print_table(rows)
    print(f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s; written to {record(rows)}")
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
