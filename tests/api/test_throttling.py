"""Rate limits: per site user for signed-in calls (real Cognito tokens), per IP for anonymous ones."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from api.errors import THROTTLED
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import CognitoTokens, cognito_tokens, unique_email
from tests.factories import site_user

pytestmark = pytest.mark.django_db


def signed_in(aws_stack: DevstackResources) -> CognitoTokens:
    email = unique_email("busy")
    site_user(email=email)
    return cognito_tokens(aws_stack, email=email)


def get_me(token: str) -> Any:
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_throttled(response: Any, *, period_seconds: int) -> None:
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= period_seconds
    error = response.json()["error"]
    assert error["code"] == THROTTLED
    assert error["message"]
    assert error["fields"] == {}


def test_a_user_over_the_limit_gets_429_with_retry_after(aws_stack: DevstackResources, settings: Any) -> None:
    settings.API_THROTTLE_RATE_USER = "2/min"
    tokens = signed_in(aws_stack)

    allowed = [get_me(tokens.id_token).status_code for _ in range(2)]
    over = get_me(tokens.id_token)

    assert allowed == [200, 200]
    assert_throttled(over, period_seconds=60)


def test_the_limit_is_per_site_user_not_per_token(aws_stack: DevstackResources, settings: Any) -> None:
    settings.API_THROTTLE_RATE_USER = "2/min"
    busy = signed_in(aws_stack)
    other = signed_in(aws_stack)

    assert [get_me(busy.id_token).status_code, get_me(busy.id_token).status_code] == [200, 200]

    # The same person's access token shares the budget; someone else has their own.
    assert_throttled(get_me(busy.access_token), period_seconds=60)
    assert get_me(other.id_token).status_code == 200


def test_a_lowered_rate_still_tells_when_to_come_back(aws_stack: DevstackResources, settings: Any) -> None:
    # More calls on record than the new limit allows: DRF alone would send no Retry-After.
    tokens = signed_in(aws_stack)
    assert [get_me(tokens.id_token).status_code for _ in range(3)] == [200, 200, 200]
    settings.API_THROTTLE_RATE_USER = "1/hour"

    assert_throttled(get_me(tokens.id_token), period_seconds=3600)


def test_anonymous_calls_are_limited_per_ip(settings: Any) -> None:
    settings.API_THROTTLE_RATE_ANON = "1/min"
    client = APIClient()

    first = client.get("/api/schema/", REMOTE_ADDR="203.0.113.7")
    over = client.get("/api/schema/", REMOTE_ADDR="203.0.113.7")
    # X-Forwarded-For is the client's to write: it does not open a new bucket.
    spoofed = client.get("/api/schema/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    elsewhere = client.get("/api/schema/", REMOTE_ADDR="203.0.113.8")

    assert first.status_code == 200
    assert_throttled(over, period_seconds=60)
    assert_throttled(spoofed, period_seconds=60)
    assert elsewhere.status_code == 200


def test_signed_in_calls_do_not_use_the_anonymous_budget(aws_stack: DevstackResources, settings: Any) -> None:
    settings.API_THROTTLE_RATE_ANON = "1/min"
    tokens = signed_in(aws_stack)

    assert [get_me(tokens.id_token).status_code for _ in range(3)] == [200, 200, 200]
