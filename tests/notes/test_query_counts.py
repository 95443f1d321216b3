"""SQL queries per list and detail request: the same for a page of 1 and of 50, and at most 4
(SPEC §8), token check and site-user lookup included."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import site_note
from tests.members import Member

pytestmark = pytest.mark.django_db

MAX_QUERIES_PER_REQUEST = 4


def queries_for(member: Member, url: str, **params: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = member.client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_and_detail_queries_do_not_grow_with_the_page(alice: Member, bob: Member) -> None:
    assert settings.LEGACY_DATABASE_ALIAS == "default"  # one database in tests: every query is captured
    for n in range(60):
        note_id = site_note(alice.user_id, headline=f"Note {n}", visibility="public" if n % 2 else "private")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'a'), (%s, 'b')", [note_id, note_id])
    bob.create(visibility="public")
    # The first reads link the caller and give the site's notes their noteIds.
    alice.client.get("/api/v1/notes/", {"pageSize": 100})
    bob.client.get("/api/v1/notes/", {"scope": "public", "pageSize": 100})

    one = queries_for(alice, "/api/v1/notes/", pageSize=1)
    fifty = queries_for(alice, "/api/v1/notes/", pageSize=50)
    public_one = queries_for(bob, "/api/v1/notes/", scope="public", pageSize=1)
    public_fifty = queries_for(bob, "/api/v1/notes/", scope="public", pageSize=50)
    note_id = alice.client.get("/api/v1/notes/", {"pageSize": 1}).json()["results"][0]["noteId"]
    detail = queries_for(alice, f"/api/v1/notes/{note_id}")

    assert one == fifty <= MAX_QUERIES_PER_REQUEST
    assert public_one == public_fifty <= MAX_QUERIES_PER_REQUEST
    assert detail <= MAX_QUERIES_PER_REQUEST
