"""The local CloudSearch document service through boto3: batches of adds and deletes, and refused batches."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from devstack.cloudsearch.domain import MAX_BATCH_BYTES, MAX_DOCUMENT_BYTES
from tests.devstack.cloudsearch_helpers import delete, note, search_ids, structured_ids, upload


def all_ids(client: Any) -> list[str]:
    return sorted(structured_ids(client, "matchall", size=100))


def test_a_batch_of_adds_answers_like_cloudsearch_and_is_searchable(cloudsearch_domain: Any) -> None:
    response = upload(cloudsearch_domain, note("n1", headline="Paris trip"), note("n2", headline="Rome trip"))

    assert response["status"] == "success"
    assert (response["adds"], response["deletes"]) == (2, 0)
    assert sorted(search_ids(cloudsearch_domain, "trip")) == ["n1", "n2"]


def test_an_add_replaces_the_whole_document(cloudsearch_domain: Any) -> None:
    upload(cloudsearch_domain, note("n1", headline="Paris trip", s3_url="https://cdn.example/p.jpg"))

    upload(cloudsearch_domain, note("n1", headline="Rome trip"))

    assert search_ids(cloudsearch_domain, "paris") == []
    hit = cloudsearch_domain.search(query="rome")["hits"]["hit"][0]
    assert hit["id"] == "n1"
    assert hit["fields"]["headline"] == ["Rome trip"]
    assert "s3_url" not in hit["fields"]


def test_delete_removes_the_document_and_an_unknown_id_is_fine(cloudsearch_domain: Any) -> None:
    upload(cloudsearch_domain, note("n1", headline="Paris"), note("n2", headline="Paris"))

    response = upload(cloudsearch_domain, delete("n1"), delete("never-added"))

    assert (response["status"], response["adds"], response["deletes"]) == ("success", 0, 2)
    assert search_ids(cloudsearch_domain, "paris") == ["n2"]


def test_replaying_a_batch_changes_nothing(cloudsearch_domain: Any) -> None:
    batch = (note("n1", headline="Paris"), note("n2", headline="Rome"), delete("n2"), note("n3", headline="Oslo"))

    first = upload(cloudsearch_domain, *batch)
    state = all_ids(cloudsearch_domain)
    second = upload(cloudsearch_domain, *batch)

    assert first == {**second, "ResponseMetadata": first["ResponseMetadata"]}
    assert all_ids(cloudsearch_domain) == state == ["n1", "n3"]


def test_operations_apply_in_order_within_a_batch(cloudsearch_domain: Any) -> None:
    upload(cloudsearch_domain, note("n1", headline="one"), delete("n1"), delete("n2"), note("n2", headline="two"))

    assert all_ids(cloudsearch_domain) == ["n2"]


def test_a_single_valued_field_refuses_a_list(cloudsearch_domain: Any) -> None:
    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException, match="hold one value"):
        upload(cloudsearch_domain, note("n1", headline=["a", "b"]))


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        (note("n1", colour="red"), "unknown field name 'colour'"),
        ({"type": "upsert", "id": "n1", "fields": {}}, "unknown type 'upsert'"),
        ({"type": "add", "fields": {"headline": "x"}}, "missing id"),
        (note("bad id with spaces"), "invalid id"),
        (note("x" * 129), "invalid id"),
        (note("n1", headline=12), "text values are strings"),
        (note("n1", user_id=None), "null is not a value"),
        (note("n1", updated_at="yesterday"), "RFC 3339"),
        (note("n1", note_text="bell \x07"), "control character"),
        ({"type": "add", "id": "n1"}, "needs a fields object"),
    ],
)
def test_an_invalid_operation_is_a_document_service_exception(
    cloudsearch_domain: Any, operation: dict[str, Any], problem: str
) -> None:
    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException) as excinfo:
        upload(cloudsearch_domain, operation)

    assert excinfo.value.response["Error"]["Code"] == "DocumentServiceException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert excinfo.value.response["status"] == "error"
    assert problem in str(excinfo.value)


def test_one_bad_operation_refuses_the_whole_batch(cloudsearch_domain: Any) -> None:
    upload(cloudsearch_domain, note("n0", headline="kept"))

    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException):
        upload(cloudsearch_domain, note("n1", headline="good"), delete("n0"), note("n2", colour="red"))

    assert all_ids(cloudsearch_domain) == ["n0"]


@pytest.mark.parametrize("body", [b"{not json", b'{"type": "add"}', b"[]", b"[42]"])
def test_a_batch_that_is_not_a_list_of_operations_is_refused(cloudsearch_domain: Any, body: bytes) -> None:
    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException):
        cloudsearch_domain.upload_documents(documents=body, contentType="application/json")


def test_xml_batches_are_refused_with_a_reason(cloudsearch_domain: Any) -> None:
    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException, match="XML batches are not supported"):
        cloudsearch_domain.upload_documents(documents=b"<batch/>", contentType="application/xml")


def test_a_document_over_one_megabyte_is_refused(cloudsearch_domain: Any) -> None:
    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException, match="the limit is"):
        upload(cloudsearch_domain, note("big", note_text="word " * (MAX_DOCUMENT_BYTES // 5)))


def test_a_batch_over_five_megabytes_is_refused(cloudsearch_domain: Any) -> None:
    # Each document is under the 1 MB limit; together they are over 5 MB.
    text = "word " * (MAX_DOCUMENT_BYTES // 6)
    operations = [note(f"n{number}", note_text=text) for number in range(MAX_BATCH_BYTES // len(text) + 1)]
    assert len(json.dumps(operations)) > MAX_BATCH_BYTES

    with pytest.raises(cloudsearch_domain.exceptions.DocumentServiceException, match="Request size exceeded"):
        upload(cloudsearch_domain, *operations)

    assert all_ids(cloudsearch_domain) == []


def test_concurrent_batches_and_searches_lose_nothing(cloudsearch_domain: Any) -> None:
    def writer(worker: int) -> None:
        for number in range(20):
            upload(cloudsearch_domain, note(f"w{worker}-{number}", headline=f"worker{worker} lighthouse"))
            search_ids(cloudsearch_domain, "lighthouse")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))

    assert cloudsearch_domain.search(query="lighthouse", size=0)["hits"]["found"] == 160
