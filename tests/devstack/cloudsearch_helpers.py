"""Helpers for the local CloudSearch tests: Notes documents, batches and searches through boto3."""

from __future__ import annotations

import json
from typing import Any


def note(document_id: str, **fields: Any) -> dict[str, Any]:
    """An add operation for a Notes document; fields left out get harmless values."""
    values = {
        "headline": "",
        "note_text": "",
        "user_id": "1",
        "visibility": "private",
        "updated_at": "2024-05-01T12:00:00Z",
        **fields,
    }
    return {"type": "add", "id": document_id, "fields": {name: value for name, value in values.items() if value != ""}}


def delete(document_id: str) -> dict[str, Any]:
    return {"type": "delete", "id": document_id}


def upload(client: Any, *operations: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = client.upload_documents(
        documents=json.dumps(list(operations)).encode(), contentType="application/json"
    )
    return response


def search_ids(client: Any, query: str, **options: Any) -> list[str]:
    """The ids of the hits, in order."""
    response = client.search(query=query, **options)
    return [hit["id"] for hit in response["hits"]["hit"]]


def structured_ids(client: Any, query: str, **options: Any) -> list[str]:
    return search_ids(client, query, queryParser="structured", **options)
