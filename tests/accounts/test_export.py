"""GET /api/v1/me/export: one JSON document with the profile, notes (tags, visibility, dates, photo
URLs), datasets and every other registered section, written in chunks; its peak memory for a user
with 100k notes is a fraction of the document's size. A document larger than a Lambda response may
be comes by a 303 to a presigned download from the media bucket."""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pytest_django import Settings as SettingsWrapper

from accounts.lifecycle import user_data_sections
from api.errors import NOT_AUTHENTICATED, SERVICE_UNAVAILABLE
from tests.factories import legacy_connection, site_note
from tests.members import Member
from tests.uploads.helpers import uploaded_key

pytestmark = pytest.mark.django_db

BIG_NOTE_COUNT = 100_000
INSERT_BATCH = 5_000
BODY = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4  # ~230 bytes, a typical note
# The export of 100k notes is ~40 MB; holding it (or its rows as dicts) would cost several times
# that. Writing and uploading it must stay under this, whatever the number of notes.
PEAK_MEMORY_BOUND_BYTES = 12 * 1024 * 1024


def downloaded_to_file(response: Any, path: Path) -> int:
    """The export document an app gets, in ``path``: the answer's body, or what its 303 points to
    (fetched as an HTTP client follows it: without the app's token), chunk by chunk; its size."""
    if response.status_code == 200:
        path.write_bytes(response.content)
        return path.stat().st_size
    assert response.status_code == 303
    with requests.get(response["Location"], stream=True, timeout=30) as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "application/json"
        with path.open("wb") as handle:
            for chunk in download.iter_content(chunk_size=64 * 1024):
                handle.write(chunk)
    return path.stat().st_size


def test_the_export_holds_profile_notes_and_datasets(alice: Member, bob: Member, tmp_path: Path) -> None:
    key = uploaded_key(alice.client)
    photo_note = alice.create(photoKey=key, tags=["trip", "Beach"], visibility="public")
    gone = alice.create(headline="Deleted later")
    assert alice.client.delete(f"/api/v1/notes/{gone['noteId']}").status_code == 204
    site_note(alice.user_id, headline="Written by the site")
    bob.create(headline="Bob's, not Alice's")
    alice.client.patch(
        "/api/v1/datasets/settings", {"syncCount": 0, "records": [{"key": "theme", "value": "dark"}]}, format="json"
    )

    response = alice.client.get("/api/v1/me/export")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    downloaded_to_file(response, tmp_path / "export.json")
    document = json.loads((tmp_path / "export.json").read_text())
    assert document["profile"]["userId"] == alice.user_id
    assert document["profile"]["displayName"] == "Alice"
    assert "password" not in json.dumps(document["profile"])
    assert document["profile"]["cognito"]["sub"]
    notes = {note["headline"]: note for note in document["notes"]}
    assert set(notes) == {"A headline", "Deleted later", "Written by the site"}
    exported = notes["A headline"]
    assert exported["noteId"] == photo_note["noteId"]
    assert exported["tags"] == ["Beach", "trip"]
    assert exported["visibility"] == "public"
    assert exported["createdAt"] == photo_note["createdAt"]
    assert exported["updatedAt"] == photo_note["updatedAt"]
    assert exported["photoKey"] == key
    assert requests.get(exported["s3Url"], timeout=10).status_code == 200
    assert notes["Deleted later"]["deleted"] is True
    assert notes["Written by the site"]["deleted"] is False
    assert document["datasets"] == [
        {
            "name": "settings",
            "syncCount": 1,
            "updatedAt": document["datasets"][0]["updatedAt"],
            "records": [{"key": "theme", "value": "dark", "syncCount": 1}],
        }
    ]
    # Every registered section is in the document (devices too, once push registers it).
    assert {section.section for section in user_data_sections() if section.export} <= set(document)


def test_a_large_export_comes_by_a_redirect_to_a_download_that_needs_no_token(
    alice: Member, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.EXPORT_INLINE_MAX_BYTES = 1000
    for n in range(5):
        alice.create(headline=f"Note {n}", body="words " * 100)

    response = alice.client.get("/api/v1/me/export")

    assert response.status_code == 303
    assert response["Cache-Control"] == "no-store"
    location = response["Location"]
    # A random key of exports/: it says nothing of whose it is.
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.json", urlsplit(location).path.split("/", 2)[2])
    size = downloaded_to_file(response, tmp_path / "export.json")
    assert size > settings.EXPORT_INLINE_MAX_BYTES
    document = json.loads((tmp_path / "export.json").read_text())
    assert document["profile"]["userId"] == alice.user_id
    assert {note["headline"] for note in document["notes"]} == {f"Note {n}" for n in range(5)}
    download = requests.get(location, timeout=10)
    assert f'filename="lambridge-export-{alice.user_id}.json"' in download.headers["Content-Disposition"]


def test_a_large_export_the_bucket_cannot_take_is_a_503_to_retry(alice: Member, settings: SettingsWrapper) -> None:
    settings.EXPORT_INLINE_MAX_BYTES = 10
    settings.AWS_STORAGE_BUCKET_NAME = "lambridge-no-such-bucket"

    response = alice.client.get("/api/v1/me/export")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) > 0


def test_the_export_needs_a_token() -> None:
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/me/export")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == NOT_AUTHENTICATED


def insert_site_notes(user_id: int, count: int) -> None:
    """``count`` notes (every tenth with two tags), inserted in batches as a site's history would be."""
    with legacy_connection().cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(note_id), 0) FROM notes")
        first_id = int(cursor.fetchone()[0]) + 1
        for start in range(0, count, INSERT_BATCH):
            rows = [
                (first_id + index, user_id, f"Note {index}", BODY, "2016-01-02 03:04:05")
                for index in range(start, min(count, start + INSERT_BATCH))
            ]
            cursor.executemany(
                "INSERT INTO notes (note_id, user_id, headline, body, created_at) VALUES (%s, %s, %s, %s, %s)", rows
            )
            tags = [(note_id, tag) for note_id, *_ in rows if note_id % 10 == 0 for tag in ("work", "later")]
            cursor.executemany("INSERT INTO note_tags (note_id, tag) VALUES (%s, %s)", tags)
        # The apps have seen them all (the usual state): each has its noteId and version already.
        cursor.execute(
            "INSERT INTO notes_mobilenote (uuid, legacy_note_id, version, legacy_updated_at, photo_key, created_at)"
            " SELECT REPLACE(UUID(), '-', ''), note_id, 1, updated_at, '', UTC_TIMESTAMP()"
            " FROM notes WHERE user_id = %s",
            [user_id],
        )


@pytest.mark.slow  # bench-style: 100k notes inserted, then streamed under tracemalloc
def test_a_user_with_100k_notes_exports_within_a_small_memory_bound(
    make_member: Callable[..., Member], tmp_path: Path
) -> None:
    member = make_member()
    insert_site_notes(member.user_id, BIG_NOTE_COUNT)
    assert member.client.get("/api/v1/me").status_code == 200  # signed in and linked before measuring

    tracemalloc.start()
    try:
        response = member.client.get("/api/v1/me/export")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 303  # ~40 MB: far more than a Lambda response may carry
    size = downloaded_to_file(response, tmp_path / "export.json")

    print(f"export of {BIG_NOTE_COUNT} notes: {size / 1e6:.1f} MB uploaded, peak Python memory {peak / 1e6:.1f} MB")  # noqa: T201 - the measurement, shown with -s
    assert peak < PEAK_MEMORY_BOUND_BYTES
    assert peak < size / 3  # not the document, nor its rows, held whole
    document = json.loads((tmp_path / "export.json").read_text())
    assert len(document["notes"]) == BIG_NOTE_COUNT
    assert sum(1 for note in document["notes"] if note["tags"] == ["later", "work"]) == BIG_NOTE_COUNT // 10
    assert len({note["noteId"] for note in document["notes"]}) == BIG_NOTE_COUNT
    assert {note["version"] for note in document["notes"]} == {1}  # read as they were: nothing rewritten
