"""One clean line for every write (issue 12): reads never write, one outbox write per change, the
signals record an ORM write once per transaction, a lock timeout is a 503, and every service can be
reached the same way (soft-deleting a user's notes, the device that wrote)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings as SettingsWrapper

from api.errors import SERVICE_UNAVAILABLE
from legacy.models import LegacyNote, LegacyNoteTag
from notes.changes import NoteChange, note_change_hook_remove, on_note_change_recorded
from notes.locks import scoped_lock_name
from notes.models import MirrorEntry, MobileNote
from notes.search import search_backend
from notes.selectors import note_get_owned
from notes.services import note_update, notes_soft_delete_all_for_owner
from tests.conftest import mysql_server_connection
from tests.factories import legacy_connection, site_note
from tests.members import Member
from tests.notes.search_helpers import api_note_document

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|REPLACE|DELETE)\b", re.IGNORECASE)


class EveryDatabase:
    """CaptureQueriesContext over every configured database at once."""

    def __enter__(self) -> EveryDatabase:
        self.contexts = [CaptureQueriesContext(connection) for connection in connections.all()]
        for context in self.contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        for context in self.contexts:
            context.__exit__(*exc)

    @property
    def writes(self) -> list[str]:
        return [
            query["sql"] for context in self.contexts for query in context.captured_queries if WRITE.match(query["sql"])
        ]


def php_notes(member: Member) -> list[int]:
    """Notes the PHP site wrote with plain SQL: one untouched, one edited since, one with tags."""
    ids = [
        site_note(
            member.user_id,
            headline="Untouched",
            visibility="public",
            created_at="2020-01-01 00:00:00",
            updated_at="2020-01-01 00:00:00",
        ),
        site_note(
            member.user_id,
            headline="Edited on the site",
            created_at="2020-01-01 00:00:00",
            updated_at="2021-06-01 12:00:00",
        ),
        site_note(member.user_id, headline="Tagged"),
    ]
    with legacy_connection().cursor() as cursor:
        cursor.execute("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'php'), (%s, 'site')", [ids[2], ids[2]])
    return ids


def index_all(notes: list[dict[str, Any]]) -> None:
    search_backend().index([api_note_document(note) for note in notes])


def test_reads_of_notes_the_site_wrote_never_write_and_repeat_the_same_ids_and_versions(
    alice: Member, bob: Member, cloudsearch_domain: Any
) -> None:
    php_notes(alice)
    # Each caller's link to their site user is made once, on first sight: not a read of notes.
    alice.client.get("/api/v1/me")
    bob.client.get("/api/v1/me")

    def read_everything() -> dict[str, Any]:
        listed = alice.client.get("/api/v1/notes/", {"pageSize": 100}).json()["results"]
        public = bob.client.get("/api/v1/notes/", {"scope": "public"}).json()["results"]
        details = [alice.client.get(f"/api/v1/notes/{note['noteId']}").json() for note in listed]
        changes = alice.client.get("/api/v1/notes/changes").json()["notes"]
        found = alice.client.get("/api/v1/notes/search", {"q": "Untouched"}).json()["results"]
        return {"listed": listed, "public": public, "details": details, "changes": changes, "found": found}

    with EveryDatabase() as first_sight:  # the very first reads of these notes
        listed = alice.client.get("/api/v1/notes/", {"pageSize": 100}).json()["results"]
        for note in listed:
            alice.client.get(f"/api/v1/notes/{note['noteId']}")
        alice.client.get("/api/v1/notes/changes")
        bob.client.get("/api/v1/notes/", {"scope": "public"})
    index_all(listed)
    with EveryDatabase() as first:
        before = read_everything()
    with EveryDatabase() as again:
        after = read_everything()

    assert first_sight.writes == []
    assert first.writes == []
    assert again.writes == []
    assert len(before["listed"]) == 3
    assert [note["headline"] for note in before["found"]] == ["Untouched"]
    assert [note["headline"] for note in before["public"]] == ["Untouched"]
    assert before["details"] == before["listed"]
    assert after == before
    assert not MobileNote.objects.filter(legacy_note__user_id=alice.user_id).exists()
    versions = {note["headline"]: note["version"] for note in before["listed"]}
    assert versions["Untouched"] == 1  # never edited since it was written
    assert versions["Edited on the site"] > 1


def test_a_note_the_site_wrote_keeps_its_note_id_and_version_line_once_written_through_the_api(
    alice: Member,
) -> None:
    php_notes(alice)
    listed = {note["headline"]: note for note in alice.client.get("/api/v1/notes/").json()["results"]}
    edited = listed["Edited on the site"]
    assert not MobileNote.objects.filter(legacy_note__user_id=alice.user_id).exists()  # reads stored nothing

    stale = alice.client.patch(
        f"/api/v1/notes/{edited['noteId']}",
        {"headline": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{edited["version"] - 1}"',
    )
    changed = alice.client.patch(
        f"/api/v1/notes/{edited['noteId']}", {"tags": ["app"]}, format="json", HTTP_IF_MATCH=f'"{edited["version"]}"'
    )
    reread = alice.client.get(f"/api/v1/notes/{edited['noteId']}").json()

    assert stale.status_code == 412
    assert changed.status_code == 200
    assert (reread["noteId"], reread["version"], reread["tags"]) == (edited["noteId"], edited["version"] + 1, ["app"])
    assert MobileNote.objects.get(uuid=edited["noteId"]).version == edited["version"] + 1


def outbox_writes(captured: CaptureQueriesContext) -> list[str]:
    table = MirrorEntry._meta.db_table
    return [query["sql"] for query in captured.captured_queries if WRITE.match(query["sql"]) and table in query["sql"]]


@pytest.mark.parametrize("tags_before", [[], ["a", "b", "c"], [f"t{n}" for n in range(20)]])
def test_one_outbox_write_per_api_write_whatever_the_number_of_tags(alice: Member, tags_before: list[str]) -> None:
    note = alice.create(tags=tags_before)
    url = f"/api/v1/notes/{note['noteId']}"
    entry_before = MirrorEntry.objects.get(legacy_note_id=LegacyNote.objects.get(headline=note["headline"]).pk)

    with CaptureQueriesContext(connections["default"]) as patched:
        response = alice.client.patch(url, {"tags": ["x", "y", "z"], "headline": "New"}, format="json")
    with CaptureQueriesContext(connections["default"]) as deleted:
        alice.client.delete(url)

    assert response.status_code == 200
    assert len(outbox_writes(patched)) == 1
    assert len(outbox_writes(deleted)) == 1
    entry_before.refresh_from_db()
    assert entry_before.generation == 3  # create, patch, delete


@pytest.mark.django_db(transaction=True)  # real commits and rollbacks
def test_orm_writes_that_bypass_the_services_are_recorded_once_per_transaction(alice: Member) -> None:
    note_id = site_note(alice.user_id, headline="From a shell")
    note = LegacyNote.objects.get(pk=note_id)

    with transaction.atomic():
        note.headline = "Edited in a shell"
        note.save()
        LegacyNoteTag.objects.create(note=note, tag="one")
        LegacyNoteTag.objects.create(note=note, tag="two")
    first = MirrorEntry.objects.get(legacy_note_id=note_id).generation
    try:
        with transaction.atomic():
            LegacyNoteTag.objects.create(note=note, tag="three")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with transaction.atomic():
        LegacyNoteTag.objects.create(note=note, tag="four")
        LegacyNoteTag.objects.create(note=note, tag="five")

    assert first == 1
    # The rolled-back transaction's record went with it; the next one still records, once.
    assert MirrorEntry.objects.get(legacy_note_id=note_id).generation == 2


@pytest.fixture
def note_lock_held_elsewhere(alice: Member) -> Iterator[dict[str, Any]]:
    """A note whose lock another MySQL connection holds (another Lambda writing it)."""
    note = alice.create()
    database = str(connections["default"].settings_dict["NAME"])
    name = scoped_lock_name(f"lambridge.note.{uuid.UUID(note['noteId']).hex}", database)
    other = mysql_server_connection()
    cursor = other.cursor()
    cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
    assert cursor.fetchone() == (1,)
    yield note
    other.close()  # MySQL releases the connection's locks with it


def test_a_writer_that_cannot_get_the_notes_lock_gets_a_503_with_retry_after_and_nothing_changes(
    alice: Member, note_lock_held_elsewhere: dict[str, Any], settings: SettingsWrapper
) -> None:
    settings.NOTE_LOCK_TIMEOUT_SECONDS = 1
    url = f"/api/v1/notes/{note_lock_held_elsewhere['noteId']}"

    patched = alice.client.patch(url, {"headline": "Waited too long"}, format="json")
    deleted = alice.client.delete(url)

    for response in (patched, deleted):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
        assert int(response["Retry-After"]) >= 1
    assert alice.client.get(url).json() == note_lock_held_elsewhere


def test_soft_deleting_all_of_a_users_notes_goes_through_the_line_note_by_note(alice: Member, bob: Member) -> None:
    app_notes = [alice.create(headline=f"App {n}", tags=["a", "b"]) for n in range(3)]
    site_ids = [site_note(alice.user_id, headline=f"Site {n}") for n in range(2)]
    bobs = bob.create(headline="Bob's")

    deleted = notes_soft_delete_all_for_owner(owner_user_id=alice.user_id, batch_size=2)

    assert deleted == 5
    assert alice.client.get("/api/v1/notes/").json()["results"] == []
    assert bob.client.get(f"/api/v1/notes/{bobs['noteId']}").status_code == 200
    assert not LegacyNote.objects.filter(user_id=alice.user_id, deleted=False).exists()
    note_ids = list(LegacyNote.objects.filter(user_id=alice.user_id).values_list("pk", flat=True))
    entries = MirrorEntry.objects.filter(legacy_note_id__in=note_ids)
    assert sorted(entry.generation for entry in entries) == [1, 1, 2, 2, 2]  # one record per note deleted
    assert set(site_ids) <= set(note_ids)
    assert len(app_notes) == 3
    synced = alice.client.get("/api/v1/notes/changes").json()
    assert len(synced["deleted"]) == 5
    assert notes_soft_delete_all_for_owner(owner_user_id=alice.user_id) == 0


def test_the_device_that_wrote_reaches_the_recorded_change(alice: Member) -> None:
    note = alice.create()
    seen: list[NoteChange] = []
    hook = on_note_change_recorded(seen.extend)
    try:
        view = note_get_owned(user_id=alice.user_id, note_uuid=uuid.UUID(note["noteId"]))
        assert view is not None
        note_update(view=view, headline="From the tablet", device_id="tablet-1")
    finally:
        note_change_hook_remove(hook)

    assert [(change.note_uuid, change.version, change.device_id) for change in seen] == [
        (uuid.UUID(note["noteId"]), 2, "tablet-1")
    ]
    assert seen[0].owner_user_id == alice.user_id
