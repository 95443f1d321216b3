"""The seams of `make deploy`: Zappa's deploy/update, invoking the deployed function, collectstatic.

Each is a small class so that the test of the whole sequence can swap in what the emulators cannot
do (see docs/deploy.md, "What is tested"): moto's Lambda cannot run a function (invocations), and
lacks ListFunctionUrlConfigs, which `zappa update` calls at its end.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from aws.clients import get_client

ROOT = Path(__file__).resolve().parent.parent
# The function's settings (zappa_settings.json "django_settings"), not the deploy tool's own.
FUNCTION_SETTINGS_MODULE = "project.settings"
COLLECTSTATIC_SUMMARY = re.compile(r"(\d+) static files? copied[^,\n]*(?:, (\d+) unmodified)?")


def code_sha256(zip_path: Path) -> str:
    """The zip's hash as Lambda reports it (CodeSha256: base64 of the SHA-256)."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


class ZappaDeployer:
    """Zappa's own Python API (what `zappa deploy|update -s … -z …` runs), for one stage."""

    def __init__(self, *, stage: str, settings_path: Path) -> None:
        from zappa.cli import ZappaCLI

        self.stage = stage
        self.cli = ZappaCLI()
        self.cli.api_stage = stage
        previous = Path.cwd()
        os.chdir(ROOT)  # Zappa resolves attach_policy and the project relative to the working directory
        try:
            self.cli.load_settings(str(settings_path))
        finally:
            os.chdir(previous)
        # make deploy checks the function itself (migrate through it) instead of Zappa's GET / touch,
        # which answers before the environment is complete on a first deploy.
        self.cli.zappa_settings[stage]["touch"] = False
        self.prepare(self.cli)

    def prepare(self, cli: Any) -> None:
        """A hook for the emulator's seam (see tests/deploy); nothing on AWS."""

    @property
    def function_name(self) -> str:
        return str(self.cli.lambda_name)

    def ensure_role(self) -> bool:
        """The execution role with attach_policy + extra_permissions; True when it changed.

        `zappa deploy|update -z <zip>` skips this (Zappa only manages roles when it builds the zip
        itself), so a policy change in zappa_settings.json would otherwise never reach AWS.
        """
        previous = Path.cwd()
        os.chdir(ROOT)
        try:
            _, updated = self.cli.zappa.create_iam_roles()
        finally:
            os.chdir(previous)
        return bool(updated)

    def function(self) -> dict[str, Any] | None:
        """The deployed function's configuration, or None before the first deploy."""
        try:
            configuration: dict[str, Any] = get_client("lambda").get_function(FunctionName=self.function_name)[
                "Configuration"
            ]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        return configuration

    def deploy(self, *, zip_path: Path, environment: dict[str, str]) -> None:
        """`zappa deploy <stage> -z <zip>`, the function created with its whole environment at once."""
        self.cli.aws_environment_variables = {**(self.cli.aws_environment_variables or {}), **environment}
        self._run(lambda: self.cli.deploy(source_zip=str(zip_path)))

    def update(self, *, zip_path: Path, environment: dict[str, str]) -> None:
        """`zappa update <stage> -z <zip>` (Zappa keeps variables it does not set)."""
        self.cli.aws_environment_variables = {**(self.cli.aws_environment_variables or {}), **environment}
        self._run(lambda: self.cli.update(source_zip=str(zip_path)))

    def api_host(self) -> str:
        """The API's execute-api host name (for ALLOWED_HOSTS), or "" without an API."""
        api_id = self.cli.zappa.get_api_id(self.function_name)
        return f"{api_id}.execute-api.{self.cli.aws_region}.amazonaws.com" if api_id else ""

    def _run(self, action: Any) -> None:
        previous = Path.cwd()
        os.chdir(ROOT)
        try:
            action()
        except SystemExit as exc:  # Zappa's CLI exits on some failures
            raise RuntimeError(f"Zappa stopped (exit status {exc.code})") from None
        finally:
            os.chdir(previous)


@dataclass(frozen=True)
class Invocation:
    ok: bool
    detail: str


class FunctionInvoker:
    """Runs a management command in the deployed function (what `zappa manage <stage> …` does)."""

    def manage(self, *, function_name: str, command: str) -> Invocation:
        response = get_client("lambda").invoke(
            FunctionName=function_name, Payload=json.dumps({"manage": command}).encode(), LogType="Tail"
        )
        log = base64.b64decode(response.get("LogResult", "")).decode("utf-8", "replace")
        payload = response["Payload"].read().decode("utf-8", "replace")
        if response.get("FunctionError"):
            return Invocation(ok=False, detail=(payload + "\n" + log).strip()[-2000:])
        return Invocation(ok=True, detail=log.strip()[-2000:])


class StaticCollector:
    """`manage.py collectstatic` from here, into the stage's bucket (STATIC_URL absolute)."""

    def collect(self, *, environment: dict[str, str]) -> tuple[int, int]:
        """(copied, unmodified); raises RuntimeError with Django's output when it fails."""
        # A key only to import the settings: collectstatic signs nothing.
        variables = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": FUNCTION_SETTINGS_MODULE,
            "SECRET_KEY": "collectstatic-signs-nothing",
            "DEBUG": "false",
            **environment,
        }
        completed = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput"],
            env=variables,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if completed.returncode != 0:
            raise RuntimeError((completed.stderr or completed.stdout).strip()[-2000:])
        found = COLLECTSTATIC_SUMMARY.search(completed.stdout)
        if found is None:
            return 0, 0
        return int(found.group(1)), int(found.group(2) or 0)
