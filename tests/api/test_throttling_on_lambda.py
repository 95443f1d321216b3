"""The anonymous rate limit on Lambda, through the real Zappa handler fed API Gateway events: keyed on the
source IP API Gateway measured, never on the X-Forwarded-For header a client writes."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from zappa.handler import LambdaHandler

from api.errors import THROTTLED
from tests.project.test_static_files_on_lambda import EXECUTE_API_HOST, rest_api_event, zappa_handler

__all__ = ["zappa_handler"]

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA_PATH = "/api/schema/"


def rest_event(*, source_ip: str, forwarded_for: str) -> dict[str, Any]:
    """A REST API (v1) event as API Gateway sends it: X-Forwarded-For is whatever the client sent,
    with the address API Gateway saw appended; sourceIp is that address alone."""
    event = rest_api_event(host=EXECUTE_API_HOST, path=SCHEMA_PATH, stage_in_path=True)
    event["headers"]["Accept"] = "application/json"
    event["headers"]["X-Forwarded-For"] = f"{forwarded_for}, {source_ip}"
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    event["requestContext"]["identity"]["sourceIp"] = source_ip
    return event


def http_api_event(*, source_ip: str, forwarded_for: str) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event for the same request."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": SCHEMA_PATH,
        "rawQueryString": "",
        "headers": {
            "host": EXECUTE_API_HOST,
            "accept": "application/json",
            "x-forwarded-for": f"{forwarded_for}, {source_ip}",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": EXECUTE_API_HOST,
            "http": {
                "method": "GET",
                "path": SCHEMA_PATH,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "curl/8",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def status_of(handler: LambdaHandler, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = handler.handler(copy.deepcopy(event), None)
    return int(answer["statusCode"]), answer


@pytest.mark.parametrize("make_event", [rest_event, http_api_event])
def test_a_new_x_forwarded_for_on_each_call_does_not_open_a_new_budget(
    zappa_handler: LambdaHandler, settings: Any, make_event: Any
) -> None:
    settings.ALLOWED_HOSTS = [EXECUTE_API_HOST]
    settings.API_THROTTLE_RATE_ANON = "2/min"
    attacker, neighbour = "198.51.100.23", "198.51.100.24"

    allowed = [status_of(zappa_handler, make_event(source_ip=attacker, forwarded_for=f"10.0.0.{n}"))[0] for n in (1, 2)]
    spoofed_status, spoofed = status_of(zappa_handler, make_event(source_ip=attacker, forwarded_for=neighbour))
    # Someone else behind the same spoofed header still has their own budget.
    other_status, _ = status_of(zappa_handler, make_event(source_ip=neighbour, forwarded_for=attacker))

    assert allowed == [200, 200]
    assert spoofed_status == 429
    assert json.loads(spoofed["body"])["error"]["code"] == THROTTLED
    assert other_status == 200
