"""DRF authentication with Cognito bearer tokens (`Authorization: Bearer <ID or access token>`).

Answers in RFC 6750 terms: no token → None, so DRF answers 401 with a plain `WWW-Authenticate:
Bearer`; a bad token → 401 with `Bearer error="invalid_token", error_description="..."`; keys
unavailable → 503 with Retry-After. Neither the token nor the Authorization header is ever logged.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts import errors
from accounts.errors import CognitoUnavailableError, TokenVerificationError
from accounts.tokens import CognitoClaims, claims_from_gateway_authorizer, verify_cognito_token

logger = logging.getLogger(__name__)

BEARER_SCHEME: Final = "bearer"
# Where Zappa puts API Gateway's `requestContext.authorizer` in the WSGI environ (request.META).
GATEWAY_AUTHORIZER_META_KEY: Final = "API_GATEWAY_AUTHORIZER"
# Set on the request when a token was refused, so authenticate_header can say why (RFC 6750 §3).
_REFUSAL_ATTRIBUTE: Final = "_cognito_token_refusal"
# Seconds a client should wait when the pool's keys cannot be fetched.
UNAVAILABLE_RETRY_AFTER_SECONDS: Final = 5


class CognitoPrincipal:
    """The caller as the token describes them, until accounts links Cognito users to site users."""

    is_authenticated: Final = True
    is_anonymous: Final = False
    is_active: Final = True

    def __init__(self, claims: CognitoClaims) -> None:
        self.claims = claims

    @property
    def pk(self) -> str:
        # Throttles and logs key on pk; the Cognito `sub` is stable and unique in the pool.
        return self.claims.sub

    @property
    def username(self) -> str:
        return self.claims.username or self.claims.sub

    def __str__(self) -> str:
        return f"cognito:{self.claims.sub}"

    def __repr__(self) -> str:
        return f"<CognitoPrincipal sub={self.claims.sub!r} token_use={self.claims.token_use!r}>"


class AuthenticationUnavailable(exceptions.APIException):
    """503: tokens cannot be checked right now (JWKS unreachable, Cognito not configured)."""

    status_code = 503
    default_detail = "Sign-in cannot be checked right now; try again shortly."
    default_code = errors.AUTH_UNAVAILABLE
    # DRF's exception handler turns `wait` into a Retry-After header.
    wait = UNAVAILABLE_RETRY_AFTER_SECONDS


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None when there is no bearer header.

    Raises AuthenticationFailed when the header says Bearer but carries no single token.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not isinstance(header, str) or not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    # Another scheme (Basic, ...) is some other authenticator's business.
    if scheme.lower() != BEARER_SCHEME:
        return None
    token = rest.strip()
    if not token or " " in token:
        raise _refused(
            request,
            TokenVerificationError(errors.MALFORMED_TOKEN, "The Authorization header must be 'Bearer <token>'."),
        )
    return token


class CognitoAuthentication(BaseAuthentication):
    """Authenticates API calls with a Cognito ID or access token; `request.auth` is the CognitoClaims.

    With COGNITO_TRUST_GATEWAY_AUTHORIZER on, claims that API Gateway's Cognito authorizer already
    verified are taken from the environ as they are (no second verification); off by default.
    """

    def authenticate(self, request: Request) -> tuple[Any, CognitoClaims] | None:
        try:
            claims = self._gateway_claims(request)
            if claims is None:
                token = bearer_token(request)
                if token is None:
                    return None
                claims = verify_cognito_token(token)
        except TokenVerificationError as exc:
            raise _refused(request, exc) from None
        except CognitoUnavailableError as exc:
            logger.warning("Cognito tokens cannot be verified: %s", exc)
            raise AuthenticationUnavailable() from None
        return (self.user_for_claims(claims, request), claims)

    def user_for_claims(self, claims: CognitoClaims, request: Request) -> Any:
        """The `request.user` for verified claims (to become the linked site user)."""
        return CognitoPrincipal(claims)

    def authenticate_header(self, request: Request) -> str:
        refusal: TokenVerificationError | None = getattr(request, _REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return "Bearer"
        return f'Bearer error="invalid_token", error_description="{_quoted(refusal.message)}"'

    def _gateway_claims(self, request: Request) -> CognitoClaims | None:
        if not settings.COGNITO_TRUST_GATEWAY_AUTHORIZER:
            return None
        return claims_from_gateway_authorizer(request.META.get(GATEWAY_AUTHORIZER_META_KEY))


def _refused(request: Request, exc: TokenVerificationError) -> exceptions.AuthenticationFailed:
    # The code only: the message is fixed text, but the token itself must never reach a log.
    logger.info("Cognito token refused: %s", exc.code)
    setattr(request, _REFUSAL_ATTRIBUTE, exc)
    return exceptions.AuthenticationFailed(detail=exc.message, code=exc.code)


def _quoted(text: str) -> str:
    # RFC 6750 error_description: printable ASCII without '"' and '\'.
    return "".join(character for character in text if 0x20 <= ord(character) < 0x7F and character not in '"\\')
