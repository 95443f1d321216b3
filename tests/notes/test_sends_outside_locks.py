"""No network call under a note's lock or inside a transaction (issue 11 item 12, issue 12): with an
AWS endpoint that accepts connections and never answers, concurrent PATCHes of one note each
commit and reach their send without waiting for the other's send."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.db import connections
from pytest_django import Settings as SettingsWrapper
from rest_framework.test import APIClient

from aws.clients import reset_clients
from devstack.aws_resources import DevstackResources
from notes.models import MobileNote
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# How long the test waits for something that should happen at once (a bound, not a measurement).
PATIENCE_SECONDS = 60


@dataclass
class SilentAws:
    """A TCP endpoint that reads each HTTP request and answers nothing until released; a request is
    held while its client keeps the connection open."""

    port: int
    requests: list[bytes] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def held_versions(self) -> set[int]:
        """The note versions of the PutItem requests waiting for an answer right now."""
        with self.lock:
            return {version for version in map(_put_version, self.requests) if version is not None}

    def serve(self, connection: socket.socket) -> None:
        with connection:
            request = _read_request(connection)
            if self.released.is_set():
                return
            with self.lock:
                self.requests.append(request)
            while not self.released.is_set():
                readable, _, _ = select.select([connection], [], [], 0.05)
                if readable and not connection.recv(65536):
                    break  # the client gave up waiting
            with self.lock:
                self.requests.remove(request)


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _put_version(request: bytes) -> int | None:
    if b"DynamoDB_20120810.PutItem" not in request:
        return None
    body = json.loads(request.partition(b"\r\n\r\n")[2] or b"{}")
    return int(body["Item"]["version"]["N"])


@pytest.fixture
def silent_aws(settings: SettingsWrapper, aws_stack: object) -> Iterator[SilentAws]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = SilentAws(port=listener.getsockname()[1])

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=server.serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    working = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = server.endpoint_url
    reset_clients()
    yield server
    server.released.set()
    listener.close()
    settings.AWS_ENDPOINT_URL = working
    reset_clients()


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_concurrent_patches_of_one_note_never_wait_for_each_others_send(
    aws_stack: DevstackResources, request: pytest.FixtureRequest
) -> None:
    email = unique_email("writer")
    site_user(email=email)
    token = cognito_tokens(aws_stack, email=email).id_token  # one member, signed in on two devices

    def signed_in() -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    response = signed_in().post("/api/v1/notes/", {"headline": "Version 1", "text": ""}, format="json")
    note = response.json()  # sent to the working emulator
    aws = request.getfixturevalue("silent_aws")

    def patch(headline: str) -> tuple[int, set[int]]:
        """The answer's status, and the sends still waiting for AWS when it came."""
        client = signed_in()
        try:
            response = client.patch(f"/api/v1/notes/{note['noteId']}", {"headline": headline}, format="json")
            return response.status_code, aws.held_versions()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first: Future[tuple[int, set[int]]] = pool.submit(patch, "Version 2")
        # The first write committed, released its lock and is now stuck in its send.
        assert wait_for(lambda: aws.held_versions() == {2}), "the first write never reached its send"
        second = pool.submit(patch, "Version 3")
        finished = wait_for(second.done)
        aws.released.set()
        assert finished
        second_status, held_when_second_answered = second.result()
        assert first.result()[0] == 200

    assert second_status == 200
    # The second write was answered while the first one's send was still waiting on AWS.
    assert 2 in held_when_second_answered
    assert MobileNote.objects.get(uuid=note["noteId"]).version == 3
