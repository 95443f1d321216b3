"""Where the client tooling lives and how to run it: Node tools from sdk/node_modules, the
OpenAPI Generator jar from the openapi-generator-cli package, and the schema from manage.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SDK_DIR = REPO / "sdk"
NODE_BIN = SDK_DIR / "node_modules" / ".bin"
SNAPSHOT = REPO / "openapi.json"
REDOCLY_CONFIG = SDK_DIR / "redocly.yaml"


class ToolMissing(RuntimeError):
    """A tool is not installed; the message says which command installs it."""


def node_tool(name: str) -> str:
    """The path of an npm-installed command (`npm ci --prefix sdk`, which `make sdk` runs first)."""
    path = NODE_BIN / name
    if not path.exists():
        raise ToolMissing(f"{path} is missing: run `npm ci --prefix sdk` (make sdk and make test do).")
    return str(path)


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise ToolMissing("No Java runtime: `apt-get install default-jre-headless` (devstack/system-packages.sh).")
    return found


def openapi_generator() -> list[str]:
    """The OpenAPI Generator command: the jar bundled in the openapi-generator-cli PyPI package."""
    import openapi_generator_cli  # the jar ships inside the package; nothing downloads at run time

    jar = Path(openapi_generator_cli.__file__).parent / "openapi-generator.jar"
    return [java(), "-jar", str(jar)]


def tool_environment() -> dict[str, str]:
    """The environment for the Node tools: no telemetry, no update check (no network but npm here)."""
    return {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "NO_UPDATE_NOTIFIER": "1",
        "NODE_NO_WARNINGS": "1",
    }


def schema_environment() -> dict[str, str]:
    """The settings the published document is generated with, whatever the local .env says: the
    document must not change with a deployment's options (API keys are described in prose)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("API_KEY_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "openapi-snapshot-not-a-secret",
        DEBUG="false",
        API_KEY_REQUIRED="false",
    )
    return environment


def write_schema(path: Path) -> None:
    """The OpenAPI document as the server serves it, validated, with drf-spectacular warnings as errors."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            str(REPO / "manage.py"),
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--format",
            "openapi-json",
            "--file",
            str(path),
        ],
        check=True,
        cwd=REPO,
        env=schema_environment(),
    )
