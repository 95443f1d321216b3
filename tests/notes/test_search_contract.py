"""The search contract (SPEC §5), one suite for every backend: privacy, deletes, replays, accents, hostile
syntax, paging, ranking, reindex, unavailability. Notes travel the real pipeline — API / admin / the
PHP site's SQL, outbox, DynamoDB (moto over HTTP), its stream, the stream handler — into the backend
the `engine` fixture configures. Another backend (OpenSearch) only adds a parameter to `engine`.

Transactional tests: InnoDB's FULLTEXT index sees only committed rows, and the after-commit mirror
sends really run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django import Settings as SettingsWrapper

from api.errors import SERVICE_UNAVAILABLE
from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port
from notes.reindex import search_reindex
from notes.search import SearchDocument, search_backend
from notes.search.apis import SEARCH_RETRY_AFTER_SECONDS
from notes.search.models import SearchEntry
from notes.stream import stream_handler
from tests.factories import legacy_connection, site_latin1_insert
from tests.members import Member
from tests.notes.helpers import scheduled_work
from tests.notes.search_helpers import SEARCH_URL, found_ids, search, stream_event, stream_record

pytestmark = pytest.mark.django_db(transaction=True)

BACKENDS = ["mysql", "cloudsearch"]


@dataclass
class Engine:
    """A configured search backend, with the scheduled work that feeds it and a way to break it."""

    name: str
    converge: Callable[[], None]
    make_unavailable: Callable[[], None]
    empty: Callable[[], None]


def _mysql_engine(settings: SettingsWrapper) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    # No CloudSearch settings at all: the `mysql` backend needs none.
    settings.SEARCH_BACKEND = "mysql"
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = ""
    settings.CLOUDSEARCH_SEARCH_ENDPOINT = ""
    table = SearchEntry._meta.db_table
    aside = f"{table}_away"
    moved: list[bool] = []

    def make_unavailable() -> None:
        # As on a deployment whose search table is missing (DDL: real, committed, undone below).
        with connection.cursor() as cursor:
            cursor.execute(f"RENAME TABLE {table} TO {aside}")
        moved.append(True)

    def restore() -> None:
        if moved:
            with connection.cursor() as cursor:
                cursor.execute(f"RENAME TABLE {aside} TO {table}")

    def empty() -> None:
        SearchEntry.objects.all().delete()

    return make_unavailable, restore, empty


def _cloudsearch_engine(
    settings: SettingsWrapper, request: pytest.FixtureRequest
) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    request.getfixturevalue("cloudsearch_domain")  # points CLOUDSEARCH_*_ENDPOINT at the local server
    settings.SEARCH_BACKEND = "cloudsearch"

    def make_unavailable() -> None:
        closed = f"http://127.0.0.1:{free_port()}"
        settings.CLOUDSEARCH_SEARCH_ENDPOINT = closed
        settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = closed

    def empty() -> None:
        backend = search_backend()
        backend.delete(list(backend.indexed_ids()))

    return make_unavailable, lambda: None, empty


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, aws_stack: DevstackResources, settings: SettingsWrapper, tmp_path: Path
) -> Iterator[Engine]:
    """The backend named by the parameter, fed by a Notes table of the test's own through its stream."""
    if request.param == "mysql":
        make_unavailable, restore, empty = _mysql_engine(settings)
    else:
        make_unavailable, restore, empty = _cloudsearch_engine(settings, request)
    converge = scheduled_work(settings, tmp_path)
    empty()
    yield Engine(name=request.param, converge=converge, make_unavailable=make_unavailable, empty=empty)
    restore()


def index_ids(text: str, *, user_id: int) -> list[str]:
    """What the backend itself answers, before MySQL could hide anything."""
    return search_backend().search(text=text, user_id=user_id, size=100, start=0).note_ids


# --- acceptance: every way a note is written ----------------------------------------------------


def test_notes_written_through_the_api_the_admin_and_the_site_are_found(
    engine: Engine, alice: Member, staff_client: Client
) -> None:
    through_api = alice.create(headline="Lighthouse from the app", text="A windy walk")
    response = staff_client.post(
        reverse("admin:legacy_legacynote_add"),
        {"user": str(alice.user_id), "headline": "Lighthouse by staff", "body": "Fixed", "visibility": "private"},
    )
    assert response.status_code == 302, response.content
    # The PHP site: raw SQL over a latin1 connection, text encoded as latin1.
    site_latin1_insert(
        "notes",
        user_id=alice.user_id,
        headline="Lighthouse crêpes",
        body="Crème brûlée in Zürich",
        visibility="private",
    )
    engine.converge()

    found = search(alice, "lighthouse")["results"]

    assert sorted(note["headline"] for note in found) == [
        "Lighthouse by staff",
        "Lighthouse crêpes",
        "Lighthouse from the app",
    ]
    assert through_api["noteId"] in [note["noteId"] for note in found]
    # The site's latin1 text is indexed as the characters it holds, accents folded for searching.
    assert [note["headline"] for note in search(alice, "creme zurich")["results"]] == ["Lighthouse crêpes"]
    reference = alice.client.get("/notes/search", {"searchTerm": "brulee"}).json()
    assert reference["success"] is True
    assert [note["text"] for note in reference["notes"]] == ["Crème brûlée in Zürich"]


# --- privacy ------------------------------------------------------------------------------------


def test_own_and_public_notes_are_found_another_users_private_notes_never(
    engine: Engine, alice: Member, bob: Member
) -> None:
    public = bob.create(headline="Public marmalade", visibility="public")
    secret = bob.create(headline="Secret marmalade", visibility="private")
    own_private = alice.create(headline="My marmalade", visibility="private")
    engine.converge()

    assert set(found_ids(alice, "marmalade")) == {public["noteId"], own_private["noteId"]}
    assert set(index_ids("marmalade", user_id=alice.user_id)) == {public["noteId"], own_private["noteId"]}
    assert set(found_ids(bob, "marmalade")) == {public["noteId"], secret["noteId"]}


HOSTILE_PROBES = [
    "{other}",
    "secret {other}",
    "user_id:'{other}'",
    "secret user_id:{other}",
    "x') (or user_id:'{other}'",
    "x\\') (or user_id:\\'{other}\\'",
    "(or visibility:'private')",
    "matchall",
    "private",
    "secret' OR '1'='1",
    'secret" OR "1"="1',
    "secret') OR 1=1 -- ",
    "secret%' OR user_id LIKE '%",
    "+secret -nothing",
    "secret | -secret",
    "-nothing",
    "secret*",
    "*",
    '"secret',
    "((secret",
    "secret)) | (user_id:'{other}'",
    "@secret ~secret <secret >secret",
    "secret\\",
    "se\x00cret",
    "MATCH(headline) AGAINST ('secret')",
]


@pytest.mark.parametrize("probe", HOSTILE_PROBES)
def test_hostile_syntax_is_a_400_or_no_hit_never_a_5xx_nor_a_leak(
    engine: Engine, alice: Member, bob: Member, probe: str
) -> None:
    secret = bob.create(headline=f"Secret private {bob.user_id}", text=f"user_id:'{bob.user_id}' private secret")
    engine.converge()
    text = probe.format(other=bob.user_id)

    for url, field in ((SEARCH_URL, "q"), ("/notes/search", "searchTerm")):
        response = alice.client.get(url, {field: text})
        assert response.status_code in (200, 400), response.content
        assert secret["noteId"] not in response.content.decode()
    assert secret["noteId"] not in index_ids(text, user_id=alice.user_id)
    assert secret["noteId"] in found_ids(bob, "secret")


# --- deletes and replays ------------------------------------------------------------------------


def test_deleted_notes_disappear_from_the_index(engine: Engine, alice: Member, bob: Member) -> None:
    kept = bob.create(headline="Kites kept", visibility="public")
    by_api = bob.create(headline="Kites deleted", visibility="public")
    by_site = bob.create(headline="Kites the site deleted", visibility="public")
    engine.converge()
    assert len(found_ids(alice, "kites")) == 3

    assert bob.client.delete(f"/api/v1/notes/{by_api['noteId']}").status_code == 204
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes n JOIN notes_mobilenote m ON m.legacy_note_id = n.note_id"
            " SET n.deleted = 1, n.updated_at = n.updated_at + INTERVAL 5 SECOND WHERE m.uuid = %s",
            [uuid.UUID(by_site["noteId"]).hex],
        )
    engine.converge()

    assert found_ids(alice, "kites") == [kept["noteId"]]
    assert index_ids("kites", user_id=bob.user_id) == [kept["noteId"]]


def test_replayed_stream_batches_never_bring_back_an_old_state(engine: Engine, alice: Member, bob: Member) -> None:
    note = bob.create(headline="Walrus in public", text="tusks", visibility="public")
    gone = bob.create(headline="Walrus soon gone", visibility="public")
    engine.converge()
    patched = bob.client.patch(
        f"/api/v1/notes/{note['noteId']}", {"headline": "Narwhal now", "visibility": "private"}, format="json"
    )
    assert patched.status_code == 200
    assert bob.client.delete(f"/api/v1/notes/{gone['noteId']}").status_code == 204
    engine.converge()

    # Lambda delivers an old batch again (at-least-once), with its old images, twice.
    old_images = stream_event(
        stream_record("INSERT", note["noteId"], new={"noteId": note["noteId"], "headline": "Walrus in public"}),
        stream_record("MODIFY", gone["noteId"], new={"noteId": gone["noteId"], "headline": "Walrus soon gone"}),
    )
    stream_handler(old_images)
    stream_handler(old_images)

    assert found_ids(alice, "walrus") == []
    assert index_ids("walrus", user_id=alice.user_id) == []
    assert index_ids("narwhal", user_id=alice.user_id) == []
    assert index_ids("narwhal", user_id=bob.user_id) == [note["noteId"]]


# --- accents, paging, ranking --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("creme", "Crème brûlée"),
        ("CRÈME", "Crème brûlée"),
        ("brulee", "Crème brûlée"),
        ("zurich", "Zürich trip"),
        ("ZÜRICH", "Zürich trip"),
        ("francais", "Le français"),
        ("naive", "A naïve plan"),
    ],
)
def test_accents_and_case_do_not_matter(engine: Engine, alice: Member, query: str, expected: str) -> None:
    for headline in ("Crème brûlée", "Zürich trip", "Le français", "A naïve plan", "Plain words"):
        alice.create(headline=headline, text="notes")
    engine.converge()

    assert [note["headline"] for note in search(alice, query)["results"]] == [expected]


def test_size_and_start_page_through_the_hits_in_rank_order(engine: Engine, alice: Member) -> None:
    for n in range(7):
        alice.create(headline=f"Recipe {n}", text="pancakes")
    engine.converge()

    everything = found_ids(alice, "pancakes", size=100)
    first = search(alice, "pancakes", size=3)
    second = search(alice, "pancakes", size=3, start=3)
    last = search(alice, "pancakes", size=3, start=6)
    beyond = search(alice, "pancakes", size=3, start=9)

    assert len(everything) == 7
    assert [note["noteId"] for note in first["results"] + second["results"] + last["results"]] == everything
    assert (first["found"], second["start"], len(last["results"])) == (7, 3, 1)
    assert (beyond["results"], beyond["found"], beyond["start"]) == ([], 7, 9)


def test_a_headline_match_ranks_above_body_matches(engine: Engine, alice: Member) -> None:
    alice.create(headline="Weekend", text="We walked to the harbour and back to the harbour")
    in_headline = alice.create(headline="Harbour", text="Boats")
    alice.create(headline="Monday", text="The harbour was quiet")
    alice.create(headline="Unrelated", text="Nothing here")
    engine.converge()

    hits = found_ids(alice, "harbour")

    assert len(hits) == 3
    assert hits[0] == in_headline["noteId"]


def test_all_words_are_required(engine: Engine, alice: Member) -> None:
    both = alice.create(headline="Garden tulips", text="planted in spring")
    alice.create(headline="Garden roses", text="planted in summer")
    engine.converge()

    assert found_ids(alice, "garden spring") == [both["noteId"]]
    assert found_ids(alice, "garden -summer") == [both["noteId"]]


# --- rebuilding and failing ----------------------------------------------------------------------


def test_search_reindex_rebuilds_a_lost_index(engine: Engine, alice: Member) -> None:
    kept = alice.create(headline="Orchard apples")
    deleted = alice.create(headline="Orchard pears")
    engine.converge()
    assert alice.client.delete(f"/api/v1/notes/{deleted['noteId']}").status_code == 204
    engine.empty()  # the index is lost
    search_backend().index(
        [
            # ...and something stale sits in the new one
            SearchDocument(
                note_id=deleted["noteId"],
                headline="Orchard pears",
                text="",
                user_id=alice.user_id,
                visibility="private",
                updated_at="2026-01-01T00:00:00Z",
            )
        ]
    )

    report = search_reindex(restart=True)

    assert report.removed_from_index == 1
    assert index_ids("orchard", user_id=alice.user_id) == [kept["noteId"]]


def test_search_unavailable_is_a_503_with_retry_after(engine: Engine, alice: Member) -> None:
    alice.create(headline="Anything at all")
    engine.converge()
    engine.make_unavailable()

    for url in (f"{SEARCH_URL}?q=anything", "/notes/search?searchTerm=anything"):
        response = alice.client.get(url)
        assert response.status_code == 503, response.content
        assert response["Retry-After"] == str(SEARCH_RETRY_AFTER_SECONDS)
        assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
