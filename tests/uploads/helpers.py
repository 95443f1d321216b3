"""What the uploads tests share: small image bytes, a unique site user, and the app's side of a presigned POST
(also the whole upload, for the notes and account tests that attach photos)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import requests
from rest_framework.test import APIClient

from tests.factories import site_user

# The smallest valid PNG (1×1, transparent): real image bytes without a fixture file.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
UPLOAD_TIMEOUT_SECONDS = 10


def new_site_user() -> int:
    """A site user with a unique email (the moto bucket is shared by the whole session)."""
    return site_user(email=f"up-{uuid.uuid4().hex[:12]}@example.com", username=f"up-{uuid.uuid4().hex[:12]}")


def post_policy(fields: dict[str, str]) -> dict[str, Any]:
    """The presigned POST's policy document, decoded."""
    policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return policy


def app_upload(url: str, fields: dict[str, str], content: bytes, filename: str = "photo.png") -> requests.Response:
    """POST the file the way a mobile app does: the form's fields, then the file as the last part."""
    return requests.post(
        url, data=fields, files={"file": (filename, content, fields["Content-Type"])}, timeout=UPLOAD_TIMEOUT_SECONDS
    )


def uploaded_key(client: APIClient, content: bytes = PNG_BYTES) -> str:
    """The key of a photo uploaded as an app does: a presigned POST from the API, then the file to S3."""
    presigned = client.post(
        "/api/v1/uploads",
        {"contentType": "image/png", "contentLength": len(content), "filename": "beach.png"},
        format="json",
    ).json()
    assert app_upload(presigned["url"], presigned["fields"], content).status_code in {200, 201, 204}
    return str(presigned["key"])
