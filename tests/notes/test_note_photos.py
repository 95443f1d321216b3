"""Photos on notes: an app upload through the presigned POST attached by key, shown as s3Url;
photos of the site's old upload folder, once copied, shown the same way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from pytest_django import Settings as SettingsWrapper

from api.errors import SERVICE_UNAVAILABLE
from devstack.aws_resources import DevstackResources
from tests.factories import site_note
from tests.members import Member
from tests.unreachable import closed_port, silent_server
from tests.uploads.helpers import PNG_BYTES, uploaded_key
from uploads.errors import PHOTO_NOT_IMAGE

pytestmark = pytest.mark.django_db


def test_an_uploaded_photo_attaches_to_a_new_note_and_its_url_serves_it(alice: Member) -> None:
    key = uploaded_key(alice.client)

    note = alice.create(photoKey=key)

    assert note["photoKey"] == key
    assert requests.get(note["s3Url"], timeout=10).content == PNG_BYTES


def test_a_photo_is_replaced_and_removed_by_patch(alice: Member) -> None:
    note = alice.create(photoKey=uploaded_key(alice.client))
    url = f"/api/v1/notes/{note['noteId']}"
    second = uploaded_key(alice.client)

    replaced = alice.client.patch(url, {"photoKey": second}, format="json").json()
    removed = alice.client.patch(url, {"photoKey": None}, format="json").json()

    assert (replaced["photoKey"], replaced["version"]) == (second, 2)
    assert (removed["photoKey"], removed["s3Url"], removed["version"]) == (None, None, 3)


def test_a_key_never_uploaded_is_a_400_and_changes_nothing(alice: Member) -> None:
    note = alice.create()
    missing = f"uploads/{alice.user_id}/{uuid.uuid4().hex}/nothing.png"

    response = alice.client.patch(f"/api/v1/notes/{note['noteId']}", {"photoKey": missing}, format="json")

    assert response.status_code == 400
    assert "photoKey" in response.json()["error"]["fields"]
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"] == 1


def test_the_sites_old_photos_show_once_copied(aws_stack: DevstackResources, alice: Member, tmp_path: Path) -> None:
    photo_path = f"uploads/{uuid.uuid4().hex[:8]}/beach.png"
    (tmp_path / photo_path).parent.mkdir(parents=True)
    (tmp_path / photo_path).write_bytes(PNG_BYTES)
    site_note(alice.user_id, headline="Seen before the import", photo_path=photo_path)
    before = alice.client.get("/api/v1/notes/").json()["results"]
    assert [note["photoKey"] for note in before] == [None]

    out = StringIO()
    call_command("import_legacy_media", "--source", str(tmp_path), "--no-progress", stdout=out)
    site_note(alice.user_id, headline="First seen after", photo_path=photo_path)
    after = {note["headline"]: note for note in alice.client.get("/api/v1/notes/").json()["results"]}

    assert "Notes given their copied photo: 1" in out.getvalue()
    for headline in ("Seen before the import", "First seen after"):
        assert after[headline]["photoKey"] == f"legacy/{photo_path}"
        assert requests.get(after[headline]["s3Url"], timeout=10).content == PNG_BYTES
    assert after["Seen before the import"]["version"] == before[0]["version"] + 1


@pytest.mark.parametrize(
    "content", [b"<html><script>alert(1)</script></html>", b"%PDF-1.7", b'<svg onload="alert(1)"/>', b"plain text"]
)
def test_a_file_uploaded_as_png_that_is_not_an_image_is_a_400_photo_not_image(alice: Member, content: bytes) -> None:
    key = uploaded_key(alice.client, content)
    note = alice.create()

    created = alice.client.post("/api/v1/notes/", {"headline": "h", "text": "t", "photoKey": key}, format="json")
    patched = alice.client.patch(f"/api/v1/notes/{note['noteId']}", {"photoKey": key}, format="json")

    for response in (created, patched):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == PHOTO_NOT_IMAGE
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"] == 1
    assert len(alice.client.get("/api/v1/notes/").json()["results"]) == 1


@pytest.mark.parametrize(
    "endpoint",
    # slow: a timeout test, it waits out the client's real read timeout
    [closed_port, pytest.param(silent_server, marks=pytest.mark.slow)],
)
def test_s3_unreachable_during_an_attach_is_a_503_with_retry_after(
    alice: Member, settings: SettingsWrapper, endpoint: Callable[[], AbstractContextManager[str]]
) -> None:
    key = uploaded_key(alice.client)
    note = alice.create()

    with endpoint() as url:
        settings.AWS_ENDPOINT_URL = url
        created = alice.client.post("/api/v1/notes/", {"headline": "h", "text": "t", "photoKey": key}, format="json")
        patched = alice.client.patch(f"/api/v1/notes/{note['noteId']}", {"photoKey": key}, format="json")

    for response in (created, patched):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
        assert int(response["Retry-After"]) > 0
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"] == 1
    assert len(alice.client.get("/api/v1/notes/").json()["results"]) == 1
