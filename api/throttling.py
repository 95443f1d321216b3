"""API rate limits: per site user when signed in, per client IP otherwise (rates from settings).

Both classes are DRF's DEFAULT_THROTTLE_CLASSES, so every API view is limited without saying so.
Counters live in the `default` cache (CACHE_URL). An over-limit call gets 429 with code `throttled`
and an integer `Retry-After` (the exception handler in api/errors.py shapes the body).

DRF checks throttles after authentication and permissions, so a call refused with 401/403 is not
counted: the anonymous limit guards the public endpoints (/api/schema/, /api/docs/).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class _RateFromSettings(SimpleRateThrottle):
    setting_name: str
    # Set by SimpleRateThrottle from the rate (and per call by allow_request); typed for mypy.
    duration: int
    history: list[float]
    now: float

    def get_rate(self) -> str | None:
        # Read per request (throttles are built per request), so a settings change applies at once;
        # DRF's own lookup keeps the rates it saw at import.
        rate: str | None = getattr(settings, self.setting_name)
        return rate or None

    def wait(self) -> float | None:
        # DRF gives up on a wait when the history already exceeds the limit (e.g. after the rate
        # was lowered); a 429 must still say when to come back, and "0" would invite a retry storm.
        waited = super().wait()
        if waited is None and self.history:
            waited = self.duration - (self.now - self.history[-1])
        return max(1.0, waited if waited is not None else float(self.duration or 1))


class SiteUserRateThrottle(_RateFromSettings):
    """Signed-in calls, keyed on the site user id (`request.user.pk`), whichever device or token."""

    scope = "user"
    setting_name = "API_THROTTLE_RATE_USER"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonymousRateThrottle(_RateFromSettings, AnonRateThrottle):
    """Calls without a signed-in user, keyed on the client IP (REMOTE_ADDR; see NUM_PROXIES)."""

    scope = "anon"
    setting_name = "API_THROTTLE_RATE_ANON"
