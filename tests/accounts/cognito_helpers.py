"""Real Cognito users and tokens from the session's moto server, plus tokens minted with moto's own key.

`cognito_tokens(resources)` is what most tests want: a new user in the pool (verified email,
permanent password) signed in over HTTP with ADMIN_USER_PASSWORD_AUTH. `mint_token(claims)`
signs arbitrary claims with moto's private key (shipped in the moto package), which every moto
pool uses, for the cases moto will not issue (expired, nbf in the future, missing exp...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from moto.utilities.utils import load_resource

from aws.clients import cognito_idp_client
from devstack.aws_resources import APP_CLIENT_SETTINGS, USER_POOL_SETTINGS, DevstackResources

# Meets the pool's policy (8+ characters, upper, lower, digit).
TEST_PASSWORD = "Lambridge-Test-42"
# The one kid moto signs with, in every pool.
MOTO_KID = "dummy"


@dataclass(frozen=True)
class CognitoTestUser:
    username: str  # the email: the pool signs people in by email
    email: str
    sub: str
    password: str


@dataclass(frozen=True)
class CognitoTokens:
    id_token: str
    access_token: str
    refresh_token: str
    user: CognitoTestUser


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def create_cognito_user(
    user_pool_id: str,
    *,
    email: str | None = None,
    email_verified: bool = True,
    password: str = TEST_PASSWORD,
    groups: Iterable[str] = (),
) -> CognitoTestUser:
    """A confirmed user with a permanent password in `user_pool_id` (the moto server, over HTTP)."""
    cognito = cognito_idp_client()
    email = email or unique_email()
    response = cognito.admin_create_user(
        UserPoolId=user_pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true" if email_verified else "false"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=email, GroupName=group)
    attributes = {attribute["Name"]: attribute["Value"] for attribute in response["User"]["Attributes"]}
    return CognitoTestUser(username=email, email=email, sub=attributes["sub"], password=password)


def sign_in(user_pool_id: str, client_id: str, user: CognitoTestUser) -> CognitoTokens:
    """The user's tokens from ADMIN_USER_PASSWORD_AUTH, as the mobile app would get them."""
    result = cognito_idp_client().admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]
    return CognitoTokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result["RefreshToken"],
        user=user,
    )


def cognito_tokens(
    resources: DevstackResources,
    *,
    client_id: str | None = None,
    email: str | None = None,
    email_verified: bool = True,
    groups: Iterable[str] = (),
) -> CognitoTokens:
    """A new user of the stack's pool, signed in with the stack's app client (or `client_id`)."""
    user = create_cognito_user(resources.user_pool_id, email=email, email_verified=email_verified, groups=groups)
    return sign_in(resources.user_pool_id, client_id or resources.app_client_id, user)


def create_app_client(user_pool_id: str, name: str | None = None) -> str:
    """Another app client of `user_pool_id` (same flows as the stack's); returns its id."""
    response = cognito_idp_client().create_user_pool_client(
        UserPoolId=user_pool_id, ClientName=name or f"other-{uuid.uuid4().hex[:8]}", **APP_CLIENT_SETTINGS
    )
    client_id: str = response["UserPoolClient"]["ClientId"]
    return client_id


def create_user_pool() -> tuple[str, str]:
    """A second pool of the same emulator, with an app client: (pool id, client id)."""
    response = cognito_idp_client().create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:8]}", **USER_POOL_SETTINGS)
    pool_id: str = response["UserPool"]["Id"]
    return pool_id, create_app_client(pool_id)


# --- Tokens with arbitrary claims, signed with moto's key ----------------------------------


@cache
def moto_private_key() -> RSAPrivateKey:
    """The private key every moto pool signs with (moto/cognitoidp/resources/jwks-private.json)."""
    jwk = load_resource("cognitoidp/resources/jwks-private.json")
    key = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    assert isinstance(key, RSAPrivateKey)
    return key


def id_token_claims(resources: DevstackResources, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid ID token of the stack's pool and client, as Cognito writes them."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": resources.issuer,
        "sub": str(uuid.uuid4()),
        "aud": resources.app_client_id,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "email": unique_email("minted"),
        "email_verified": True,
        "cognito:username": "minted",
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return claims


def access_token_claims(resources: DevstackResources, **overrides: Any) -> dict[str, Any]:
    """Claims of a valid access token of the stack's pool and client."""
    claims = id_token_claims(resources, token_use="access", client_id=resources.app_client_id, username="minted")
    for name in ("aud", "email", "email_verified", "cognito:username"):
        claims.pop(name)
    claims.update(overrides)
    return claims


def mint_token(
    claims: Mapping[str, Any],
    *,
    key: Any = None,
    algorithm: str = "RS256",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """`claims` signed like moto signs (RS256, kid "dummy", moto's key) unless told otherwise."""
    token_headers: dict[str, Any] = {"kid": MOTO_KID}
    token_headers.update(headers or {})
    return jwt.encode(
        dict(claims), moto_private_key() if key is None else key, algorithm=algorithm, headers=token_headers
    )


def without(claims: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """`claims` minus `names`."""
    return {name: value for name, value in claims.items() if name not in names}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jws_parts(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """The unsigned `header.payload` of a compact JWS."""
    return f"{b64url(json.dumps(dict(header)).encode())}.{b64url(json.dumps(dict(claims)).encode())}"


def sign_jws(header: Mapping[str, Any], claims: Mapping[str, Any], key: RSAPrivateKey | None = None) -> str:
    """A compact JWS with exactly `header` (no kid added), RS256-signed with `key` (moto's by default).

    For headers PyJWT would not write (no kid, an alg that does not match the signature).
    """
    signing_input = jws_parts(header, claims)
    signature = (key or moto_private_key()).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def hs256_with_public_key(claims: Mapping[str, Any]) -> str:
    """The classic key-confusion forgery: HS256 with moto's public key PEM as the HMAC secret."""
    public_pem = (
        moto_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = jws_parts({"alg": "HS256", "typ": "JWT", "kid": MOTO_KID}, claims)
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned_token(claims: Mapping[str, Any]) -> str:
    """`alg: none` with an empty signature."""
    return f"{jws_parts({'alg': 'none', 'typ': 'JWT', 'kid': MOTO_KID}, claims)}."


def token_claims(token: str) -> dict[str, Any]:
    """The payload of `token`, unverified (to tamper with it)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def with_payload(token: str, claims: Mapping[str, Any]) -> str:
    """`token` with its payload replaced by `claims`, header and signature kept (a tampered token)."""
    header, _, signature = token.split(".")
    return f"{header}.{b64url(json.dumps(dict(claims)).encode())}.{signature}"
