"""Bugs schemathesis found (tests/project/test_fuzz_api.py), each pinned by a plain test."""

from __future__ import annotations

import pytest

from tests.factories import fetch_value
from tests.members import Member

pytestmark = pytest.mark.django_db


def test_numbers_where_text_belongs_are_refused_not_stored_as_text(alice: Member) -> None:
    note = alice.client.post("/api/v1/notes/", {"headline": 0, "text": 1.5}, format="json")
    reference = alice.client.post(
        "/notes", {"noteId": "3f2b8c3e-9a1d-4c47-8e2b-5d0c6f1a7e90", "headline": "", "text": 0}, format="json"
    )
    me = alice.client.patch("/api/v1/me", {"displayName": 0}, format="json")

    assert note.status_code == reference.status_code == me.status_code == 400
    assert set(note.json()["error"]["fields"]) == {"headline", "text"}
    assert fetch_value("SELECT COUNT(*) FROM notes") == 0


def test_a_note_id_that_is_not_a_uuid_string_is_refused(alice: Member) -> None:
    for note_id in (False, 5):
        response = alice.client.post("/notes", {"noteId": note_id, "headline": "h", "text": "t"}, format="json")
        assert response.status_code == 400
        assert "noteId" in response.json()["error"]["fields"]
    assert fetch_value("SELECT COUNT(*) FROM notes_mobilenote") == 0


def test_empty_query_values_are_refused_not_ignored(alice: Member) -> None:
    for url, params in [
        ("/api/v1/notes/", {"visibility": ""}),
        ("/api/v1/notes/changes", {"since": ""}),
    ]:
        response = alice.client.get(url, params)
        assert response.status_code == 400, (url, params)
        assert set(response.json()["error"]["fields"]) == set(params)


def test_a_tag_the_site_cannot_hold_is_a_400_not_a_database_error(alice: Member) -> None:
    response = alice.client.get("/api/v1/notes/", {"tag": "S\U000ff4f0"})

    assert response.status_code == 400
    assert "tag" in response.json()["error"]["fields"]


def test_tags_beyond_ascii_come_back_intact(alice: Member) -> None:
    note = alice.create(tags=["°C", "Crêpes", "\u0011control"])

    assert note["tags"] == ["\u0011control", "Crêpes", "°C"]
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["tags"] == note["tags"]
