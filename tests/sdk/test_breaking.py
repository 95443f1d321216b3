"""sdk/breaking.py, the check `make openapi` runs against the previous snapshot: what would break a
shipped app is reported, what would not (additions, a renamed path parameter, a trailing slash) is not."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sdk.breaking import breaking_changes
from sdk.snapshot import main as snapshot_main
from sdk.tools import SNAPSHOT

NOTE_PATH = "/api/v1/notes/{noteId}"
NOTES_PATH = "/api/v1/notes"


@pytest.fixture
def snapshot() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return document


def changed(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)


def test_the_same_document_breaks_nothing(snapshot: dict[str, Any]) -> None:
    assert breaking_changes(snapshot, changed(snapshot)) == []


def test_additions_break_nothing(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    new["paths"]["/api/v1/things"] = {"get": {"operationId": "things_list", "responses": {"200": {}}}}
    new["components"]["schemas"]["Note"]["properties"]["mood"] = {"type": "string"}
    new["paths"][NOTES_PATH]["get"]["parameters"].append(
        {"name": "mood", "in": "query", "required": False, "schema": {"type": "string"}}
    )

    assert breaking_changes(snapshot, new) == []


def test_a_renamed_path_parameter_or_a_trailing_slash_is_the_same_route(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    item = new["paths"].pop(NOTE_PATH)
    for operation in item.values():
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path":
                parameter["name"] = "id"
    new["paths"]["/api/v1/notes/{id}/"] = item

    assert breaking_changes(snapshot, new) == []


def test_a_removed_route_or_method_is_breaking(snapshot: dict[str, Any]) -> None:
    without_route = changed(snapshot)
    del without_route["paths"]["/api/v1/uploads"]
    without_method = changed(snapshot)
    del without_method["paths"][NOTE_PATH]["put"]

    assert breaking_changes(snapshot, without_route) == ["/api/v1/uploads: route removed"]
    assert breaking_changes(snapshot, without_method) == [f"PUT {NOTE_PATH}: operation removed"]


def test_a_renamed_operation_id_is_breaking(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    new["paths"][NOTE_PATH]["get"]["operationId"] = "note_read"

    assert breaking_changes(snapshot, new) == [f"GET {NOTE_PATH}: operationId 'note_get' became 'note_read'"]


def test_a_response_field_removed_or_made_optional_or_nullable_is_breaking(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    note = new["components"]["schemas"]["Note"]
    del note["properties"]["headline"]
    note["required"].remove("text")
    note["properties"]["version"]["nullable"] = True

    problems = breaking_changes(snapshot, new)

    assert f"GET {NOTE_PATH} 200.headline: response field removed" in problems
    assert f"GET {NOTE_PATH} 200.text: no longer always present" in problems
    assert f"GET {NOTE_PATH} 200.version: may now be null" in problems


def test_a_new_required_parameter_or_request_field_is_breaking(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    new["paths"][NOTES_PATH]["get"]["parameters"].append(
        {"name": "mood", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    request = new["components"]["schemas"]["UploadCreateRequest"]
    request["properties"]["checksum"] = {"type": "string"}
    request["required"].append("checksum")

    problems = breaking_changes(snapshot, new)

    assert f"GET {NOTES_PATH} query parameter mood: new required parameter" in problems
    assert "POST /api/v1/uploads request.checksum: new required field" in problems


def test_an_enum_value_no_longer_accepted_is_breaking(snapshot: dict[str, Any]) -> None:
    new = changed(snapshot)
    new["components"]["schemas"]["Visibility"]["enum"].remove("public")

    problems = breaking_changes(snapshot, new)

    assert f"POST {NOTES_PATH} request.visibility: the value 'public' is no longer accepted" in problems


def test_make_openapi_refuses_a_breaking_change_and_writes_nothing(
    snapshot: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A previous contract promising a response field the code no longer sends.
    previous = changed(snapshot)
    previous["components"]["schemas"]["Me"]["properties"]["nickname"] = {"type": "string"}
    previous_file = tmp_path / "previous.json"
    previous_file.write_text(json.dumps(previous), encoding="utf-8")
    before = SNAPSHOT.read_bytes()

    refused = snapshot_main(["--previous", str(previous_file)])
    accepted = snapshot_main(["--previous", str(previous_file), "--accept-breaking"])

    output = capsys.readouterr().out
    assert refused == 1
    assert "GET /api/v1/me 200.nickname: response field removed" in output
    assert "Nothing written" in output
    assert accepted == 0
    assert SNAPSHOT.read_bytes() == before  # the code's document is the committed one already
