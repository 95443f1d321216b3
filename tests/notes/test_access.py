"""Two members, private and public notes, every route: a caller never reads or changes another
member's private note, and every refusal is the same 404 as for a note that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import fetch_value
from tests.members import Member

pytestmark = pytest.mark.django_db

NOT_FOUND_BODY = {"error": {"code": "not_found", "message": "No note with this noteId.", "fields": {}}}


@pytest.fixture
def owners_notes(alice: Member) -> dict[str, str]:
    return {
        "private": alice.create(headline="Alice private", visibility="private")["noteId"],
        "public": alice.create(headline="Alice public", visibility="public")["noteId"],
    }


def call(member: Member, method: str, note_id: str) -> Any:
    url = f"/api/v1/notes/{note_id}"
    if method == "get":
        return member.client.get(url)
    if method == "delete":
        return member.client.delete(url)
    if method == "put":
        return member.client.put(url, {"headline": "Taken", "text": "over"}, format="json")
    return member.client.patch(url, {"headline": "Taken over"}, format="json")


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_member_gets_404_for_everything_but_reading_a_public_note(
    owners_notes: dict[str, str], bob: Member, alice: Member, visibility: str, method: str
) -> None:
    note_id = owners_notes[visibility]

    response = call(bob, method, note_id)

    if method == "get" and visibility == "public":
        assert response.status_code == 200
        assert response.json()["headline"] == "Alice public"
    else:
        assert response.status_code == 404
        assert response.json() == NOT_FOUND_BODY
        assert call(bob, method, str(uuid.uuid4())).json() == NOT_FOUND_BODY
    # Whatever happened, the owner's note is untouched.
    own_view = alice.client.get(f"/api/v1/notes/{note_id}").json()
    assert own_view["headline"] == f"Alice {visibility}"
    assert own_view["version"] == 1


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_the_owner_may_do_everything(owners_notes: dict[str, str], alice: Member, visibility: str, method: str) -> None:
    response = call(alice, method, owners_notes[visibility])

    assert response.status_code in {200, 204}


def test_lists_and_sync_never_carry_another_members_private_note(owners_notes: dict[str, str], bob: Member) -> None:
    bob.create(headline="Bob's own")

    own = bob.client.get("/api/v1/notes/", {"pageSize": 100}).json()["results"]
    public = bob.client.get("/api/v1/notes/", {"scope": "public", "pageSize": 100}).json()["results"]
    public_private_filter = bob.client.get("/api/v1/notes/", {"scope": "public", "visibility": "private"}).json()
    changes = bob.client.get("/api/v1/notes/changes", {"pageSize": 500}).json()

    assert [note["headline"] for note in own] == ["Bob's own"]
    assert owners_notes["private"] not in {note["noteId"] for note in public}
    assert owners_notes["public"] in {note["noteId"] for note in public}
    assert public_private_filter["results"] == []
    assert {note["headline"] for note in changes["notes"]} == {"Bob's own"}
    assert changes["deleted"] == []


def test_a_member_cannot_attach_another_members_upload(alice: Member, bob: Member) -> None:
    bobs_note = bob.create()
    alices_key = f"uploads/{alice.user_id}/{uuid.uuid4().hex}/photo.jpg"

    on_update = bob.client.patch(f"/api/v1/notes/{bobs_note['noteId']}", {"photoKey": alices_key}, format="json")
    on_create = bob.client.post("/api/v1/notes/", {"headline": "h", "text": "t", "photoKey": alices_key}, format="json")

    assert on_update.status_code == on_create.status_code == 400
    assert "photoKey" in on_update.json()["error"]["fields"]
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [bob.user_id]) == 1
    assert bob.client.get(f"/api/v1/notes/{bobs_note['noteId']}").json()["photoKey"] is None
