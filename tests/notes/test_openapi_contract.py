"""Issue 18: the OpenAPI document as generated clients need it — names that read well, a typed error
per operation, shared enums, servers, the headers and conditional parameters the API really uses,
a required PATCH body and examples everywhere — and the API answering as the document says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from api.error_codes import VALIDATION_ERROR
from api.openapi import error_codes
from api.openapi_contract import REQUEST_ID_HEADER as DOCUMENTED_REQUEST_ID_HEADER
from project.logs import REQUEST_ID_HEADER
from tests.members import Member

pytestmark = pytest.mark.django_db

SCHEMAS = "#/components/schemas/"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    served: dict[str, Any] = Client().get("/api/schema/").json()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def component(document: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][reference["$ref"].removeprefix(SCHEMAS)]
    return found


def test_component_names_read_well_in_swift_kotlin_and_typescript(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])

    assert {"Note", "NotePage", "NoteCreateRequest", "NotePatchRequest", "MeUpdateRequest", "Me"} <= names
    assert "CreateNoteRequest" in names  # the reference architecture's own name
    assert not [name for name in names if re.search(r"(RequestRequest|InputRequest|Input|Output)$", name)]
    assert "Error" not in names  # ModelError in Swift and TypeScript, shadows kotlin.Error


def test_the_visibility_enum_is_one_component_shared_by_bodies_and_the_list_filter(document: dict[str, Any]) -> None:
    list_parameters = {p["name"]: p for p in document["paths"]["/api/v1/notes"]["get"]["parameters"]}
    note = document["components"]["schemas"]["Note"]

    assert document["components"]["schemas"]["Visibility"]["enum"] == ["private", "public"]
    assert list_parameters["visibility"]["schema"] == {"$ref": f"{SCHEMAS}Visibility"}
    assert note["properties"]["visibility"] == {"$ref": f"{SCHEMAS}Visibility"}
    assert list_parameters["scope"]["schema"] == {"$ref": f"{SCHEMAS}NoteListScope"}


def test_servers_are_declared(document: dict[str, Any]) -> None:
    urls = [server["url"] for server in document["servers"]]

    assert urls
    assert not [url for url in urls if url.startswith("http://localhost")]


def test_every_body_is_required_and_has_an_example_and_every_answer_too(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        if method in {"post", "put", "patch"}:
            body = operation["requestBody"]
            assert body["required"] is True, where
            assert body["content"]["application/json"]["example"], where
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if content is not None:
                assert content.get("example") is not None, f"{where} {status}"
            assert REQUEST_ID_HEADER in response["headers"], f"{where} {status}"


def test_each_error_example_uses_a_code_of_its_operation_and_status(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]["application/json"]
            body = component(document, component(document, content["schema"])["properties"]["error"])
            codes = component(document, body["properties"]["code"])["enum"]
            example = content["example"]["error"]
            assert example["code"] in codes, f"{method} {path} {status}"
            assert error_codes()[example["code"]][0] == int(status), f"{method} {path} {status}"


def test_conditional_headers_are_declared_where_the_api_honours_them(document: dict[str, Any]) -> None:
    note_path = document["paths"]["/api/v1/notes/{noteId}"]

    def headers(operation: dict[str, Any]) -> set[str]:
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}

    assert [p["name"] for p in note_path["get"]["parameters"] if p["in"] == "path"] == ["noteId"]
    assert headers(note_path["get"]) == {"If-None-Match"}
    for method in ("patch", "put", "delete"):
        # If-Match, and the writing device (its other devices get the silent push: push/).
        assert headers(note_path[method]) == {"If-Match", "X-Device-Id"}, method
    assert set(note_path["get"]["responses"]["200"]["headers"]) >= {"ETag", REQUEST_ID_HEADER}
    assert "ETag" in note_path["get"]["responses"]["304"]["headers"]
    assert "ETag" in note_path["patch"]["responses"]["412"]["headers"]
    created = document["paths"]["/api/v1/notes"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location"} <= set(created)
    assert "Retry-After" in document["paths"]["/api/v1/notes"]["get"]["responses"]["429"]["headers"]


def test_the_declared_headers_are_the_ones_the_api_sends(alice: Member) -> None:
    assert DOCUMENTED_REQUEST_ID_HEADER == REQUEST_ID_HEADER
    created = alice.client.post("/api/v1/notes", {"headline": "Headers", "text": "x"}, format="json")
    note_id = created.json()["noteId"]
    read = alice.client.get(f"/api/v1/notes/{note_id}")
    unchanged = alice.client.get(f"/api/v1/notes/{note_id}", HTTP_IF_NONE_MATCH=read["ETag"])

    assert created.status_code == 201
    assert created["Location"] == f"/api/v1/notes/{note_id}"
    assert read["ETag"] == '"1"'
    assert read[REQUEST_ID_HEADER]
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == '"1"'


def test_validation_fields_are_always_a_list_of_strings_per_field(alice: Member) -> None:
    response = alice.client.post(
        "/api/v1/notes", {"headline": "Fine", "text": "Fine", "tags": ["ok", "x" * 65]}, format="json"
    )

    fields = response.json()["error"]["fields"]
    assert response.status_code == 400
    assert response.json()["error"]["code"] == VALIDATION_ERROR
    assert list(fields) == ["tags"]
    assert all(isinstance(message, str) for message in fields["tags"])
    assert fields["tags"][0].startswith("1: ")
