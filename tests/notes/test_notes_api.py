"""The v1 notes API through HTTP with real Cognito tokens: CRUD, rules, filters, pagination."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from api.errors import NOT_FOUND, PARSE_ERROR, VALIDATION_ERROR
from notes.errors import NOTE_ID_CONFLICT, PRECONDITION_FAILED
from tests.factories import fetch_value, legacy_connection, row_hex, site_note, site_user
from tests.members import Member

pytestmark = pytest.mark.django_db


def test_create_writes_the_sites_tables_and_answers_the_note(alice: Member) -> None:
    note_id = str(uuid.uuid4())

    response = alice.client.post(
        "/api/v1/notes/",
        {
            "noteId": note_id,
            "headline": "Crêpes",
            "text": "Line 1\r\nLine 2  ",
            "visibility": "public",
            "tags": ["food", "Travel", "travel"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["noteId"] == note_id
    assert body["headline"] == "Crêpes"
    assert body["text"] == "Line 1\r\nLine 2  "
    assert body["visibility"] == "public"
    assert body["tags"] == ["food", "Travel"]
    assert body["owner"] == {"userId": alice.user_id, "displayName": "Alice"}
    assert body["version"] == 1
    assert body["s3Url"] is None
    assert body["photoKey"] is None
    assert body["createdAt"].endswith("Z")
    assert body["updatedAt"].endswith("Z")
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"/api/v1/notes/{note_id}"
    # The site sees it: its own row and tags, nothing of ours.
    legacy_id = fetch_value("SELECT note_id FROM notes WHERE user_id = %s AND headline = %s", [alice.user_id, "Crêpes"])
    assert fetch_value("SELECT visibility FROM notes WHERE note_id = %s", [legacy_id]) == "public"
    assert fetch_value("SELECT deleted FROM notes WHERE note_id = %s", [legacy_id]) == 0
    assert fetch_value("SELECT GROUP_CONCAT(tag ORDER BY tag) FROM note_tags WHERE note_id = %s", [legacy_id]) == (
        "food,Travel"
    )


def test_the_server_assigns_a_note_id_when_the_app_sends_none(alice: Member) -> None:
    body = alice.create()

    assert uuid.UUID(body["noteId"])
    assert alice.client.get(f"/api/v1/notes/{body['noteId']}").json()["headline"] == "A headline"


def test_repeating_a_create_gives_the_same_note_and_another_caller_gets_409(alice: Member, bob: Member) -> None:
    note_id = str(uuid.uuid4())
    first = alice.client.post("/api/v1/notes/", {"noteId": note_id, "headline": "Once", "text": ""}, format="json")

    again = alice.client.post("/api/v1/notes/", {"noteId": note_id, "headline": "Twice", "text": ""}, format="json")
    stolen = bob.client.post("/api/v1/notes/", {"noteId": note_id, "headline": "Mine", "text": ""}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert stolen.status_code == 409
    assert stolen.json()["error"]["code"] == NOTE_ID_CONFLICT
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE headline IN ('Once', 'Twice', 'Mine')") == 1


def test_a_deleted_notes_id_cannot_be_created_again(alice: Member) -> None:
    body = alice.create()
    alice.client.delete(f"/api/v1/notes/{body['noteId']}")

    again = alice.client.post("/api/v1/notes/", {"noteId": body["noteId"], "headline": "x", "text": ""}, format="json")

    assert again.status_code == 409
    assert "deleted" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"headline": "Party 🎉"}, "headline"),
        ({"text": "日本語"}, "text"),
        ({"headline": "x" * 256}, "headline"),
        ({"visibility": "friends"}, "visibility"),
        ({"tags": ["ok", "🙂"]}, "tags"),
        ({"tags": ["x" * 65]}, "tags"),
        ({"tags": "not-a-list"}, "tags"),
        ({"noteId": "not-a-uuid"}, "noteId"),
        ({"headline": None}, "headline"),
    ],
)
def test_text_the_site_cannot_hold_and_bad_fields_are_a_clear_400(
    alice: Member, fields: dict[str, Any], bad_field: str
) -> None:
    body = {"headline": "Fine", "text": "Fine"} | fields
    before = fetch_value("SELECT COUNT(*) FROM notes")

    response = alice.client.post("/api/v1/notes/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == VALIDATION_ERROR
    assert bad_field in response.json()["error"]["fields"]
    assert fetch_value("SELECT COUNT(*) FROM notes") == before


def test_a_missing_headline_or_text_and_non_json_bodies_are_refused(alice: Member) -> None:
    missing = alice.client.post("/api/v1/notes/", {"headline": "no text"}, format="json")
    not_json = alice.client.post("/api/v1/notes/", "headline=x", content_type="application/x-www-form-urlencoded")
    broken = alice.client.post("/api/v1/notes/", "{broken", content_type="application/json")

    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"text"}
    assert not_json.status_code == 415
    assert broken.status_code == 400


def test_the_list_is_newest_first_and_pages_by_cursor(alice: Member, bob: Member) -> None:
    created = [alice.create(headline=f"Note {n}")["noteId"] for n in range(5)]
    bob.create(headline="Not Alice's")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"pageSize": 2} | ({"cursor": cursor} if cursor else {})
        response = alice.client.get("/api/v1/notes/", params)
        assert response.status_code == 200, response.content
        seen += [note["noteId"] for note in response.json()["results"]]
        cursor = response.json()["nextCursor"]
        pages += 1
        if cursor is None:
            break

    assert seen == list(reversed(created))
    assert pages == 3


def test_the_list_filters_by_tag_visibility_and_update_time(alice: Member) -> None:
    tagged = alice.create(tags=["Travel"], visibility="public")
    plain = alice.create()
    site_note(alice.user_id, headline="Old", updated_at="2012-01-01 00:00:00")

    def ids(**params: Any) -> set[str]:
        return {note["noteId"] for note in alice.client.get("/api/v1/notes/", params).json()["results"]}

    everything = ids()
    assert {tagged["noteId"], plain["noteId"]} <= everything
    assert len(everything) == 3
    assert ids(tag="travel") == {tagged["noteId"]}
    assert ids(visibility="private") == everything - {tagged["noteId"]}
    assert ids(updatedSince="2020-01-01T00:00:00Z") == {tagged["noteId"], plain["noteId"]}
    # The site's own note is listed too, through the noteId the server gave it.
    listed = alice.client.get("/api/v1/notes/").json()["results"]
    assert "Old" in {note["headline"] for note in listed}
    bad = alice.client.get("/api/v1/notes/", {"updatedSince": "yesterday", "visibility": "all", "pageSize": 0})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"updatedSince", "visibility", "pageSize"}
    tampered = alice.client.get("/api/v1/notes/", {"cursor": "abc"})
    assert tampered.status_code == 400
    assert tampered.json()["error"]["code"] == VALIDATION_ERROR
    assert "cursor" in tampered.json()["error"]["fields"]


def test_public_scope_lists_everyones_public_notes_but_nothing_private_deleted_or_suspended(
    alice: Member, bob: Member
) -> None:
    bobs_public = bob.create(visibility="public", headline="Bob's public")
    bob.create(visibility="private", headline="Bob's private")
    deleted = bob.create(visibility="public")
    bob.client.delete(f"/api/v1/notes/{deleted['noteId']}")
    alices_public = alice.create(visibility="public")
    suspended = site_user(status="suspended")
    site_note(suspended, visibility="public", headline="From a suspended member")

    results = alice.client.get("/api/v1/notes/", {"scope": "public", "pageSize": 100}).json()["results"]

    ids = {note["noteId"] for note in results}
    assert {bobs_public["noteId"], alices_public["noteId"]} <= ids
    assert deleted["noteId"] not in ids
    assert all(note["visibility"] == "public" for note in results)
    assert "From a suspended member" not in {note["headline"] for note in results}


def test_anyone_signed_in_reads_a_public_note_but_a_private_one_is_404(alice: Member, bob: Member) -> None:
    public = bob.create(visibility="public")
    private = bob.create(visibility="private")

    assert alice.client.get(f"/api/v1/notes/{public['noteId']}").status_code == 200
    refused = alice.client.get(f"/api/v1/notes/{private['noteId']}")
    unknown = alice.client.get(f"/api/v1/notes/{uuid.uuid4()}")
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()
    assert refused.json()["error"]["code"] == NOT_FOUND


def test_patch_changes_what_is_sent_and_moves_the_version(alice: Member) -> None:
    note = alice.create(tags=["a"])
    url = f"/api/v1/notes/{note['noteId']}"

    response = alice.client.patch(url, {"headline": "New headline", "tags": ["b"]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["headline"] == "New headline"
    assert response.json()["text"] == note["text"]
    assert response.json()["tags"] == ["b"]
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    assert alice.client.get(url).json() == response.json()


def test_a_tag_only_change_is_a_new_version_and_moves_updated_at(alice: Member) -> None:
    note = alice.create()
    legacy_id = fetch_value("SELECT MAX(note_id) FROM notes WHERE user_id = %s", [alice.user_id])
    with_old_time = "UPDATE notes SET updated_at = '2015-01-01 00:00:00' WHERE note_id = %s"
    with legacy_connection().cursor() as cursor:
        cursor.execute(with_old_time, [legacy_id])
    version = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"]

    response = alice.client.patch(f"/api/v1/notes/{note['noteId']}", {"tags": ["new"]}, format="json")

    assert response.json()["version"] == version + 1
    assert response.json()["updatedAt"] > "2016"


def test_an_unchanged_patch_keeps_the_version_and_writes_nothing(alice: Member) -> None:
    note = alice.create(tags=["a"])
    legacy_id = fetch_value("SELECT MAX(note_id) FROM notes WHERE user_id = %s", [alice.user_id])
    before = row_hex("notes", "note_id", legacy_id)

    response = alice.client.patch(
        f"/api/v1/notes/{note['noteId']}", {"headline": note["headline"], "tags": ["a"]}, format="json"
    )

    assert response.json()["version"] == 1
    assert row_hex("notes", "note_id", legacy_id) == before


def test_if_match_guards_against_lost_updates(alice: Member) -> None:
    note = alice.create()
    url = f"/api/v1/notes/{note['noteId']}"
    alice.client.patch(url, {"headline": "Second"}, format="json", HTTP_IF_MATCH='"1"')

    stale = alice.client.patch(url, {"headline": "Lost"}, format="json", HTTP_IF_MATCH='"1"')
    current = alice.client.patch(url, {"headline": "Third"}, format="json", HTTP_IF_MATCH='"2"')
    garbage = alice.client.patch(url, {"headline": "x"}, format="json", HTTP_IF_MATCH="yesterday")

    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == PRECONDITION_FAILED
    assert stale["ETag"] == '"2"'
    assert current.status_code == 200
    assert current.json()["headline"] == "Third"
    assert garbage.status_code == 400
    assert alice.client.get(url).json()["headline"] == "Third"


def test_put_replaces_the_note(alice: Member) -> None:
    note = alice.create(visibility="public", tags=["a", "b"])

    response = alice.client.put(f"/api/v1/notes/{note['noteId']}", {"headline": "H", "text": "T"}, format="json")
    incomplete = alice.client.put(f"/api/v1/notes/{note['noteId']}", {"headline": "H"}, format="json")

    assert response.status_code == 200
    assert (response.json()["visibility"], response.json()["tags"]) == ("private", [])
    assert incomplete.status_code == 400


def test_a_refused_update_changes_nothing(alice: Member) -> None:
    note = alice.create()
    legacy_id = fetch_value("SELECT MAX(note_id) FROM notes WHERE user_id = %s", [alice.user_id])
    before = row_hex("notes", "note_id", legacy_id)

    response = alice.client.patch(
        f"/api/v1/notes/{note['noteId']}", {"headline": "Fine", "text": "Emoji 😀"}, format="json"
    )

    assert response.status_code == 400
    assert row_hex("notes", "note_id", legacy_id) == before
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"] == 1


def test_delete_is_the_sites_soft_delete(alice: Member) -> None:
    note = alice.create()
    url = f"/api/v1/notes/{note['noteId']}"

    response = alice.client.delete(url)

    assert response.status_code == 204
    assert fetch_value("SELECT deleted FROM notes WHERE user_id = %s", [alice.user_id]) == 1
    assert alice.client.get(url).status_code == 404
    assert alice.client.delete(url).status_code == 404
    assert alice.client.get("/api/v1/notes/").json()["results"] == []


def test_a_note_the_php_site_writes_appears_with_a_server_note_id_and_its_edits_are_versions(alice: Member) -> None:
    # As PHP inserts a note: created and updated at the same moment.
    legacy_id = site_note(
        alice.user_id,
        headline="Written in PHP",
        body="Hello",
        visibility="private",
        created_at="2026-01-01 00:00:00",
        updated_at="2026-01-01 00:00:00",
    )
    site_insert_tag = "INSERT INTO note_tags (note_id, tag) VALUES (%s, %s)"
    with legacy_connection().cursor() as cursor:
        cursor.execute(site_insert_tag, [legacy_id, "php"])

    listed = alice.client.get("/api/v1/notes/").json()["results"]
    assert [note["headline"] for note in listed] == ["Written in PHP"]
    note = listed[0]
    assert (note["tags"], note["version"]) == (["php"], 1)
    url = f"/api/v1/notes/{note['noteId']}"
    assert alice.client.get(url).json() == note

    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET headline = 'Edited in PHP', updated_at = '2030-01-01 00:00:00' WHERE note_id = %s",
            [legacy_id],
        )
    edited = alice.client.get(url)
    assert edited.json()["headline"] == "Edited in PHP"
    # A later version, determined by the site's updated_at (reads write nothing), the same on every read.
    assert edited.json()["version"] > 1
    assert alice.client.get(url).json() == edited.json()
    # An app still holding version 1 cannot overwrite the site's edit.
    stale = alice.client.patch(url, {"headline": "From the app"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412


def test_conditional_get_answers_304_when_unchanged(alice: Member) -> None:
    note = alice.create()
    url = f"/api/v1/notes/{note['noteId']}"

    unchanged = alice.client.get(url, HTTP_IF_NONE_MATCH='"1"')
    alice.client.patch(url, {"headline": "changed"}, format="json")
    changed = alice.client.get(url, HTTP_IF_NONE_MATCH='"1"')

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_the_reference_create_answers_success_and_is_idempotent(alice: Member, bob: Member) -> None:
    note_id = str(uuid.uuid4())
    body = {"noteId": note_id, "headline": "Reference", "text": "From the reference app"}

    first = alice.client.post("/notes", body, format="json")
    again = alice.client.post("/notes", body, format="json")
    other = bob.client.post("/notes", body, format="json")
    invalid = alice.client.post("/notes", {"headline": "no id"}, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"success": True}
    assert other.status_code == 409
    assert invalid.status_code == 400
    assert set(invalid.json()["error"]["fields"]) == {"noteId", "text"}
    assert alice.client.get(f"/api/v1/notes/{note_id}").json()["visibility"] == "private"
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE headline = 'Reference'") == 1


def test_every_notes_route_needs_a_token(alice: Member) -> None:
    anonymous = APIClient()
    for method, url in [
        ("get", "/api/v1/notes/"),
        ("post", "/api/v1/notes/"),
        ("get", f"/api/v1/notes/{uuid.uuid4()}"),
        ("get", "/api/v1/notes/changes"),
        ("post", "/notes"),
    ]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "if_match",
    [
        '"²"',
        "³",
        '"١"',  # Arabic-Indic one
        '"１"',  # fullwidth one
        'W/"߁"',  # NKo one
        '"𝟙"',  # mathematical double-struck one
        '"' + "1" * 5000 + '"',
        "9" * 19,
        '"-1"',
        '"+1"',
        '" 1"',
        '"1_000"',
    ],
)
def test_an_if_match_that_is_not_a_plain_version_is_a_400_and_changes_nothing(alice: Member, if_match: str) -> None:
    note = alice.create()
    url = f"/api/v1/notes/{note['noteId']}"

    responses = [
        alice.client.patch(url, {"headline": "x"}, format="json", HTTP_IF_MATCH=if_match),
        alice.client.put(url, {"headline": "x", "text": "y"}, format="json", HTTP_IF_MATCH=if_match),
        alice.client.delete(url, HTTP_IF_MATCH=if_match),
    ]

    for response in responses:
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == VALIDATION_ERROR
        assert "If-Match" in response.json()["error"]["fields"]
    assert alice.client.get(url).json()["version"] == 1


@pytest.mark.parametrize("body", ["[" * 100_000, '{"headline": ' + "[" * 100_000, '{"tags": ' + "{" * 50_000])
def test_a_deeply_nested_json_body_is_a_400_parse_error(alice: Member, body: str) -> None:
    note = alice.create()

    created = alice.client.post("/api/v1/notes/", body, content_type="application/json")
    patched = alice.client.patch(f"/api/v1/notes/{note['noteId']}", body, content_type="application/json")

    for response in (created, patched):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == PARSE_ERROR
    assert alice.client.get(f"/api/v1/notes/{note['noteId']}").json()["version"] == 1
