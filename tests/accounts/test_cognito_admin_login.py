"""Members of the Cognito group `staff` use the admin; Cognito groups become Django groups."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.backends import SITE_ADMINS_GROUP
from aws.clients import cognito_idp_client
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import TEST_PASSWORD, create_cognito_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_django_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def admin_login(email: str, password: str) -> Client:
    client = Client()
    client.post(reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"})
    return client


def test_a_cognito_staff_member_signs_into_the_admin(aws_stack: DevstackResources) -> None:
    person = create_cognito_user(aws_stack.user_pool_id, groups=["staff"])

    client = admin_login(person.email, TEST_PASSWORD)

    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:legacy_legacynote_changelist")).status_code == 200
    user = User.objects.get(username=f"cognito:{person.sub}")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {"staff", SITE_ADMINS_GROUP}


def test_cognito_users_outside_the_staff_group_and_wrong_passwords_are_refused(aws_stack: DevstackResources) -> None:
    member = create_cognito_user(aws_stack.user_pool_id)
    staff = create_cognito_user(aws_stack.user_pool_id, groups=["staff"])

    for email, password in ((member.email, TEST_PASSWORD), (staff.email, "Wrong-Password-1")):
        client = admin_login(email, password)
        assert client.get("/admin/").status_code == 302  # back to the login page
    assert not User.objects.filter(username__startswith="cognito:").exists()


def test_django_groups_follow_the_cognito_groups_at_each_sign_in(aws_stack: DevstackResources) -> None:
    cognito = cognito_idp_client()
    cognito.create_group(GroupName="editors", UserPoolId=aws_stack.user_pool_id)
    person = create_cognito_user(aws_stack.user_pool_id, groups=["staff", "editors"])
    admin_login(person.email, TEST_PASSWORD)
    user = User.objects.get(username=f"cognito:{person.sub}")
    assert set(user.groups.values_list("name", flat=True)) == {"staff", "editors", SITE_ADMINS_GROUP}

    cognito.admin_remove_user_from_group(UserPoolId=aws_stack.user_pool_id, Username=person.email, GroupName="editors")
    admin_login(person.email, TEST_PASSWORD)

    assert set(user.groups.values_list("name", flat=True)) == {"staff", SITE_ADMINS_GROUP}


def test_an_unreachable_cognito_refuses_quietly_and_django_staff_still_sign_in(settings: Any) -> None:
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.COGNITO_USER_POOL_ID = "us-east-1_nothere"
    settings.COGNITO_APP_CLIENT_IDS = ["client"]
    User.objects.create_user("local-staff", password="local-Password-1", is_staff=True, is_superuser=True)

    assert admin_login("someone@example.com", TEST_PASSWORD).get("/admin/").status_code == 302
    assert admin_login("local-staff", "local-Password-1").get("/admin/").status_code == 200
