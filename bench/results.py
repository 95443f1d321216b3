"""One table for every benchmark: rows printed aligned and merged into bench/results/<date>.json.

A benchmark makes `Row`s; `print_table(rows)` shows them and `record(rows)` adds them to the day's
JSON file (a row replaces the earlier one with the same name), so several benchmarks (and several
runs) share one file.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    """One measured figure: `value` (in `unit`) against `target`; `passed` None when there is no target."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)


def format_value(value: float, unit: str) -> str:
    """Three significant digits, but whole numbers (counts, requests) in full."""
    number = f"{value:.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:.3g}"
    return f"{number} {unit}".strip()


def format_table(rows: Sequence[Row]) -> str:
    header = ("figure", "value", "target", "ok")
    lines = [
        (row.name, format_value(row.value, row.unit), row.target, {True: "yes", False: "NO", None: ""}[row.passed])
        for row in rows
    ]
    widths = [max(len(str(line[column])) for line in [header, *lines]) for column in range(len(header))]
    rendered = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *lines]
    ]
    rendered.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(rendered)


def print_table(rows: Sequence[Row]) -> None:
    print(format_table(rows))


def record(rows: Sequence[Row], *, directory: Path = RESULTS_DIR, now: datetime | None = None) -> Path:
    """Merge `rows` into <directory>/<YYYY-MM-DD>.json; returns the file."""
    now = now or datetime.now(UTC)
    path = directory / f"{now:%Y-%m-%d}.json"
    document: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {"rows": {}}
    document["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    for row in rows:
        document["rows"][row.name] = asdict(row) | {"measuredAt": now.isoformat(timespec="seconds")}
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path
