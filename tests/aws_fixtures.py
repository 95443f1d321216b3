"""pytest plugin: a real moto server for the session and `aws_stack`, settings pointed at its resources;
the local CloudSearch server for the session and `cloudsearch_domain`, emptied for each test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper

from aws.clients import cloudsearch_domain_client
from devstack.aws_resources import DevstackResources, ensure_resources
from devstack.cloudsearch.process import CloudSearchServer
from devstack.moto_server import MotoServer
from project.settings_builders import s3_storages


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto in server mode on a free port, shared by the whole session (its state persists)."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws_stack(moto_server: MotoServer, settings: SettingsWrapper) -> DevstackResources:
    """The local AWS resources in the session's moto, with every AWS setting pointed at them.

    The server is shared: tests must use unique names (users, keys, items) and not assume an
    empty bucket, table or pool.
    """
    # aws/clients.py keys its clients on the endpoint and region: pointing the settings at the
    # server needs no reset, and keeping the clients (and their botocore session, slow to load)
    # across tests saves most of a short test's time.
    settings.AWS_ENDPOINT_URL = moto_server.endpoint_url
    resources = _resources_in(moto_server, settings)
    settings.AWS_STORAGE_BUCKET_NAME = resources.bucket
    settings.NOTES_TABLE = resources.notes_table
    settings.COGNITO_USER_POOL_ID = resources.user_pool_id
    settings.COGNITO_APP_CLIENT_IDS = [resources.app_client_id]
    settings.COGNITO_JWKS_URL = resources.jwks_url
    for setting, arn in resources.push_application_arns:
        setattr(settings, setting, arn)
    settings.SNS_BROADCAST_TOPIC_ARN = resources.broadcast_topic_arn
    # django-storages takes its options from STORAGES, not from the settings above.
    settings.STORAGES = s3_storages(
        bucket=resources.bucket,
        region=settings.AWS_REGION,
        endpoint_url=moto_server.endpoint_url,
        url_expires_seconds=settings.MEDIA_URL_EXPIRES_SECONDS,
    )
    return resources


# ensure_resources() asks moto a dozen questions (find, then re-apply each setting). No test deletes
# or reconfigures these resources, so one server answers once per set of names. Keyed on the server
# object (kept alive here), never its port, which a later server may reuse.
_resources_found: dict[tuple[MotoServer, str, str, str], DevstackResources] = {}


def _resources_in(moto_server: MotoServer, settings: SettingsWrapper) -> DevstackResources:
    key = (moto_server, settings.AWS_REGION, settings.AWS_STORAGE_BUCKET_NAME, settings.NOTES_TABLE)
    if key not in _resources_found:
        _resources_found[key] = ensure_resources()
    return _resources_found[key]


@pytest.fixture(scope="session")
def cloudsearch_server() -> Iterator[CloudSearchServer]:
    """The local CloudSearch server (Notes fields) on a free port, shared by the whole session."""
    with CloudSearchServer() as server:
        yield server


@pytest.fixture
def cloudsearch_domain(cloudsearch_server: CloudSearchServer, settings: SettingsWrapper) -> Any:
    """A boto3 `cloudsearchdomain` client on the session's server, which starts each test empty.

    Also points CLOUDSEARCH_DOCUMENT_ENDPOINT / CLOUDSEARCH_SEARCH_ENDPOINT at it, with SEARCH_BACKEND=cloudsearch.
    """
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = cloudsearch_server.endpoint_url
    settings.CLOUDSEARCH_SEARCH_ENDPOINT = cloudsearch_server.endpoint_url
    # A test that asks for the domain searches with it (the default backend is `mysql`).
    settings.SEARCH_BACKEND = "cloudsearch"
    # Keyed on the server's endpoint, not on settings: one client serves the whole session.
    client = cloudsearch_domain_client(cloudsearch_server.endpoint_url)
    empty_cloudsearch_domain(client)
    return client


def empty_cloudsearch_domain(client: Any) -> None:
    """Delete every document, through the API as any client would."""
    while True:
        found = client.search(query="matchall", queryParser="structured", size=1000, returnFields="_no_fields")
        ids = [hit["id"] for hit in found["hits"]["hit"]]
        if not ids:
            return
        batch = [{"type": "delete", "id": document_id} for document_id in ids]
        client.upload_documents(documents=json.dumps(batch).encode(), contentType="application/json")
