"""Issue 18: a whole app session through the generated TypeScript client (openapi-typescript types +
openapi-fetch), compiled with `tsc --strict` and run by Node against the live test server, signed in
with a real Cognito token from the emulator; photos go to moto's S3, search through the real stream."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from devstack.aws_resources import DevstackResources, ensure_notes_table
from devstack.stream_poller import StreamPoller
from notes.mirror import mirror_inline_resume
from sdk.tools import SDK_DIR, node_tool, tool_environment
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import fetch_value, site_user

# slow: SDK generation (openapi-typescript), tsc --strict and Node against the live server
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SESSION_DIR = SDK_DIR / "session"
NODE_TIMEOUT_SECONDS = 180


@pytest.fixture
def stream_to_search(
    aws_stack: DevstackResources, cloudsearch_domain: Any, settings: SettingsWrapper, tmp_path: Path
) -> Iterator[None]:
    """A Notes table of the test's own, its stream read by the local poller into the search index,
    as Lambda would in production, for as long as the test runs."""
    settings.NOTES_TABLE = f"Notes-{uuid.uuid4().hex[:12]}"
    ensure_notes_table(settings.NOTES_TABLE)
    mirror_inline_resume()
    poller = StreamPoller(state_path=tmp_path / "poller.json")
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=SESSION_DIR, capture_output=True, text=True, timeout=NODE_TIMEOUT_SECONDS, check=False, **kwargs
    )


def compile_session(schema_url: str) -> None:
    """Types from the served document, then the session compiled against them with tsc --strict."""
    generated = _run(
        [node_tool("openapi-typescript"), schema_url, "--output", str(SESSION_DIR / "generated" / "schema.d.ts")],
        env=tool_environment(),
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    compiled = _run([node_tool("tsc"), "--project", str(SESSION_DIR / "tsconfig.json"), "--strict"])
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_a_whole_app_session_through_the_generated_typescript_client(
    live_server: LiveServer, aws_stack: DevstackResources, stream_to_search: None
) -> None:
    email = unique_email("ts-session")
    user_id = site_user(email=email, display_name="TypeScript")
    token = cognito_tokens(aws_stack, email=email).id_token
    compile_session(f"{live_server.url}/api/schema/")

    # The token goes through the environment, never the command line (process lists, logs).
    session = _run(
        ["node", str(SESSION_DIR / "build" / "session.js")],
        env={**os.environ, "LAMBRIDGE_BASE_URL": live_server.url, "LAMBRIDGE_TOKEN": token},
    )

    assert session.returncode == 0, session.stdout + session.stderr
    assert session.stdout.rstrip().endswith("session ok")
    # What the app did is what the site now holds: one note of this user, soft-deleted.
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [user_id]) == 1
    assert fetch_value("SELECT deleted FROM notes WHERE user_id = %s", [user_id]) == 1
