"""accounts/tokens.py and accounts/jwks.py: real moto tokens over HTTP, every forgery refused with its code."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_django import Settings as SettingsWrapper

from accounts import errors, jwks
from accounts.errors import CognitoUnavailableError, JWKSFetchError, TokenVerificationError
from accounts.jwks import EMULATOR_JWKS_HEADERS, JWKSCache, jwks_request_headers, jwks_url
from accounts.tokens import MAX_TOKEN_LENGTH, CognitoClaims, verify_cognito_token
from devstack.aws_resources import STAFF_GROUP, DevstackResources
from devstack.moto_server import free_port
from tests.accounts.cognito_helpers import (
    CognitoTokens,
    access_token_claims,
    b64url,
    cognito_tokens,
    create_app_client,
    create_cognito_user,
    create_user_pool,
    hs256_with_public_key,
    id_token_claims,
    mint_token,
    moto_private_key,
    sign_in,
    sign_jws,
    token_claims,
    unsigned_token,
    with_payload,
    without,
)


def refused(token: str) -> TokenVerificationError:
    """The error verifying `token` raises; fails the test when it is accepted."""
    with pytest.raises(TokenVerificationError) as caught:
        verify_cognito_token(token)
    error = caught.value
    assert error.code in errors.TOKEN_ERROR_CODES
    # The message is safe to log and to send: no part of the token in it.
    for part in token.split("."):
        if len(part) >= 8:
            assert part not in error.message
            assert part not in str(error)
    return error


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- Accepted -------------------------------------------------------------------------------


def test_moto_id_token_is_accepted_with_its_claims(aws_stack: DevstackResources, tokens: CognitoTokens) -> None:
    claims = verify_cognito_token(tokens.id_token)

    assert isinstance(claims, CognitoClaims)
    assert claims.sub == tokens.user.sub
    assert claims.token_use == "id"
    assert claims.client_id == aws_stack.app_client_id
    assert claims.email == tokens.user.email
    # moto writes the string "true", as Cognito does in some flows.
    assert token_claims(tokens.id_token)["email_verified"] == "true"
    assert claims.email_verified is True
    # The pool signs people in by email, so Cognito's username is the sub.
    assert claims.username == tokens.user.sub
    assert claims.groups == (STAFF_GROUP,)
    assert claims.claims["iss"] == aws_stack.issuer
    assert claims.verified_by == "app"


def test_moto_access_token_is_accepted_with_its_claims(aws_stack: DevstackResources, tokens: CognitoTokens) -> None:
    claims = verify_cognito_token(tokens.access_token)

    assert claims.sub == tokens.user.sub
    assert claims.token_use == "access"
    assert claims.client_id == aws_stack.app_client_id
    assert "aud" not in claims.claims
    assert claims.email is None
    assert claims.email_verified is False
    assert claims.username == tokens.user.sub
    assert claims.groups == (STAFF_GROUP,)


def test_unverified_email_is_reported_as_unverified(aws_stack: DevstackResources) -> None:
    user = create_cognito_user(aws_stack.user_pool_id, email_verified=False)
    claims = verify_cognito_token(sign_in(aws_stack.user_pool_id, aws_stack.app_client_id, user).id_token)

    assert claims.email == user.email
    assert claims.email_verified is False


def test_a_minted_token_with_every_time_claim_is_accepted(aws_stack: DevstackResources) -> None:
    now = int(time.time())
    claims = verify_cognito_token(mint_token(id_token_claims(aws_stack, iat=now, nbf=now, email_verified=True)))

    assert claims.email_verified is True
    assert claims.groups == ()


def test_clock_skew_within_the_leeway_is_tolerated(aws_stack: DevstackResources) -> None:
    now = int(time.time())
    verify_cognito_token(mint_token(id_token_claims(aws_stack, exp=now - 10, iat=now + 10, nbf=now + 10)))


def test_any_configured_app_client_is_accepted(aws_stack: DevstackResources, settings: SettingsWrapper) -> None:
    second_client = create_app_client(aws_stack.user_pool_id)
    settings.COGNITO_APP_CLIENT_IDS = [aws_stack.app_client_id, second_client]
    tokens = cognito_tokens(aws_stack, client_id=second_client)

    assert verify_cognito_token(tokens.id_token).client_id == second_client
    assert verify_cognito_token(tokens.access_token).client_id == second_client


# --- Refused --------------------------------------------------------------------------------


def test_alg_none_is_refused(tokens: CognitoTokens) -> None:
    assert refused(unsigned_token(token_claims(tokens.id_token))).code == errors.UNSUPPORTED_ALGORITHM


def test_hs256_signed_with_the_public_key_is_refused(tokens: CognitoTokens) -> None:
    token = hs256_with_public_key(token_claims(tokens.id_token))

    assert refused(token).code == errors.UNSUPPORTED_ALGORITHM


def test_alg_missing_or_other_asymmetric_alg_is_refused(aws_stack: DevstackResources) -> None:
    claims = id_token_claims(aws_stack)

    assert refused(sign_jws({"kid": "dummy"}, claims)).code == errors.UNSUPPORTED_ALGORITHM
    assert refused(sign_jws({"alg": "RS512", "kid": "dummy"}, claims)).code == errors.UNSUPPORTED_ALGORITHM
    assert refused(sign_jws({"alg": "PS256", "kid": "dummy"}, claims)).code == errors.UNSUPPORTED_ALGORITHM


def test_crit_header_is_refused(aws_stack: DevstackResources) -> None:
    token = sign_jws({"alg": "RS256", "kid": "dummy", "crit": ["exp"]}, id_token_claims(aws_stack))

    assert refused(token).code == errors.UNSUPPORTED_ALGORITHM


def test_unknown_kid_is_refused(aws_stack: DevstackResources) -> None:
    token = mint_token(id_token_claims(aws_stack), headers={"kid": "not-a-key-of-this-pool"})

    assert refused(token).code == errors.UNKNOWN_KEY


def test_missing_or_non_string_kid_is_refused(aws_stack: DevstackResources) -> None:
    claims = id_token_claims(aws_stack)

    assert refused(sign_jws({"alg": "RS256"}, claims)).code == errors.UNKNOWN_KEY
    assert refused(sign_jws({"alg": "RS256", "kid": ""}, claims)).code == errors.UNKNOWN_KEY
    assert refused(sign_jws({"alg": "RS256", "kid": 7}, claims)).code == errors.MALFORMED_TOKEN


def test_token_signed_by_another_key_with_moto_kid_is_refused(aws_stack: DevstackResources) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert refused(mint_token(id_token_claims(aws_stack), key=other_key)).code == errors.INVALID_SIGNATURE


def test_tampered_payload_is_refused(tokens: CognitoTokens) -> None:
    claims = token_claims(tokens.id_token)
    claims["sub"] = str(uuid.uuid4())
    claims["cognito:groups"] = ["staff", "admin"]

    assert refused(with_payload(tokens.id_token, claims)).code == errors.INVALID_SIGNATURE


def test_token_of_another_pool_of_the_same_emulator_is_refused(aws_stack: DevstackResources) -> None:
    other_pool, other_client = create_user_pool()
    other_tokens = sign_in(other_pool, other_client, create_cognito_user(other_pool))
    # moto signs every pool with one key: the signature is fine, only `iss` tells them apart.
    jwt.decode(
        other_tokens.id_token, moto_private_key().public_key(), algorithms=["RS256"], options={"verify_aud": False}
    )

    assert refused(other_tokens.id_token).code == errors.INVALID_ISSUER
    assert refused(other_tokens.access_token).code == errors.INVALID_ISSUER


def test_minted_token_with_a_lookalike_issuer_is_refused(aws_stack: DevstackResources) -> None:
    for issuer in (aws_stack.issuer + "/", aws_stack.issuer.upper(), aws_stack.issuer.replace("https", "http")):
        assert refused(mint_token(id_token_claims(aws_stack, iss=issuer))).code == errors.INVALID_ISSUER
    assert refused(mint_token(without(id_token_claims(aws_stack), "iss"))).code == errors.MISSING_CLAIM


def test_id_token_for_another_app_client_is_refused(aws_stack: DevstackResources) -> None:
    foreign = cognito_tokens(aws_stack, client_id=create_app_client(aws_stack.user_pool_id))

    assert refused(foreign.id_token).code == errors.INVALID_AUDIENCE


def test_access_token_for_another_app_client_is_refused(aws_stack: DevstackResources) -> None:
    foreign = cognito_tokens(aws_stack, client_id=create_app_client(aws_stack.user_pool_id))

    assert refused(foreign.access_token).code == errors.INVALID_AUDIENCE


def test_access_token_with_only_an_aud_is_refused(aws_stack: DevstackResources) -> None:
    # An access token is judged by client_id; a matching aud does not stand in for it.
    claims = without(access_token_claims(aws_stack), "client_id")
    claims["aud"] = aws_stack.app_client_id

    assert refused(mint_token(claims)).code == errors.MISSING_CLAIM


def test_aud_as_a_list_is_refused(aws_stack: DevstackResources) -> None:
    token = mint_token(id_token_claims(aws_stack, aud=[aws_stack.app_client_id]))

    assert refused(token).code == errors.INVALID_CLAIM


def test_missing_token_use_is_refused(aws_stack: DevstackResources) -> None:
    assert refused(mint_token(without(id_token_claims(aws_stack), "token_use"))).code == errors.INVALID_TOKEN_USE


@pytest.mark.parametrize("token_use", ["refresh", "ID", "", None, ["id"]])
def test_wrong_token_use_is_refused(aws_stack: DevstackResources, token_use: Any) -> None:
    assert refused(mint_token(id_token_claims(aws_stack, token_use=token_use))).code == errors.INVALID_TOKEN_USE


def test_expired_token_is_refused(aws_stack: DevstackResources) -> None:
    now = int(time.time())
    token = mint_token(id_token_claims(aws_stack, iat=now - 7200, exp=now - 3600))

    assert refused(token).code == errors.TOKEN_EXPIRED


def test_token_not_valid_yet_is_refused(aws_stack: DevstackResources) -> None:
    now = int(time.time())

    assert refused(mint_token(id_token_claims(aws_stack, nbf=now + 3600))).code == errors.TOKEN_NOT_YET_VALID
    assert refused(mint_token(id_token_claims(aws_stack, iat=now + 3600))).code == errors.TOKEN_NOT_YET_VALID


def test_missing_exp_is_refused(aws_stack: DevstackResources) -> None:
    assert refused(mint_token(without(id_token_claims(aws_stack), "exp"))).code == errors.MISSING_CLAIM


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "9999999999"),
        ("exp", True),
        ("exp", 9999999999.5),
        ("nbf", "0"),
        ("sub", 12345),
        ("sub", ""),
        ("email", ["a@example.com"]),
        ("cognito:groups", "staff"),
        ("cognito:groups", ["staff", 1]),
    ],
)
def test_claims_of_the_wrong_type_are_refused(aws_stack: DevstackResources, claim: str, value: Any) -> None:
    token = mint_token(id_token_claims(aws_stack, **{claim: value}))

    assert refused(token).code == errors.INVALID_CLAIM


def test_missing_sub_is_refused(aws_stack: DevstackResources) -> None:
    assert refused(mint_token(without(id_token_claims(aws_stack), "sub"))).code == errors.MISSING_CLAIM


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b",
        "a.b.c.d.e",
        "abc.def.ghi",
        "e30.e30.",
        "W10.e30.e30",
        "eyJhbGciOiJSUzI1NiJ9.e30.é",
        "....",
        " ",
    ],
)
def test_garbage_is_refused(aws_stack: DevstackResources, token: str) -> None:
    assert refused(token).code in {errors.MALFORMED_TOKEN, errors.UNSUPPORTED_ALGORITHM}


def test_truncated_tokens_are_refused(tokens: CognitoTokens) -> None:
    token = tokens.id_token
    header, payload, signature = token.split(".")

    assert refused(token[: len(token) // 2]).code == errors.MALFORMED_TOKEN
    assert refused(f"{header}.{payload}").code == errors.MALFORMED_TOKEN
    assert refused(f"{header}.{payload}.").code == errors.INVALID_SIGNATURE
    assert refused(f"{header}.{payload}.{signature[:-10]}").code in {errors.INVALID_SIGNATURE, errors.MALFORMED_TOKEN}
    assert refused(f"{header}.{payload[:-5]}.{signature}").code in {errors.INVALID_SIGNATURE, errors.MALFORMED_TOKEN}


def test_validly_signed_payload_that_is_not_an_object_is_refused(aws_stack: DevstackResources) -> None:
    signing_input = f"{b64url(b'{"alg":"RS256","kid":"dummy"}')}.{b64url(b'[]')}"
    signature = moto_private_key().sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    assert refused(f"{signing_input}.{b64url(signature)}").code == errors.MALFORMED_TOKEN


def test_oversized_tokens_are_refused_before_parsing(aws_stack: DevstackResources) -> None:
    assert refused("a" * (MAX_TOKEN_LENGTH + 1)).code == errors.TOKEN_TOO_LARGE
    # Validly signed, but no Cognito token is that big.
    big = mint_token(id_token_claims(aws_stack, padding="x" * MAX_TOKEN_LENGTH))
    assert refused(big).code == errors.TOKEN_TOO_LARGE


def test_unconfigured_pool_is_unavailable_not_a_token_error(
    aws_stack: DevstackResources, tokens: CognitoTokens, settings: SettingsWrapper
) -> None:
    settings.COGNITO_APP_CLIENT_IDS = []
    with pytest.raises(CognitoUnavailableError):
        verify_cognito_token(tokens.id_token)
    settings.COGNITO_APP_CLIENT_IDS = [aws_stack.app_client_id]
    settings.COGNITO_USER_POOL_ID = ""
    with pytest.raises(CognitoUnavailableError):
        verify_cognito_token(tokens.id_token)


# --- The JWKS cache -------------------------------------------------------------------------


def test_jwks_url_is_the_issuers_unless_overridden(settings: SettingsWrapper) -> None:
    settings.COGNITO_USER_POOL_ID = "eu-west-1_AbCdEf123"
    settings.COGNITO_JWKS_URL = ""

    assert jwks_url() == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
    assert EMULATOR_JWKS_HEADERS.keys().isdisjoint(jwks_request_headers())

    settings.COGNITO_JWKS_URL = "http://127.0.0.1:5000/eu-west-1_AbCdEf123/.well-known/jwks.json"
    assert jwks_url() == settings.COGNITO_JWKS_URL
    assert jwks_request_headers().items() >= EMULATOR_JWKS_HEADERS.items()


def test_nothing_is_fetched_before_the_first_token(aws_stack: DevstackResources) -> None:
    assert jwks.fetch_count() == 0


def test_fifty_verifications_fetch_the_jwks_once(aws_stack: DevstackResources) -> None:
    batch = [cognito_tokens(aws_stack) for _ in range(5)]

    for index in range(50):
        tokens = batch[index % len(batch)]
        verify_cognito_token(tokens.id_token if index % 2 else tokens.access_token)

    assert jwks.fetch_count() == 1


def test_flood_of_unknown_kids_fetches_at_most_once_more(aws_stack: DevstackResources, tokens: CognitoTokens) -> None:
    claims = token_claims(tokens.id_token)
    verify_cognito_token(tokens.id_token)
    started = time.monotonic()

    for _ in range(200):
        token = mint_token(claims, headers={"kid": uuid.uuid4().hex})
        assert refused(token).code == errors.UNKNOWN_KEY

    assert time.monotonic() - started < JWKSCache.REFETCH_INTERVAL_SECONDS
    assert jwks.fetch_count() <= 2
    # The known key still answers without a fetch.
    verify_cognito_token(tokens.id_token)
    assert jwks.fetch_count() <= 2


def test_unknown_kid_refetches_at_most_once_per_interval(aws_stack: DevstackResources, tokens: CognitoTokens) -> None:
    clock = FakeClock()
    cache = JWKSCache(clock=clock)
    claims = token_claims(tokens.id_token)

    def unknown_kid() -> None:
        with pytest.raises(TokenVerificationError) as caught:
            verify_cognito_token(mint_token(claims, headers={"kid": uuid.uuid4().hex}), jwks=cache)
        assert caught.value.code == errors.UNKNOWN_KEY

    verify_cognito_token(tokens.id_token, jwks=cache)
    assert cache.fetch_count == 1
    # Within the interval of the first fetch: no refetch at all.
    for _ in range(100):
        clock.now += 0.05
        unknown_kid()
    assert cache.fetch_count == 1
    # Past it: the first unknown kid refetches, the next 200 (over 4 s) do not.
    clock.now += JWKSCache.REFETCH_INTERVAL_SECONDS
    for _ in range(200):
        unknown_kid()
        clock.now += 0.02
    assert cache.fetch_count == 2
    assert cache.seconds_until_refetch() > 0
    clock.now += JWKSCache.REFETCH_INTERVAL_SECONDS
    unknown_kid()
    assert cache.fetch_count == 3
    # A known kid never waits for, nor causes, a fetch.
    verify_cognito_token(tokens.access_token, jwks=cache)
    assert cache.fetch_count == 3


def test_concurrent_flood_of_unknown_kids_fetches_once(aws_stack: DevstackResources, tokens: CognitoTokens) -> None:
    clock = FakeClock()
    cache = JWKSCache(clock=clock)
    verify_cognito_token(tokens.id_token, jwks=cache)
    clock.now += JWKSCache.REFETCH_INTERVAL_SECONDS + 1
    claims = token_claims(tokens.id_token)
    forged = [mint_token(claims, headers={"kid": uuid.uuid4().hex}) for _ in range(200)]
    codes: list[str] = []
    barrier = threading.Barrier(8)

    def worker(chunk: list[str]) -> None:
        barrier.wait()
        for token in chunk:
            try:
                verify_cognito_token(token, jwks=cache)
            except TokenVerificationError as exc:
                codes.append(exc.code)

    threads = [threading.Thread(target=worker, args=(forged[index::8],)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert codes == [errors.UNKNOWN_KEY] * 200
    assert cache.fetch_count == 2


def test_unreachable_jwks_is_unavailable_fast_and_rate_limited(
    aws_stack: DevstackResources, tokens: CognitoTokens, settings: SettingsWrapper
) -> None:
    settings.COGNITO_JWKS_URL = f"http://127.0.0.1:{free_port()}/{aws_stack.user_pool_id}/.well-known/jwks.json"
    started = time.monotonic()

    with pytest.raises(JWKSFetchError):
        verify_cognito_token(tokens.id_token)
    # Within the interval, the next request fails at once instead of knocking again.
    with pytest.raises(JWKSFetchError):
        verify_cognito_token(tokens.id_token)

    assert time.monotonic() - started < JWKSCache.TIMEOUT_SECONDS
    assert jwks.fetch_count() == 1


def test_silent_jwks_endpoint_times_out_instead_of_hanging(
    aws_stack: DevstackResources, tokens: CognitoTokens, settings: SettingsWrapper
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        # Accepts connections (the kernel does) and never answers.
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        settings.COGNITO_JWKS_URL = f"http://127.0.0.1:{server.getsockname()[1]}/jwks.json"
        cache = JWKSCache(timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(JWKSFetchError):
            verify_cognito_token(tokens.id_token, jwks=cache)
        assert time.monotonic() - started < 2


def test_emulator_jwks_is_fetched_with_its_routing_header(aws_stack: DevstackResources) -> None:
    # What the cache fetches is what moto serves: one RS256 key, "dummy", moto's public key.
    keys = jwks.fetch_jwks(aws_stack.jwks_url, timeout_seconds=3)

    assert list(keys) == ["dummy"]
    assert keys["dummy"].public_numbers() == moto_private_key().public_key().public_numbers()


def test_jwks_answer_that_is_not_a_jwks_is_a_fetch_error() -> None:
    for document in (b"<html>", b"[]", b'{"keys": {}}', b'{"keys": [{"kty": "EC", "kid": "x"}]}'):
        with pytest.raises(JWKSFetchError):
            jwks.parse_jwks(document)


@pytest.mark.parametrize(
    ("value", "verified"),
    [
        (True, True),
        ("true", True),
        (1, False),
        (1.0, False),
        ("1", False),
        ("True", False),
        ("yes", False),
        ([True], False),
        (False, False),
        (None, False),
    ],
)
def test_email_verified_counts_only_as_json_true_or_the_string_true(
    aws_stack: DevstackResources, value: object, verified: bool
) -> None:
    claims = verify_cognito_token(mint_token(id_token_claims(aws_stack, email_verified=value)))

    assert claims.email_verified is verified
