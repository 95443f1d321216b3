"""Zappa's Lambda handler in this process, as a warm Lambda container runs it: one event in, one response out.

The handler loads a `zappa_settings` module generated from zappa_settings.json exactly as `zappa
package` writes it into the artifact, then serves API Gateway events (artifact.runtime's builders)
through Zappa's WSGI translation and Django's full middleware stack. ROOT_URLCONF is switched to
bench/baseline.py's, which is Lambridge's URL map plus the hand-written baseline view, so both
sides of a comparison run in the same process through the same handler.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from artifact.runtime import rest_api_event
from bench.stack import ROOT_URLCONF, WORK_DIR, log_to_file

STAGE = "dev"
SETTINGS_MODULE = "bench_zappa_settings"


class Context:
    """What Lambda passes as `context` (the handler reads only a few of these)."""

    function_name = "lambridge-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lambridge-dev"
    memory_limit_in_mb = "1024"
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/lambridge-dev"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def zappa_settings_text(stage: str = STAGE) -> str:
    from zappa.cli import ZappaCLI

    root = Path(__file__).resolve().parent.parent
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(root / "zappa_settings.json"))
    text: str = cli.get_zappa_settings_string()
    return text


_handler: Any = None


def zappa_handler() -> Any:
    """The process's LambdaHandler (a singleton, as in a Lambda container), serving bench/baseline.py's URLs."""
    global _handler
    if _handler is not None:
        return _handler
    from django.conf import settings
    from zappa.handler import LambdaHandler

    folder = WORK_DIR / "zappa"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SETTINGS_MODULE}.py").write_text(zappa_settings_text(), encoding="utf-8")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    saved_environment = dict(os.environ)
    LambdaHandler._LambdaHandler__instance = None
    LambdaHandler.settings = None
    handler = LambdaHandler(SETTINGS_MODULE)
    # The stage's environment_variables hold deploy-time placeholders; the bench's own values stand.
    os.environ.clear()
    os.environ.update(saved_environment)
    settings.ROOT_URLCONF = ROOT_URLCONF
    # Zappa's set-up configured logging again (Django's LOGGING, to stderr): back to the bench's file.
    log_to_file(WORK_DIR / "requests.log")
    _handler = handler
    return handler


def call(handler: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handler.handler(dict(event), Context())
    return response


def timed_call(handler: Any, event: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = call(handler, event)
    return time.perf_counter() - started, response


def get_event(path: str, *, token: str | None = None, query: Mapping[str, str] | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return rest_api_event(path, headers=headers, query=query)


def body(response: Mapping[str, Any]) -> Any:
    return json.loads(response["body"])


def expect_status(response: Mapping[str, Any], status: int, what: str) -> dict[str, Any]:
    if response.get("statusCode") != status:
        raise RuntimeError(f"{what} answered {response.get('statusCode')}, not {status}: {response.get('body')!r:.500}")
    return dict(response)
