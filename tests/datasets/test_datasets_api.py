"""The datasets API (SPEC §11) with real Cognito tokens: pull/push with syncCount, conflicts,
limits, privacy and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from api.errors import NOT_FOUND, VALIDATION_ERROR
from datasets.errors import DATASET_CONFLICT, DATASET_TOO_LARGE, TOO_MANY_DATASETS, TOO_MANY_RECORDS
from datasets.models import Dataset
from datasets.services import MAX_DATASETS_PER_USER
from tests.members import Member

pytestmark = pytest.mark.django_db


def push(member: Member, name: str, sync_count: int, *records: dict[str, Any]) -> Any:
    return member.client.patch(
        f"/api/v1/datasets/{name}", {"syncCount": sync_count, "records": list(records)}, format="json"
    )


def test_a_push_creates_the_dataset_and_a_pull_returns_changes_since_a_count(alice: Member) -> None:
    first = push(alice, "settings", 0, {"key": "theme", "value": "dark", "syncCount": 0})
    assert first.status_code == 200, first.content
    assert first.json() == {
        "name": "settings",
        "syncCount": 1,
        "records": [{"key": "theme", "value": "dark", "syncCount": 1}],
    }
    second = push(alice, "settings", 1, {"key": "lang", "value": "fr"}, {"key": "theme", "value": None})
    assert second.status_code == 200, second.content
    assert second.json()["syncCount"] == 2

    everything = alice.client.get("/api/v1/datasets/settings")
    since_one = alice.client.get("/api/v1/datasets/settings?sinceSyncCount=1")
    listing = alice.client.get("/api/v1/datasets/")

    assert everything.json()["syncCount"] == 2
    assert {record["key"]: record["value"] for record in everything.json()["records"]} == {
        "lang": "fr",
        "theme": None,  # deleted: a tombstone so other devices delete it too
    }
    assert since_one.json()["records"] == [
        {"key": "lang", "value": "fr", "syncCount": 2},
        {"key": "theme", "value": None, "syncCount": 2},
    ]
    assert alice.client.get("/api/v1/datasets/settings?sinceSyncCount=2").json()["records"] == []
    [summary] = listing.json()
    assert summary["name"] == "settings"
    assert summary["syncCount"] == 2
    assert summary["recordCount"] == 1
    assert summary["sizeBytes"] == len("lang") + len("fr")


def test_a_stale_push_gets_409_with_the_servers_records_and_changes_nothing(alice: Member) -> None:
    push(alice, "prefs", 0, {"key": "a", "value": "1"}, {"key": "b", "value": "1"})
    push(alice, "prefs", 1, {"key": "a", "value": "2", "syncCount": 1})  # another device: a is now at 2

    stale = push(alice, "prefs", 1, {"key": "a", "value": "mine", "syncCount": 1}, {"key": "b", "value": "mine"})

    assert stale.status_code == 409
    body = stale.json()
    assert body["error"]["code"] == DATASET_CONFLICT
    assert body["syncCount"] == 2
    assert body["records"] == [{"key": "a", "value": "2", "syncCount": 2}]
    # All or nothing: b was not conflicting, and it was not written either.
    current = alice.client.get("/api/v1/datasets/prefs").json()
    assert {record["key"]: record["value"] for record in current["records"]} == {"a": "2", "b": "1"}
    assert current["syncCount"] == 2
    # After merging, the push based on the server's count succeeds.
    merged = push(alice, "prefs", 2, {"key": "a", "value": "2+mine", "syncCount": 2}, {"key": "b", "value": "mine"})
    assert merged.status_code == 200
    assert merged.json()["syncCount"] == 3


def test_datasets_are_private_to_their_user(alice: Member, bob: Member) -> None:
    push(alice, "secret", 0, {"key": "pin", "value": "1234"})

    assert bob.client.get("/api/v1/datasets/secret").status_code == 404
    assert bob.client.get("/api/v1/datasets/").json() == []
    assert bob.client.delete("/api/v1/datasets/secret").status_code == 404
    # Bob's own dataset of the same name is another dataset.
    assert push(bob, "secret", 0, {"key": "pin", "value": "0000"}).json()["syncCount"] == 1
    assert alice.client.get("/api/v1/datasets/secret").json()["records"][0]["value"] == "1234"


def test_delete_removes_the_dataset(alice: Member) -> None:
    push(alice, "gone", 0, {"key": "k", "value": "v"})

    deleted = alice.client.delete("/api/v1/datasets/gone")

    assert deleted.status_code == 204
    missing = alice.client.get("/api/v1/datasets/gone")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == NOT_FOUND
    assert not Dataset.objects.filter(name="gone").exists()


@pytest.mark.parametrize("name", ["has space", "slash%2Fname", "émoji", "x" * 129, "a;b"])
def test_bad_dataset_names_are_400_naming_the_rule(alice: Member, name: str) -> None:
    response = push(alice, name, 0, {"key": "k", "value": "v"})

    assert response.status_code in (400, 404), response.content
    if response.status_code == 400:
        assert response.json()["error"]["code"] == VALIDATION_ERROR
        assert "128" in response.json()["error"]["fields"]["name"][0]
    assert not Dataset.objects.exists()


def test_the_longest_names_and_keys_are_accepted_and_one_more_character_is_not(alice: Member) -> None:
    name = "a.b:c-d_" + "n" * 120
    assert push(alice, name, 0, {"key": "k" * 128, "value": "v"}).status_code == 200

    too_long = push(alice, name, 1, {"key": "k" * 129, "value": "v"})

    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == VALIDATION_ERROR
    assert "128" in str(too_long.json()["error"]["fields"])


def test_more_than_20_datasets_is_400_naming_the_limit(alice: Member) -> None:
    for index in range(MAX_DATASETS_PER_USER):
        assert push(alice, f"d{index}", 0, {"key": "k", "value": "v"}).status_code == 200

    response = push(alice, "one-too-many", 0, {"key": "k", "value": "v"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == TOO_MANY_DATASETS
    assert "20" in response.json()["error"]["message"]
    assert Dataset.objects.filter(name="one-too-many").count() == 0
    # An existing one still takes changes.
    assert push(alice, "d0", 1, {"key": "k", "value": "w"}).status_code == 200


def test_more_than_1024_records_is_400_and_nothing_is_written(alice: Member) -> None:
    records = [{"key": f"k{index}", "value": "v"} for index in range(1024)]
    assert push(alice, "big", 0, *records).status_code == 200

    response = push(alice, "big", 1, {"key": "one-more", "value": "v"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == TOO_MANY_RECORDS
    assert "1024" in response.json()["error"]["message"]
    # Deleting one makes room: tombstones do not count.
    assert push(alice, "big", 1, {"key": "k0", "value": None}, {"key": "one-more", "value": "v"}).status_code == 200


def test_more_than_one_megabyte_is_400_naming_the_limit(alice: Member) -> None:
    half = "x" * (512 * 1024)
    assert push(alice, "blobs", 0, {"key": "a", "value": half}).status_code == 200

    response = push(alice, "blobs", 1, {"key": "b", "value": half})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == DATASET_TOO_LARGE
    assert "1 MB" in response.json()["error"]["message"]
    assert alice.client.get("/api/v1/datasets/blobs").json()["syncCount"] == 1
    # Multi-byte characters count as their UTF-8 bytes.
    too_wide = push(alice, "blobs", 1, {"key": "a", "value": "é" * (512 * 1024)})  # 1 MB + the key
    assert too_wide.status_code == 400
    assert too_wide.json()["error"]["code"] == DATASET_TOO_LARGE
    replaced = push(alice, "blobs", 1, {"key": "a", "value": "é" * (300 * 1024)})
    assert replaced.status_code == 200
    assert alice.client.get("/api/v1/datasets/").json()[0]["sizeBytes"] == 1 + 2 * 300 * 1024


@pytest.mark.parametrize(
    "body",
    [
        {"records": []},
        {"syncCount": -1, "records": []},
        {"syncCount": "1", "records": []},
        {"syncCount": 0, "records": [{"key": "", "value": "v"}]},
        {"syncCount": 0, "records": [{"key": 5, "value": "v"}]},
        {"syncCount": 0, "records": [{"key": "k", "value": 5}]},
        {"syncCount": 0, "records": [{"key": "k", "value": "v"}, {"key": "k", "value": "w"}]},
        {"syncCount": 0, "records": "nope"},
    ],
)
def test_bad_pushes_are_400_and_change_nothing(alice: Member, body: dict[str, Any]) -> None:
    response = alice.client.patch("/api/v1/datasets/settings", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == VALIDATION_ERROR
    assert not Dataset.objects.exists()


def test_a_lone_surrogate_is_400_not_a_server_error(alice: Member) -> None:
    # JSON may escape a lone surrogate, which no database column can store.
    body = b'{"syncCount": 0, "records": [{"key": "k", "value": "\\ud800"}]}'

    response = alice.client.generic("PATCH", "/api/v1/datasets/settings", body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == VALIDATION_ERROR
    assert not Dataset.objects.exists()


def test_a_bad_since_count_is_400(alice: Member) -> None:
    push(alice, "settings", 0, {"key": "k", "value": "v"})

    response = alice.client.get("/api/v1/datasets/settings?sinceSyncCount=-3")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == VALIDATION_ERROR


def test_the_datasets_routes_are_in_the_openapi_document_with_examples(alice: Member) -> None:
    schema = alice.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert set(schema["paths"]["/api/v1/datasets/{name}"]) >= {"get", "patch", "delete", "parameters"} or set(
        schema["paths"]["/api/v1/datasets/{name}"]
    ) >= {"get", "patch", "delete"}
    patch = schema["paths"]["/api/v1/datasets/{name}"]["patch"]
    assert patch["operationId"] == "dataset_update"
    assert patch["requestBody"]["content"]["application/json"]["example"]["records"]
    assert patch["responses"]["409"]["content"]["application/json"]["example"]["error"]["code"] == "dataset_conflict"
    assert "/api/v1/datasets" in schema["paths"]  # declared without the slash; both forms answer
