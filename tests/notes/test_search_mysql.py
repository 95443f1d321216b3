"""The `mysql` search backend's own rules (the shared ones are in test_search_contract.py): how the user's
words become a boolean-mode query, what InnoDB cannot find (short words, stopwords), and an older
document never replacing a newer one, on the real MariaDB."""

from __future__ import annotations

import pytest
from pytest_django import Settings as SettingsWrapper

from notes.search import search_backend
from notes.search.models import SearchEntry
from notes.search.mysql import MySQLSearchBackend
from notes.search.mysql_query import MAX_TERMS, boolean_query
from tests.notes.search_helpers import document, new_note_id

pytestmark = pytest.mark.django_db(transaction=True)  # InnoDB FULLTEXT sees committed rows only


@pytest.fixture(autouse=True)
def _mysql_backend(settings: SettingsWrapper) -> None:
    settings.SEARCH_BACKEND = "mysql"
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = ""
    settings.CLOUDSEARCH_SEARCH_ENDPOINT = ""


def hits(text: str, *, user_id: int = 1) -> list[str]:
    return search_backend().search(text=text, user_id=user_id, size=100, start=0).note_ids


def test_the_setting_picks_the_mysql_backend() -> None:
    assert isinstance(search_backend(), MySQLSearchBackend)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("crème brûlée", "+crème +brûlée"),
        ("garden -summer", "+garden -summer"),
        ("gard*", "+gard*"),
        ('"old man" sea', '+"old man" +sea'),
        ("sea | boat", "(+sea) (+boat)"),
        # Operators of boolean mode the simple syntax does not have are only separators.
        ("@harbour ~boat <sea >sky", "+harbour +boat +sea +sky"),
        ("x') (or user_id:'5'", "+user_id"),
        ("e-mail", "+mail"),
        ("snake_case", "+snake_case"),
        # Words InnoDB never indexes are left out rather than making the search find nothing.
        ("the cat", "+cat"),
        ("it is a cat", "+cat"),
        ("ox cat", "+cat"),
        ("THÉ cat", "+cat"),
        ("the a of", ""),
        ("-cat", ""),
        ("+", ""),
        ('"', ""),
        ("|||", ""),
    ],
)
def test_user_text_becomes_a_boolean_query_of_bare_words(text: str, query: str) -> None:
    assert boolean_query(text) == query


def test_a_very_long_query_is_cut_to_a_bounded_number_of_terms() -> None:
    assert boolean_query("word " * 200).count("+word") == MAX_TERMS


def test_short_words_and_stopwords_are_ignored_in_a_search_not_fatal() -> None:
    cat = document(headline="The cat sat on the mat")
    search_backend().index([cat])

    assert hits("the cat") == [cat.note_id]
    assert hits("a cat on it") == [cat.note_id]
    # What a user notices: a search made only of them finds nothing (it is not an error).
    assert hits("on the") == []
    assert hits("ox") == []


def test_an_older_document_never_replaces_a_newer_one() -> None:
    note_id = new_note_id()
    newer = document(note_id=note_id, headline="Narwhal", version=3, updated_at="2026-11-21T10:00:05Z")
    older = document(note_id=note_id, headline="Walrus", version=2, updated_at="2026-11-21T10:00:00Z")
    backend = search_backend()

    backend.index([newer])
    backend.index([older])

    assert hits("walrus") == []
    assert hits("narwhal") == [note_id]
    # The same version again (a replay) and a newer one are applied.
    backend.index([document(note_id=note_id, headline="Narwhal again", version=3, updated_at=newer.updated_at)])
    backend.index([document(note_id=note_id, headline="Beluga", version=4, visibility="public", user_id=2)])
    stored = SearchEntry.objects.get(note_id=note_id)
    assert (stored.headline, stored.version, stored.user_id, stored.visibility) == ("Beluga", 4, 2, "public")


def test_many_and_large_documents_are_written_in_several_statements() -> None:
    # ~6 MB in all, each near a full latin1 TEXT column: more than one statement's worth.
    documents = [document(text=f"word{n} " + "é" * 60_000) for n in range(100)]

    search_backend().index(documents)

    assert sorted(search_backend().indexed_ids()) == sorted(doc.note_id for doc in documents)
    assert hits("word42") == [documents[42].note_id]


def test_characters_mysql_cannot_store_are_replaced_not_fatal() -> None:
    odd = document(headline="Lone \ud800 surrogate", text="nul\x00 byte and bell\x07")

    search_backend().index([odd])

    assert hits("surrogate") == [odd.note_id]


def test_delete_removes_documents_and_ignores_unknown_ids() -> None:
    kept, removed = document(headline="Kept kiwi"), document(headline="Removed kiwi")
    backend = search_backend()
    backend.index([kept, removed])

    backend.delete([removed.note_id, new_note_id()])
    backend.delete([])

    assert hits("kiwi") == [kept.note_id]
    assert list(backend.indexed_ids()) == [kept.note_id]
