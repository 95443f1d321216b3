"""The Amazon CloudSearch (2013-01-01 API) search backend: document batches and searches over HTTP."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from aws.clients import cloudsearch_domain_client
from notes.search.backend import SearchDocument, SearchPage, SearchRejected, SearchUnavailable

logger = logging.getLogger(__name__)

# CloudSearch's limits: one upload_documents call, and one document in it.
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024
# Ids per page when listing the whole index (CloudSearch allows up to 10,000).
LIST_PAGE_SIZE = 1000
# The user's words are looked up in these fields only: never in user_id or visibility, which
# only the filter below may touch.
SEARCH_FIELDS = ("headline", "note_text")
# A headline match outweighs body matches (the contract's ranking rule).
HEADLINE_BOOST = 4
QUERY_OPTIONS = json.dumps({"fields": [f"headline^{HEADLINE_BOOST}", "note_text"]})
# Characters XML 1.0 cannot carry: CloudSearch refuses a whole batch over one of them, and text the
# PHP site wrote may hold some. They are dropped from indexed text (they are never searched for).
INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def quote_value(value: str) -> str:
    """`value` as a structured-query string that cannot end early: it's -> 'it\\'s' (CloudSearch's escaping)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def access_filter(*, user_id: int) -> str:
    """The fq confining a search to the caller's own notes and public notes; built only by us."""
    return f"(or user_id:{quote_value(str(int(user_id)))} visibility:{quote_value('public')})"


def _clean(text: str) -> str:
    return INVALID_CHARACTERS.sub("", text)


def document_fields(document: SearchDocument) -> dict[str, Any]:
    """The index fields of a document; s3_url is left out without a photo (CloudSearch refuses null)."""
    fields: dict[str, Any] = {
        "headline": _clean(document.headline),
        "note_text": _clean(document.text),
        "user_id": str(document.user_id),
        "visibility": document.visibility,
        "updated_at": document.updated_at,
    }
    if document.s3_url:
        fields["s3_url"] = document.s3_url
    return fields


def _encoded(operation: dict[str, Any]) -> bytes:
    # Exactly the bytes sent: the size checked is the size uploaded.
    return json.dumps(operation, ensure_ascii=False).encode("utf-8")


def add_operation(document: SearchDocument) -> bytes:
    """The encoded add operation of a document, its text shortened if it would pass MAX_DOCUMENT_BYTES."""
    fields = document_fields(document)
    operation = {"type": "add", "id": document.note_id, "fields": fields}
    encoded = _encoded(operation)
    if len(encoded) <= MAX_DOCUMENT_BYTES:
        return encoded
    original_size = len(encoded)
    text = document.text
    # A character takes at least one byte: cutting the excess in characters always shrinks enough
    # bytes, so this ends within a few rounds.
    while len(encoded) > MAX_DOCUMENT_BYTES and text:
        text = text[: max(0, len(text) - (len(encoded) - MAX_DOCUMENT_BYTES))]
        fields["note_text"] = text
        encoded = _encoded(operation)
    logger.warning(
        "search document %s was %d bytes; its text was shortened to fit %d",
        document.note_id,
        original_size,
        len(encoded),
    )
    return encoded


def delete_operation(note_id: str) -> bytes:
    return _encoded({"type": "delete", "id": note_id})


def batches(operations: Iterable[bytes], *, max_bytes: int = MAX_BATCH_BYTES) -> Iterator[bytes]:
    """Encoded operations joined into JSON arrays of at most `max_bytes` each, in order."""
    batch: list[bytes] = []
    size = 2  # the brackets
    for operation in operations:
        added = len(operation) + (2 if batch else 0)  # ", " between operations
        if batch and size + added > max_bytes:
            yield b"[" + b", ".join(batch) + b"]"
            batch, size, added = [], 2, len(operation)
        batch.append(operation)
        size += added
    if batch:
        yield b"[" + b", ".join(batch) + b"]"


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "unknown")


@dataclass(frozen=True)
class CloudSearchBackend:
    """One CloudSearch domain, through its document and search endpoints (CLOUDSEARCH_*_ENDPOINT)."""

    document_endpoint: str
    search_endpoint: str

    @classmethod
    def from_settings(cls) -> CloudSearchBackend:
        return cls(
            document_endpoint=settings.CLOUDSEARCH_DOCUMENT_ENDPOINT,
            search_endpoint=settings.CLOUDSEARCH_SEARCH_ENDPOINT,
        )

    # --- the document service ------------------------------------------------------------------

    def index(self, documents: Sequence[SearchDocument]) -> None:
        self._upload(add_operation(document) for document in documents)

    def delete(self, note_ids: Sequence[str]) -> None:
        self._upload(delete_operation(note_id) for note_id in note_ids)

    def _upload(self, operations: Iterable[bytes]) -> None:
        for batch in batches(operations):
            self._upload_batch(batch)

    def _upload_batch(self, batch: bytes) -> None:
        if not self.document_endpoint:
            raise SearchUnavailable("CLOUDSEARCH_DOCUMENT_ENDPOINT is not set: nowhere to upload documents.")
        client = cloudsearch_domain_client(self.document_endpoint)
        try:
            response = client.upload_documents(documents=batch, contentType="application/json")
        except ClientError as exc:
            # The error's message may quote a field value: only its code and status are kept.
            if _status(exc) >= 500 or _status(exc) == 429:
                raise SearchUnavailable(f"CloudSearch upload failed: {_code(exc)} (HTTP {_status(exc)}).") from None
            raise SearchRejected(f"CloudSearch refused a document batch: {_code(exc)} (HTTP {_status(exc)}).") from None
        except BotoCoreError as exc:
            raise SearchUnavailable(f"CloudSearch upload failed: {exc.__class__.__name__}.") from None
        if response.get("status") != "success":
            raise SearchRejected(f"CloudSearch answered status {response.get('status')!r} to a document batch.")

    # --- the search service --------------------------------------------------------------------

    def _search(self, **parameters: Any) -> dict[str, Any]:
        if not self.search_endpoint:
            raise SearchUnavailable("CLOUDSEARCH_SEARCH_ENDPOINT is not set: nowhere to search.")
        client = cloudsearch_domain_client(self.search_endpoint)
        try:
            response: dict[str, Any] = client.search(**parameters)
        except ClientError as exc:
            if _status(exc) >= 500 or _status(exc) == 429 or _status(exc) == 0:
                raise SearchUnavailable(f"CloudSearch search failed: {_code(exc)} (HTTP {_status(exc)}).") from None
            raise SearchRejected(f"CloudSearch refused the query: {_code(exc)} (HTTP {_status(exc)}).") from None
        except BotoCoreError as exc:
            raise SearchUnavailable(f"CloudSearch search failed: {exc.__class__.__name__}.") from None
        return response

    def search(self, *, text: str, user_id: int, size: int, start: int) -> SearchPage:
        response = self._search(
            query=text,
            queryParser="simple",
            queryOptions=QUERY_OPTIONS,
            filterQuery=access_filter(user_id=user_id),
            size=size,
            start=start,
            returnFields="_no_fields",
        )
        hits = response["hits"]
        return SearchPage(
            note_ids=[hit["id"] for hit in hits.get("hit", [])],
            found=int(hits.get("found", 0)),
            start=int(hits.get("start", start)),
        )

    def indexed_ids(self) -> Iterator[str]:
        cursor = "initial"
        while True:
            response = self._search(
                query="matchall",
                queryParser="structured",
                cursor=cursor,
                size=LIST_PAGE_SIZE,
                returnFields="_no_fields",
            )
            hits = response["hits"].get("hit", [])
            if not hits:
                return
            yield from (hit["id"] for hit in hits)
            cursor = response["hits"]["cursor"]
