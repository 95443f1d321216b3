"""Search (SPEC §8): `GET /api/v1/notes/search` p50/p99 through the Zappa handler, and reindex notes/s, per backend.

Both backends (`mysql`: the FULLTEXT table in the bench database; `cloudsearch`: the local
CloudSearch server) are filled by `search_reindex`, as an operator would, and timed doing it. Then
the search API is called through the same in-process LambdaHandler as the warm benchmark, by a
signed-in bench user, with a mix of queries; requests alternate between the backends (the
backend is a setting read per request), so drift on the shared machine hits both alike.

`--search-scale N` (the 1M-note dataset generator of `make bench-scale` does not exist yet) then
adds N notes by SQL, as the site would have them, indexes them into each backend with the
backend's own batched writes (index notes/s at that size) and measures the API again. The SPEC's
targets (p50 <= 50 ms, p99 <= 200 ms) are for 1M notes; the demo-size rows show them too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from bench.inprocess import body, call, expect_status, get_event, timed_call, zappa_handler
from bench.results import Row
from bench.stack import Stack

NAME = "search"
BACKENDS = ("mysql", "cloudsearch")
P50_TARGET_MS = 50.0
P99_TARGET_MS = 200.0
DEFAULT_ITERATIONS = 300
WARMUP = 5
# Words of the demo data and the bench users' notes: common, rarer, two words, a prefix, accents.
DEMO_QUERIES = ("lorem", "bench note", "garden", "museum dinosaurs", "summ*", "creme")
# The generated notes' vocabulary; a note's headline holds 3 of the words and a serial number, its
# body 12 words, so one word is in about a fifth of the notes.
_VOCABULARY_TEXT = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
    "quebec romeo sierra tango uniform victor whiskey xray yankee zulu harbour garden kitchen mountain "
    "river forest meadow castle bridge tower market museum school station library theatre stadium "
    "airport canal valley island desert glacier volcano crème brûlée zürich café naïve façade piñata "
    "smörgåsbord jalapeño"
)
VOCABULARY = tuple(_VOCABULARY_TEXT.split(" "))
HEADLINE_WORDS = 3
BODY_WORDS = 12
GENERATE_BATCH = 50_000
INDEX_BATCH = 2_000


# Each generated note also holds one of this many topic words (`topic0` … `topic1999`): a word in
# 1 note of 2,000, between the vocabulary's (1 in 5) and the serial numbers (1 in all).
TOPICS = 2_000
SCALE_ITERATIONS = 100


def scale_queries(note_count: int) -> tuple[str, ...]:
    """Words of every frequency: a note's serial number (1 note), a topic word (1 in 2,000), two common
    words together (1 in 25), one common word, a prefix and an accent-folded word (1 in 5 each)."""
    return (str(1_000_000 + note_count // 2), "topic1234", "garden river", "harbour", "volc*", "creme")


# --- timing the API -----------------------------------------------------------------------------


def _set_backend(name: str) -> None:
    from django.conf import settings

    settings.SEARCH_BACKEND = name


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def api_latency(
    stack: Stack, *, queries: Sequence[str], iterations: int, backends: Sequence[str] = BACKENDS
) -> dict[str, dict[str, Any]]:
    """Seconds per search request, by backend, alternating backends request by request."""
    handler = zappa_handler()
    user = stack.users[0]
    events = [get_event("/api/v1/notes/search", token=user.id_token, query={"q": text}) for text in queries]
    found: dict[str, dict[str, int]] = {backend: {} for backend in backends}
    for backend in backends:
        _set_backend(backend)
        for text, event in zip(queries, events, strict=True):
            for _ in range(WARMUP):
                call(handler, event)
            answer = body(expect_status(call(handler, event), 200, f"search {text!r} on {backend}"))
            found[backend][text] = int(answer["found"])
        if not any(found[backend].values()):
            raise RuntimeError(f"no query found anything on {backend}: the index was not filled")
    samples: dict[str, list[float]] = {backend: [] for backend in backends}
    for n in range(iterations):
        event = events[n % len(events)]
        order = list(backends) if n % 2 == 0 else list(reversed(backends))
        for backend in order:
            _set_backend(backend)
            elapsed, response = timed_call(handler, event)
            expect_status(response, 200, f"search on {backend}")
            samples[backend].append(elapsed)
    by_query = {
        backend: {
            text: round(statistics.median(samples[backend][k :: len(events)]) * 1000, 1)
            for k, text in enumerate(queries)
        }
        for backend in backends
    }
    return {
        backend: {
            "samples": samples[backend],
            "found": found[backend],
            "queries": list(queries),
            "p50msByQuery": by_query[backend],
        }
        for backend in backends
    }


def latency_rows(measured: dict[str, dict[str, Any]], *, size: str) -> list[Row]:
    rows: list[Row] = []
    for backend, result in measured.items():
        samples = result["samples"]
        p50 = statistics.median(samples) * 1000
        p99 = _percentile(samples, 0.99) * 1000
        details = {
            "requests": len(samples),
            "queries": result["queries"],
            "found": result["found"],
            "p50msByQuery": result["p50msByQuery"],
        }
        rows.append(
            Row(
                f"search API p50, {backend}, {size}",
                p50,
                "ms",
                target=f"<= {P50_TARGET_MS:g} ms",
                passed=p50 <= P50_TARGET_MS,
                details=details,
            )
        )
        rows.append(
            Row(
                f"search API p99, {backend}, {size}",
                p99,
                "ms",
                target=f"<= {P99_TARGET_MS:g} ms",
                passed=p99 <= P99_TARGET_MS,
            )
        )
    return rows


# --- filling the indexes ------------------------------------------------------------------------


def reindex_rows(backends: Sequence[str] = BACKENDS) -> list[Row]:
    """search_reindex (DynamoDB and the index, clean-up scans included) timed once per backend."""
    from notes.reindex import search_reindex

    rows: list[Row] = []
    for backend in backends:
        _set_backend(backend)
        started = time.perf_counter()
        report = search_reindex(restart=True)
        seconds = time.perf_counter() - started
        rows.append(
            Row(
                f"search_reindex, {backend} index, {report.written} notes",
                report.written / seconds,
                "notes/s",
                details={"seconds": round(seconds, 2), "notes": report.written},
            )
        )
    return rows


def generate_notes(count: int) -> int:
    """`count` more notes written by SQL as the site would (owners spread over every site user, a quarter
    public), each with its Lambridge row; returns the first new note id. Works on MySQL 8 and MariaDB."""
    from django.db import connection

    words = ", ".join(f"'{word}'" for word in VOCABULARY)  # our constants: no quotes in them

    def word(position: int) -> str:
        # CRC32 of (serial, position): the same notes every run, words spread evenly.
        return f"ELT(1 + CRC32(CONCAT(seq.n, '-', {position})) % {len(VOCABULARY)}, {words})"

    headline = "CONCAT_WS(' ', " + ", ".join(word(k) for k in range(HEADLINE_WORDS)) + ", 1000000 + seq.n)"
    body_text = (
        "CONCAT_WS(' ', "
        + ", ".join(word(HEADLINE_WORDS + k) for k in range(BODY_WORDS))
        + f", CONCAT('topic', CRC32(seq.n) % {TOPICS}))"
    )
    digits = "(SELECT 0 AS d UNION ALL " + " UNION ALL ".join(f"SELECT {d}" for d in range(1, 10)) + ")"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(note_id), 0) FROM notes")
        first = int(cursor.fetchone()[0]) + 1
        cursor.execute("DROP TEMPORARY TABLE IF EXISTS bench_owner")
        cursor.execute("CREATE TEMPORARY TABLE bench_owner (k INT PRIMARY KEY, user_id INT UNSIGNED NOT NULL)")
        cursor.execute("SET @k = -1")
        cursor.execute("INSERT INTO bench_owner SELECT (@k := @k + 1), user_id FROM users ORDER BY user_id")
        cursor.execute("SELECT COUNT(*) FROM bench_owner")
        owners = int(cursor.fetchone()[0])
        for start in range(0, count, GENERATE_BATCH):
            size = min(GENERATE_BATCH, count - start)
            sequence = (
                f"(SELECT {start} + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n "
                f"FROM {digits} a, {digits} b, {digits} c, {digits} e, {digits} f) seq"
            )
            cursor.execute(
                "INSERT INTO notes (user_id, headline, body, visibility, created_at) "
                f"SELECT o.user_id, {headline}, {body_text}, IF(seq.n % 4 = 0, 'public', 'private'), "
                f"'2016-01-02 03:04:05' FROM {sequence} JOIN bench_owner o ON o.k = seq.n % {owners} "
                f"WHERE seq.n < {start + size} ORDER BY seq.n"
            )
        cursor.execute(
            "INSERT INTO notes_mobilenote (uuid, legacy_note_id, version, legacy_updated_at, photo_key, created_at) "
            "SELECT REPLACE(UUID(), '-', ''), note_id, 1, updated_at, '', NOW() FROM notes WHERE note_id >= %s",
            [first],
        )
        cursor.execute("DROP TEMPORARY TABLE bench_owner")
    return first


def index_generated(first_note_id: int, backends: Sequence[str] = BACKENDS) -> list[Row]:
    """The generated notes into each backend through its own batched writes; notes/s per backend."""
    import uuid

    from django.db import connection

    from notes.search import SearchDocument, search_backend

    rows: list[Row] = []
    for backend in backends:
        _set_backend(backend)
        index = search_backend()
        after = first_note_id - 1
        written = 0
        seconds = 0.0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT n.note_id, m.uuid, n.user_id, n.headline, n.body, n.visibility, n.updated_at "
                    "FROM notes n JOIN notes_mobilenote m ON m.legacy_note_id = n.note_id "
                    "WHERE n.note_id > %s ORDER BY n.note_id LIMIT %s",
                    [after, INDEX_BATCH],
                )
                batch = cursor.fetchall()
            if not batch:
                break
            documents = [
                SearchDocument(
                    note_id=str(uuid.UUID(str(note_uuid))),
                    headline=headline,
                    text=text,
                    user_id=int(user_id),
                    visibility=visibility,
                    updated_at=updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    version=1,
                )
                for _, note_uuid, user_id, headline, text, visibility, updated_at in batch
            ]
            started = time.perf_counter()
            index.index(documents)
            seconds += time.perf_counter() - started
            written += len(documents)
            after = int(batch[-1][0])
        rows.append(
            Row(
                f"search index writes, {backend}, {written} generated notes",
                written / seconds if seconds else 0.0,
                "notes/s",
                details={"seconds": round(seconds, 1), "notes": written, "batch": INDEX_BATCH},
            )
        )
    return rows


def live_note_count() -> int:
    from legacy.models import LegacyNote

    return int(LegacyNote.objects.filter(deleted=False).count())


def run(
    stack: Stack,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    scale_notes: int = 0,
    scale_backends: Sequence[str] = BACKENDS,
    scale_iterations: int = SCALE_ITERATIONS,
) -> list[Row]:
    from django.conf import settings

    configured = settings.SEARCH_BACKEND
    try:
        rows = reindex_rows()
        demo = live_note_count()
        rows += latency_rows(
            api_latency(stack, queries=DEMO_QUERIES, iterations=iterations), size=f"demo size, {demo} notes"
        )
        if scale_notes:
            first = generate_notes(scale_notes)
            rows += index_generated(first, scale_backends)
            total = live_note_count()
            measured = api_latency(
                stack, queries=scale_queries(scale_notes), iterations=scale_iterations, backends=scale_backends
            )
            rows += latency_rows(measured, size=f"{total} notes")
        return rows
    finally:
        _set_backend(configured)
