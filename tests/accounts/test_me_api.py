"""`/api/v1/me` with real Cognito tokens from the emulator: profile, edits, refusals, API keys."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.errors import TOKEN_ERROR_CODES
from accounts.services import api_key_create, api_key_revoke
from api.errors import NOT_AUTHENTICATED, VALIDATION_ERROR
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import fetch_value, row_hex, site_user

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_me_shows_the_linked_site_profile(aws_stack: DevstackResources) -> None:
    email = unique_email("ellen")
    user_id = site_user(email=email, username="ellen", display_name="Ελένη", is_admin=1)
    tokens = cognito_tokens(aws_stack, email=email)

    response = APIClient().get("/api/v1/me", **bearer(tokens.id_token))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "userId": user_id,
        "email": email,
        "username": "ellen",
        "displayName": "Ελένη",
        "status": "active",
        "isAdmin": True,
        "createdAt": "2015-06-01T10:00:00Z",
    }
    # Once linked, the access token reaches the same account.
    response = APIClient().get("/api/v1/me", **bearer(tokens.access_token))
    assert response.status_code == 200
    assert response.json()["userId"] == user_id


def test_an_unverified_cognito_email_gets_its_own_account(aws_stack: DevstackResources) -> None:
    email = unique_email("victim")
    victim = site_user(email=email)
    tokens = cognito_tokens(aws_stack, email=email, email_verified=False)

    response = APIClient().get("/api/v1/me", **bearer(tokens.id_token))

    assert response.status_code == 200
    assert response.json()["userId"] != victim
    assert response.json()["email"] != email


def test_suspended_site_users_are_refused_with_403(aws_stack: DevstackResources) -> None:
    email = unique_email("suspended")
    site_user(email=email, status="suspended")
    tokens = cognito_tokens(aws_stack, email=email)

    response = APIClient().get("/api/v1/me", **bearer(tokens.id_token))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_unavailable"
    assert "suspended" in response.json()["error"]["message"]


def test_missing_and_bad_tokens_get_401_in_the_error_shape(aws_stack: DevstackResources) -> None:
    missing = APIClient().get("/api/v1/me")
    bad = APIClient().get("/api/v1/me", **bearer("not.a.token"))

    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == NOT_AUTHENTICATED
    assert bad.status_code == 401
    assert bad["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert bad.json()["error"]["code"] in TOKEN_ERROR_CODES
    assert "not.a.token" not in bad.content.decode()


def test_patch_changes_only_the_display_name(aws_stack: DevstackResources) -> None:
    email = unique_email("zoe")
    user_id = site_user(email=email, display_name="Zoe")
    tokens = cognito_tokens(aws_stack, email=email)
    before = row_hex("users", "user_id", user_id)

    response = APIClient().patch(
        "/api/v1/me", {"displayName": "Zoë Ångström"}, format="json", **bearer(tokens.id_token)
    )

    assert response.status_code == 200
    assert response.json()["displayName"] == "Zoë Ångström"
    after = row_hex("users", "user_id", user_id)
    assert {column for column in before if before[column] != after[column]} == {"display_name"}
    assert fetch_value("SELECT display_name FROM users WHERE user_id = %s", [user_id]) == "Zoë Ångström"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"displayName": "Party 🎉"}, "🎉"),
        ({"displayName": "x" * 101}, "100"),
        ({"displayName": ""}, "blank"),
        ({}, "required"),
    ],
)
def test_patch_refuses_what_the_column_cannot_hold(
    aws_stack: DevstackResources, payload: dict[str, Any], problem: str
) -> None:
    email = unique_email("picky")
    user_id = site_user(email=email, display_name="Kept")
    tokens = cognito_tokens(aws_stack, email=email)

    response = APIClient().patch("/api/v1/me", payload, format="json", **bearer(tokens.id_token))

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == VALIDATION_ERROR
    assert problem in " ".join(body["fields"]["displayName"])
    assert fetch_value("SELECT display_name FROM users WHERE user_id = %s", [user_id]) == "Kept"


def test_api_keys_are_required_when_configured(aws_stack: DevstackResources, settings: Any) -> None:
    settings.API_KEY_REQUIRED = True
    email = unique_email("keyed")
    site_user(email=email)
    tokens = cognito_tokens(aws_stack, email=email)
    api_key, key = api_key_create(name="iOS app")

    without = APIClient().get("/api/v1/me", **bearer(tokens.id_token))
    wrong = APIClient().get("/api/v1/me", HTTP_X_API_KEY="nope", **bearer(tokens.id_token))
    good = APIClient().get("/api/v1/me", HTTP_X_API_KEY=key, **bearer(tokens.id_token))
    api_key_revoke(api_key=api_key)
    revoked = APIClient().get("/api/v1/me", HTTP_X_API_KEY=key, **bearer(tokens.id_token))

    assert good.status_code == 200
    for refused in (without, wrong, revoked):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "api_key_invalid"
    assert fetch_value("SELECT COUNT(*) FROM accounts_apikey WHERE digest LIKE %s", [f"%{key}%"]) == 0
