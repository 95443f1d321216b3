"""One local search domain: document batches, searches and field definitions, thread-safe and persisted."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.cloudsearch.fields import IndexField, IndexFieldError, parse_index_field, parse_index_fields
from devstack.cloudsearch.index import Document, SearchIndex, comparable
from devstack.cloudsearch.query import (
    Boolean,
    Query,
    QuerySyntaxError,
    Value,
    parse_date,
    parse_query_options,
    parse_simple,
    parse_structured,
)
from devstack.cloudsearch.store import DocumentStore

# CloudSearch's limits for one upload_documents call and one document in it.
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024
# Document ids: 1-128 of these characters (CloudSearch 2013-01-01).
DOCUMENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_\-=#;:/?@&]{1,128}")
# Characters XML 1.0 cannot carry: CloudSearch refuses them in field values.
INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_REPORTED_ERRORS = 10
DEFAULT_SIZE = 10
MAX_RESULT_WINDOW = 10_000
INT64_RANGE = range(-(2**63), 2**63)
UNSUPPORTED_SEARCH_PARAMETERS = ("facet", "highlight", "expr", "stats")
SUPPORTED_PARSERS = ("simple", "structured")


class DocumentBatchError(ValueError):
    """A batch CloudSearch would refuse as a whole; `messages` lists what is wrong."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages[:MAX_REPORTED_ERRORS]


class ConfigurationError(ValueError):
    """A configuration call CloudSearch would refuse; `code` is its AWS error code."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class FieldState:
    created: float
    updated: float
    version: int
    pending: bool


class Domain:
    """Everything the HTTP server serves, behind one lock (searches are fast; writes are rare)."""

    def __init__(self, data_dir: Path, fields: dict[str, IndexField], *, name: str = "notes") -> None:
        self.name = name
        self._lock = threading.RLock()
        self._store = DocumentStore(data_dir)
        # Fields defined through the configuration API win over the ones the server started with.
        stored = parse_index_fields(self._store.index_field_definitions())
        self._fields = {**fields, **stored}
        now = time.time()
        self._field_states = {name: FieldState(now, now, 1, pending=False) for name in self._fields}
        self._index = SearchIndex(self._fields)
        for document_id, document in self._store.documents():
            self._index.put(document_id, document)

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def __len__(self) -> int:
        return len(self._index)

    # --- the document service --------------------------------------------------------------------

    def upload_documents(self, body: bytes, content_type: str) -> dict[str, Any]:
        """Apply one batch (all of it, or nothing) and answer as CloudSearch does."""
        media_type = content_type.split(";")[0].strip().lower()
        if media_type == "application/xml":
            raise DocumentBatchError(["XML batches are not supported by the local server; send application/json."])
        if media_type != "application/json":
            raise DocumentBatchError([f"Content-Type must be application/json, not {content_type or 'missing'}."])
        if len(body) > MAX_BATCH_BYTES:
            raise DocumentBatchError([f"Request size exceeded {MAX_BATCH_BYTES} bytes ({len(body)} bytes sent)."])
        try:
            operations = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DocumentBatchError([f"The batch is not valid JSON: {exc}."]) from exc
        if not isinstance(operations, list) or not operations:
            raise DocumentBatchError(["The batch must be a non-empty JSON array of add and delete operations."])
        with self._lock:
            final: dict[str, Document | None] = {}
            adds = deletes = 0
            errors: list[str] = []
            for number, operation in enumerate(operations, start=1):
                try:
                    document_id, document = self._validated_operation(operation)
                except ValueError as exc:
                    errors.append(f"Operation {number}: {exc}")
                    continue
                final[document_id] = document
                if document is None:
                    deletes += 1
                else:
                    adds += 1
            if errors:
                raise DocumentBatchError(errors)
            self._store.apply(
                [(document_id, document) for document_id, document in final.items() if document is not None],
                [document_id for document_id, document in final.items() if document is None],
            )
            for document_id, document in final.items():
                if document is None:
                    self._index.remove(document_id)
                else:
                    self._index.put(document_id, document)
        return {"status": "success", "adds": adds, "deletes": deletes}

    def _validated_operation(self, operation: Any) -> tuple[str, Document | None]:
        if not isinstance(operation, dict):
            raise ValueError("each operation must be a JSON object with type and id.")
        operation_type = operation.get("type")
        document_id = operation.get("id")
        if not isinstance(document_id, str) or not document_id:
            raise ValueError("missing id.")
        if not DOCUMENT_ID_PATTERN.fullmatch(document_id):
            raise ValueError(
                f"invalid id {document_id[:140]!r}: 1-128 characters from a-z A-Z 0-9 and _ - = # ; : / ? @ &."
            )
        if operation_type == "delete":
            return document_id, None
        if operation_type != "add":
            raise ValueError(f'unknown type {operation_type!r} for document {document_id}: use "add" or "delete".')
        size = len(json.dumps(operation, ensure_ascii=False).encode("utf-8"))
        if size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"document {document_id} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}.")
        raw_fields = operation.get("fields")
        if not isinstance(raw_fields, dict):
            raise ValueError(f"document {document_id}: an add needs a fields object.")
        document: Document = {}
        for name, raw in raw_fields.items():
            index_field = self._fields.get(name)
            if index_field is None:
                raise ValueError(
                    f"document {document_id}: unknown field name {name!r}; define it as an index field first."
                )
            values = _field_values(index_field, raw, document_id)
            if values:
                document[name] = values
        for name, index_field in self._fields.items():
            if name not in document and index_field.default_value is not None:
                document[name] = _field_values(index_field, index_field.default_value, document_id)
        return document_id, document

    # --- the search service ----------------------------------------------------------------------

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        """Run a search request (its query-string parameters) and build CloudSearch's response."""
        started = time.monotonic()
        sdk_format = params.get("format") == "sdk"
        for name in params:
            if name.split(".")[0] in UNSUPPORTED_SEARCH_PARAMETERS:
                raise QuerySyntaxError(f"The local CloudSearch server does not support {name!r}.")
        if "q" not in params:
            raise QuerySyntaxError("Missing required parameter q.")
        parser_name = params.get("q.parser", "simple") or "simple"
        if parser_name not in SUPPORTED_PARSERS:
            if parser_name in ("lucene", "dismax"):
                raise QuerySyntaxError(f"q.parser={parser_name} is not supported locally; use simple or structured.")
            raise QuerySyntaxError(f"Unknown q.parser {parser_name!r}: use simple, structured, lucene or dismax.")
        with self._lock:
            options = parse_query_options(params.get("q.options", ""), self._fields)
            parse = parse_simple if parser_name == "simple" else parse_structured
            query: Query = parse(params["q"], options, self._fields)
            filter_query = parse_structured(params["fq"], options, self._fields) if params.get("fq") else None
            start, size = _paging(params)
            sort = self._sort_order(params.get("sort", ""))
            returned, with_score = self._returned_fields(params.get("return", ""))
            scores = self._index.evaluate(query)
            if filter_query is not None:
                # A filter only narrows the matches: its own scores are thrown away.
                allowed = self._index.evaluate(Boolean(must=(filter_query,)))
                scores = {document_id: score for document_id, score in scores.items() if document_id in allowed}
            ranked = self._ranked(scores, sort)
            page = ranked[start : start + size]
            hits = [
                self._hit(document_id, scores[document_id], returned, with_score, sdk_format) for document_id in page
            ]
        elapsed_ms = int((time.monotonic() - started) * 1000)
        status: dict[str, Any] = {"rid": request_id()}
        status["timems" if sdk_format else "time-ms"] = elapsed_ms
        hits_body: dict[str, Any] = {"found": len(scores), "start": start, "hit": hits}
        if "cursor" in params:
            hits_body["cursor"] = _encode_cursor(start + size)
            del hits_body["start"]
        return {"status": status, "hits": hits_body}

    def _sort_order(self, raw: str) -> list[tuple[str, bool]]:
        order: list[tuple[str, bool]] = []
        for clause in (part.strip() for part in raw.split(",")):
            if not clause:
                continue
            words = clause.split()
            if len(words) != 2 or words[1] not in ("asc", "desc"):
                raise QuerySyntaxError(f"Invalid sort {clause!r}: use 'field asc' or 'field desc', comma-separated.")
            name, direction = words
            if name != "_score":
                index_field = self._fields.get(name)
                if index_field is None:
                    raise QuerySyntaxError(f"Invalid sort: field ({name}) does not exist.")
                if not index_field.sort_enabled or index_field.is_array:
                    raise QuerySyntaxError(f"Invalid sort: field ({name}) is not sort enabled.")
            order.append((name, direction == "desc"))
        return order or [("_score", True)]

    def _returned_fields(self, raw: str) -> tuple[list[str], bool]:
        enabled = [name for name, index_field in self._fields.items() if index_field.return_enabled]
        names = [part.strip() for part in raw.split(",") if part.strip()] or ["_all_fields"]
        returned: list[str] = []
        with_score = False
        for name in names:
            if name == "_all_fields":
                returned.extend(enabled)
            elif name == "_no_fields":
                continue
            elif name == "_score":
                with_score = True
            elif name not in self._fields:
                raise QuerySyntaxError(f"Invalid return: field ({name}) does not exist.")
            elif not self._fields[name].return_enabled:
                raise QuerySyntaxError(f"Invalid return: field ({name}) is not return enabled.")
            else:
                returned.append(name)
        return list(dict.fromkeys(returned)), with_score

    def _ranked(self, scores: dict[str, float], sort: list[tuple[str, bool]]) -> list[str]:
        # Stable sorts from the last key to the first; the id settles ties so pages never overlap.
        ranked = sorted(scores)
        for name, descending in reversed(sort):
            if name == "_score":
                ranked.sort(key=lambda document_id: scores[document_id], reverse=descending)
                continue
            index_field = self._fields[name]

            def has_value(document_id: str, name: str = name) -> bool:
                return bool(self._index.documents[document_id].get(name))

            present = [document_id for document_id in ranked if has_value(document_id)]
            missing = [document_id for document_id in ranked if not has_value(document_id)]
            present.sort(
                key=lambda document_id, name=name, index_field=index_field: comparable(  # type: ignore[misc]
                    index_field, self._index.documents[document_id][name][0]
                ),
                reverse=descending,
            )
            ranked = present + missing
        return ranked

    def _hit(
        self, document_id: str, score: float, returned: list[str], with_score: bool, sdk_format: bool
    ) -> dict[str, Any]:
        document = self._index.documents[document_id]
        fields: dict[str, Any] = {}
        for name in returned:
            values = document.get(name)
            if not values:
                continue
            as_text = [str(value) for value in values]
            # botocore expects lists of strings; plain JSON gives single-valued fields as strings.
            fields[name] = as_text if sdk_format or self._fields[name].is_array else as_text[0]
        if with_score:
            fields["_score"] = [f"{score:.6g}"] if sdk_format else f"{score:.6g}"
        hit: dict[str, Any] = {"id": document_id}
        if fields:
            hit["fields"] = fields
        return hit

    # --- the configuration service ---------------------------------------------------------------

    def define_index_field(self, definition: dict[str, Any]) -> tuple[IndexField, FieldState]:
        try:
            index_field = parse_index_field(definition)
        except IndexFieldError as exc:
            raise ConfigurationError("ValidationException", str(exc)) from exc
        with self._lock:
            now = time.time()
            previous = self._field_states.get(index_field.name)
            state = FieldState(
                previous.created if previous else now, now, (previous.version + 1) if previous else 1, pending=True
            )
            self._store.save_index_field(index_field.name, definition)
            self._fields = {**self._fields, index_field.name: index_field}
            self._field_states[index_field.name] = state
            # Locally the field works at once; its state still says RequiresIndexDocuments, as in AWS.
            self._index.rebuild(self._fields)
            return index_field, state

    def delete_index_field(self, name: str) -> tuple[IndexField, FieldState]:
        with self._lock:
            index_field = self._fields.get(name)
            if index_field is None:
                raise ConfigurationError("ResourceNotFound", f"Index field {name} does not exist.", status=409)
            self._store.delete_index_field(name)
            self._fields = {key: value for key, value in self._fields.items() if key != name}
            state = self._field_states.pop(name)
            self._index.rebuild(self._fields)
            return index_field, state

    def describe_index_fields(self, names: list[str]) -> list[tuple[IndexField, FieldState]]:
        with self._lock:
            chosen = names or sorted(self._fields)
            return [(self._fields[name], self._field_states[name]) for name in chosen if name in self._fields]

    def index_documents(self) -> list[str]:
        with self._lock:
            for state in self._field_states.values():
                state.pending = False
            self._index.rebuild(self._fields)
            return sorted(self._fields)


def _field_values(index_field: IndexField, raw: Any, document_id: str) -> list[Value]:
    problem = f"document {document_id}, field {index_field.name}"
    if raw is None:
        raise ValueError(f"{problem}: null is not a value; leave the field out instead.")
    if isinstance(raw, list):
        if not index_field.is_array:
            raise ValueError(f"{problem}: a list was sent, but {index_field.type} fields hold one value.")
        items = raw
    else:
        items = [raw]
    return [_field_value(index_field, item, problem) for item in items]


def _field_value(index_field: IndexField, raw: Any, problem: str) -> Value:
    base_type = index_field.base_type
    if raw is None or isinstance(raw, dict | list | bool):
        raise ValueError(f"{problem}: {json.dumps(raw)} is not a valid {base_type} value.")
    if base_type in ("text", "literal"):
        if not isinstance(raw, str):
            raise ValueError(f"{problem}: {base_type} values are strings, not {json.dumps(raw)}.")
        if INVALID_CHARACTERS.search(raw):
            raise ValueError(f"{problem}: contains a control character that is not allowed.")
        return raw
    if base_type == "int":
        try:
            value = int(raw) if isinstance(raw, int) or (isinstance(raw, str) and re.fullmatch(r"-?\d+", raw)) else None
        except ValueError:
            value = None
        if value is None or value not in INT64_RANGE:
            raise ValueError(f"{problem}: {json.dumps(raw)} is not a 64-bit integer.")
        return value
    if base_type == "double":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{problem}: {json.dumps(raw)} is not a number.") from None
    if base_type == "date":
        if not isinstance(raw, str):
            raise ValueError(f"{problem}: dates are strings like 2024-05-01T12:00:00Z.")
        try:
            parse_date(raw)
        except ValueError as exc:
            raise ValueError(f"{problem}: {exc}.") from None
        return raw
    raise ValueError(f"{problem}: {index_field.type} fields are not supported by the local server.")


def _paging(params: dict[str, str]) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = params.get(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"\d+", raw):
            raise QuerySyntaxError(f"{name} must be a non-negative integer, not {raw!r}.")
        return int(raw)

    size = number("size", DEFAULT_SIZE)
    if "cursor" in params:
        if "start" in params:
            raise QuerySyntaxError("Use either start or cursor, not both.")
        start = _decode_cursor(params["cursor"])
    else:
        start = number("start", 0)
        if start + size > MAX_RESULT_WINDOW:
            raise QuerySyntaxError(f"start + size must be at most {MAX_RESULT_WINDOW}; page deeper with cursor.")
    if size > MAX_RESULT_WINDOW:
        raise QuerySyntaxError(f"size must be at most {MAX_RESULT_WINDOW}.")
    return start, size


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"local:{position}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if cursor == "initial":
        return 0
    try:
        kind, _, position = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "local" and position.isdigit():
            return int(position)
    except (ValueError, UnicodeDecodeError):
        pass
    raise QuerySyntaxError(f"Invalid cursor {cursor!r}: start with cursor=initial and pass back hits.cursor.")


def request_id() -> str:
    """A fresh id for status.rid and x-amzn-RequestId."""
    return base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
