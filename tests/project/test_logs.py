"""Logs: JSON lines for CloudWatch Logs Insights, one per request with its ids, route, status and
duration — and across a whole API flow and a migration-trigger call, no token, password,
presigned field or Authorization value in any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from accounts.migration_trigger import UserMigrationRefused, handle_user_migration
from devstack.aws_resources import DevstackResources
from project.logs import JsonFormatter, redact
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.accounts.php import php_password_hash
from tests.accounts.test_migration_trigger import AUTHENTICATION, migration_event
from tests.factories import site_user

pytestmark = pytest.mark.django_db

SITE_PASSWORD = "Site-Password-Never-Logged-1"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured JSON console handler writes, everything from DEBUG up."""
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous_stream, previous_level = handler.setStream(stream), root.level
    root.setLevel(logging.DEBUG)
    yield stream
    handler.setStream(previous_stream)
    root.setLevel(previous_level)


def test_a_full_flow_logs_json_request_lines_without_any_secret(
    aws_stack: DevstackResources, log_output: io.StringIO
) -> None:
    email = unique_email("logged")
    user_id = site_user(email=email, password=php_password_hash(SITE_PASSWORD))
    tokens = cognito_tokens(aws_stack, email=email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.id_token}")

    client.get("/api/v1/me", HTTP_X_REQUEST_ID="trace-123")
    note = client.post("/api/v1/notes/", {"headline": "Logged", "text": "t"}, format="json").json()
    client.patch(f"/api/v1/notes/{note['noteId']}", {"headline": "Edited"}, format="json")
    presigned = client.post(
        "/api/v1/uploads", {"contentType": "image/png", "contentLength": 10, "filename": "a.png"}, format="json"
    ).json()
    APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}x")  # a refused token
    APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens.refresh_token}")
    answer = handle_user_migration(migration_event(AUTHENTICATION, email, SITE_PASSWORD))
    with pytest.raises(UserMigrationRefused):
        handle_user_migration(migration_event(AUTHENTICATION, email, "wrong-" + SITE_PASSWORD))

    output = log_output.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert answer["response"]["userAttributes"]["email"] == email
    secrets = [
        tokens.id_token,
        tokens.access_token,
        tokens.refresh_token,
        SITE_PASSWORD,
        presigned["fields"]["policy"],
        presigned["fields"]["x-amz-signature"],
        presigned["fields"]["x-amz-credential"],
        "Bearer ",
    ]
    for secret in secrets:
        assert secret not in output, secret[:12]
    requests = [line for line in lines if line["logger"] == "lambridge.request"]
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("GET", "/api/v1/me", 200),
        ("POST", "/api/v1/notes", 201),
        ("PATCH", "/api/v1/notes/<uuid:noteId>", 200),
        ("POST", "/api/v1/uploads", 201),
        ("GET", "/api/v1/me", 401),
        ("GET", "/api/v1/me", 401),
    ]
    assert requests[0]["request_id"] == "trace-123"
    assert all(line["user_id"] == user_id for line in requests[:4])
    assert all("user_id" not in line for line in requests[4:])
    assert all(isinstance(line["duration_ms"], float) for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)


def test_redaction_blanks_what_a_library_might_print() -> None:
    text = redact(
        'Authorization: Bearer abcdefghijklmnop {"password": "hunter22"} X-Amz-Signature=0123456789abcdef '
        "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
    )

    assert "abcdefghijklmnop" not in text
    assert "hunter22" not in text
    assert "0123456789abcdef" not in text
    assert "eyJzdWIi" not in text


@pytest.mark.parametrize(
    "line",
    [
        "{'password': 'hunter22', 'user': 'bob'}",
        "event={'request': {'password': 'hunter22 with spaces, and commas'}}",
        "{'PreviousPassword': 'hunter22', 'ProposedPassword': \"hunter22\"}",
        '{"NewPassword":"hunter22"}',
        '"{\\"password\\": \\"hunter22\\"}"',
        "b'password': b'hunter22'",
        "password=hunter22&next=/admin/",
        "password%3Dhunter22%26next%3D%2Fadmin%2F",
        "{'AccessToken': 'hunter22', 'RefreshToken': 'hunter22'}",
        "deviceToken: hunter22",
        "client_secret = hunter22",
        "SECRET_KEY='hunter22'",
        "x-api-key: hunter22",
        "GET /api/v1/notes/search?q=hunter22 HTTP/1.1",
        "https://bucket.s3.amazonaws.com/k?X-Amz-Credential=hunter22&X-Amz-Signature=hunter22",
        "<WSGIRequest: GET '/api/v1/notes/?cursor=hunter22'>",
    ],
)
def test_redaction_covers_every_quoting(line: str) -> None:
    assert "hunter22" not in redact(line)


def test_django_request_warnings_never_log_query_values(aws_stack: DevstackResources, log_output: io.StringIO) -> None:
    APIClient().get("/api/v1/notes/search?q=my+private+words&cursor=c3VwZXJzZWNyZXQ")
    APIClient().get("/api/v1/nowhere?q=my+private+words")
    email = unique_email("query")
    site_user(email=email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {cognito_tokens(aws_stack, email=email).id_token}")
    client.get("/api/v1/notes/?cursor=my+private+words")

    output = log_output.getvalue()
    assert output
    assert "private" not in output
    assert "c3VwZXJzZWNyZXQ" not in output
