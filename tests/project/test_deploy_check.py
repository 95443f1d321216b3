"""`manage.py check --deploy` passes with each Lambda stage's settings (secure cookies, HSTS, HTTPS behind API
Gateway), and locally the same settings stay usable over plain HTTP."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from artifact.render import render_settings, stage_config

ROOT = Path(__file__).resolve().parents[2]


def stage_environment(stage: str) -> dict[str, str]:
    """The process environment of `stage` on Lambda: the rendered stage variables, and what Zappa's handler sets."""
    committed = json.loads((ROOT / "zappa_settings.json").read_text(encoding="utf-8"))
    rendered = render_settings(committed, stage=stage, environment={}, local=True)
    variables = stage_config(rendered, stage).get("environment_variables", {})
    keep = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    return {
        **keep,
        **{name: str(value) for name, value in variables.items()},
        # Zappa's handler sets these before Django loads (zappa/handler.py).
        "SERVERTYPE": "AWS Lambda",
        "FRAMEWORK": "Zappa",
        # Set per deployment, never committed: a real one's length and variety.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "abc123defg.execute-api.us-east-1.amazonaws.com",
    }


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("stage", ["dev", "staging", "production"])
def test_check_deploy_passes_with_the_stage_settings(stage: str) -> None:
    result = check_deploy(stage_environment(stage))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_is_missing_without_https_only() -> None:
    environment = stage_environment("production") | {"HTTPS_ONLY": "false"}

    result = check_deploy(environment)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr
