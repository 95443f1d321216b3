"""GET /api/v1/notes/search and the reference GET /notes/search, through the API as the apps call them,
over the local CloudSearch server. Documents are put in the index with the backend, as the stream
handler would."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings as SettingsWrapper
from rest_framework.test import APIClient

from api.errors import NOT_AUTHENTICATED, SERVICE_UNAVAILABLE, VALIDATION_ERROR
from devstack.moto_server import free_port
from notes.search import search_backend
from notes.search.apis import SEARCH_RETRY_AFTER_SECONDS
from tests.members import Member
from tests.notes.search_helpers import SEARCH_URL, api_note_document, found_ids, indexed_documents, search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _search_domain(cloudsearch_domain: Any) -> Any:
    return cloudsearch_domain


def indexed(note: dict[str, Any]) -> dict[str, Any]:
    """Put a note (as the API shows it) in the index, as the stream handler would."""
    search_backend().index([api_note_document(note)])
    return note


def test_finds_by_words_in_the_headline_and_in_the_text(alice: Member) -> None:
    in_headline = indexed(alice.create(headline="Lighthouse walk", text="A windy day"))
    in_text = indexed(alice.create(headline="Sunday", text="We walked to the old lighthouse"))
    indexed(alice.create(headline="Groceries", text="Milk and bread"))

    body = search(alice, "lighthouse")

    assert {note["noteId"] for note in body["results"]} == {in_headline["noteId"], in_text["noteId"]}
    assert body["found"] == 2
    assert body["start"] == 0
    # Each hit is the note exactly as the notes API shows it.
    shown = alice.client.get(f"/api/v1/notes/{in_headline['noteId']}").json()
    assert next(note for note in body["results"] if note["noteId"] == in_headline["noteId"]) == shown


def test_size_and_start_page_through_the_hits_in_rank_order(alice: Member) -> None:
    for n in range(7):
        indexed(alice.create(headline=f"Recipe {n}", text="pancakes"))

    everything = found_ids(alice, "pancakes", size=100)
    first = search(alice, "pancakes", size=3)
    second = search(alice, "pancakes", size=3, start=3)
    last = search(alice, "pancakes", size=3, start=6)

    assert len(everything) == 7
    assert [note["noteId"] for note in first["results"] + second["results"] + last["results"]] == everything
    assert (first["found"], second["start"], len(last["results"])) == (7, 3, 1)


def test_public_notes_of_others_are_found_their_private_notes_never(alice: Member, bob: Member) -> None:
    public = indexed(bob.create(headline="Public marmalade", visibility="public"))
    indexed(bob.create(headline="Secret marmalade", visibility="private"))
    own_private = indexed(alice.create(headline="My marmalade", visibility="private"))

    assert set(found_ids(alice, "marmalade")) == {public["noteId"], own_private["noteId"]}


@pytest.mark.parametrize(
    "probe",
    [
        "{other}",
        "secret {other}",
        "user_id:'{other}'",
        "user_id:{other}",
        "secret user_id:'{other}'",
        "'secret'",
        '"secret"',
        "(secret)",
        "((secret",
        "secret)) | (user_id:'{other}'",
        "x') (or user_id:'{other}'",
        "x\\') (or user_id:\\'{other}\\'",
        "(or visibility:'private')",
        "(or user_id:'{other}' visibility:'private')",
        "matchall",
        "visibility:'private'",
        "private",
        "-nothing",
        "secret | -secret",
        "secret*",
    ],
)
def test_no_text_ever_reaches_another_users_private_note(alice: Member, bob: Member, probe: str) -> None:
    secret = indexed(
        bob.create(headline=f"Secret private {bob.user_id}", text=f"user_id:'{bob.user_id}' private secret")
    )
    text = probe.format(other=bob.user_id)

    # Through the API, and straight from the backend (before MySQL could hide anything).
    assert secret["noteId"] not in found_ids(alice, text, size=100)
    assert secret["noteId"] not in search_backend().search(text=text, user_id=alice.user_id, size=100, start=0).note_ids
    # The owner does find it.
    assert secret["noteId"] in found_ids(bob, "secret")


def test_a_stale_index_never_shows_a_deleted_or_no_longer_public_note(
    alice: Member, bob: Member, cloudsearch_domain: Any
) -> None:
    deleted = indexed(bob.create(headline="Old kites", visibility="public"))
    hidden = indexed(bob.create(headline="Red kites", visibility="public"))
    kept = indexed(bob.create(headline="Blue kites", visibility="public"))
    assert bob.client.delete(f"/api/v1/notes/{deleted['noteId']}").status_code == 204
    assert (
        bob.client.patch(f"/api/v1/notes/{hidden['noteId']}", {"visibility": "private"}, format="json").status_code
        == 200
    )

    # The index still says public for both; MySQL has the last word.
    assert set(indexed_documents(cloudsearch_domain)) >= {deleted["noteId"], hidden["noteId"]}
    assert found_ids(alice, "kites") == [kept["noteId"]]
    assert set(found_ids(bob, "kites")) == {hidden["noteId"], kept["noteId"]}


def test_queries_do_not_grow_with_the_number_of_hits(alice: Member) -> None:
    for n in range(12):
        indexed(alice.create(headline=f"Tulip {n}", text="bulbs"))
    search(alice, "bulbs")  # links the caller first

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(search(alice, "bulbs", size=size)["results"]) == size
        return len(captured)

    assert queries(1) == queries(12) <= 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "x", "size": 0}, "size"),
        ({"q": "x", "size": 101}, "size"),
        ({"q": "x", "size": "ten"}, "size"),
        ({"q": "x", "start": -1}, "start"),
        ({"q": "x", "start": 9_901}, "start"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(alice: Member, params: dict[str, Any], field: str) -> None:
    response = alice.client.get(SEARCH_URL, params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == VALIDATION_ERROR
    assert field in response.json()["error"]["fields"]


def test_a_500_character_query_is_fine(alice: Member) -> None:
    assert search(alice, "word " * 100)["results"] == []


def test_search_needs_a_signed_in_caller() -> None:
    for url in (f"{SEARCH_URL}?q=x", "/notes/search?searchTerm=x"):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == NOT_AUTHENTICATED


@pytest.mark.parametrize("endpoint", ["", "closed-port"])
def test_search_backend_down_is_a_503_with_retry_after(alice: Member, settings: SettingsWrapper, endpoint: str) -> None:
    settings.CLOUDSEARCH_SEARCH_ENDPOINT = f"http://127.0.0.1:{free_port()}" if endpoint else ""

    for url in (f"{SEARCH_URL}?q=anything", "/notes/search?searchTerm=anything"):
        response = alice.client.get(url)
        assert response.status_code == 503
        assert response["Retry-After"] == str(SEARCH_RETRY_AFTER_SECONDS)
        assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE


def test_the_reference_search_answers_the_reference_shape(alice: Member, bob: Member) -> None:
    mine = indexed(alice.create(headline="Harbour", text="Boats in the harbour"))
    indexed(bob.create(headline="Harbour secret", visibility="private"))

    response = alice.client.get("/notes/search", {"searchTerm": "harbour"})

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "notes": [{"noteId": mine["noteId"], "headline": "Harbour", "text": "Boats in the harbour"}],
    }


def test_the_reference_search_needs_a_search_term(alice: Member) -> None:
    response = alice.client.get("/notes/search")

    assert response.status_code == 400
    assert "searchTerm" in response.json()["error"]["fields"]
