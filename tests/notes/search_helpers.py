"""Helpers for the search tests: search documents, Notes table items as the mirror writes them, Lambda
stream events, the documents the local CloudSearch server holds, and searches through the API."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from django.conf import settings

from aws.clients import dynamodb_client
from notes.search import SearchDocument
from notes.stream import cloudsearch_date
from tests.members import Member

_serializer = TypeSerializer()
_sequence = itertools.count(1)
SEARCH_URL = "/api/v1/notes/search"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Notes/stream/2026-01-01T00:00:00.000"


def new_note_id() -> str:
    return str(uuid.uuid4())


def document(**fields: Any) -> SearchDocument:
    """A search document with plain values, ``fields`` instead of any of them."""
    values: dict[str, Any] = {
        "note_id": new_note_id(),
        "headline": "A headline",
        "text": "Some text",
        "user_id": 1,
        "visibility": "private",
        "updated_at": "2026-11-21T10:00:00Z",
        "version": 1,
    }
    return SearchDocument(**(values | fields))


def api_note_document(note: dict[str, Any]) -> SearchDocument:
    """The search document of a note as the API shows it, as the stream handler would make it."""
    return SearchDocument(
        note_id=note["noteId"],
        headline=note["headline"],
        text=note["text"],
        user_id=note["owner"]["userId"],
        visibility=note["visibility"],
        updated_at=cloudsearch_date(note["updatedAt"]),
        s3_url=note["s3Url"],
    )


def note_item(note_id: str, **attributes: Any) -> dict[str, Any]:
    """A Notes table item in the mirror's format (plain values); photoKey/s3Url only when given."""
    return {
        "noteId": note_id,
        "userId": 7,
        "headline": "A headline",
        "text": "Some text",
        "visibility": "private",
        "tags": [],
        "updatedAt": "2026-11-21T10:00:00Z",
        "version": 1,
    } | attributes


def dynamodb_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def put_item(item: dict[str, Any]) -> None:
    dynamodb_client().put_item(TableName=settings.NOTES_TABLE, Item=dynamodb_item(item))


def delete_item(note_id: str) -> None:
    dynamodb_client().delete_item(TableName=settings.NOTES_TABLE, Key={"noteId": {"S": note_id}})


def stream_record(
    event_name: str, note_id: str, *, new: dict[str, Any] | None = None, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One record as Lambda delivers it (an INSERT has no OldImage, a REMOVE no NewImage)."""
    sequence = str(next(_sequence)).rjust(21, "0")
    images: dict[str, Any] = {}
    if new is not None:
        images["NewImage"] = dynamodb_item(new)
    if old is not None:
        images["OldImage"] = dynamodb_item(old)
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_795_000_000,
            "Keys": {"noteId": {"S": note_id}},
            **images,
            "SequenceNumber": sequence,
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def indexed_documents(client: Any) -> dict[str, dict[str, str]]:
    """Every document in the domain, by id, with single-valued fields as strings."""
    documents: dict[str, dict[str, str]] = {}
    cursor = "initial"
    while True:
        response = client.search(query="matchall", queryParser="structured", cursor=cursor, size=1000)
        hits = response["hits"]["hit"]
        if not hits:
            return documents
        for hit in hits:
            documents[hit["id"]] = {name: values[0] for name, values in hit.get("fields", {}).items()}
        cursor = response["hits"]["cursor"]


def expected_document(item: dict[str, Any]) -> dict[str, str]:
    """The index fields a Notes item must become: the item's values field by field."""
    fields = {
        "headline": item["headline"],
        "note_text": item["text"],
        "user_id": str(item["userId"]),
        "visibility": item["visibility"],
        "updated_at": item["updatedAt"],
    }
    if item.get("s3Url"):
        fields["s3_url"] = item["s3Url"]
    return fields


def search(member: Member, q: str, **params: Any) -> dict[str, Any]:
    """The member's search through the API (it must answer 200)."""
    response = member.client.get(SEARCH_URL, {"q": q, **params})
    assert response.status_code == 200, response.content
    return dict(response.json())


def found_ids(member: Member, q: str, **params: Any) -> list[str]:
    return [note["noteId"] for note in search(member, q, **params)["results"]]
