"""notes.search: the backend chosen by SEARCH_BACKEND and the CloudSearch backend against the local
CloudSearch server over HTTP (batch limits, listing, quoting, failures)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings as SettingsWrapper

from devstack.moto_server import free_port
from notes.search import SearchUnavailable, cloudsearch, search_backend
from notes.search.cloudsearch import (
    MAX_BATCH_BYTES,
    MAX_DOCUMENT_BYTES,
    CloudSearchBackend,
    access_filter,
    batches,
    quote_value,
)
from notes.search.mysql import MySQLSearchBackend
from tests.notes.search_helpers import document, indexed_documents, new_note_id


def test_search_backend_follows_the_setting(settings: SettingsWrapper) -> None:
    settings.SEARCH_BACKEND = "cloudsearch"
    assert isinstance(search_backend(), CloudSearchBackend)
    settings.SEARCH_BACKEND = "mysql"
    assert isinstance(search_backend(), MySQLSearchBackend)

    settings.SEARCH_BACKEND = "elasticsearch"
    with pytest.raises(ImproperlyConfigured, match="cloudsearch, mysql"):
        search_backend()


def test_values_are_quoted_so_they_cannot_end_the_string() -> None:
    assert quote_value("it's") == "'it\\'s'"
    assert quote_value("back\\slash'") == "'back\\\\slash\\''"
    assert access_filter(user_id=42) == "(or user_id:'42' visibility:'public')"


def test_batches_keep_the_order_and_stay_within_the_limit() -> None:
    operations = [json.dumps({"type": "delete", "id": str(n) * (n % 50 + 1)}).encode() for n in range(300)]

    split = list(batches(operations, max_bytes=1000))

    assert len(split) > 1
    assert all(len(batch) <= 1000 for batch in split)
    assert [operation for batch in split for operation in json.loads(batch)] == [
        json.loads(operation) for operation in operations
    ]


def test_more_than_a_batch_of_documents_is_uploaded_in_several(cloudsearch_domain: Any) -> None:
    # 100 notes of ~60 KB (a full latin1 TEXT column is 64 KB) make ~6 MB: over one batch's 5 MB.
    documents = [document(text=f"word{n} " + "é" * 60_000) for n in range(100)]
    assert sum(len(cloudsearch.add_operation(doc)) for doc in documents) > MAX_BATCH_BYTES

    search_backend().index(documents)

    assert set(indexed_documents(cloudsearch_domain)) == {doc.note_id for doc in documents}


def test_a_document_over_the_limit_is_indexed_with_its_text_shortened(cloudsearch_domain: Any) -> None:
    huge = document(headline="Huge", text="start " + "x" * (MAX_DOCUMENT_BYTES + 10_000))

    search_backend().index([huge])

    stored = indexed_documents(cloudsearch_domain)[huge.note_id]
    assert stored["headline"] == "Huge"
    assert stored["note_text"].startswith("start x")
    assert len(cloudsearch.add_operation(huge)) <= MAX_DOCUMENT_BYTES


def test_characters_cloudsearch_refuses_are_dropped_not_fatal(cloudsearch_domain: Any) -> None:
    odd = document(headline="Bell\x07 and form feed\x0c", text="nul\x00 byte\x1f")

    search_backend().index([odd])

    assert indexed_documents(cloudsearch_domain)[odd.note_id] == {
        "headline": "Bell and form feed",
        "note_text": "nul byte",
        "user_id": "1",
        "visibility": "private",
        "updated_at": "2026-11-21T10:00:00Z",
    }


def test_indexed_ids_lists_every_document_page_by_page(
    cloudsearch_domain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudsearch, "LIST_PAGE_SIZE", 7)
    documents = [document() for _ in range(30)]
    backend = search_backend()
    backend.index(documents)

    listed = list(backend.indexed_ids())

    assert sorted(listed) == sorted(doc.note_id for doc in documents)


def test_delete_removes_documents_and_ignores_unknown_ids(cloudsearch_domain: Any) -> None:
    kept, removed = document(), document()
    backend = search_backend()
    backend.index([kept, removed])

    backend.delete([removed.note_id, new_note_id()])

    assert set(indexed_documents(cloudsearch_domain)) == {kept.note_id}


def test_an_unreachable_or_unset_endpoint_is_search_unavailable(settings: SettingsWrapper) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for endpoint in (closed, ""):
        backend = CloudSearchBackend(document_endpoint=endpoint, search_endpoint=endpoint)
        with pytest.raises(SearchUnavailable):
            backend.index([document()])
        with pytest.raises(SearchUnavailable):
            backend.search(text="x", user_id=1, size=10, start=0)
        with pytest.raises(SearchUnavailable):
            list(backend.indexed_ids())
