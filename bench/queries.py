"""SQL queries per request (SPEC §8): list at page sizes 1 and 50, detail of its 1st and 50th note, on every database.

Each request goes through the Zappa handler in this process (authenticated, real token) once to
warm up (the first sight of a note or a caller may write), then once more under Django's
CaptureQueriesContext on every configured database. The target: the same count whatever the page
size (no N+1), and at most MAX_QUERIES per request.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from bench.inprocess import body, call, expect_status, get_event, zappa_handler
from bench.results import Row
from bench.stack import Stack

NAME = "queries"
MAX_QUERIES = 4
PAGE_SIZES = (1, 50)


def count_queries(handler: Any, event: dict[str, Any], what: str) -> tuple[int, list[str]]:
    """Queries one warm request makes (on every database), and their SQL."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    expect_status(call(handler, event), 200, what)
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        expect_status(call(handler, event), 200, what)
    sql = [query["sql"] for context in captured for query in context.captured_queries]
    return len(sql), sql


def run(stack: Stack) -> list[Row]:
    handler = zappa_handler()
    token = stack.users[1].id_token
    counts: dict[str, int] = {}
    statements: dict[str, list[str]] = {}
    for size in PAGE_SIZES:
        event = get_event("/api/v1/notes", token=token, query={"pageSize": str(size)})
        counts[f"list pageSize={size}"], statements[f"list pageSize={size}"] = count_queries(
            handler, event, "GET /api/v1/notes/"
        )
        page = body(call(handler, event))["results"]
        detail = get_event(f"/api/v1/notes/{page[-1]['noteId']}", token=token)
        counts[f"detail (note {size} of the list)"], statements[f"detail (note {size} of the list)"] = count_queries(
            handler, detail, "GET /api/v1/notes/{noteId}"
        )
    list_counts = {counts[f"list pageSize={size}"] for size in PAGE_SIZES}
    detail_counts = {counts[f"detail (note {size} of the list)"] for size in PAGE_SIZES}
    rows = []
    for name, count in counts.items():
        kind = "list" if name.startswith("list") else "detail"
        constant = len(list_counts if kind == "list" else detail_counts) == 1
        rows.append(
            Row(
                f"SQL queries per request: {name}",
                count,
                "queries",
                target=f"<= {MAX_QUERIES}, same at every page size",
                passed=count <= MAX_QUERIES and constant,
                details={"sql": statements[name]},
            )
        )
    return rows
