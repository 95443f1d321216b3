"""pytest plugin: a real moto server for the session and `aws_stack`, settings pointed at its resources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import SettingsWrapper

from aws.clients import reset_clients
from devstack.aws_resources import DevstackResources, ensure_resources
from devstack.moto_server import MotoServer
from project.settings import s3_storages


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto in server mode on a free port, shared by the whole session (its state persists)."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws_stack(moto_server: MotoServer, settings: SettingsWrapper) -> Iterator[DevstackResources]:
    """The local AWS resources in the session's moto, with every AWS setting pointed at them.

    The server is shared: tests must use unique names (users, keys, items) and not assume an
    empty bucket, table or pool.
    """
    settings.AWS_ENDPOINT_URL = moto_server.endpoint_url
    reset_clients()
    resources = ensure_resources()
    settings.AWS_STORAGE_BUCKET_NAME = resources.bucket
    settings.NOTES_TABLE = resources.notes_table
    settings.COGNITO_USER_POOL_ID = resources.user_pool_id
    settings.COGNITO_APP_CLIENT_IDS = [resources.app_client_id]
    settings.COGNITO_JWKS_URL = resources.jwks_url
    # django-storages takes its options from STORAGES, not from the settings above.
    settings.STORAGES = s3_storages(
        bucket=resources.bucket,
        region=settings.AWS_REGION,
        endpoint_url=moto_server.endpoint_url,
        url_expires_seconds=settings.MEDIA_URL_EXPIRES_SECONDS,
    )
    yield resources
    # Settings go back after the test; drop the clients made for the emulator with them.
    reset_clients()
