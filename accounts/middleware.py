"""Admin sessions of Cognito staff end when Cognito says so: checked again every few minutes (SPEC §3)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.backends import (
    COGNITO_USERNAME_PREFIX,
    SESSION_COGNITO_CHECKED_AT,
    SESSION_COGNITO_USERNAME,
    cognito_staff_still_allowed,
)
from accounts.errors import CognitoUnavailableError

logger = logging.getLogger(__name__)

SESSION_ENDED_MESSAGE = (
    "Your admin session has ended: your Cognito account is disabled or no longer in the staff group."
)
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


class CognitoStaffRecheckMiddleware:
    """For a signed-in Cognito staff member, asks Cognito again (enabled, still in `staff`) once the
    last confirmation is older than COGNITO_STAFF_RECHECK_SECONDS; signs them out when it fails.

    Costs nothing for API calls and site-password staff: only sessions of `cognito:` users are
    checked. While Cognito cannot be reached, the request is answered 503 and the session kept:
    nothing is granted that Cognito has not confirmed recently.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a request with a session cookie can be a signed-in admin: API calls skip the lookup.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            refusal = self._recheck(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _recheck(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.get_username().startswith(COGNITO_USERNAME_PREFIX):
            return None
        checked_at = request.session.get(SESSION_COGNITO_CHECKED_AT)
        if (
            isinstance(checked_at, int | float)
            and 0 <= time.time() - checked_at < settings.COGNITO_STAFF_RECHECK_SECONDS
        ):
            return None
        username = request.session.get(SESSION_COGNITO_USERNAME) or user.get_username().removeprefix(
            COGNITO_USERNAME_PREFIX
        )
        try:
            allowed = cognito_staff_still_allowed(username=username)
        except CognitoUnavailableError as exc:
            logger.warning("Cognito staff session of %s not confirmed: %s", user.pk, exc)
            response = HttpResponse(
                "Cognito cannot confirm your admin access right now; try again in a minute.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
            return response
        if allowed:
            request.session[SESSION_COGNITO_CHECKED_AT] = time.time()
            return None
        logger.info("Cognito staff session of Django user %s ended: disabled or no longer staff.", user.pk)
        logout(request)
        messages.warning(request, SESSION_ENDED_MESSAGE)
        return HttpResponseRedirect(f"{reverse('admin:login')}?next={request.path}")
