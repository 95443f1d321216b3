"""Schemathesis against our own OpenAPI document, with a real bearer token: whatever it sends, no
5xx, and every answer (status, headers, body) matches what the document promises."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from devstack.aws_resources import DevstackResources
from project.wsgi import application
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_user

pytestmark = pytest.mark.slow  # fuzzing

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Enough for CI's time budget; FUZZ_EXAMPLES=200 make test PYTEST_ARGS=tests/project/test_fuzz_api.py searches wider.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "15"))

# The current test's bearer token; set by the `bearer` fixture, applied by CognitoBearer.
_current_token: dict[str, str] = {}


@schema.auth(cache_by_key=lambda case, context: _current_token.get("value", ""))
class CognitoBearer:
    """Schemathesis' own auth hook, so its negative cases may still leave the token out on purpose."""

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return _current_token.get("value", "")

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def bearer(aws_stack: DevstackResources, cloudsearch_domain: Any) -> str:
    email = unique_email("fuzz")
    site_user(email=email)
    token = cognito_tokens(aws_stack, email=email).id_token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.post("/api/v1/notes/", {"headline": "Fuzzed", "text": "a note to find"}, format="json")
    _current_token["value"] = token
    return token


@pytest.mark.django_db(transaction=True)  # requests go through WSGI, which closes connections
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    # The same examples every run, so a failure in CI reproduces anywhere.
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_breaks_the_api_or_its_contract(case: schemathesis.Case, bearer: str) -> None:
    case.call_and_validate(
        # Requests the document allows may still be refused for reasons it cannot express: a cursor
        # the server never issued, a photoKey nobody uploaded, an image type this deployment does
        # not accept. Those answers must be documented 4xx, which the other checks verify.
        excluded_checks=[positive_data_acceptance],
    )
