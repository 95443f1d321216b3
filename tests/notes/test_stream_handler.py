"""notes.stream.stream_handler: DynamoDB stream batches (Lambda's event shape) against the moto table
and the local CloudSearch server, both over HTTP. The index must end as the table is, whatever
the order, repetition or staleness of the batches."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper

from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port
from notes.search import SearchUnavailable
from notes.stream import stream_handler
from tests.fault_proxy import FaultProxy
from tests.notes.search_helpers import (
    delete_item,
    expected_document,
    indexed_documents,
    new_note_id,
    note_item,
    put_item,
    stream_event,
    stream_record,
)


@pytest.fixture
def stack(aws_stack: DevstackResources, cloudsearch_domain: Any) -> Any:
    """The moto table and an empty CloudSearch domain; returns the domain's client."""
    return cloudsearch_domain


def test_an_insert_indexes_the_item_field_by_field(stack: Any) -> None:
    with_photo = note_item(
        new_note_id(),
        headline="Beach day",
        text="Sand, sea and 'quotes'",
        visibility="public",
        userId=42,
        photoKey="users/42/beach.jpg",
        s3Url="https://media.example.com/users/42/beach.jpg",
    )
    without_photo = note_item(new_note_id(), headline="Shopping", text="Milk\nEggs", userId=43)
    put_item(with_photo)
    put_item(without_photo)

    summary = stream_handler(
        stream_event(
            stream_record("INSERT", with_photo["noteId"], new=with_photo),
            stream_record("INSERT", without_photo["noteId"], new=without_photo),
        ),
        None,
    )

    assert summary == {"records": 2, "indexed": 2, "deleted": 0}
    assert indexed_documents(stack) == {
        with_photo["noteId"]: expected_document(with_photo),
        without_photo["noteId"]: expected_document(without_photo),
    }
    assert "s3_url" not in indexed_documents(stack)[without_photo["noteId"]]


def test_a_remove_deletes_the_document(stack: Any) -> None:
    kept = note_item(new_note_id())
    removed = note_item(new_note_id())
    put_item(kept)
    put_item(removed)
    stream_handler(
        stream_event(
            stream_record("INSERT", kept["noteId"], new=kept), stream_record("INSERT", removed["noteId"], new=removed)
        )
    )
    delete_item(removed["noteId"])

    summary = stream_handler(stream_event(stream_record("REMOVE", removed["noteId"], old=removed)))

    assert summary == {"records": 1, "indexed": 0, "deleted": 1}
    assert set(indexed_documents(stack)) == {kept["noteId"]}


def test_a_modify_reindexes_with_the_new_values(stack: Any) -> None:
    before = note_item(new_note_id(), headline="Draft", visibility="private")
    put_item(before)
    stream_handler(stream_event(stream_record("INSERT", before["noteId"], new=before)))
    after = before | {"headline": "Final", "visibility": "public", "version": 2, "updatedAt": "2026-11-22T08:30:00Z"}
    put_item(after)

    stream_handler(stream_event(stream_record("MODIFY", after["noteId"], new=after, old=before)))

    assert indexed_documents(stack) == {after["noteId"]: expected_document(after)}


def test_replaying_a_batch_changes_nothing(stack: Any) -> None:
    item = note_item(new_note_id(), headline="Replayed")
    gone = note_item(new_note_id())
    put_item(item)
    event = stream_event(
        stream_record("INSERT", item["noteId"], new=item), stream_record("REMOVE", gone["noteId"], old=gone)
    )
    stream_handler(event)
    once = indexed_documents(stack)

    stream_handler(event)
    stream_handler(event)

    assert indexed_documents(stack) == once == {item["noteId"]: expected_document(item)}


def test_duplicate_inserts_and_a_no_op_modify_give_one_document(stack: Any) -> None:
    # moto's UpdateItem that creates an item emits two INSERTs; a no-op update emits a MODIFY.
    item = note_item(new_note_id(), headline="Twice")
    put_item(item)

    summary = stream_handler(
        stream_event(
            stream_record("INSERT", item["noteId"], new=item),
            stream_record("INSERT", item["noteId"], new=item),
            stream_record("MODIFY", item["noteId"], new=item, old=item),
        )
    )

    assert summary == {"records": 3, "indexed": 1, "deleted": 0}
    assert indexed_documents(stack) == {item["noteId"]: expected_document(item)}


def test_a_stale_batch_after_a_newer_one_does_not_regress(stack: Any) -> None:
    old = note_item(new_note_id(), headline="Old headline", version=1, visibility="public")
    new = old | {"headline": "New headline", "version": 2, "visibility": "private"}
    removed = note_item(new_note_id(), headline="Since deleted")
    put_item(new)
    stream_handler(stream_event(stream_record("MODIFY", new["noteId"], new=new, old=old)))
    stale = stream_event(
        stream_record("INSERT", old["noteId"], new=old), stream_record("INSERT", removed["noteId"], new=removed)
    )

    # The stale batch names an older image of one note and a note that is no longer in the table.
    stream_handler(stale)

    assert indexed_documents(stack) == {new["noteId"]: expected_document(new)}


def test_a_failing_upload_raises_and_a_retry_completes_it(stack: Any, settings: SettingsWrapper) -> None:
    item = note_item(new_note_id(), headline="Retried")
    put_item(item)
    event = stream_event(stream_record("INSERT", item["noteId"], new=item))
    working_endpoint = settings.CLOUDSEARCH_DOCUMENT_ENDPOINT
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(SearchUnavailable):
        stream_handler(event)
    assert indexed_documents(stack) == {}

    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = working_endpoint
    assert stream_handler(event)["indexed"] == 1
    assert indexed_documents(stack) == {item["noteId"]: expected_document(item)}


def test_it_logs_counts_never_text(stack: Any, caplog: pytest.LogCaptureFixture) -> None:
    item = note_item(new_note_id(), headline="Very private headline", text="My bank PIN is 1234")
    put_item(item)

    with caplog.at_level(logging.DEBUG):
        stream_handler(stream_event(stream_record("INSERT", item["noteId"], new=item)))

    assert "1 notes indexed" in caplog.text
    assert "Very private headline" not in caplog.text
    assert "PIN" not in caplog.text


def test_records_of_other_sources_and_empty_batches_do_nothing(stack: Any) -> None:
    other = stream_record("INSERT", new_note_id(), new=note_item(new_note_id()))
    other["eventSource"] = "aws:kinesis"

    assert stream_handler({"Records": []}) == {"records": 0, "indexed": 0, "deleted": 0}
    assert stream_handler(stream_event(other)) == {"records": 1, "indexed": 0, "deleted": 0}
    assert indexed_documents(stack) == {}


def test_a_batch_failing_halfway_is_finished_by_the_retry_without_duplicates(
    stack: Any, settings: SettingsWrapper
) -> None:
    # ~6 MB of notes: more than one CloudSearch batch (5 MB), so the upload is split in two.
    items = [note_item(new_note_id(), headline=f"Long {n}", text=f"{n} " + "x" * 380_000) for n in range(16)]
    for item in items:
        put_item(item)
    event = stream_event(*(stream_record("INSERT", item["noteId"], new=item) for item in items))
    working_endpoint = settings.CLOUDSEARCH_DOCUMENT_ENDPOINT

    # Request 1 is the first batch; the second batch fails, and so does botocore's own retry of it.
    with FaultProxy(working_endpoint, fail={2, 3}).running() as proxy:
        settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = proxy.endpoint_url
        with pytest.raises(SearchUnavailable):
            stream_handler(event)
        halfway = indexed_documents(stack)
        settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = working_endpoint

    assert 0 < len(halfway) < len(items)  # the first batch landed, the second did not
    assert stream_handler(event)["indexed"] == len(items)  # Lambda's retry of the same batch
    assert set(indexed_documents(stack)) == {item["noteId"] for item in items}
