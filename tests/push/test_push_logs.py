"""No push device token reaches a log line: the redaction, and every record a registration and a
sync push write with botocore at DEBUG (which prints request bodies)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from project.logs import REDACTED, JsonFormatter, redact
from tests.members import Member, apns_token, fcm_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "template",
    [
        '{{"platform": "ios", "token": "{token}"}}',
        "{{'token': '{token}'}}",
        "Action=CreatePlatformEndpoint&Token={token}&CustomUserData=x",
        "Invalid parameter: Token Reason: Endpoint arn:aws:sns:x already exists with token {token}",
        "device_token={token}",
    ],
)
@pytest.mark.parametrize(
    "token",
    [
        "3f" * 32,
        "A1B2" * 17,
        "cV8xQ2ZpZ0p1S3lN:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx4mG3E_z1hGmUQ_kDbEf6ZDmrRRWAuC4EBhqVpv1Fj2Nm6lBT9oGsd7tq"
        "uYXM0IG3aH-8tE9Gbz1kGUoQ8vd1wU7nF0ctz5eXu1kCBIeRDxMvYfH2v",
    ],
    ids=["apns", "apns-upper-longer", "fcm"],
)
def test_device_tokens_are_blanked_in_any_quoting(template: str, token: str) -> None:
    line = redact(template.format(token=token))

    assert token not in line
    assert token[:40] not in line
    assert REDACTED in line


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[list[str]]:
    """Every record of every logger, botocore's request bodies included, as the JSON log writes it."""
    handler = _Lines()
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name).level for name in ("botocore", "boto3", "urllib3")}
    root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def test_registering_and_pushing_log_no_device_token(
    alice: Member, every_log_line: list[str], django_capture_on_commit_callbacks: object
) -> None:
    ios, android = apns_token(), fcm_token()
    phone = alice.device(platform="ios", token=ios)
    alice.device(platform="android", token=fcm_token())
    assert alice.register(platform="android", token=android).status_code == 201
    assert alice.register(platform="ios", token=ios[:60]).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = alice.client.post(
            "/api/v1/notes/", {"headline": "h", "text": "t"}, format="json", HTTP_X_DEVICE_ID=phone["deviceId"]
        )
    assert response.status_code == 201

    botocore_lines = [line for line in every_log_line if '"logger": "botocore' in line]
    assert any("CreatePlatformEndpoint" in line for line in botocore_lines)  # the bodies were logged
    for token in (ios, android):
        assert not [line for line in every_log_line if token in line or token[:40] in line]
