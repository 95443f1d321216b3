"""The HTTP face of the local CloudSearch: document, search and configuration APIs as boto3 calls them."""

from __future__ import annotations

import json
import logging
import sys
import traceback
import urllib.parse
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from devstack.cloudsearch.domain import ConfigurationError, DocumentBatchError, Domain, FieldState, request_id
from devstack.cloudsearch.fields import IndexField, options_key
from devstack.cloudsearch.query import QuerySyntaxError

API_VERSION = "2013-01-01"
SEARCH_PATH = f"/{API_VERSION}/search"
SUGGEST_PATH = f"/{API_VERSION}/suggest"
DOCUMENTS_PATH = f"/{API_VERSION}/documents/batch"
# Not a CloudSearch path: what the process wrapper polls to know the server is up.
HEALTH_PATH = "/health"
# Bodies past the batch limit are still read (to answer with CloudSearch's error); past this one
# the connection is dropped instead.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
CONFIG_XML_NAMESPACE = "http://cloudsearch.amazonaws.com/doc/2013-01-01/"
BOOLEAN_OPTIONS = frozenset(
    {"SearchEnabled", "ReturnEnabled", "SortEnabled", "FacetEnabled", "HighlightEnabled", "Deployed"}
)

logger = logging.getLogger("devstack.cloudsearch")


class CloudSearchHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], domain: Domain, *, verbose: bool = False) -> None:
        super().__init__(address, CloudSearchHandler)
        self.domain = domain
        self.verbose = verbose

    @property
    def endpoint_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class CloudSearchHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait ~40 ms for each.
    disable_nagle_algorithm = True
    server: CloudSearchHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send_json(HTTPStatus.BAD_REQUEST, {"message": "Invalid Content-Length header."})
            return
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _document_error([f"Request over {MAX_REQUEST_BYTES} bytes."])
            )
            return
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        try:
            if path == SEARCH_PATH:
                self._search(url.query, body)
            elif path == DOCUMENTS_PATH and self.command == "POST":
                self._upload(body)
            elif path == SUGGEST_PATH:
                self._send_search_error("Suggesters are not supported by the local CloudSearch server.")
            elif path == HEALTH_PATH:
                self._send_json(HTTPStatus.OK, {"status": "ok", "documents": len(self.server.domain)})
            elif path == "/":
                self._configure(_parameters(url.query, body, self.headers.get("Content-Type", "")))
            else:
                self._send_json(HTTPStatus.NOT_FOUND, {"message": f"No such path: {self.command} {url.path}"})
        except Exception:
            # Shown even when quiet: a bug in the emulator must not look like a client error.
            traceback.print_exc(file=sys.stderr)
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"__type": "#InternalException", "message": "Internal error in the local CloudSearch server."},
            )

    def _search(self, query_string: str, body: bytes) -> None:
        params = _parameters(query_string, body, self.headers.get("Content-Type", ""))
        try:
            response = self.server.domain.search(params)
        except QuerySyntaxError as exc:
            self._send_search_error(str(exc))
            return
        self._send_json(HTTPStatus.OK, response)

    def _upload(self, body: bytes) -> None:
        try:
            response = self.server.domain.upload_documents(body, self.headers.get("Content-Type", ""))
        except DocumentBatchError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, _document_error(exc.messages))
            return
        self._send_json(HTTPStatus.OK, response)

    def _send_search_error(self, message: str) -> None:
        # The shape CloudSearch answers with; botocore reads "__type" into a SearchException.
        self._send_json(
            HTTPStatus.BAD_REQUEST,
            {"error": {"rid": request_id(), "message": message}, "__type": "#SearchException", "message": message},
        )

    def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", request_id())
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    # --- the configuration API (AWS query protocol: form-encoded Action=..., XML answers) ---------

    def _configure(self, params: dict[str, str]) -> None:
        action = params.get("Action", "")
        domain = self.server.domain
        try:
            if action not in _CONFIG_ACTIONS:
                raise ConfigurationError(
                    "InvalidAction", f"The local CloudSearch server does not implement {action!r}."
                )
            if params.get("DomainName", domain.name) != domain.name:
                raise ConfigurationError(
                    "ResourceNotFound",
                    f"Domain {params['DomainName']} does not exist; this local server serves {domain.name!r}.",
                    status=409,
                )
            result = _CONFIG_ACTIONS[action](self, params)
        except ConfigurationError as exc:
            self._send_xml(exc.status, _xml_error(exc.code, str(exc)))
            return
        self._send_xml(
            HTTPStatus.OK,
            f'<{action}Response xmlns="{CONFIG_XML_NAMESPACE}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata></{action}Response>",
        )

    def _send_xml(self, status: int, document: str) -> None:
        self._send(HTTPStatus(status), document.encode("utf-8"), "text/xml")

    def _define_index_field(self, params: dict[str, str]) -> str:
        definition = _nested(params, "IndexField")
        index_field, state = self.server.domain.define_index_field(definition)
        return f"<IndexField>{_field_status_xml(index_field, state)}</IndexField>"

    def _delete_index_field(self, params: dict[str, str]) -> str:
        index_field, state = self.server.domain.delete_index_field(params.get("IndexFieldName", ""))
        return f"<IndexField>{_field_status_xml(index_field, state, pending_deletion=True)}</IndexField>"

    def _describe_index_fields(self, params: dict[str, str]) -> str:
        names = [value for key, value in sorted(params.items()) if key.startswith("FieldNames.member.")]
        members = "".join(
            f"<member>{_field_status_xml(index_field, state)}</member>"
            for index_field, state in self.server.domain.describe_index_fields(names)
        )
        return f"<IndexFields>{members}</IndexFields>"

    def _index_documents(self, params: dict[str, str]) -> str:
        names = "".join(f"<member>{escape(name)}</member>" for name in self.server.domain.index_documents())
        return f"<FieldNames>{names}</FieldNames>"

    def _describe_domains(self, params: dict[str, str]) -> str:
        wanted = [value for key, value in params.items() if key.startswith("DomainNames.member.")]
        if wanted and self.server.domain.name not in wanted:
            return "<DomainStatusList></DomainStatusList>"
        return f"<DomainStatusList><member>{self._domain_status_xml()}</member></DomainStatusList>"

    def _create_domain(self, params: dict[str, str]) -> str:
        return f"<DomainStatus>{self._domain_status_xml()}</DomainStatus>"

    def _domain_status_xml(self) -> str:
        name = escape(self.server.domain.name)
        endpoint = escape(self.server.endpoint_url.removeprefix("http://"))
        return (
            f"<DomainId>000000000000/{name}</DomainId><DomainName>{name}</DomainName>"
            f"<ARN>arn:aws:cloudsearch:us-east-1:000000000000:domain/{name}</ARN>"
            "<Created>true</Created><Deleted>false</Deleted>"
            f"<DocService><Endpoint>{endpoint}</Endpoint></DocService>"
            f"<SearchService><Endpoint>{endpoint}</Endpoint></SearchService>"
            "<RequiresIndexDocuments>false</RequiresIndexDocuments><Processing>false</Processing>"
        )


_CONFIG_ACTIONS = {
    "CreateDomain": CloudSearchHandler._create_domain,
    "DefineIndexField": CloudSearchHandler._define_index_field,
    "DeleteIndexField": CloudSearchHandler._delete_index_field,
    "DescribeDomains": CloudSearchHandler._describe_domains,
    "DescribeIndexFields": CloudSearchHandler._describe_index_fields,
    "IndexDocuments": CloudSearchHandler._index_documents,
}


def _parameters(query_string: str, body: bytes, content_type: str) -> dict[str, str]:
    """URL and form-body parameters together (botocore moves a search's query string into the body)."""
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    if body and content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        pairs += urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return dict(pairs)


def _document_error(messages: list[str]) -> dict[str, Any]:
    return {
        "status": "error",
        "adds": 0,
        "deletes": 0,
        "errors": [{"message": message} for message in messages],
        "message": messages[0] if messages else "Invalid batch.",
        "__type": "#DocumentServiceException",
    }


def _nested(params: dict[str, str], prefix: str) -> dict[str, Any]:
    """Query-protocol keys "IndexField.TextOptions.ReturnEnabled=true" as a nested structure."""
    result: dict[str, Any] = {}
    for key, value in params.items():
        if not key.startswith(prefix + "."):
            continue
        parts = key[len(prefix) + 1 :].split(".")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        leaf = parts[-1]
        target[leaf] = value == "true" if leaf in BOOLEAN_OPTIONS else value
    return result


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _field_status_xml(index_field: IndexField, state: FieldState, *, pending_deletion: bool = False) -> str:
    options = index_field.definition.get(options_key(index_field.type)) or {}
    option_xml = "".join(f"<{key}>{_xml_value(value)}</{key}>" for key, value in options.items())
    status = "RequiresIndexDocuments" if state.pending else "Active"
    return (
        f"<Options><IndexFieldName>{escape(index_field.name)}</IndexFieldName>"
        f"<IndexFieldType>{index_field.type}</IndexFieldType>"
        f"<{options_key(index_field.type)}>{option_xml}</{options_key(index_field.type)}></Options>"
        f"<Status><CreationDate>{_timestamp(state.created)}</CreationDate>"
        f"<UpdateDate>{_timestamp(state.updated)}</UpdateDate><UpdateVersion>{state.version}</UpdateVersion>"
        f"<State>{status}</State><PendingDeletion>{_xml_value(pending_deletion)}</PendingDeletion></Status>"
    )


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml_error(code: str, message: str) -> str:
    return (
        f'<ErrorResponse xmlns="{CONFIG_XML_NAMESPACE}"><Error><Type>Sender</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id()}</RequestId></ErrorResponse>"
    )
