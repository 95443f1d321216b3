"""Cognito's user-migration trigger: site users sign into Cognito with their site password.

Cognito calls it (through the same Lambda function, routed by `triggerSource`) when someone it
does not know yet signs in or asks for a password reset. The event carries the password in clear:
neither the event nor the password is ever logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q

from accounts.services import site_password_check
from legacy.models import LegacyUser
from legacy.validators import fits_latin1

logger = logging.getLogger(__name__)

AUTHENTICATION = "UserMigration_Authentication"
FORGOT_PASSWORD = "UserMigration_ForgotPassword"  # noqa: S105 - a trigger name
TRIGGER_SOURCES = (AUTHENTICATION, FORGOT_PASSWORD)
LEGACY_USER_ID_ATTRIBUTE = "custom:legacy_user_id"


class UserMigrationRefused(Exception):
    """Cognito refuses the sign-in; its message reaches the app, so it says nothing specific."""

    def __init__(self) -> None:
        super().__init__("Incorrect username or password.")


def is_user_migration_event(event: Any) -> bool:
    return isinstance(event, dict) and event.get("triggerSource") in TRIGGER_SOURCES


def _active_site_user(login: str) -> LegacyUser | None:
    """The active site user whose email (or else username) is ``login``, as the site matches them."""
    login = login.strip()
    # No site row holds other characters (and MySQL would refuse to compare them): nobody.
    if not login or not fits_latin1(login):
        return None
    active = LegacyUser.objects.filter(status=LegacyUser.Status.ACTIVE)
    return active.filter(Q(email=login)).first() or active.filter(Q(username=login)).first()


def _user_attributes(user: LegacyUser) -> dict[str, str]:
    return {
        "email": user.email,
        "email_verified": "true",  # the site confirmed it; Cognito must not ask again
        "name": user.display_name or user.username,
        LEGACY_USER_ID_ATTRIBUTE: str(user.user_id),
    }


def handle_user_migration(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Answer a user-migration event: the user's attributes, or UserMigrationRefused.

    Takes Lambda's (event, context), so the Zappa handler can call it for `triggerSource` events.
    """
    source = event.get("triggerSource")
    login = event.get("userName")
    request = event.get("request") or {}
    if source not in TRIGGER_SOURCES or not isinstance(login, str):
        raise UserMigrationRefused()
    user = _active_site_user(login)
    if source == AUTHENTICATION:
        password = request.get("password")
        accepted = isinstance(password, str) and site_password_check(site_user=user, password=password)
    else:
        accepted = True  # a forgotten password: Cognito itself verifies the email with a code
    if user is None or not accepted:
        logger.info("User migration refused (%s).", source)
        raise UserMigrationRefused()
    response = event.setdefault("response", {})
    response["userAttributes"] = _user_attributes(user)
    response["messageAction"] = "SUPPRESS"  # they already have an account: no welcome email
    if source == AUTHENTICATION:
        response["finalUserStatus"] = "CONFIRMED"
    logger.info("User migration (%s) for site user %s.", source, user.user_id)
    return event
