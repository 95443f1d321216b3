"""devstack/system-packages.sh: `make run` installs only what builds .venv; the tests' tools come
with `make test`, `make bench`, `make package` and `.ci/run`.

The script is run for real, with `dpkg-query` and `apt-get` on PATH replaced by stand-ins that
say nothing is installed and record what would be: the tests never change the machine's packages.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "devstack" / "system-packages.sh"
BUILD_PACKAGES = {"pkg-config", "default-libmysqlclient-dev", "build-essential"}
TEST_ONLY_PACKAGES = {"php-cli", "wrk", "binutils", "chromium", "chromium-driver"}


def _installed_by(package_set: str, tmp_path: Path) -> set[str]:
    """The packages the script asks apt-get to install on a machine that has none of them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    completed = subprocess.run(
        ["bash", str(SCRIPT), package_set],
        env={"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    installs = [line.split() for line in log.read_text().splitlines() if " install " in f" {line} "]
    assert len(installs) == 1, log.read_text()
    return {word for word in installs[0] if not word.startswith("-") and word != "install"}


def test_the_run_set_is_only_what_builds_mysqlclient(tmp_path: Path) -> None:
    assert _installed_by("run", tmp_path) == BUILD_PACKAGES


def test_the_test_set_adds_php_wrk_readelf_and_chromium(tmp_path: Path) -> None:
    assert _installed_by("test", tmp_path) == BUILD_PACKAGES | TEST_ONLY_PACKAGES


def test_make_run_installs_the_run_set_and_the_tests_the_test_set() -> None:
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()

    assert re.search(r"^\$\(STAMP\):.*\n(?:\t.*\n)*?\t@bash devstack/system-packages\.sh run$", makefile, re.M)
    assert re.search(r"^test-packages:\n\t@bash devstack/system-packages\.sh test$", makefile, re.M)
    for target in ("test", "bench", "package"):
        assert re.search(rf"^{target}: .*test-packages", makefile, re.M), target
    assert not re.search(r"^run: .*test-packages", makefile, re.M)
    assert "bash devstack/system-packages.sh test" in ci


@pytest.mark.parametrize("argument", ["everything", "--all"])
def test_an_unknown_set_is_refused(argument: str) -> None:
    completed = subprocess.run(["bash", str(SCRIPT), argument], capture_output=True, text=True, timeout=60, check=False)

    assert completed.returncode == 2
    assert "usage" in completed.stderr
