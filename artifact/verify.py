"""Checks a Lambda zip before it ships (SPEC §8): size, the MySQL client library, glibc, forbidden files.

    python -m artifact.verify dist/lambridge-dev.zip [--max-glibc 2.34] [--max-megabytes 50]

Every ELF file inside (by its magic, whatever its name) has its symbol version requirements read
with `readelf -V` (binutils); one needing a GLIBC_x.y newer than Lambda's python3.12 runtime
(Amazon Linux 2023, glibc 2.34) would fail to load there with "version `GLIBC_2.36' not found".
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Lambda's python3.12 runtime is Amazon Linux 2023: glibc 2.34.
LAMBDA_GLIBC = (2, 34)
# Lambda's limit for a zip uploaded directly (and Zappa's warning threshold).
MAX_BYTES = 50 * 1024 * 1024
ELF_MAGIC = b"\x7fELF"
GLIBC_NEED = re.compile(r"Name:\s+GLIBC_(\d+(?:\.\d+)+)")

# What the artifact must hold to work at all.
REQUIRED = (
    "handler.py",
    "zappa_settings.py",
    "lib/libmariadb.so.3",
    "lib/mariadb/plugin/caching_sha2_password.so",
)
REQUIRED_PATTERNS = (re.compile(r"MySQLdb/_mysql\..*\.so"),)
# Top-level files and folders that must never ship: our tests and tools, local state, secrets, and
# dev tools (a dev tool inside means the build virtualenv was the wrong one).
FORBIDDEN_TOP_LEVEL = frozenset(
    {
        "tests",
        "bench",
        "dist",
        "staticfiles",
        ".local",
        ".venv",
        ".venv-lambda",
        ".git",
        ".env",
        "pytest",
        "_pytest",
        "pytest_django",
        "pytest_env",
        "moto",
        "mypy",
        "mypyc",
        "mypy_extensions",
        "ruff",
        "django-stubs",
        "django_stubs_ext",
        "rest_framework-stubs",
        "pip",
        "setuptools",
        "_distutils_hack",
        "gunicorn",
        "cfnlint",
    }
)
# Names forbidden at any depth: caches and secrets.
FORBIDDEN_ANYWHERE = frozenset({".pytest_cache", ".mypy_cache", ".ruff_cache", ".env", ".env.local"})
FORBIDDEN_PREFIXES = ("devstack/cloudsearch/",)
# The packaged Zappa settings must not log events (tokens, migration passwords) nor keep a placeholder.
FORBIDDEN_SETTINGS = (
    (re.compile(r"^DEBUG=True", re.MULTILINE), "Zappa debug is on: every event would be logged"),
    (re.compile(r"^LOG_LEVEL='DEBUG'", re.MULTILINE), "log level DEBUG"),
    (re.compile(r"REPLACE_WITH_[A-Z0-9_]+"), "an unfilled placeholder"),
)


class ArtifactRejected(Exception):
    """The artifact must not ship; the message lists every problem, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"- {problem}" for problem in self.problems))


@dataclass
class ArtifactReport:
    path: Path
    size_bytes: int
    elf_files: int = 0
    highest_glibc: tuple[int, ...] = ()
    highest_glibc_file: str = ""
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        glibc = version_text(self.highest_glibc) if self.highest_glibc else "none"
        return (
            f"size: {self.size_bytes / 1024 / 1024:.1f} MB ({self.size_bytes} bytes,"
            f" limit {MAX_BYTES // 1024 // 1024} MB)\n"
            f"native libraries: {self.elf_files}; highest glibc needed: {glibc}"
            + (f" ({self.highest_glibc_file})" if self.highest_glibc_file else "")
            + f" (Lambda python3.12: {version_text(LAMBDA_GLIBC)})"
        )


def version_text(version: Sequence[int]) -> str:
    return ".".join(str(part) for part in version)


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def readelf() -> str:
    """readelf from binutils (devstack/system-packages.sh installs it)."""
    found = shutil.which("readelf")
    if not found:
        raise ArtifactRejected(["readelf is missing: install binutils (bash devstack/system-packages.sh test)"])
    return found


def glibc_versions_needed(elf_file: Path) -> set[tuple[int, ...]]:
    """The GLIBC_x.y versions `elf_file` requires (its .gnu.version_r section), read with readelf -V."""
    output = subprocess.run(
        [readelf(), "--version-info", "--wide", str(elf_file)], check=True, capture_output=True, text=True
    ).stdout
    needs = output.split("Version needs section", 1)
    if len(needs) < 2:
        return set()
    # The needs section runs until the next section header (or the end).
    section = re.split(r"\n(?=Version \w+ section)", needs[1], maxsplit=1)[0]
    return {parse_version(version) for version in GLIBC_NEED.findall(section)}


def forbidden_reason(name: str) -> str | None:
    """Why the zip member `name` must not ship, or None."""
    parts = PurePosixPath(name).parts
    if not parts:
        return None
    top = parts[0]
    top_package = re.split(r"-\d", top, maxsplit=1)[0] if top.endswith((".dist-info", ".egg-info")) else top
    if top in FORBIDDEN_TOP_LEVEL or top_package.lower().replace("_", "-") in {
        item.lower().replace("_", "-") for item in FORBIDDEN_TOP_LEVEL
    }:
        return f"{top} must not ship"
    for part in parts:
        if part in FORBIDDEN_ANYWHERE:
            return f"{part} must not ship"
    if name.startswith(FORBIDDEN_PREFIXES):
        return "local-stack code must not ship"
    return None


def _check_members(names: Iterable[str], problems: list[str]) -> None:
    names = list(names)
    present = set(names)
    for required in REQUIRED:
        if required not in present:
            problems.append(f"{required} is missing")
    for pattern in REQUIRED_PATTERNS:
        if not any(pattern.fullmatch(name) for name in names):
            problems.append(f"nothing matches {pattern.pattern}")
    # Lambda's /var/task is read-only: a module shipped without bytecode is compiled at every cold start.
    without_bytecode = [
        name for name in names if name.endswith(".py") and importlib.util.cache_from_source(name) not in present
    ]
    if without_bytecode:
        problems.append(
            f"{len(without_bytecode)} modules have no bytecode (e.g. {without_bytecode[0]}): build with artifact.build"
        )
    reported: set[str] = set()
    for name in names:
        reason = forbidden_reason(name)
        top = PurePosixPath(name).parts[0] if name else name
        if reason and top not in reported:
            reported.add(top)
            problems.append(f"{name}: {reason}")


def verify_artifact(
    path: Path, *, max_bytes: int = MAX_BYTES, max_glibc: tuple[int, ...] = LAMBDA_GLIBC
) -> ArtifactReport:
    """The report of a zip that may ship; raises ArtifactRejected listing every problem otherwise."""
    report = ArtifactReport(path=path, size_bytes=path.stat().st_size)
    problems = report.problems
    if report.size_bytes > max_bytes:
        problems.append(
            f"the zip is {report.size_bytes / 1024 / 1024:.1f} MB, over the {max_bytes / 1024 / 1024:.0f} MB limit"
        )
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="artifact-verify-") as scratch:
        _check_members(archive.namelist(), problems)
        if "zappa_settings.py" in archive.namelist():
            packaged = archive.read("zappa_settings.py").decode("utf-8", "replace")
            for pattern, why in FORBIDDEN_SETTINGS:
                if pattern.search(packaged):
                    problems.append(f"zappa_settings.py: {why}")
        for info in archive.infolist():
            if info.is_dir() or info.file_size < len(ELF_MAGIC):
                continue
            with archive.open(info) as member:
                if member.read(len(ELF_MAGIC)) != ELF_MAGIC:
                    continue
            report.elf_files += 1
            extracted = Path(archive.extract(info, scratch))
            needed = glibc_versions_needed(extracted)
            extracted.unlink()
            if not needed:
                continue
            highest = max(needed)
            if highest > report.highest_glibc:
                report.highest_glibc, report.highest_glibc_file = highest, info.filename
            for version in sorted(needed):
                if version > max_glibc:
                    problems.append(
                        f"{info.filename} needs GLIBC_{version_text(version)}, newer than the runtime's "
                        f"{version_text(max_glibc)}"
                    )
    if problems:
        raise ArtifactRejected(problems)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Lambda zip before it ships.")
    parser.add_argument("zip", type=Path)
    parser.add_argument("--max-glibc", default=version_text(LAMBDA_GLIBC))
    parser.add_argument("--max-megabytes", type=float, default=MAX_BYTES / 1024 / 1024)
    arguments = parser.parse_args(argv)
    try:
        report = verify_artifact(
            arguments.zip,
            max_bytes=int(arguments.max_megabytes * 1024 * 1024),
            max_glibc=parse_version(arguments.max_glibc),
        )
    except ArtifactRejected as exc:
        print(f"{arguments.zip} must not ship:\n{exc}", file=sys.stderr)
        return 1
    print(f"{arguments.zip}: ok")
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
