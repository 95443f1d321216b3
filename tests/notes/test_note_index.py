"""The note index (notes/note_index.py): lists and the sync feed read Lambridge's own index of the
site's notes, numbered changes reach the right owners (moves and outright deletes included), and
what the apps are shown is still checked against the site's rows."""

from __future__ import annotations

import pytest

from notes.models import NoteIndex
from notes.reconcile import mirror_reconcile
from tests.factories import site_note
from tests.members import Member
from tests.notes.helpers import feed, note_id_of, site

pytestmark = pytest.mark.django_db


def test_a_note_the_site_moves_to_another_user_leaves_the_old_owners_feed(alice: Member, bob: Member) -> None:
    moved = site_note(alice.user_id, headline="Moves to Bob")
    mirror_reconcile()
    changed, _, alice_cursor = feed(alice)
    noteid = note_id_of(moved)
    assert noteid in changed
    _, _, bob_cursor = feed(bob)

    site(
        "UPDATE notes SET user_id = %s, updated_at = updated_at + INTERVAL 1 SECOND WHERE note_id = %s",
        bob.user_id,
        moved,
    )
    mirror_reconcile()

    alice_changed, alice_deleted, _ = feed(alice, alice_cursor)
    bob_changed, _, _ = feed(bob, bob_cursor)
    assert alice_deleted == [noteid]
    assert noteid not in alice_changed
    assert bob_changed[noteid]["owner"]["userId"] == bob.user_id


def test_a_note_the_site_deletes_outright_is_reported_deleted(alice: Member) -> None:
    removed = site_note(alice.user_id)
    mirror_reconcile()
    changed, _, cursor = feed(alice)
    noteid = note_id_of(removed)
    assert noteid in changed

    site("DELETE FROM notes WHERE note_id = %s", removed)
    mirror_reconcile()

    assert feed(alice, cursor)[1] == [noteid]


def test_every_change_is_in_the_feed_once_in_change_order(alice: Member) -> None:
    first = alice.create(headline="First")
    second = alice.create(headline="Second")
    _, _, cursor = feed(alice)

    alice.client.patch(f"/api/v1/notes/{second['noteId']}", {"headline": "Second, edited"}, format="json")
    alice.client.patch(f"/api/v1/notes/{first['noteId']}", {"headline": "First, edited"}, format="json")
    page = alice.client.get("/api/v1/notes/changes", {"since": cursor}).json()

    assert [note["headline"] for note in page["notes"]] == ["Second, edited", "First, edited"]
    assert alice.client.get("/api/v1/notes/changes", {"since": page["nextCursor"]}).json()["notes"] == []


def test_lists_come_from_the_index_but_show_the_sites_rows(alice: Member) -> None:
    kept = site_note(alice.user_id, headline="Kept")
    hidden = site_note(alice.user_id, headline="Deleted by the site since")
    site("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'garden'), (%s, 'garden')", kept, hidden)
    mirror_reconcile()
    assert NoteIndex.objects.filter(note_id__in=[kept, hidden], deleted=False).count() == 2

    # The site soft-deletes one and edits the other; no capture has run yet.
    site("UPDATE notes SET deleted = 1 WHERE note_id = %s", hidden)
    site("UPDATE notes SET headline = 'Kept, edited by the site' WHERE note_id = %s", kept)
    listed = alice.client.get("/api/v1/notes/", {"tag": "garden"}).json()["results"]

    assert [note["headline"] for note in listed] == ["Kept, edited by the site"]


def test_the_sites_new_notes_are_listed_before_any_capture(alice: Member) -> None:
    site_note(alice.user_id, headline="Indexed")
    mirror_reconcile()
    site_note(alice.user_id, headline="New on the site")

    listed = alice.client.get("/api/v1/notes/").json()["results"]

    assert [note["headline"] for note in listed] == ["New on the site", "Indexed"]


def test_a_cursor_of_the_earlier_format_starts_the_sync_over(alice: Member) -> None:
    from django.core import signing

    alice.create(headline="Already synced once")
    old = signing.dumps(
        {"k": "sync", "t": "2026-01-01T00:00:00+00:00", "id": 5, "s": None}, salt="notes.cursor", compress=True
    )

    page = alice.client.get("/api/v1/notes/changes", {"since": old}).json()

    assert [note["headline"] for note in page["notes"]] == ["Already synced once"]
