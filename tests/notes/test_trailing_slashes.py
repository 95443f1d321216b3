"""SPEC §2: every API route answers with and without a trailing slash, the same way, never by a
redirect (a redirected POST becomes a GET in many clients; under DEBUG Django's APPEND_SLASH made a
POST without the slash a 500). Walks every operation of the OpenAPI document, so routes added later
are held to it too."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings as SettingsWrapper

from tests.factories import fetch_value
from tests.members import Member

pytestmark = pytest.mark.django_db


def document_operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = Client().get("/api/schema/").json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def call(member: Member, method: str, path: str, operation: dict[str, Any]) -> Any:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
    if isinstance(body, dict):
        # A new note each time; the example's photo key names no real upload.
        body = {name: value for name, value in body.items() if name != "photoKey"}
        body |= {"noteId": str(uuid.uuid4())} if "noteId" in body else {}
    query = {"q": "anything", "searchTerm": "anything"} if path.rstrip("/").endswith("search") else {}
    if body is None:
        return getattr(member.client, method)(path, query)
    return getattr(member.client, method)(path, body | query if method == "get" else body, format="json")


def test_the_document_lists_each_route_once_without_the_slash() -> None:
    paths = {path for _, path, _ in document_operations()}

    assert "/api/v1/notes" in paths
    assert not [path for path in paths if path.endswith("/")]
    assert "/api/v1/notes/{noteId}" in paths


def test_every_operation_answers_alike_with_and_without_the_trailing_slash(
    alice: Member, cloudsearch_domain: Any, settings: SettingsWrapper
) -> None:
    settings.DEBUG = True  # where APPEND_SLASH turned a slash-less POST into a 500
    pushed = alice.client.patch(
        "/api/v1/datasets/settings", {"syncCount": 0, "records": [{"key": "theme", "value": "dark"}]}, format="json"
    )
    assert pushed.status_code == 200, pushed.content
    for method, template, operation in document_operations():
        if method == "delete":
            continue  # below, on notes of its own
        for path in (template, f"{template}/"):
            path = path.replace("{noteId}", alice.create()["noteId"]).replace("{name}", "settings")
            response = call(alice, method, path, operation)
            where = f"{method.upper()} {path}"
            assert response.status_code < 300, (where, response.status_code, response.content[:300])
            assert response["Content-Type"].startswith("application/json"), where


def test_a_post_without_the_slash_creates_like_one_with_it(alice: Member, settings: SettingsWrapper) -> None:
    settings.DEBUG = True
    before = fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [alice.user_id])

    without = alice.client.post("/api/v1/notes", {"headline": "No slash", "text": "x"}, format="json")
    with_slash = alice.client.post("/api/v1/notes/", {"headline": "Slash", "text": "x"}, format="json")

    assert (without.status_code, with_slash.status_code) == (201, 201)
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [alice.user_id]) == before + 2


def test_delete_and_unknown_paths_answer_alike_in_both_forms(alice: Member) -> None:
    for suffix in ("", "/"):
        note_id = alice.create()["noteId"]
        assert alice.client.delete(f"/api/v1/notes/{note_id}{suffix}").status_code == 204
        assert alice.client.get(f"/api/v1/notes/{note_id}{suffix}").status_code == 404
        missing = alice.client.get(f"/api/v1/nothing-here{suffix}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


def test_the_admin_keeps_django_s_own_slash_redirect(client: Client) -> None:
    response = client.get("/admin")

    assert response.status_code == 301
    assert response["Location"] == "/admin/"
