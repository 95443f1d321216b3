"""Cognito staff in the admin: sessions re-checked against Cognito, a working day long, and the TOTP step.

Against the moto server over HTTP, with TOTP codes checked (MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP, moto's
fixed secret). What moto does not prove: docs/testing.md.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from moto.cognitoidp.utils import cognito_totp
from pytest_django import Settings as SettingsWrapper

from accounts.admin_views import MFA_CODE_REFUSED
from aws.clients import cognito_idp_client
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import TEST_PASSWORD, CognitoTestUser, create_cognito_user, sign_in
from tests.unreachable import closed_port

pytestmark = pytest.mark.django_db

# moto's TOTP secret for every user (moto/cognitoidp/models.py COGNITO_TOTP_MFA_SECRET).
MOTO_TOTP_SECRET = "asdfasdfasdf"


@pytest.fixture(autouse=True)
def _fast_django_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def admin_login(client: Client, email: str, password: str = TEST_PASSWORD) -> Any:
    return client.post(reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"})


def signed_in_staff(aws_stack: DevstackResources) -> tuple[CognitoTestUser, Client]:
    person = create_cognito_user(aws_stack.user_pool_id, groups=["staff"])
    client = Client()
    admin_login(client, person.email)
    assert client.get("/admin/").status_code == 200
    return person, client


def totp_code(at: float | None = None) -> str:
    return cognito_totp(MOTO_TOTP_SECRET).generate(int(at or time.time())).decode()


def with_totp(aws_stack: DevstackResources, person: CognitoTestUser) -> None:
    """What the person does once in an app: add an authenticator, prove it, make it their MFA."""
    cognito = cognito_idp_client()
    access_token = sign_in(aws_stack.user_pool_id, aws_stack.app_client_id, person).access_token
    cognito.associate_software_token(AccessToken=access_token)
    cognito.verify_software_token(AccessToken=access_token, UserCode=totp_code())
    cognito.admin_set_user_mfa_preference(
        UserPoolId=aws_stack.user_pool_id,
        Username=person.email,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )


@pytest.mark.parametrize("change", ["removed from staff", "disabled", "deleted"])
def test_a_staff_session_ends_when_cognito_no_longer_allows_it(
    aws_stack: DevstackResources, settings: SettingsWrapper, change: str
) -> None:
    person, client = signed_in_staff(aws_stack)
    cognito = cognito_idp_client()
    pool = {"UserPoolId": aws_stack.user_pool_id, "Username": person.email}
    if change == "removed from staff":
        cognito.admin_remove_user_from_group(GroupName="staff", **pool)
    elif change == "disabled":
        cognito.admin_disable_user(**pool)
    else:
        cognito.admin_delete_user(**pool)

    # Within the interval the session stands (no call to Cognito on every page)...
    still = client.get("/admin/")
    # ...and once it has passed, the next request asks Cognito and ends the session.
    settings.COGNITO_STAFF_RECHECK_SECONDS = 0
    ended = client.get("/admin/")
    after = client.get("/admin/")

    assert still.status_code == 200
    assert ended.status_code == 302
    assert ended["Location"].startswith(reverse("admin:login"))
    assert after.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_staff_member_still_allowed_keeps_the_session(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    _, client = signed_in_staff(aws_stack)
    settings.COGNITO_STAFF_RECHECK_SECONDS = 0

    assert [client.get("/admin/").status_code for _ in range(3)] == [200, 200, 200]


def test_cognito_unreachable_at_a_recheck_grants_nothing_and_keeps_the_session(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    _, client = signed_in_staff(aws_stack)
    settings.COGNITO_STAFF_RECHECK_SECONDS = 0

    with closed_port() as url:
        settings.AWS_ENDPOINT_URL = url
        during = client.get("/admin/")
    settings.AWS_ENDPOINT_URL = aws_stack.endpoint_url
    after = client.get("/admin/")

    assert during.status_code == 503
    assert int(during["Retry-After"]) > 0
    assert after.status_code == 200


def test_admin_sessions_last_a_working_day_and_end_with_the_browser(aws_stack: DevstackResources) -> None:
    person = create_cognito_user(aws_stack.user_pool_id, groups=["staff"])

    response = admin_login(Client(), person.email)

    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie.value
    # A browser-session cookie: no Max-Age, no Expires.
    assert not cookie["max-age"]
    assert not cookie["expires"]
    assert 8 * 3600 <= django_settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_a_staff_member_with_totp_signs_in_with_the_code_after_the_password(aws_stack: DevstackResources) -> None:
    person = create_cognito_user(aws_stack.user_pool_id, groups=["staff"])
    with_totp(aws_stack, person)
    client = Client()

    password_step = admin_login(client, person.email)
    signed_out_meanwhile = client.get("/admin/")
    code_page = client.get(password_step["Location"])
    wrong = client.post(password_step["Location"], {"code": "000000" if totp_code() != "000000" else "111111"})
    not_digits = client.post(password_step["Location"], {"code": "１２３４５６"})
    still_out = client.get("/admin/")
    right = client.post(password_step["Location"], {"code": totp_code(), "next": "/admin/"})

    assert password_step.status_code == 302
    assert password_step["Location"].startswith(reverse("admin-login-mfa"))
    assert signed_out_meanwhile.status_code == 302
    assert code_page.status_code == 200
    assert b'autocomplete="one-time-code"' in code_page.content
    assert wrong.status_code == 200
    assert MFA_CODE_REFUSED in wrong.content.decode()
    assert not_digits.status_code == 200
    assert still_out.status_code == 302
    assert right.status_code == 302
    assert right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_code_step_needs_the_password_step_first_and_a_staff_member(aws_stack: DevstackResources) -> None:
    member = create_cognito_user(aws_stack.user_pool_id)
    with_totp(aws_stack, member)
    client = Client()

    without_password = client.get(reverse("admin-login-mfa"))
    step = admin_login(client, member.email)
    answered = client.post(step["Location"], {"code": totp_code()})
    wrong_password = admin_login(Client(), member.email, "Wrong-Password-1")

    assert without_password.status_code == 302
    assert without_password["Location"] == reverse("admin:login")
    # Not in `staff`: the right code still opens nothing.
    assert step.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert answered.status_code == 200
    assert wrong_password.status_code == 200  # the login page again, no code step
