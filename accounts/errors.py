"""Why a Cognito token was refused: machine codes (shared with tests and the API) and the exceptions carrying them."""

# ruff: noqa: S105  (error codes mentioning "token" are not passwords)

from __future__ import annotations

from typing import Final

from api.error_codes import register_error_codes

# --- Codes of a refused token (the API answers 401 with one of them) ------------------------

# The token is not a JWS compact string we can read (garbage, truncated, bad JSON, not ASCII).
MALFORMED_TOKEN: Final = "malformed_token"
# Longer than any Cognito token; refused before parsing.
TOKEN_TOO_LARGE: Final = "token_too_large"
# `alg` other than RS256 (none, HS256, ES256...) or a header we refuse to honour (`crit`, `b64`).
UNSUPPORTED_ALGORITHM: Final = "unsupported_algorithm"
# No `kid`, or a `kid` the pool's JWKS does not hold (even after a refetch).
UNKNOWN_KEY: Final = "unknown_key"
# The signature does not match the pool's key: tampered, or signed by someone else.
INVALID_SIGNATURE: Final = "invalid_signature"
# `iss` is not this pool (a token of another pool, even one signed with the same key).
INVALID_ISSUER: Final = "invalid_issuer"
# `aud` (ID token) or `client_id` (access token) is not one of our app clients.
INVALID_AUDIENCE: Final = "invalid_audience"
# `token_use` missing or neither "id" nor "access" (e.g. a refresh token).
INVALID_TOKEN_USE: Final = "invalid_token_use"
# `exp` is in the past (beyond the leeway): the app should refresh its tokens.
TOKEN_EXPIRED: Final = "token_expired"
# `nbf` or `iat` is in the future (beyond the leeway).
TOKEN_NOT_YET_VALID: Final = "token_not_yet_valid"
# A required claim (sub, exp, iss, ...) is absent.
MISSING_CLAIM: Final = "missing_claim"
# A claim has the wrong type (e.g. `exp` as a string, `cognito:groups` not a list).
INVALID_CLAIM: Final = "invalid_claim"

TOKEN_ERROR_CODES: Final = frozenset(
    {
        MALFORMED_TOKEN,
        TOKEN_TOO_LARGE,
        UNSUPPORTED_ALGORITHM,
        UNKNOWN_KEY,
        INVALID_SIGNATURE,
        INVALID_ISSUER,
        INVALID_AUDIENCE,
        INVALID_TOKEN_USE,
        TOKEN_EXPIRED,
        TOKEN_NOT_YET_VALID,
        MISSING_CLAIM,
        INVALID_CLAIM,
    }
)

# --- Not the caller's fault (the API answers 503 with Retry-After) --------------------------

# The pool's JWKS could not be fetched (network, timeout, bad answer) or Cognito is not configured.
AUTH_UNAVAILABLE: Final = "auth_unavailable"

# --- Not allowed (403) ------------------------------------------------------------------------

# The caller's site account is suspended or deleted.
ACCOUNT_UNAVAILABLE: Final = "account_unavailable"
# With API_KEY_REQUIRED: the `x-api-key` header is missing, unknown or revoked.
API_KEY_INVALID: Final = "api_key_invalid"

register_error_codes(
    {
        TOKEN_EXPIRED: (401, "The token has expired: refresh the tokens and retry once."),
        **dict.fromkeys(
            sorted(TOKEN_ERROR_CODES - {TOKEN_EXPIRED}),
            (401, "The token was refused (wrong pool or app client, tampered, malformed...): sign in again."),
        ),
        ACCOUNT_UNAVAILABLE: (403, "The caller's account on the site is suspended or deleted."),
        API_KEY_INVALID: (403, "The `x-api-key` header is missing, unknown or revoked."),
        AUTH_UNAVAILABLE: (503, "Tokens cannot be checked right now: retry after `Retry-After` seconds."),
    }
)


class TokenVerificationError(Exception):
    """A token was refused. `code` is one of the constants above; `message` is for humans.

    The message never contains the token or any part of it, so it is safe to log and to send.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class CognitoUnavailableError(Exception):
    """Tokens cannot be checked right now: the JWKS fetch failed, or the pool is not configured."""

    code = AUTH_UNAVAILABLE


class JWKSFetchError(CognitoUnavailableError):
    """The pool's JWKS could not be fetched or read; raised within the fetch timeout, never a hang."""
