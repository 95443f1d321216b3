"""bench.results: the table `make bench` prints and the day's JSON file its rows are merged into."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.results import Row, format_table, format_value, record


def test_values_keep_three_digits_but_counts_in_full() -> None:
    assert format_value(1.4638, "x") == "1.46 x"
    assert format_value(0.0123, "ms") == "0.0123 ms"
    assert format_value(3, "queries") == "3 queries"
    assert format_value(15049.0, "") == "15049"
    assert format_value(1234.56, "notes/s") == "1235 notes/s"


def test_table_shows_target_and_verdict() -> None:
    table = format_table(
        [
            Row("ratio", 1.2, "x", target="<= 1.5x", passed=True),
            Row("errors", 2, "errors", target="0", passed=False),
            Row("req/s", 90.6, "/s"),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["figure", "value", "target", "ok"]
    assert lines[2].endswith("yes")
    assert lines[3].endswith("NO")
    assert lines[4].rstrip().endswith("90.6 /s")


def test_record_merges_rows_by_name(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    record([Row("a", 1, "x"), Row("b", 2, "x")], directory=tmp_path, now=now)
    path = record([Row("a", 3, "x", target="<= 4", passed=True)], directory=tmp_path, now=now)
    rows = json.loads(path.read_text())["rows"]
    assert path.name == "2026-01-02.json"
    assert rows["a"]["value"] == 3
    assert rows["a"]["passed"] is True
    assert rows["b"]["value"] == 2
