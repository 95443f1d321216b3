"""Verification of Cognito user-pool tokens (ID and access), done in the app whatever sits in front (SPEC §3).

Every check a correct verifier makes, cheapest and most dangerous first: size, shape, `alg`
(RS256 only, before any key is looked up, so `none` and HS256-with-the-public-key never get
near a key), `kid` in the pool's JWKS, signature, then the claims: `iss` exactly this pool (moto
signs every pool with one key, so only `iss` tells pools apart), `token_use` with `aud` or
`client_id` among our app clients, `exp`/`nbf`/`iat` with a small leeway, and the types of the
claims we hand on. A failure raises TokenVerificationError with a code from accounts.errors and a
message that never quotes the token.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from jwt import api_jws
from jwt.exceptions import InvalidSignatureError, PyJWTError

from accounts import errors
from accounts.errors import CognitoUnavailableError, TokenVerificationError
from accounts.jwks import JWKSCache, issuer_url, jwks_cache

# Cognito ID tokens are 1-2 KB even with many groups and attributes; refuse anything past 8 KB
# before spending a base64 decode, a JSON parse or an RSA verification on it.
MAX_TOKEN_LENGTH: Final = 8 * 1024
ALLOWED_ALGORITHM: Final = "RS256"
ID_TOKEN: Final = "id"  # noqa: S105 (a token_use value, not a secret)
ACCESS_TOKEN: Final = "access"  # noqa: S105
# Header parameters that change how the signature must be read; Cognito never sends them.
REFUSED_HEADER_PARAMETERS: Final = frozenset({"crit", "b64", "zip"})

VERIFIED_BY_APP: Final = "app"
VERIFIED_BY_GATEWAY: Final = "gateway"


@dataclass(frozen=True)
class CognitoClaims:
    """What a verified token says about its bearer."""

    sub: str
    token_use: str
    # The app client the token was issued to: `aud` of an ID token, `client_id` of an access token.
    client_id: str
    email: str | None
    # True only for the JSON true or Cognito's string "true": the condition for linking accounts.
    email_verified: bool
    # `cognito:username` (ID token) or `username` (access token); None when absent.
    username: str | None
    groups: tuple[str, ...]
    # Every claim as received, read-only.
    claims: Mapping[str, Any] = field(repr=False)
    # "app" (signature checked here) or "gateway" (trusted from API Gateway's Cognito authorizer).
    verified_by: str = VERIFIED_BY_APP


def leeway_seconds() -> int:
    """Clock skew tolerated on exp/nbf/iat (COGNITO_TOKEN_LEEWAY_SECONDS, default 30 s in settings)."""
    return int(settings.COGNITO_TOKEN_LEEWAY_SECONDS)


def app_client_ids() -> frozenset[str]:
    """Our app clients: the only `aud` / `client_id` values accepted."""
    client_ids = frozenset(settings.COGNITO_APP_CLIENT_IDS)
    if not client_ids:
        raise CognitoUnavailableError("COGNITO_APP_CLIENT_IDS is empty, so no token can be verified.")
    return client_ids


def verify_cognito_token(token: str, *, jwks: JWKSCache | None = None) -> CognitoClaims:
    """The claims of `token` once it has passed every check; raises TokenVerificationError otherwise.

    Raises CognitoUnavailableError (not the caller's fault: answer 503) when the pool's keys cannot
    be fetched or Cognito is not configured. `jwks` defaults to the process-wide cache.
    """
    expected_issuer = issuer_url()
    client_ids = app_client_ids()
    header = _read_header(token)
    key = _signing_key(header, jwks if jwks is not None else jwks_cache)
    payload = _verified_payload(token, key)
    return _claims_from_payload(payload, expected_issuer=expected_issuer, client_ids=client_ids, now=time.time())


def claims_from_gateway_authorizer(authorizer: Any) -> CognitoClaims | None:
    """Claims API Gateway's Cognito authorizer already verified, or None when there are none.

    Zappa copies the event's `requestContext.authorizer` into the WSGI environ as
    `API_GATEWAY_AUTHORIZER` (request.META; clients cannot set it: their headers become HTTP_*).
    REST APIs put the claims under `claims`, HTTP APIs (JWT authorizer) under `jwt.claims`, and
    both send every value as a string (`"email_verified": "true"`, `"cognito:groups": "a,b"` or
    `"[a b]"`). The signature and expiry are the gateway's job; `iss`, `token_use` and the client
    are still checked here, so a gateway wired to another pool or client is refused.
    """
    if not isinstance(authorizer, Mapping):
        return None
    raw = authorizer.get("claims")
    if raw is None and isinstance(authorizer.get("jwt"), Mapping):
        raw = authorizer["jwt"].get("claims")
    if not isinstance(raw, Mapping) or not raw:
        return None
    payload = dict(raw)
    payload["cognito:groups"] = _gateway_groups(payload.get("cognito:groups"))
    return _claims_from_payload(
        payload,
        expected_issuer=issuer_url(),
        client_ids=app_client_ids(),
        now=None,
        verified_by=VERIFIED_BY_GATEWAY,
    )


# --- Steps ----------------------------------------------------------------------------------


def _read_header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token is empty.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenVerificationError(errors.TOKEN_TOO_LARGE, f"The token is longer than {MAX_TOKEN_LENGTH} characters.")
    # A JWS in compact form: three base64url parts. (Five would be an encrypted JWE.)
    if not token.isascii() or token.count(".") != 2:
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token is not a signed JWT.")
    try:
        header = api_jws.get_unverified_header(token)
    except PyJWTError:
        # PyJWT ≥ 2.13 itself refuses critical extensions it does not know: the same answer as ours.
        if REFUSED_HEADER_PARAMETERS & _raw_header(token).keys():
            raise TokenVerificationError(
                errors.UNSUPPORTED_ALGORITHM, "The token header uses unsupported parameters."
            ) from None
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token header cannot be read.") from None
    alg = header.get("alg")
    if alg != ALLOWED_ALGORITHM:
        raise TokenVerificationError(
            errors.UNSUPPORTED_ALGORITHM, f"The token must be signed with {ALLOWED_ALGORITHM}."
        )
    if REFUSED_HEADER_PARAMETERS & header.keys():
        raise TokenVerificationError(errors.UNSUPPORTED_ALGORITHM, "The token header uses unsupported parameters.")
    return header


def _raw_header(token: str) -> dict[str, Any]:
    """The token's header as JSON, undecoded by PyJWT; {} when it is not a JSON object."""
    part = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except ValueError:
        return {}
    return header if isinstance(header, dict) else {}


def _signing_key(header: Mapping[str, Any], jwks: JWKSCache) -> RSAPublicKey:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenVerificationError(errors.UNKNOWN_KEY, "The token header names no signing key (kid).")
    key = jwks.get_key(kid)
    if key is None:
        raise TokenVerificationError(errors.UNKNOWN_KEY, "The token's signing key is not one of this user pool's.")
    return key


def _verified_payload(token: str, key: RSAPublicKey) -> dict[str, Any]:
    try:
        decoded = api_jws.decode_complete(token, key=key, algorithms=[ALLOWED_ALGORITHM])
    except InvalidSignatureError:
        raise TokenVerificationError(errors.INVALID_SIGNATURE, "The token signature is not valid.") from None
    except PyJWTError:
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token cannot be read.") from None
    try:
        payload = json.loads(decoded["payload"])
    except ValueError:
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token payload is not JSON.") from None
    if not isinstance(payload, dict):
        raise TokenVerificationError(errors.MALFORMED_TOKEN, "The token payload is not a JSON object.")
    return payload


def _claims_from_payload(
    payload: dict[str, Any],
    *,
    expected_issuer: str,
    client_ids: frozenset[str],
    now: float | None,
    verified_by: str = VERIFIED_BY_APP,
) -> CognitoClaims:
    """Checks the claims of a payload whose signature is settled; `now` None skips the time checks."""
    issuer = _required_str(payload, "iss")
    if issuer != expected_issuer:
        raise TokenVerificationError(errors.INVALID_ISSUER, "The token was issued by another user pool.")

    token_use = payload.get("token_use")
    if token_use == ID_TOKEN:
        client_id = _required_str(payload, "aud")
    elif token_use == ACCESS_TOKEN:
        client_id = _required_str(payload, "client_id")
    else:
        raise TokenVerificationError(errors.INVALID_TOKEN_USE, "The token must be a Cognito ID or access token.")
    if client_id not in client_ids:
        raise TokenVerificationError(errors.INVALID_AUDIENCE, "The token was issued to another app client.")

    if now is not None:
        _check_times(payload, now=now, leeway=leeway_seconds())

    sub = _required_str(payload, "sub")
    username_claim = "cognito:username" if token_use == ID_TOKEN else "username"
    return CognitoClaims(
        sub=sub,
        token_use=token_use,
        client_id=client_id,
        email=_optional_str(payload, "email"),
        email_verified=email_verified_claim(payload.get("email_verified")),
        username=_optional_str(payload, username_claim),
        groups=_groups(payload),
        claims=MappingProxyType(payload),
        verified_by=verified_by,
    )


def email_verified_claim(value: Any) -> bool:
    """Whether an `email_verified` claim says yes: JSON true, or the string "true" (as API Gateway
    passes claims). Not 1, 1.0 or "1": Python calls 1 == True, Cognito never sends it."""
    return value is True or (isinstance(value, str) and value == "true")


def _check_times(payload: Mapping[str, Any], *, now: float, leeway: int) -> None:
    if "exp" not in payload:
        raise TokenVerificationError(errors.MISSING_CLAIM, "The token has no expiry (exp).")
    expires_at = _numeric_date(payload, "exp")
    if now > expires_at + leeway:
        raise TokenVerificationError(errors.TOKEN_EXPIRED, "The token has expired; refresh it.")
    # Cognito sets both; moto sets neither: checked when present.
    for name in ("nbf", "iat"):
        if name in payload and _numeric_date(payload, name) > now + leeway:
            raise TokenVerificationError(errors.TOKEN_NOT_YET_VALID, f"The token is not valid yet ({name}).")


def _numeric_date(payload: Mapping[str, Any], name: str) -> int:
    value = payload[name]
    # bool is an int in Python; `"exp": true` is not a date.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenVerificationError(errors.INVALID_CLAIM, f"The token claim {name} must be an integer.")
    return value


def _required_str(payload: Mapping[str, Any], name: str) -> str:
    if name not in payload:
        raise TokenVerificationError(errors.MISSING_CLAIM, f"The token has no {name} claim.")
    value = payload[name]
    if not isinstance(value, str) or not value:
        raise TokenVerificationError(errors.INVALID_CLAIM, f"The token claim {name} must be a non-empty string.")
    return value


def _optional_str(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TokenVerificationError(errors.INVALID_CLAIM, f"The token claim {name} must be a string.")
    return value


def _groups(payload: Mapping[str, Any]) -> tuple[str, ...]:
    value = payload.get("cognito:groups")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(group, str) for group in value):
        raise TokenVerificationError(errors.INVALID_CLAIM, "The token claim cognito:groups must be a list of strings.")
    return tuple(value)


def _gateway_groups(value: Any) -> list[str] | None:
    # API Gateway flattens lists to strings: "staff,editors" (REST) or "[staff editors]" (HTTP API).
    if value is None or isinstance(value, list):
        return value
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [group for group in text.replace(",", " ").split() if group]
