"""accounts/authentication.py through a real DRF view: 401s in RFC 6750 terms, gateway trust, no token in logs."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts import errors, jwks
from accounts.authentication import CognitoAuthentication, CognitoPrincipal
from accounts.tokens import CognitoClaims
from devstack.aws_resources import STAFF_GROUP, DevstackResources
from devstack.moto_server import free_port
from tests.accounts.cognito_helpers import (
    CognitoTokens,
    cognito_tokens,
    id_token_claims,
    mint_token,
    token_claims,
    with_payload,
)


class WhoAmIView(APIView):
    authentication_classes = [CognitoAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        assert isinstance(request.user, CognitoPrincipal)
        claims = request.auth
        assert isinstance(claims, CognitoClaims)
        return Response(
            {
                "sub": claims.sub,
                "tokenUse": claims.token_use,
                "email": claims.email,
                "emailVerified": claims.email_verified,
                "groups": list(claims.groups),
                "verifiedBy": claims.verified_by,
                "user": str(request.user),
            }
        )


factory = APIRequestFactory()


def call(headers: dict[str, str] | None = None, **meta: Any) -> Response:
    environ = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
    request = factory.get("/whoami", **environ, **meta)
    response: Response = WhoAmIView.as_view()(request)
    response.render()
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_not_leaked(response: Response, token: str) -> None:
    signature = token.rsplit(".", 1)[-1]
    everything = response.content.decode() + "\n".join(f"{name}: {value}" for name, value in response.items())
    assert token not in everything
    if len(signature) >= 8:
        assert signature not in everything


def gateway_claims(resources: DevstackResources, **overrides: str) -> dict[str, str]:
    """What API Gateway's Cognito authorizer passes on: every value a string."""
    claims = {
        "sub": str(uuid.uuid4()),
        "iss": resources.issuer,
        "aud": resources.app_client_id,
        "token_use": "id",
        "email": "gateway@example.com",
        "email_verified": "true",
        "cognito:username": "gateway-user",
        "cognito:groups": "staff,editors",
        "exp": "Thu Jan 01 00:00:00 UTC 2099",
    }
    claims.update(overrides)
    return claims


# --- Bearer tokens --------------------------------------------------------------------------


def test_valid_id_token_authenticates(tokens: CognitoTokens) -> None:
    response = call(bearer(tokens.id_token))

    assert response.status_code == 200
    assert response.data["sub"] == tokens.user.sub
    assert response.data["tokenUse"] == "id"
    assert response.data["emailVerified"] is True
    assert response.data["groups"] == [STAFF_GROUP]
    assert response.data["user"] == f"cognito:{tokens.user.sub}"


def test_valid_access_token_authenticates_with_a_lowercase_scheme(tokens: CognitoTokens) -> None:
    response = call({"Authorization": f"bearer   {tokens.access_token}  "})

    assert response.status_code == 200
    assert response.data["tokenUse"] == "access"


def test_missing_header_is_401_with_a_plain_bearer_challenge(aws_stack: DevstackResources) -> None:
    response = call()

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.data["error"]["code"] == "not_authenticated"
    assert jwks.fetch_count() == 0


def test_other_scheme_is_treated_as_no_token(aws_stack: DevstackResources) -> None:
    response = call({"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b"])
def test_bearer_without_a_single_token_is_invalid(aws_stack: DevstackResources, header: str) -> None:
    response = call({"Authorization": header})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert response.data["error"]["code"] == errors.MALFORMED_TOKEN


def test_tampered_token_is_401_invalid_token_without_echoing_it(tokens: CognitoTokens) -> None:
    claims = token_claims(tokens.id_token)
    claims["cognito:groups"] = ["staff", "superuser"]
    forged = with_payload(tokens.id_token, claims)

    response = call(bearer(forged))

    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert challenge.endswith('"')
    assert response.data["error"]["code"] == errors.INVALID_SIGNATURE
    assert_not_leaked(response, forged)


def test_expired_token_says_so(aws_stack: DevstackResources) -> None:
    now = int(time.time())
    expired = mint_token(id_token_claims(aws_stack, iat=now - 7200, exp=now - 3600))

    response = call(bearer(expired))

    assert response.status_code == 401
    assert response.data["error"]["code"] == errors.TOKEN_EXPIRED
    assert "expired" in response["WWW-Authenticate"]
    assert_not_leaked(response, expired)


@pytest.mark.parametrize("token", ["garbage", "x" * 20000, "a.b.c"])
def test_garbage_tokens_are_401_never_500(aws_stack: DevstackResources, token: str) -> None:
    response = call(bearer(token))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert_not_leaked(response, token)


def test_unreachable_jwks_is_503_with_retry_after(
    aws_stack: DevstackResources, tokens: CognitoTokens, settings: SettingsWrapper
) -> None:
    settings.COGNITO_JWKS_URL = f"http://127.0.0.1:{free_port()}/{aws_stack.user_pool_id}/.well-known/jwks.json"

    response = call(bearer(tokens.id_token))

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.data["error"]["code"] == errors.AUTH_UNAVAILABLE
    assert_not_leaked(response, tokens.id_token)


def test_tokens_never_reach_the_logs(
    aws_stack: DevstackResources, settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    # Signed in before capturing: botocore at DEBUG would log the sign-in answer itself.
    good = cognito_tokens(aws_stack)
    now = int(time.time())
    expired = mint_token(id_token_claims(aws_stack, exp=now - 3600))
    forged = with_payload(good.id_token, {**token_claims(good.id_token), "sub": "someone-else"})
    secrets = [good.id_token, good.access_token, expired, forged]
    for name in [None, *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)

    statuses = [
        call(bearer(good.id_token)).status_code,  # cold: fetches the JWKS
        call(bearer(good.access_token)).status_code,
        call(bearer(expired)).status_code,
        call(bearer(forged)).status_code,
        call({"Authorization": f"Bearer {good.id_token} extra"}).status_code,
    ]
    settings.COGNITO_JWKS_URL = f"http://127.0.0.1:{free_port()}/jwks.json"
    statuses.append(call(bearer(good.id_token)).status_code)

    assert statuses == [200, 200, 401, 401, 401, 503]
    assert caplog.records, "expected the refusals to be logged (by code)"
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''} {record.__dict__!r}"
        for record in caplog.records
    )
    for secret in secrets:
        assert secret not in logged
        assert secret.rsplit(".", 1)[-1] not in logged
    assert errors.TOKEN_EXPIRED in logged


# --- Trusting API Gateway's authorizer ------------------------------------------------------


def test_gateway_claims_are_ignored_unless_trusted(aws_stack: DevstackResources, settings: SettingsWrapper) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = False

    response = call(API_GATEWAY_AUTHORIZER={"claims": gateway_claims(aws_stack)})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_trusted_gateway_claims_authenticate_without_a_token(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = True
    claims = gateway_claims(aws_stack)

    response = call(API_GATEWAY_AUTHORIZER={"claims": claims, "principalId": ""})

    assert response.status_code == 200
    assert response.data["sub"] == claims["sub"]
    assert response.data["verifiedBy"] == "gateway"
    assert response.data["emailVerified"] is True
    assert response.data["groups"] == ["staff", "editors"]
    # Nothing was verified here, so nothing was fetched.
    assert jwks.fetch_count() == 0


def test_trusted_http_api_jwt_claims_authenticate(aws_stack: DevstackResources, settings: SettingsWrapper) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = True
    claims = gateway_claims(aws_stack, token_use="access", **{"cognito:groups": "[staff editors]"})
    del claims["aud"]
    claims["client_id"] = aws_stack.app_client_id

    response = call(API_GATEWAY_AUTHORIZER={"jwt": {"claims": claims, "scopes": None}})

    assert response.status_code == 200
    assert response.data["tokenUse"] == "access"
    assert response.data["groups"] == ["staff", "editors"]


def test_trusted_gateway_claims_of_another_pool_or_client_are_refused(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = True
    other_pool = gateway_claims(aws_stack, iss=aws_stack.issuer + "x")
    other_client = gateway_claims(aws_stack, aud="someone-elses-client")

    assert call(API_GATEWAY_AUTHORIZER={"claims": other_pool}).data["error"]["code"] == errors.INVALID_ISSUER
    assert call(API_GATEWAY_AUTHORIZER={"claims": other_client}).data["error"]["code"] == errors.INVALID_AUDIENCE


def test_trusted_mode_still_verifies_bearer_tokens_without_gateway_claims(
    tokens: CognitoTokens, settings: SettingsWrapper
) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = True

    assert call(bearer(tokens.id_token)).data["verifiedBy"] == "app"
    # A Lambda authorizer's context without claims is not a Cognito authorizer: verify the token.
    assert call(bearer(tokens.id_token), API_GATEWAY_AUTHORIZER={"principalId": "x"}).data["verifiedBy"] == "app"
    forged = with_payload(tokens.id_token, {**token_claims(tokens.id_token), "sub": "x"})
    assert call(bearer(forged), API_GATEWAY_AUTHORIZER={"principalId": "x"}).status_code == 401


def test_a_client_cannot_send_gateway_claims_as_a_header(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    settings.COGNITO_TRUST_GATEWAY_AUTHORIZER = True
    # Headers land in META as HTTP_*, never as API_GATEWAY_AUTHORIZER.
    response = call({"API-Gateway-Authorizer": str({"claims": gateway_claims(aws_stack)})})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
