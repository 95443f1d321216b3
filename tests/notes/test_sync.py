"""Offline sync (`GET /api/v1/notes/changes`): following the cursors rebuilds exactly the caller's notes,
whoever changed them: the app, the admin or the PHP site."""

from __future__ import annotations

from typing import Any

import pytest

from notes.reconcile import mirror_reconcile
from tests.factories import legacy_connection, site_note
from tests.members import Member

pytestmark = pytest.mark.django_db


def sync(member: Member, state: dict[str, dict[str, Any]], cursor: str | None, page_size: int = 2) -> str:
    """Apply every page of changes after ``cursor`` to ``state`` as an app would; the new cursor."""
    while True:
        params: dict[str, Any] = {"pageSize": page_size} | ({"since": cursor} if cursor else {})
        response = member.client.get("/api/v1/notes/changes", params)
        assert response.status_code == 200, response.content
        page = response.json()
        for note in page["notes"]:
            state[note["noteId"]] = note
        for note_id in page["deleted"]:
            state.pop(note_id, None)
        cursor = page["nextCursor"]
        if not page["hasMore"]:
            return cursor


def server_notes(member: Member) -> dict[str, dict[str, Any]]:
    results = member.client.get("/api/v1/notes/", {"pageSize": 100}).json()["results"]
    return {note["noteId"]: note for note in results}


def run_sql(sql: str, params: list[Any]) -> None:
    with legacy_connection().cursor() as cursor:
        cursor.execute(sql, params)


def test_following_the_cursors_rebuilds_the_callers_notes_through_every_kind_of_change(
    alice: Member, bob: Member
) -> None:
    for n in range(5):
        alice.create(headline=f"App note {n}", tags=[f"t{n}"])
    bob.create(headline="Bob's private")
    bob.create(headline="Bob's public", visibility="public")
    site_note(alice.user_id, headline="PHP note", updated_at="2014-05-05 05:05:05")
    state: dict[str, dict[str, Any]] = {}

    cursor = sync(alice, state, None)

    assert state == server_notes(alice)
    assert len(state) == 6

    # Changes of every kind, in the same seconds as the pages already read.
    first, second, third = list(state)[:3]
    alice.client.patch(f"/api/v1/notes/{first}", {"headline": "Edited in the app", "tags": []}, format="json")
    alice.client.delete(f"/api/v1/notes/{second}")
    run_sql(
        "UPDATE notes SET headline = 'Edited in PHP', updated_at = updated_at + INTERVAL 1 SECOND WHERE note_id = "
        "(SELECT legacy_note_id FROM notes_mobilenote WHERE uuid = %s)",
        [third.replace("-", "")],
    )
    php_new = site_note(alice.user_id, headline="New from PHP")
    run_sql("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'php')", [php_new])
    bob.create(headline="Still not Alice's")
    mirror_reconcile()  # the capture of the site's writes (CDC's job where the binlog is on)

    cursor = sync(alice, state, cursor)

    assert state == server_notes(alice)
    assert second not in state
    assert state[first]["headline"] == "Edited in the app"
    assert state[third]["headline"] == "Edited in PHP"
    assert {note["headline"] for note in state.values()} >= {"New from PHP"}
    assert all(note["owner"]["userId"] == alice.user_id for note in state.values())


def test_a_settled_sync_sends_old_changes_only_once(alice: Member) -> None:
    for n in range(3):
        site_note(alice.user_id, headline=f"Old {n}", updated_at=f"2015-0{n + 1}-01 00:00:00")
    state: dict[str, dict[str, Any]] = {}
    cursor = sync(alice, state, None, page_size=1)

    again = alice.client.get("/api/v1/notes/changes", {"since": cursor}).json()

    assert len(state) == 3
    assert (again["notes"], again["deleted"]) == ([], [])
    assert again["hasMore"] is False


def test_deleted_notes_come_as_bare_ids(alice: Member) -> None:
    note = alice.create()
    state: dict[str, dict[str, Any]] = {}
    cursor = sync(alice, state, None)

    alice.client.delete(f"/api/v1/notes/{note['noteId']}")
    page = alice.client.get("/api/v1/notes/changes", {"since": cursor}).json()

    assert page["deleted"] == [note["noteId"]]
    assert note["noteId"] not in {changed["noteId"] for changed in page["notes"]}


def test_a_bad_since_is_a_400_that_names_since_and_says_it_is_a_previous_next_cursor(alice: Member) -> None:
    alice.create()
    alice.create()
    list_cursor = alice.client.get("/api/v1/notes/", {"pageSize": 1}).json()["nextCursor"]

    for since in ["garbage", list_cursor]:
        response = alice.client.get("/api/v1/notes/changes", {"since": since})
        assert response.status_code == 400, since
        fields = response.json()["error"]["fields"]
        assert list(fields) == ["since"], fields
        assert "nextCursor" in fields["since"][0]
        assert "/api/v1/notes/changes" in fields["since"][0]
