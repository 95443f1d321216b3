"""The API's caller: a verified Cognito user resolved to their row in the site's `users` table."""

from __future__ import annotations

from typing import Any, Final, cast

from rest_framework import exceptions
from rest_framework.request import Request

from accounts.authentication import CognitoAuthentication
from accounts.errors import ACCOUNT_UNAVAILABLE
from accounts.services import CognitoPerson, SiteAccountUnavailable, site_user_for_cognito
from accounts.tokens import CognitoClaims
from legacy.models import LegacyUser


class SiteCaller:
    """`request.user` of the API: the linked site user, with the token's claims."""

    is_authenticated: Final = True
    is_anonymous: Final = False
    is_active: Final = True

    def __init__(self, site_user: LegacyUser, claims: CognitoClaims) -> None:
        self.site_user = site_user
        self.claims = claims

    @property
    def pk(self) -> int:
        # Throttles and logs key on pk: the site's user id.
        return int(self.site_user.pk)

    def __str__(self) -> str:
        return f"site user {self.site_user.pk}"


class SiteUserAuthentication(CognitoAuthentication):
    """Cognito token verification, then the site user it belongs to (linked on first sight).

    Suspended or deleted site accounts are refused with 403.
    """

    def user_for_claims(self, claims: CognitoClaims) -> Any:
        person = CognitoPerson(
            sub=claims.sub,
            email=claims.email,
            email_verified=claims.email_verified,
            name=_optional_text(claims.claims.get("name")),
        )
        try:
            site_user = site_user_for_cognito(person=person)
        except SiteAccountUnavailable as exc:
            raise exceptions.PermissionDenied(detail=str(exc), code=ACCOUNT_UNAVAILABLE) from None
        return SiteCaller(site_user, claims)


def caller_site_user(request: Request) -> LegacyUser:
    """The site user of an authenticated API request (`request.user` is a SiteCaller)."""
    caller = cast(SiteCaller, request.user)
    return caller.site_user


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
