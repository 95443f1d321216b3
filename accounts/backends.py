"""Staff sign into the Django admin with their existing site password (SPEC §1: "Staff
(`is_admin = 1`) must be able to use their existing site password").

SitePasswordBackend checks the username or email and password against the site's `users` row and
signs the person in as a Django user linked to it:

- only rows with `is_admin = 1` and `status = 'active'` may sign in; the check runs again on every
  request (get_user), so suspending or demoting someone on the site ends their admin session;
- the linked Django user is named `site:<user_id>` (Django's username validator refuses ":", so
  no Django-made account can take that name), has no usable Django password (only the site
  password works), `is_staff`, and is never a superuser: its rights come from the "site admins"
  group, which may view and edit the site's users and notes and nothing else (no deletes, no
  Django users or groups). A Django superuser may grant more by hand;
- an md5 password that verifies is rewritten as PHP bcrypt (`$2y$10$`), the password column only,
  so the site keeps verifying it; no other column of `users` is written (the site owns them).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db.models import Q
from django.http import HttpRequest

from accounts.errors import CognitoUnavailableError, TokenVerificationError
from accounts.services import site_password_check
from accounts.tokens import CognitoClaims, verify_cognito_token
from aws.clients import cognito_idp_client
from legacy.models import LegacyUser
from legacy.validators import fits_latin1

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# Django usernames of accounts linked to site users: "site:<user_id>".
SITE_USERNAME_PREFIX = "site:"
SITE_ADMINS_GROUP = "site admins"
# What a site admin may do in the Django admin: the site's tables, never a hard delete (the site
# soft-deletes) and never Django's own users, groups or permissions.
SITE_ADMIN_PERMISSIONS = (
    ("legacy", "view_legacyuser"),
    ("legacy", "change_legacyuser"),
    ("legacy", "view_legacynote"),
    ("legacy", "add_legacynote"),
    ("legacy", "change_legacynote"),
    ("legacy", "view_legacynotetag"),
    ("legacy", "add_legacynotetag"),
    ("legacy", "change_legacynotetag"),
    ("legacy", "view_loginaudit"),
)
_SITE_USER_COLUMNS = ("user_id", "username", "email", "password", "display_name", "status", "is_admin")


class SyncBackend(ModelBackend):
    """ModelBackend whose async methods run ours: its own would check the Django password instead."""

    async def aauthenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)

    async def aget_user(self, user_id: Any) -> User | None:
        return await sync_to_async(self.get_user)(user_id)


class SitePasswordBackend(SyncBackend):
    """Authenticates site admins with their site password; permissions work as in ModelBackend."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None or password is None:
            return None
        site_user = _site_admin_find(username)
        if not site_password_check(site_user=site_user, password=password) or site_user is None:
            # DEBUG: every Django staff sign-in passes here first.
            logger.debug("Admin sign-in with a site password refused.")
            return None
        user = _linked_user_sync(site_user)
        if not self.user_can_authenticate(user):
            logger.info("Admin sign-in refused: the Django account of site user %s is inactive.", site_user.user_id)
            return None
        logger.info("Site user %s signed into the admin with their site password.", site_user.user_id)
        return user

    def get_user(self, user_id: Any) -> User | None:
        """The session's user, while it is still linked to an active site admin."""
        user = super().get_user(user_id)
        if user is None:
            return None
        site_user_id = site_user_id_of(user)
        if site_user_id is None or _site_admin_query(Q(user_id=site_user_id)).first() is None:
            return None
        return user


def site_username(site_user_id: int) -> str:
    """The Django username linked to a site user."""
    return f"{SITE_USERNAME_PREFIX}{site_user_id}"


def site_user_id_of(user: AbstractBaseUser) -> int | None:
    """The site user a Django user is linked to, or None for Django's own accounts."""
    name = user.get_username()
    if not name.startswith(SITE_USERNAME_PREFIX):
        return None
    number = name.removeprefix(SITE_USERNAME_PREFIX)
    return int(number) if number.isascii() and number.isdigit() else None


def site_admins_group() -> Group:
    """The "site admins" group, holding at least SITE_ADMIN_PERMISSIONS (more may be added by hand)."""
    group, _ = Group.objects.get_or_create(name=SITE_ADMINS_GROUP)
    wanted = Q()
    for app_label, codename in SITE_ADMIN_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    missing = Permission.objects.filter(wanted).exclude(group=group)
    if missing.exists():
        group.permissions.add(*missing)
    return group


def _site_admin_query(condition: Q) -> Any:
    return LegacyUser.objects.filter(condition, is_admin=True, status=LegacyUser.Status.ACTIVE).only(
        *_SITE_USER_COLUMNS
    )


def _site_admin_find(login: str) -> LegacyUser | None:
    """The active site admin whose username (or else email) is ``login``.

    MySQL compares them case-insensitively, as the site does. A username wins over another
    account's email, so one login never matches two accounts.
    """
    login = login.strip()
    # No site row holds other characters (and MySQL would refuse to compare them): nobody.
    if not login or not fits_latin1(login):
        return None
    return _site_admin_query(Q(username=login)).first() or _site_admin_query(Q(email=login)).first()


def _linked_user_sync(site_user: LegacyUser) -> User:
    """The Django user linked to ``site_user``, created on first sign-in, its name and email kept
    in step with the site's row."""
    user_model = get_user_model()
    first_name = (site_user.display_name or site_user.username)[:150]
    user, created = user_model.objects.get_or_create(
        username=site_username(site_user.user_id),
        defaults={"email": site_user.email, "first_name": first_name, "is_staff": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        logger.info("Created Django user %s for site admin %s.", user.get_username(), site_user.user_id)
    else:
        # Not the password: setting a new unusable one would sign the person out everywhere.
        wanted = {"email": site_user.email, "first_name": first_name, "is_staff": True}
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if user.has_usable_password():
            user.set_unusable_password()
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    user.groups.add(site_admins_group())
    return user


COGNITO_USERNAME_PREFIX = "cognito:"
COGNITO_STAFF_GROUP = "staff"
# Session keys of a Cognito staff sign-in: the pool's username (for AdminGetUser), when Cognito last
# confirmed the person (time.time()), and a TOTP challenge waiting for its code.
SESSION_COGNITO_USERNAME = "cognito_staff_username"
SESSION_COGNITO_CHECKED_AT = "cognito_staff_checked_at"
SESSION_MFA_PENDING = "cognito_staff_mfa_pending"
# Cognito's challenge session lives 3 minutes; a code entered later needs a new sign-in.
MFA_PENDING_MAX_AGE_SECONDS = 180
MFA_CHALLENGE = "SOFTWARE_TOKEN_MFA"
# Set on the request when the password was right and Cognito asks for the TOTP code next.
MFA_REQUIRED_ATTRIBUTE = "cognito_staff_mfa_required"
_TOTP_CODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class MfaChallenge:
    """Cognito accepted the password and asks for the authenticator app's code (SOFTWARE_TOKEN_MFA)."""

    session: str
    username: str


class CognitoStaffBackend(SyncBackend):
    """Members of the Cognito group `staff` sign into the admin with their Cognito email and password.

    The password is checked by Cognito itself (ADMIN_USER_PASSWORD_AUTH through the first app
    client); the ID token it returns is verified like any API token. Cognito groups become Django
    groups of the same names, kept in step at every sign-in; `staff` also gets the site admins'
    permissions. When Cognito answers with the TOTP challenge, the challenge waits in the session
    and the admin asks for the code (accounts/admin_views.py, cognito_staff_mfa_complete). The
    session is checked against Cognito again every few minutes (accounts/middleware.py).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or not password or "@" not in username:
            return None
        outcome = _cognito_sign_in(username.strip(), password)
        if isinstance(outcome, MfaChallenge):
            if request is not None and hasattr(request, "session"):
                request.session[SESSION_MFA_PENDING] = {
                    "session": outcome.session,
                    "username": outcome.username,
                    "started_at": time.time(),
                }
                setattr(request, MFA_REQUIRED_ATTRIBUTE, True)
            return None
        if outcome is None:
            return None
        return _cognito_staff_signed_in(request, outcome, backend=self)

    def get_user(self, user_id: Any) -> User | None:
        user = super().get_user(user_id)
        if user is None or not user.get_username().startswith(COGNITO_USERNAME_PREFIX):
            return None
        return user


def _cognito_staff_signed_in(
    request: HttpRequest | None, claims: CognitoClaims, *, backend: ModelBackend
) -> User | None:
    """The Django user for verified claims of someone who may use the admin, else None."""
    if COGNITO_STAFF_GROUP not in claims.groups:
        logger.info("Admin sign-in refused: Cognito user %s is not in the staff group.", claims.sub)
        return None
    user = _cognito_staff_user_sync(claims)
    if not backend.user_can_authenticate(user):
        return None
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_COGNITO_USERNAME] = claims.username or claims.sub
        request.session[SESSION_COGNITO_CHECKED_AT] = time.time()
    logger.info("Cognito user %s signed into the admin.", claims.sub)
    return user


def cognito_staff_mfa_pending(request: HttpRequest) -> bool:
    """Whether a TOTP challenge of this browser session is waiting for its code, and still young enough."""
    pending = request.session.get(SESSION_MFA_PENDING)
    return isinstance(pending, dict) and time.time() - float(pending.get("started_at", 0)) < MFA_PENDING_MAX_AGE_SECONDS


def cognito_staff_mfa_complete(request: HttpRequest, *, code: str) -> User | None:
    """Answer the pending TOTP challenge with `code`; the staff user once Cognito accepts it, else None.

    A wrong code leaves the challenge pending (Cognito allows another try within its 3 minutes).
    """
    if not cognito_staff_mfa_pending(request):
        request.session.pop(SESSION_MFA_PENDING, None)
        return None
    code = code.strip()
    if not _TOTP_CODE.fullmatch(code):
        return None
    pending = request.session[SESSION_MFA_PENDING]
    client_ids = list(settings.COGNITO_APP_CLIENT_IDS)
    if not settings.COGNITO_USER_POOL_ID or not client_ids:
        return None
    try:
        result = cognito_idp_client().admin_respond_to_auth_challenge(
            UserPoolId=settings.COGNITO_USER_POOL_ID,
            ClientId=client_ids[0],
            ChallengeName=MFA_CHALLENGE,
            Session=pending["session"],
            ChallengeResponses={"USERNAME": pending["username"], f"{MFA_CHALLENGE}_CODE": code},
        )
    except (ClientError, BotoCoreError) as exc:
        logger.info("Admin sign-in through Cognito: the TOTP code was refused (%s).", exc.__class__.__name__)
        return None
    claims = _verified_id_token(result)
    if claims is None:
        return None
    request.session.pop(SESSION_MFA_PENDING, None)
    return _cognito_staff_signed_in(request, claims, backend=CognitoStaffBackend())


def cognito_staff_still_allowed(*, username: str) -> bool:
    """Whether the Cognito user `username` is enabled and still in the `staff` group (SPEC §3).

    Two calls (AdminGetUser, AdminListGroupsForUser). A user Cognito no longer knows is False;
    Cognito unreachable raises CognitoUnavailableError (the caller decides; nothing is granted).
    """
    cognito = cognito_idp_client()
    pool_id = settings.COGNITO_USER_POOL_ID
    try:
        user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
        if not user.get("Enabled", False) or user.get("UserStatus") in {"RESET_REQUIRED", "ARCHIVED", "COMPROMISED"}:
            return False
        groups: list[str] = []
        token: str | None = None
        while True:
            page = cognito.admin_list_groups_for_user(
                UserPoolId=pool_id, Username=username, **({"NextToken": token} if token else {})
            )
            groups.extend(group["GroupName"] for group in page.get("Groups", []))
            token = page.get("NextToken")
            if not token:
                break
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"UserNotFoundException", "ResourceNotFoundException"}:
            return False
        raise CognitoUnavailableError(f"Cognito refused the staff check: {exc.__class__.__name__}") from exc
    except BotoCoreError as exc:
        raise CognitoUnavailableError(f"Cognito is unreachable: {exc.__class__.__name__}") from exc
    return COGNITO_STAFF_GROUP in groups


def _cognito_sign_in(email: str, password: str) -> CognitoClaims | MfaChallenge | None:
    """Verified claims of the Cognito user, a TOTP challenge to answer, or None when Cognito refuses
    (or cannot be reached)."""
    client_ids = list(settings.COGNITO_APP_CLIENT_IDS)
    if not settings.COGNITO_USER_POOL_ID or not client_ids:
        return None
    cognito = cognito_idp_client()
    try:
        result = cognito.admin_initiate_auth(
            UserPoolId=settings.COGNITO_USER_POOL_ID,
            ClientId=client_ids[0],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except (ClientError, BotoCoreError) as exc:
        logger.info("Admin sign-in through Cognito refused: %s.", exc.__class__.__name__)
        return None
    if result.get("ChallengeName") == MFA_CHALLENGE and result.get("Session"):
        parameters = result.get("ChallengeParameters") or {}
        return MfaChallenge(session=result["Session"], username=parameters.get("USER_ID_FOR_SRP") or email)
    return _verified_id_token(result)


def _verified_id_token(result: dict[str, Any]) -> CognitoClaims | None:
    id_token = (result.get("AuthenticationResult") or {}).get("IdToken")
    if not id_token:
        logger.info("Admin sign-in through Cognito refused: a challenge (%s) is pending.", result.get("ChallengeName"))
        return None
    try:
        return verify_cognito_token(id_token)
    except (TokenVerificationError, CognitoUnavailableError) as exc:
        logger.warning("Admin sign-in through Cognito: its ID token was refused (%s).", exc.__class__.__name__)
        return None


def _cognito_staff_user_sync(claims: CognitoClaims) -> User:
    """The Django user of a Cognito staff member; its groups mirror the Cognito groups."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=f"{COGNITO_USERNAME_PREFIX}{claims.sub}", defaults={"email": claims.email or "", "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif not user.is_staff or (claims.email and user.email != claims.email):
        user.is_staff = True
        user.email = claims.email or user.email
        user.save(update_fields=["is_staff", "email"])
    groups = [Group.objects.get_or_create(name=name)[0] for name in claims.groups]
    groups.append(site_admins_group())
    user.groups.set(groups)
    return user
