"""The local CloudSearch configuration API through boto3's `cloudsearch` client, as infra/ will call it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aws.clients import cloudsearch_client, cloudsearch_domain_client
from devstack.cloudsearch.process import CloudSearchServer
from notes.search.schema import NOTES_INDEX_FIELDS
from tests.devstack.cloudsearch_helpers import note, structured_ids, upload

DOMAIN = "notes"


@pytest.fixture
def server() -> Iterator[CloudSearchServer]:
    # Its own server: these tests change the fields, which the shared one must keep.
    with CloudSearchServer() as cloudsearch:
        yield cloudsearch


@pytest.fixture
def configuration(server: CloudSearchServer) -> Any:
    return cloudsearch_client(server.endpoint_url)


def test_describe_index_fields_lists_the_notes_fields(configuration: Any) -> None:
    described = configuration.describe_index_fields(DomainName=DOMAIN)["IndexFields"]

    by_name = {field["Options"]["IndexFieldName"]: field["Options"] for field in described}
    assert by_name == {field["IndexFieldName"]: field for field in NOTES_INDEX_FIELDS}
    assert {field["Status"]["State"] for field in described} == {"Active"}


def test_define_index_field_accepts_the_notes_fields_unchanged(configuration: Any) -> None:
    for field in NOTES_INDEX_FIELDS:
        defined = configuration.define_index_field(DomainName=DOMAIN, IndexField=field)["IndexField"]

        assert defined["Options"] == field
        assert defined["Status"]["State"] == "RequiresIndexDocuments"

    assert configuration.index_documents(DomainName=DOMAIN)["FieldNames"] == sorted(
        field["IndexFieldName"] for field in NOTES_INDEX_FIELDS
    )
    described = configuration.describe_index_fields(DomainName=DOMAIN, FieldNames=["headline"])["IndexFields"]
    assert [(field["Options"]["IndexFieldName"], field["Status"]["State"]) for field in described] == [
        ("headline", "Active")
    ]


def test_a_new_field_takes_documents_and_a_deleted_one_refuses_them(
    configuration: Any, server: CloudSearchServer
) -> None:
    documents = cloudsearch_domain_client(server.endpoint_url)
    configuration.define_index_field(
        DomainName=DOMAIN,
        IndexField={"IndexFieldName": "tags", "IndexFieldType": "literal-array", "LiteralArrayOptions": {}},
    )

    upload(documents, note("n1", tags=["travel", "food"]))
    tagged = structured_ids(documents, "tags:'food'")
    configuration.delete_index_field(DomainName=DOMAIN, IndexFieldName="tags")

    assert tagged == ["n1"]
    with pytest.raises(documents.exceptions.DocumentServiceException, match="unknown field name 'tags'"):
        upload(documents, note("n2", tags=["travel"]))


def test_defined_fields_survive_a_restart(configuration: Any, server: CloudSearchServer) -> None:
    configuration.define_index_field(
        DomainName=DOMAIN, IndexField={"IndexFieldName": "mood", "IndexFieldType": "literal"}
    )

    server.restart()

    names = [
        field["Options"]["IndexFieldName"]
        for field in configuration.describe_index_fields(DomainName=DOMAIN)["IndexFields"]
    ]
    assert "mood" in names


def test_describe_domains_gives_the_endpoints(configuration: Any, server: CloudSearchServer) -> None:
    domains = configuration.describe_domains(DomainNames=[DOMAIN])["DomainStatusList"]

    assert [domain["DomainName"] for domain in domains] == [DOMAIN]
    assert domains[0]["SearchService"]["Endpoint"] == server.endpoint_url.removeprefix("http://")


def test_another_domain_is_not_found(configuration: Any) -> None:
    with pytest.raises(configuration.exceptions.ResourceNotFoundException):
        configuration.describe_index_fields(DomainName="elsewhere")


def test_an_invalid_field_is_refused(configuration: Any) -> None:
    with pytest.raises(configuration.exceptions.ValidationException, match="Invalid index field name"):
        configuration.define_index_field(
            DomainName=DOMAIN, IndexField={"IndexFieldName": "Bad-Name", "IndexFieldType": "text"}
        )
