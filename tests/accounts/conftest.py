"""Fixtures shared by the accounts tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts import jwks
from devstack.aws_resources import STAFF_GROUP, DevstackResources
from tests.accounts.cognito_helpers import CognitoTokens, cognito_tokens


@pytest.fixture(autouse=True)
def _cold_jwks_cache() -> Iterator[None]:
    """Each test starts like a new process: no keys, no fetches counted."""
    jwks.reset()
    yield
    jwks.reset()


@pytest.fixture
def tokens(aws_stack: DevstackResources) -> CognitoTokens:
    """A new Cognito user of the stack's pool, in the staff group, signed in."""
    return cognito_tokens(aws_stack, groups=[STAFF_GROUP])
