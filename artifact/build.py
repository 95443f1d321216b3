"""`make package`: the Lambda zip of a stage through `zappa package`, offline, then verified.

    python -m artifact.build [--stage dev] [--local] [--output dist/lambridge-dev.zip]

1. A build virtualenv `.venv-lambda` (the runtime's Python minor) with requirements-lambda.lock
   (requirements.txt and Zappa, hashes required) only: Zappa zips the virtualenv it runs from, so
   dev tools must never be in it.
2. zappa_settings.json rendered for the stage (artifact.render) and `zappa package <stage> -s`.
3. `lib/libmariadb.so.3` (and the connector's auth plugins) added: mysqlclient has no wheel and links
   the system's client library, which Lambda's runtime lacks; Lambda puts /var/task/lib on
   LD_LIBRARY_PATH.
4. Bytecode for every module (see add_bytecode: /var/task is read-only on Lambda).
5. artifact.verify: size, the library inside, glibc versions, nothing that must not ship.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from artifact.render import UnfilledPlaceholders, UnsafeStageLogging, write_rendered_settings
from artifact.verify import ArtifactRejected, verify_artifact

ROOT = Path(__file__).resolve().parent.parent
BUILD_VENV = ROOT / ".venv-lambda"
DIST = ROOT / "dist"
RUNTIME_PYTHON = (3, 12)  # zappa_settings.json: "runtime": "python3.12"
MARIADB_LIBRARY = "libmariadb.so.3"
# Where the artifact carries the client library and its plugins (MARIADB_PLUGIN_DIR in the stage's
# environment points at the second; caching_sha2_password, MySQL 8's default, is a plugin).
LIBRARY_DIR = "lib"
PLUGIN_DIR = "lib/mariadb/plugin"
# Zappa asks PyPI for a newer Zappa before every command; through a proxy that refuses at once it
# stays offline instead of waiting for a timeout.
OFFLINE_PROXY = "http://127.0.0.1:9"


class BuildFailed(Exception):
    """A step of the build failed; the message says which and why."""


@dataclass(frozen=True)
class BuildResult:
    zip_path: Path
    settings_path: Path


# requirements.txt and Zappa, each package pinned with its hashes (`make lock` writes it).
LAMBDA_LOCK = "requirements-lambda.lock"


def artifact_path(stage: str, *, local: bool = False) -> Path:
    """dist/lambridge-<stage>.zip, or dist/lambridge-<stage>-local.zip for a local artifact."""
    return DIST / f"lambridge-{stage}{'-local' if local else ''}.zip"


def runtime_python() -> str:
    """A Python of the runtime's minor version: this one when it is, else pyenv's or python3.12 on PATH."""
    if sys.version_info[:2] == RUNTIME_PYTHON:
        return sys.executable
    version = f"{RUNTIME_PYTHON[0]}.{RUNTIME_PYTHON[1]}"
    name = f"python{version}"
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/{name}"))
    for candidate in [*reversed(candidates), Path(name)]:
        try:
            subprocess.run([str(candidate), "-c", "pass"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            continue
        return str(candidate)
    raise BuildFailed(f"{name} is needed to build for Lambda's python3.12 runtime (pyenv install 3.12).")


def _run(command: Sequence[str], *, environment: Mapping[str, str] | None = None, step: str) -> None:
    result = subprocess.run(list(command), cwd=ROOT, env=dict(environment or os.environ), check=False)
    if result.returncode != 0:
        raise BuildFailed(f"{step} failed (exit {result.returncode}): {' '.join(command)}")


def ensure_build_venv(venv: Path = BUILD_VENV) -> Path:
    """`.venv-lambda` with exactly requirements-lambda.lock (requirements.txt + Zappa, every package
    with its hashes), reinstalled when the lock changes; its python."""
    python = venv / "bin" / "python"
    lock = ROOT / LAMBDA_LOCK
    if not lock.is_file():
        raise BuildFailed(f"{LAMBDA_LOCK} is missing: run make lock.")
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = venv / ".requirements.sha256"
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        _run([runtime_python(), "-m", "venv", str(venv)], step="Creating the build virtualenv")
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "-r",
            LAMBDA_LOCK,
        ],
        step=f"Installing {LAMBDA_LOCK} into the build virtualenv",
    )
    stamp.write_text(wanted + "\n")
    return python


def zappa_package(
    *, stage: str, settings_path: Path, output: Path, venv: Path = BUILD_VENV, project_dir: Path = ROOT
) -> Path:
    """`zappa package <stage> -s <settings> -o <output>` run from `project_dir` with the build virtualenv."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    environment = {
        **os.environ,
        # Zappa packages the virtualenv named here (it reads VIRTUAL_ENV), never the dev one.
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HTTPS_PROXY": OFFLINE_PROXY,
        "HTTP_PROXY": OFFLINE_PROXY,
        "NO_PROXY": "",
    }
    environment.pop("PYTHONPATH", None)
    command = [str(venv / "bin" / "zappa"), "package", stage, "-s", str(settings_path), "-o", str(output)]
    result = subprocess.run(command, cwd=project_dir, env=environment, check=False, capture_output=True, text=True)
    if result.returncode != 0 or not output.is_file():
        raise BuildFailed(f"zappa package {stage} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return output


def mariadb_library(venv: Path = BUILD_VENV) -> Path:
    """The libmariadb.so.3 (real file) that the build virtualenv's MySQLdb extension loads, found with ldd."""
    extensions = sorted((venv / "lib").glob("python3.*/site-packages/MySQLdb/_mysql*.so"))
    if not extensions:
        raise BuildFailed(f"mysqlclient is not installed in {venv} (no MySQLdb/_mysql*.so).")
    listing = subprocess.run(["ldd", str(extensions[0])], check=True, capture_output=True, text=True).stdout
    match = re.search(rf"{re.escape(MARIADB_LIBRARY)} => (\S+)", listing)
    if not match or not Path(match[1]).is_file():
        raise BuildFailed(f"ldd finds no {MARIADB_LIBRARY} for {extensions[0].name}:\n{listing}")
    return Path(match[1]).resolve()


def mariadb_plugins(library: Path) -> list[Path]:
    """The connector's client plugins next to `library` (Debian: <libdir>/libmariadb3/plugin/*.so)."""
    return sorted((library.parent / "libmariadb3" / "plugin").glob("*.so"))


def add_bytecode(zip_path: Path) -> int:
    """Every module of the zip compiled next to its source (`__pycache__/*.cpython-312.pyc`); returns how many.

    Lambda's /var/task is read-only, so without bytecode in the zip every cold start compiles every
    module it imports from source (more than half of a Django cold start). Unchecked-hash pycs are
    used as they are, whatever the file times the zip gives the sources; they are made here from
    the very sources in the zip, so they cannot be stale.
    """
    if sys.version_info[:2] != RUNTIME_PYTHON:
        raise BuildFailed(f"bytecode for python{RUNTIME_PYTHON[0]}.{RUNTIME_PYTHON[1]} must be compiled by it")
    compiled = 0
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        present = set(archive.namelist())
        for info in archive.infolist():
            if not info.filename.endswith(".py"):
                continue
            source = archive.read(info)
            try:
                code = compile(source, f"/var/task/{info.filename}", "exec", dont_inherit=True)
            except SyntaxError:
                continue  # e.g. templates named .py; Python would fail on them too, only if imported
            pyc_name = importlib.util.cache_from_source(info.filename)
            if pyc_name in present:
                continue
            data = importlib._bootstrap_external._code_to_hash_pyc(  # type: ignore[attr-defined]
                code, importlib.util.source_hash(source), checked=False
            )
            entry = zipfile.ZipInfo(pyc_name, date_time=info.date_time)
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
            compiled += 1
    return compiled


def add_native_libraries(zip_path: Path, *, library: Path, plugins: Sequence[Path]) -> None:
    """lib/libmariadb.so.3 and lib/mariadb/plugin/*.so into the zip, executable as Lambda needs."""
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        entries = [(library, f"{LIBRARY_DIR}/{MARIADB_LIBRARY}")]
        entries += [(plugin, f"{PLUGIN_DIR}/{plugin.name}") for plugin in plugins]
        for source, name in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes())


# Not part of the artifact: a change there does not make a built zip stale.
NOT_SOURCES = frozenset({".git", ".venv", ".venv-lambda", "dist", ".local", "tests", "bench", "staticfiles"})


def newest_source_mtime(root: Path = ROOT) -> float:
    """The latest modification time of any file that goes into the artifact (code, settings, requirements)."""
    newest = 0.0
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in NOT_SOURCES and not name.endswith("_cache") and name != "__pycache__"
        ]
        for name in files:
            newest = max(newest, (Path(directory) / name).stat().st_mtime)
    return newest


def is_up_to_date(zip_path: Path, *, root: Path = ROOT) -> bool:
    """Whether `zip_path` exists and is newer than every source file, so it can be reused as built."""
    return zip_path.is_file() and zip_path.stat().st_mtime > newest_source_mtime(root)


def packaged_settings(zip_path: Path) -> str:
    """The zappa_settings.py Zappa wrote into the artifact (routing tables, stage, environment)."""
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read("zappa_settings.py").decode("utf-8")


def build(
    *, stage: str, local: bool = False, output: Path | None = None, environment: Mapping[str, str] | None = None
) -> BuildResult:
    """The verified artifact of `stage`; raises BuildFailed, UnfilledPlaceholders or ArtifactRejected."""
    output = output or artifact_path(stage, local=local)
    settings_path = write_rendered_settings(
        ROOT / "zappa_settings.json",
        DIST / f"zappa_settings.{stage}{'-local' if local else ''}.json",
        stage=stage,
        environment=os.environ if environment is None else environment,
        local=local,
    )
    ensure_build_venv()
    zappa_package(stage=stage, settings_path=settings_path, output=output)
    add_bytecode(output)
    library = mariadb_library()
    add_native_libraries(output, library=library, plugins=mariadb_plugins(library))
    return BuildResult(zip_path=output, settings_path=settings_path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="dev")
    parser.add_argument(
        "--local", action="store_true", help="fill unset placeholders with local values (tests, benchmarks)"
    )
    parser.add_argument("--output", type=Path, help="the zip to write (default dist/lambridge-<stage>.zip)")
    arguments = parser.parse_args(argv)
    try:
        # A stage whose AWS values are missing is an error, never a quiet local build: the caller
        # (an operator, `make deploy`) asked for a zip it can deploy. LOCAL=1 asks for the other.
        result = build(stage=arguments.stage, local=arguments.local, output=arguments.output)
    except (BuildFailed, UnfilledPlaceholders, UnsafeStageLogging) as exc:
        print(f"make package: {exc}", file=sys.stderr)
        return 1
    try:
        report = verify_artifact(result.zip_path)
    except ArtifactRejected as exc:
        print(f"make package: {result.zip_path} must not ship:\n{exc}", file=sys.stderr)
        return 1
    shown = result.zip_path.relative_to(ROOT) if result.zip_path.is_relative_to(ROOT) else result.zip_path
    print(f"{shown}: verified")
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
