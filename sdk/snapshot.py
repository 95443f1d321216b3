"""`make openapi`: refresh the committed snapshot openapi.json from the code, refusing a change that
would break a shipped app (sdk/breaking.py) unless it is accepted on purpose (BREAKING=accept).

The snapshot is what app teams generate from and what reviewers read: tests/sdk fails while the
served document differs from it, so every contract change arrives as a reviewed diff of this file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sdk.breaking import breaking_changes, route_key
from sdk.tools import REPO, SNAPSHOT, write_schema


def committed_snapshot(revision: str = "HEAD") -> dict[str, Any] | None:
    """openapi.json as committed at `revision`, or None when it has none (or this is no git checkout)."""
    result = subprocess.run(
        ["git", "show", f"{revision}:{SNAPSHOT.relative_to(REPO).as_posix()}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def generated_document() -> dict[str, Any]:
    """The document the code serves now (as `make sdk` generates it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "openapi.json"
        write_schema(path)
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document


def render(document: dict[str, Any]) -> str:
    """The snapshot's text: stable indentation and key order, so its diffs read well."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def summary(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Operations added and removed, for the commit message and the reviewer."""

    def operations(document: dict[str, Any] | None) -> set[str]:
        return {
            f"{method.upper()} {route_key(path)}"
            for path, item in (document or {}).get("paths", {}).items()
            for method in item
            if method in ("get", "put", "post", "patch", "delete")
        }

    before, after = operations(old), operations(new)
    return [f"+ {name}" for name in sorted(after - before)] + [f"- {name}" for name in sorted(before - after)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accept-breaking", action="store_true", help="write the snapshot despite breaking changes")
    parser.add_argument("--against", default="HEAD", help="the git revision whose snapshot is the previous one")
    parser.add_argument("--previous", type=Path, help="the previous snapshot as a file (instead of --against)")
    arguments = parser.parse_args(argv)

    new = generated_document()
    if arguments.previous is not None:
        old = json.loads(arguments.previous.read_text(encoding="utf-8"))
        arguments.against = str(arguments.previous)
    else:
        old = committed_snapshot(arguments.against)
    problems = breaking_changes(old, new) if old is not None else []
    if problems:
        print(f"Breaking changes against openapi.json at {arguments.against}:")
        for problem in problems:
            print(f"  {problem}")
        if not arguments.accept_breaking:
            print("Nothing written. Keep the old contract (add, do not change), or run BREAKING=accept make openapi")
            print("and say in the commit message which apps must update.")
            return 1
    text = render(new)
    if SNAPSHOT.exists() and SNAPSHOT.read_text(encoding="utf-8") == text:
        print("openapi.json is up to date.")
        return 0
    SNAPSHOT.write_text(text, encoding="utf-8")
    print("openapi.json refreshed; review `git diff openapi.json` and commit it.")
    for line in summary(old, new):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
