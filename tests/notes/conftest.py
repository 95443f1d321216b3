"""Fixtures of the notes tests: signed-in members of the site, each with an API client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from devstack.aws_resources import DevstackResources
from notes.mirror import mirror_inline_resume
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_user


@dataclass
class Member:
    """A site user signed in through Cognito, calling the API as the app would."""

    user_id: int
    client: APIClient

    def create(self, **fields: Any) -> dict[str, Any]:
        body = {"headline": "A headline", "text": "Some text"} | fields
        response = self.client.post("/api/v1/notes/", body, format="json")
        assert response.status_code == 201, response.content
        return dict(response.json())


@pytest.fixture(autouse=True)
def _mirror_sends_after_commit() -> Iterator[None]:
    """Each test starts like a new process: no pause of the after-commit sends left by another."""
    mirror_inline_resume()
    yield
    mirror_inline_resume()


@pytest.fixture
def make_member(aws_stack: DevstackResources) -> Callable[..., Member]:
    def make(**columns: Any) -> Member:
        email = unique_email("member")
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
