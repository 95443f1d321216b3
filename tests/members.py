"""Site users signed in through Cognito, calling the API as the apps do: the `Member` of the notes,
push, datasets and account tests (the fixtures that make them are in tests/conftest.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from rest_framework.test import APIClient

from devstack.aws_resources import DevstackResources
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

    def create(self, **fields: Any) -> dict[str, Any]:
        """A note, created through the API."""
        body = {"headline": "A headline", "text": "Some text"} | fields
        response = self.client.post("/api/v1/notes/", body, format="json")
        assert response.status_code == 201, response.content
        return dict(response.json())

    def register(self, *, platform: str = "ios", token: str | None = None, **fields: Any) -> Any:
        """The answer to registering a device for push (an APNs token unless one is given)."""
        body = {"platform": platform, "token": token or apns_token(), **fields}
        return self.client.post("/api/v1/devices", body, format="json")

    def device(self, **fields: Any) -> dict[str, Any]:
        """A device, registered through the API."""
        response = self.register(**fields)
        assert response.status_code == 201, response.content
        return dict(response.json())


def signed_in_member(aws_stack: DevstackResources, **columns: Any) -> Member:
    """A new site user (``columns`` for its `users` row) with an API client signed in as it."""
    email = unique_email("member")
    user_id = site_user(email=email, **columns)
    tokens = cognito_tokens(aws_stack, email=email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.id_token}")
    return Member(user_id=user_id, client=client)
