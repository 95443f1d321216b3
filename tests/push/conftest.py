"""Fixtures of the push tests: what moto's SNS received, read over its HTTP API, and the endpoints
SNS holds (the signed-in members and device tokens are in tests/members.py)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from aws.clients import sns_client
from devstack.aws_resources import DevstackResources
from devstack.moto_server import MotoServer


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
