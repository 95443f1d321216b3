"""artifact.verify on the real artifact and on copies of it with something planted or missing."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from artifact.verify import (
    LAMBDA_GLIBC,
    MAX_BYTES,
    ArtifactRejected,
    ArtifactReport,
    glibc_versions_needed,
    main,
    verify_artifact,
)

pytestmark = pytest.mark.slow  # builds the Lambda artifact

# arc4random arrived in glibc 2.36 (Debian 12 has it, Lambda's Amazon Linux 2023 with 2.34 does not).
NEEDS_GLIBC_2_36 = """
#include <stdlib.h>
unsigned int lambridge_planted(void) { return arc4random(); }
"""


@pytest.fixture(scope="module")
def planted_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared library that needs GLIBC_2.36, built with the machine's C compiler."""
    folder = tmp_path_factory.mktemp("planted")
    source = folder / "planted.c"
    source.write_text(NEEDS_GLIBC_2_36)
    library = folder / "planted.so"
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed (build-essential, installed by `bash devstack/system-packages.sh test`)"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def artifact_copy(
    artifact_zip: Path, target: Path, *, add: Mapping[str, bytes] = {}, remove: Iterable[str] = ()
) -> Path:
    """A copy of the artifact with members added (name → content) and removed; appended when nothing
    is replaced or removed (rewriting 20 MB of members costs seconds)."""
    removed = set(remove)
    with zipfile.ZipFile(artifact_zip) as source:
        rewrite = bool(removed) or any(name in source.NameToInfo for name in add)
    if not rewrite:
        shutil.copyfile(artifact_zip, target)
        with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as copy:
            for name, content in add.items():
                copy.writestr(name, content)
        return target
    with zipfile.ZipFile(artifact_zip) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            if info.filename not in removed and info.filename not in add:
                copy.writestr(info, source.read(info))
        for name, content in add.items():
            copy.writestr(name, content)
    return target


def test_the_built_artifact_passes_and_reports_its_size_and_highest_glibc(artifact_report: ArtifactReport) -> None:
    assert artifact_report.size_bytes <= MAX_BYTES
    assert artifact_report.elf_files >= 3  # at least libmariadb, MySQLdb's extension, cryptography's
    assert (2, 2) <= artifact_report.highest_glibc <= LAMBDA_GLIBC
    summary = artifact_report.summary()
    assert "MB" in summary
    assert "highest glibc needed: 2." in summary


def test_the_glibc_needs_of_a_library_are_read_from_its_symbol_versions(planted_library: Path) -> None:
    assert max(glibc_versions_needed(planted_library)) == (2, 36)


def test_a_planted_library_needing_a_newer_glibc_is_rejected_by_name(
    artifact_zip: Path, planted_library: Path, tmp_path: Path
) -> None:
    planted = artifact_copy(
        artifact_zip,
        tmp_path / "planted.zip",
        add={"vendor/fast_random.cpython-312-x86_64-linux-gnu.so": planted_library.read_bytes()},
    )

    with pytest.raises(ArtifactRejected) as rejected:
        verify_artifact(planted)

    assert rejected.value.problems == [
        "vendor/fast_random.cpython-312-x86_64-linux-gnu.so needs GLIBC_2.36, newer than the runtime's 2.34"
    ]


def test_an_elf_file_is_checked_whatever_its_name(artifact_zip: Path, planted_library: Path, tmp_path: Path) -> None:
    planted = artifact_copy(
        artifact_zip, tmp_path / "planted.zip", add={"lib/libhelper.so.1.2": planted_library.read_bytes()}
    )

    with pytest.raises(ArtifactRejected, match=r"lib/libhelper\.so\.1\.2 needs GLIBC_2\.36"):
        verify_artifact(planted)


def test_the_command_exits_1_naming_the_file_and_version(
    artifact_zip: Path, planted_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = artifact_copy(artifact_zip, tmp_path / "planted.zip", add={"planted.so": planted_library.read_bytes()})

    assert main([str(planted)]) == 1
    assert "planted.so needs GLIBC_2.36" in capsys.readouterr().err


def test_the_command_prints_the_size_and_highest_glibc_of_a_good_artifact(
    artifact_zip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(artifact_zip)]) == 0
    printed = capsys.readouterr().out
    assert "size: " in printed
    assert "highest glibc needed: 2." in printed


def test_an_artifact_without_the_mysql_client_library_is_rejected(artifact_zip: Path, tmp_path: Path) -> None:
    stripped = artifact_copy(artifact_zip, tmp_path / "stripped.zip", remove=["lib/libmariadb.so.3"])

    with pytest.raises(ArtifactRejected) as rejected:
        verify_artifact(stripped)

    assert rejected.value.problems == ["lib/libmariadb.so.3 is missing"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("tests/test_secret.txt", "tests must not ship"),
        (".env", ".env must not ship"),
        ("project/.env", ".env must not ship"),
        (".local/cloudsearch/notes.json", ".local must not ship"),
        ("pytest/__init__.pyc", "pytest must not ship"),
        ("moto/__init__.pyc", "moto must not ship"),
        ("mypy/py.typed", "mypy must not ship"),
        ("ruff-0.12.7.dist-info/METADATA", "ruff-0.12.7.dist-info must not ship"),
        ("django-stubs/__init__.pyi", "django-stubs must not ship"),
        ("pip/py.typed", "pip must not ship"),
        ("notes/.pytest_cache/v/cache", ".pytest_cache must not ship"),
        ("devstack/cloudsearch/server.txt", "local-stack code must not ship"),
    ],
)
def test_what_must_not_ship_is_rejected(artifact_zip: Path, tmp_path: Path, name: str, reason: str) -> None:
    planted = artifact_copy(artifact_zip, tmp_path / "planted.zip", add={name: b"x"})

    with pytest.raises(ArtifactRejected) as rejected:
        verify_artifact(planted)

    assert rejected.value.problems == [f"{name}: {reason}"]


def test_a_module_without_bytecode_is_rejected(artifact_zip: Path, tmp_path: Path) -> None:
    planted = artifact_copy(artifact_zip, tmp_path / "planted.zip", add={"notes/late_addition.py": b"VALUE = 1\n"})

    with pytest.raises(ArtifactRejected) as rejected:
        verify_artifact(planted)

    assert rejected.value.problems == [
        "1 modules have no bytecode (e.g. notes/late_addition.py): build with artifact.build"
    ]


def test_packaged_settings_with_zappa_debug_on_are_rejected(artifact_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(artifact_zip) as archive:
        packaged = archive.read("zappa_settings.py").decode()
    debug = artifact_copy(
        artifact_zip,
        tmp_path / "debug.zip",
        add={"zappa_settings.py": packaged.replace("DEBUG=False", "DEBUG=True").encode()},
    )

    with pytest.raises(ArtifactRejected) as rejected:
        verify_artifact(debug)

    assert rejected.value.problems == ["zappa_settings.py: Zappa debug is on: every event would be logged"]


def test_an_artifact_over_the_size_limit_is_rejected(artifact_zip: Path) -> None:
    with pytest.raises(ArtifactRejected, match=r"over the 1 MB limit"):
        verify_artifact(artifact_zip, max_bytes=1024 * 1024)
