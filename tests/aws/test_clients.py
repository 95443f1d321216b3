"""aws/clients.py: one cached client per service and endpoint, honouring settings, failing fast."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from pytest_django import Settings as SettingsWrapper

from aws.clients import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    READ_TIMEOUT_SECONDS,
    cloudsearch_client,
    cloudsearch_domain_client,
    cognito_idp_client,
    dynamodb_client,
    dynamodbstreams_client,
    reset_clients,
    s3_client,
    sns_client,
)
from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port

ALL_CLIENTS = (s3_client, dynamodb_client, dynamodbstreams_client, cognito_idp_client, sns_client)


@pytest.fixture(autouse=True)
def _fresh_clients() -> None:
    reset_clients()


@pytest.mark.parametrize("make_client", ALL_CLIENTS)
def test_clients_use_the_configured_endpoint_and_region(
    settings: SettingsWrapper, make_client: Callable[[], Any]
) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    settings.AWS_REGION = "eu-west-1"

    client = make_client()

    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-west-1"


def test_without_an_endpoint_the_client_goes_to_aws(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    settings.AWS_ENDPOINT_URL = ""
    settings.AWS_REGION = "eu-west-1"

    assert dynamodb_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_a_client_is_created_once_per_endpoint(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    first = dynamodb_client()

    assert dynamodb_client() is first

    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4567"
    assert dynamodb_client() is not first
    assert dynamodb_client().meta.endpoint_url == "http://127.0.0.1:4567"


def test_reset_clients_makes_new_ones(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    first = s3_client()

    reset_clients()

    assert s3_client() is not first


def test_clients_have_short_timeouts_and_few_retries(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"

    config = dynamodb_client().meta.config

    assert config.connect_timeout == CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == READ_TIMEOUT_SECONDS
    assert config.retries["total_max_attempts"] == MAX_ATTEMPTS


def test_s3_uses_path_style_and_sigv4_against_an_emulator(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"

    url = s3_client().generate_presigned_url("get_object", Params={"Bucket": "media", "Key": "a.jpg"})

    assert url.startswith("http://127.0.0.1:4566/media/a.jpg?")
    assert "X-Amz-Signature=" in url


def test_a_down_endpoint_fails_fast_instead_of_hanging(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()

    with pytest.raises(EndpointConnectionError):
        dynamodb_client().list_tables()

    # Generous bound: the point is "seconds, not a hang", not a benchmark.
    assert time.monotonic() - started < MAX_ATTEMPTS * CONNECT_TIMEOUT_SECONDS + 10


def test_clients_reach_the_emulator(aws_stack: DevstackResources) -> None:
    assert aws_stack.notes_table in dynamodb_client().list_tables()["TableNames"]


def test_a_cloudsearch_domain_client_per_domain_endpoint(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"  # moto's: not where a search domain is
    documents = cloudsearch_domain_client("http://127.0.0.1:4572")

    assert cloudsearch_domain_client("http://127.0.0.1:4572") is documents
    assert documents.meta.endpoint_url == "http://127.0.0.1:4572"
    assert documents.meta.service_model.service_name == "cloudsearchdomain"


def test_a_bare_cloudsearch_host_gets_https() -> None:
    host = "search-notes-abc123.eu-west-1.cloudsearch.amazonaws.com"

    assert cloudsearch_domain_client(host).meta.endpoint_url == f"https://{host}"


def test_the_cloudsearch_configuration_client_takes_the_local_server(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"

    assert cloudsearch_client("http://127.0.0.1:4572").meta.endpoint_url == "http://127.0.0.1:4572"
    assert cloudsearch_client().meta.endpoint_url == "http://127.0.0.1:4566"
