"""Fixtures of the push tests: signed-in site users calling the API as the apps do, device tokens,
and what moto's SNS received, read over its HTTP API."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from aws.clients import sns_client
from devstack.aws_resources import DevstackResources
from devstack.moto_server import MotoServer
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_user


def apns_token() -> str:
    return secrets.token_hex(32)


def fcm_token() -> str:
    # The shape FCM issues: an instance id, a colon, then a long base64url part.
    return f"{secrets.token_urlsafe(16)}:APA91b{secrets.token_urlsafe(110)}"


@dataclass
class Member:
    """A site user signed in through Cognito, calling the API as the app would."""

    user_id: int
    client: APIClient

    def register(self, *, platform: str = "ios", token: str | None = None, **fields: Any) -> Any:
        body = {"platform": platform, "token": token or apns_token(), **fields}
        return self.client.post("/api/v1/devices", body, format="json")

    def device(self, **fields: Any) -> dict[str, Any]:
        response = self.register(**fields)
        assert response.status_code == 201, response.content
        return dict(response.json())


@pytest.fixture
def make_member(aws_stack: DevstackResources) -> Callable[..., Member]:
    def make(**columns: Any) -> Member:
        email = unique_email("push")
        user_id = site_user(email=email, **columns)
        tokens = cognito_tokens(aws_stack, email=email)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.id_token}")
        return Member(user_id=user_id, client=client)

    return make


@pytest.fixture
def alice(make_member: Callable[..., Member]) -> Member:
    return make_member(display_name="Alice")


@pytest.fixture
def bob(make_member: Callable[..., Member]) -> Member:
    return make_member(display_name="Bob")


@pytest.fixture(scope="package")
def moto_server() -> Iterator[MotoServer]:
    """A moto of push's own: these tests read moto's whole state over `/moto-api/data.json`, which
    models other rooms' tests left in the session's server can make fail (a 500)."""
    with MotoServer() as server:
        yield server


class SnsRecord:
    """What moto's SNS holds, fetched over HTTP (`/moto-api/data.json`), as an operator would look."""

    def __init__(self, moto_server: MotoServer) -> None:
        self.url = f"{moto_server.endpoint_url}/moto-api/data.json"

    def endpoints(self) -> dict[str, dict[str, Any]]:
        with urllib.request.urlopen(self.url, timeout=60) as response:
            data = json.load(response)
        return {endpoint["arn"]: endpoint for endpoint in data.get("sns", {}).get("PlatformEndpoint", [])}

    def messages(self, endpoint_arn: str) -> list[dict[str, Any]]:
        """The messages published to one endpoint, each the MessageStructure=json document."""
        endpoint = self.endpoints().get(endpoint_arn)
        return [json.loads(message) for message in (endpoint or {}).get("messages", {}).values()]


@pytest.fixture
def sns_record(moto_server: MotoServer, aws_stack: DevstackResources) -> SnsRecord:
    return SnsRecord(moto_server)


def endpoint_attributes(endpoint_arn: str) -> dict[str, str]:
    attributes: dict[str, str] = sns_client().get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
    return attributes


def endpoints_with_token(application_arn: str, token: str) -> list[str]:
    sns = sns_client()
    return [
        endpoint["EndpointArn"]
        for page in sns.get_paginator("list_endpoints_by_platform_application").paginate(
            PlatformApplicationArn=application_arn
        )
        for endpoint in page["Endpoints"]
        if endpoint["Attributes"].get("Token") == token
    ]


@pytest.fixture(autouse=True)
def _mirror_sends_after_commit() -> Any:
    """Each test starts like a new process: no pause of the mirror's after-commit sends left by another
    (tests here make SNS, and with it every AWS call, unreachable for a while)."""
    from notes.mirror import mirror_inline_resume

    mirror_inline_resume()
    yield
    mirror_inline_resume()
