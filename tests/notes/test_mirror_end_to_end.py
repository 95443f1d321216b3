"""Issue 5's acceptance: notes written through the API, the admin and raw SQL (the PHP site) end up
identical in MySQL, DynamoDB and the search index, after reconcile + drain and the stream handler
fed by the real stream (moto server and the local CloudSearch server, over HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from django.test import Client
from django.urls import reverse
from pytest_django import Settings as SettingsWrapper

from aws.clients import dynamodb_client
from legacy.models import LegacyNote
from notes.models import MobileNote
from notes.selectors import note_views
from tests.factories import fetch_value, legacy_connection, site_note
from tests.members import Member
from tests.notes.search_helpers import indexed_documents

pytestmark = pytest.mark.django_db

_plain = TypeDeserializer().deserialize


def mysql_notes() -> dict[str, dict[str, Any]]:
    """Every live note as MySQL holds it, by noteId (the notes read with plain SQL; the noteId and
    version as the API shows them, derived for the notes the site wrote)."""
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "SELECT n.note_id, n.user_id, n.headline, n.body, n.visibility,"
            " (SELECT GROUP_CONCAT(tag ORDER BY tag SEPARATOR '|') FROM note_tags t WHERE t.note_id = n.note_id)"
            " FROM notes n WHERE n.deleted = 0"
        )
        rows = cursor.fetchall()
    shown = {view.note.note_id: view.mobile for view in note_views(list(LegacyNote.objects.filter(deleted=False)))}
    return {
        str(shown[note_id].uuid): {
            "userId": user_id,
            "headline": headline,
            "text": body,
            "visibility": visibility,
            "version": shown[note_id].version,
            "tags": sorted((tags or "").split("|"), key=str.casefold) if tags else [],
        }
        for note_id, user_id, headline, body, visibility, tags in rows
    }


def table_notes(table: str) -> dict[str, dict[str, Any]]:
    items = dynamodb_client().scan(TableName=table, ConsistentRead=True)["Items"]
    plain = [{name: _plain(value) for name, value in item.items()} for item in items]
    return {
        item["noteId"]: {
            "userId": int(item["userId"]),
            "headline": item["headline"],
            "text": item["text"],
            "visibility": item["visibility"],
            "version": int(item["version"]),
            "tags": sorted(item["tags"], key=str.casefold),
        }
        for item in plain
    }


def index_notes(client: Any) -> dict[str, dict[str, Any]]:
    return {
        note_id: {
            "userId": int(fields["user_id"]),
            "headline": fields["headline"],
            "text": fields["note_text"],
            "visibility": fields["visibility"],
        }
        for note_id, fields in indexed_documents(client).items()
    }


def test_api_admin_and_php_writes_end_up_identical_everywhere(
    converge: Callable[[], None],
    cloudsearch_domain: Any,
    settings: SettingsWrapper,
    alice: Member,
    bob: Member,
    staff_client: Client,
) -> None:
    # Through the API: created, edited, tagged, deleted.
    kept = alice.create(headline="Kept", tags=["one"])
    edited = alice.create(headline="To edit", visibility="public")
    deleted = alice.create(headline="To delete")
    alice.client.patch(f"/api/v1/notes/{edited['noteId']}", {"headline": "Edited", "tags": ["x", "Y"]}, format="json")
    alice.client.delete(f"/api/v1/notes/{deleted['noteId']}")
    converge()  # a first round, so later changes are changes of mirrored notes

    # Through the admin: edited, soft-deleted, added.
    kept_id = MobileNote.objects.get(uuid=kept["noteId"]).legacy_note_id
    form = {
        "user": str(alice.user_id),
        "headline": "Kept, fixed by staff",
        "body": kept["text"],
        "tags": "one, two",
        "visibility": "private",
        "photo_path": "",
        "_save": "Save",
    }
    assert staff_client.post(reverse("admin:legacy_legacynote_change", args=[kept_id]), form).status_code == 302
    bob_public = bob.create(headline="Bob's", visibility="public")
    bob_public_id = MobileNote.objects.get(uuid=bob_public["noteId"]).legacy_note_id
    staff_client.post(
        reverse("admin:legacy_legacynote_changelist"), {"action": "soft_delete", "_selected_action": [bob_public_id]}
    )
    staff_client.post(
        reverse("admin:legacy_legacynote_add"),
        {
            "user": str(bob.user_id),
            "headline": "Staff wrote this",
            "body": "Hi",
            "visibility": "public",
            "tags": "news",
        },
    )

    # By the PHP site: a new note with a tag, an edit, a soft delete.
    php_new = site_note(alice.user_id, headline="From PHP", body="Written by the site")
    php_gone = site_note(bob.user_id, headline="PHP will delete this")
    with legacy_connection().cursor() as cursor:
        cursor.execute("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'php')", [php_new])
    converge()
    edited_id = MobileNote.objects.get(uuid=edited["noteId"]).legacy_note_id
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET headline = 'Edited again by PHP', updated_at = updated_at + INTERVAL 5 SECOND"
            " WHERE note_id = %s",
            [edited_id],
        )
        cursor.execute(
            "UPDATE notes SET deleted = 1, updated_at = updated_at + INTERVAL 5 SECOND WHERE note_id = %s", [php_gone]
        )
    alice.client.get("/api/v1/notes/")  # an app reading first must not keep the mirror from hearing of it
    converge()

    in_mysql = mysql_notes()
    in_table = table_notes(settings.NOTES_TABLE)
    in_index = index_notes(cloudsearch_domain)

    assert in_table == in_mysql
    assert in_index == {
        note_id: {key: value for key, value in note.items() if key not in {"version", "tags"}}
        for note_id, note in in_mysql.items()
    }
    headlines = {note["headline"] for note in in_mysql.values()}
    assert headlines == {"Kept, fixed by staff", "Edited again by PHP", "Staff wrote this", "From PHP"}
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE deleted = 1") == 3


def test_searching_after_the_pipeline_finds_only_what_the_caller_may_see(
    converge: Callable[[], None], alice: Member, bob: Member
) -> None:
    alice.create(headline="Secret harbour plans", visibility="private")
    alice.create(headline="Public harbour walk", visibility="public")
    bob.create(headline="Bob's harbour", visibility="private")
    converge()

    found = bob.client.get("/api/v1/notes/search", {"q": "harbour"}).json()["results"]
    reference = bob.client.get("/notes/search", {"searchTerm": "harbour"}).json()

    assert sorted(note["headline"] for note in found) == ["Bob's harbour", "Public harbour walk"]
    assert reference["success"] is True
    assert sorted(note["headline"] for note in reference["notes"]) == ["Bob's harbour", "Public harbour walk"]
