"""devstack.stream_poller: the moto table's real stream → Lambda-shaped events → notes.stream.stream_handler
→ the local CloudSearch server, all over HTTP. Each test has its own table, so its stream holds
only its own records."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper

from aws.clients import dynamodb_client
from devstack.aws_resources import DevstackResources, ensure_notes_table
from devstack.moto_server import free_port
from devstack.stream_poller import StreamBatchFailed, StreamPoller
from notes.stream import stream_handler
from tests.notes.search_helpers import (
    delete_item,
    dynamodb_item,
    expected_document,
    indexed_documents,
    new_note_id,
    note_item,
    put_item,
)


class RecordingHandler:
    """The real stream handler, keeping each event it was given (a spy, not a stand-in)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: object | None) -> Any:
        self.events.append(json.loads(json.dumps(event)))
        return stream_handler(event, context)

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for event in self.events for record in event["Records"]]


@pytest.fixture
def table(aws_stack: DevstackResources, settings: SettingsWrapper) -> str:
    """A fresh Notes table with a NEW_AND_OLD_IMAGES stream; settings.NOTES_TABLE points at it."""
    name = f"Notes-{uuid.uuid4().hex[:12]}"
    ensure_notes_table(name)
    settings.NOTES_TABLE = name
    return name


@pytest.fixture
def domain(table: str, cloudsearch_domain: Any) -> Any:
    return cloudsearch_domain


def table_items(table: str) -> dict[str, dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    items = dynamodb_client().scan(TableName=table, ConsistentRead=True)["Items"]
    plain = [{name: deserializer.deserialize(value) for name, value in item.items()} for item in items]
    return {item["noteId"]: item | {"userId": int(item["userId"]), "version": int(item["version"])} for item in plain}


def test_puts_updates_and_deletes_reach_the_index_field_by_field(table: str, domain: Any, tmp_path: Path) -> None:
    kept = note_item(new_note_id(), headline="Kept", userId=5)
    changed = note_item(new_note_id(), headline="Before", visibility="private")
    removed = note_item(new_note_id(), headline="Removed")
    for item in (kept, changed, removed):
        put_item(item)
    put_item(
        changed | {"headline": "After", "visibility": "public", "version": 2, "s3Url": "https://cdn.example/p.jpg"}
    )
    delete_item(removed["noteId"])
    # An UpdateItem that creates the item (moto: two INSERTs), then a no-op update (a MODIFY).
    created = new_note_id()
    update = {
        "TableName": table,
        "Key": {"noteId": {"S": created}},
        "UpdateExpression": "SET userId = :u, headline = :h, #t = :t, visibility = :v, updatedAt = :d, version = :n",
        "ExpressionAttributeNames": {"#t": "text"},
        "ExpressionAttributeValues": dynamodb_item(
            {
                ":u": 9,
                ":h": "Upserted",
                ":t": "made by UpdateItem",
                ":v": "public",
                ":d": "2026-11-21T10:00:00Z",
                ":n": 1,
            }
        ),
    }
    dynamodb_client().update_item(**update)
    dynamodb_client().update_item(**update)
    handler = RecordingHandler()

    delivered = StreamPoller(state_path=tmp_path / "state.json", handler=handler).poll_once()

    assert delivered == len(handler.records) >= 7
    items = table_items(table)
    assert set(items) == {kept["noteId"], changed["noteId"], created}
    assert indexed_documents(domain) == {note_id: expected_document(item) for note_id, item in items.items()}


def test_events_have_the_shape_lambda_sends(table: str, domain: Any, tmp_path: Path) -> None:
    item = note_item(new_note_id())
    put_item(item)
    put_item(item | {"headline": "Changed"})
    delete_item(item["noteId"])
    handler = RecordingHandler()

    StreamPoller(state_path=tmp_path / "state.json", handler=handler).poll_once()

    stream_arn = dynamodb_client().describe_table(TableName=table)["Table"]["LatestStreamArn"]
    insert, modify, remove = handler.records
    assert [record["eventName"] for record in (insert, modify, remove)] == ["INSERT", "MODIFY", "REMOVE"]
    for record in (insert, modify, remove):
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"] == stream_arn
        assert record["dynamodb"]["Keys"] == {"noteId": {"S": item["noteId"]}}
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
        assert isinstance(record["dynamodb"]["SizeBytes"], int)
        assert record["dynamodb"]["SequenceNumber"].isdigit()
    assert set(insert["dynamodb"]) == {
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    }
    assert set(modify["dynamodb"]) >= {"NewImage", "OldImage"}
    assert "NewImage" not in remove["dynamodb"]
    assert remove["dynamodb"]["OldImage"]["headline"] == {"S": "Changed"}
    assert indexed_documents(domain) == {}


def test_records_come_in_batches_of_at_most_the_batch_size_in_order(table: str, domain: Any, tmp_path: Path) -> None:
    note_ids = [new_note_id() for _ in range(5)]
    for note_id in note_ids:
        put_item(note_item(note_id))
    handler = RecordingHandler()

    StreamPoller(state_path=tmp_path / "state.json", batch_size=2, handler=handler).poll_once()

    assert [len(event["Records"]) for event in handler.events] == [2, 2, 1]
    assert [record["dynamodb"]["Keys"]["noteId"]["S"] for record in handler.records] == note_ids
    sequence = [int(record["dynamodb"]["SequenceNumber"]) for record in handler.records]
    assert sequence == sorted(sequence)


def test_a_failing_batch_is_retried_not_skipped(
    table: str, domain: Any, tmp_path: Path, settings: SettingsWrapper
) -> None:
    first = note_item(new_note_id(), headline="First")
    second = note_item(new_note_id(), headline="Second")
    put_item(first)
    put_item(second)
    handler = RecordingHandler()
    poller = StreamPoller(state_path=tmp_path / "state.json", batch_size=1, handler=handler)
    working = settings.CLOUDSEARCH_DOCUMENT_ENDPOINT
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(StreamBatchFailed):
        poller.poll_once()
    with pytest.raises(StreamBatchFailed):
        poller.poll_once()
    assert indexed_documents(domain) == {}
    assert not (tmp_path / "state.json").exists()

    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = working
    assert poller.poll_once() == 2
    delivered = [record["dynamodb"]["Keys"]["noteId"]["S"] for record in handler.records]
    # The first batch three times (twice failing), then the second once: nothing skipped.
    assert delivered == [first["noteId"], first["noteId"], first["noteId"], second["noteId"]]
    assert indexed_documents(domain) == {
        first["noteId"]: expected_document(first),
        second["noteId"]: expected_document(second),
    }


def test_a_restart_resumes_after_the_last_delivered_record(table: str, domain: Any, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    before = note_item(new_note_id())
    put_item(before)
    assert StreamPoller(state_path=state, handler=RecordingHandler()).poll_once() == 1
    after = note_item(new_note_id())
    put_item(after)
    handler = RecordingHandler()

    restarted = StreamPoller(state_path=state, handler=handler)

    assert restarted.poll_once() == 1
    assert [record["dynamodb"]["Keys"]["noteId"]["S"] for record in handler.records] == [after["noteId"]]
    assert restarted.poll_once() == 0
    assert set(indexed_documents(domain)) == {before["noteId"], after["noteId"]}


def test_replaying_the_whole_stream_changes_nothing(table: str, domain: Any, tmp_path: Path) -> None:
    item = note_item(new_note_id(), headline="v1")
    put_item(item)
    put_item(item | {"headline": "v2", "version": 2})
    gone = note_item(new_note_id())
    put_item(gone)
    delete_item(gone["noteId"])
    StreamPoller(state_path=tmp_path / "first.json").poll_once()
    once = indexed_documents(domain)

    # A poller without a saved position reads the stream from its oldest record again.
    StreamPoller(state_path=tmp_path / "second.json").poll_once()

    assert indexed_documents(domain) == once == {item["noteId"]: expected_document(item | {"headline": "v2"})}
