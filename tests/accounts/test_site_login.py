"""Site admins sign into the Django admin with their site password, through the real login form;
site rows are written as PHP writes them, with hashes PHP made."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import bcrypt
import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.backends import SITE_ADMINS_GROUP, SitePasswordBackend, site_username
from tests.accounts.php import php_md5, php_password_hash, php_password_verify
from tests.factories import fetch_value, row_hex, site_user

pytestmark = pytest.mark.django_db(databases="__all__")

ADMIN_PASSWORD = "Crème brûlée à Noël, 2019!"
OLD_PASSWORD = "sunshine2009"


@pytest.fixture(autouse=True)
def _site_password_login(settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "accounts.backends.SitePasswordBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@cache
def php_hash(password: str) -> str:
    """password_hash() by PHP itself; cached, bcrypt at cost 10 is slow on purpose."""
    return php_password_hash(password)


def site_admin(**columns: Any) -> int:
    values = {
        "username": "ellen",
        "email": "ellen@example.com",
        "password": php_hash(ADMIN_PASSWORD),
        "display_name": "Ελένη",
        "is_admin": 1,
        "status": "active",
        "last_login": "2019-05-06 07:08:09",
    } | columns
    return site_user(**values)


def admin_login(client: Client, username: str, password: str) -> Any:
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, follow=True
    )


def assert_signed_in(response: Any) -> None:
    assert response.status_code == 200
    assert response.redirect_chain == [("/admin/", 302)]
    assert response.resolver_match.url_name == "index"
    assert "admin/index.html" in [template.name for template in response.templates]
    assert response.context["user"].is_authenticated


def assert_refused(response: Any, client: Client) -> None:
    assert response.status_code == 200
    assert response.redirect_chain == []
    assert "Please enter the correct username and password" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out


def test_site_admin_signs_into_the_admin_with_the_site_password() -> None:
    user_id = site_admin()
    client = Client()

    response = admin_login(client, "ellen", ADMIN_PASSWORD)

    assert_signed_in(response)
    user = User.objects.get(username=site_username(user_id))
    assert response.context["user"] == user
    assert (user.email, user.first_name) == ("ellen@example.com", "Ελένη")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [SITE_ADMINS_GROUP]
    assert "Ελένη" in response.content.decode()  # welcomed by name


def test_site_admin_sees_the_site_tables_but_not_django_users() -> None:
    site_admin()
    client = Client()
    admin_login(client, "ellen", ADMIN_PASSWORD)

    assert client.get(reverse("admin:legacy_legacyuser_changelist")).status_code == 200
    assert client.get(reverse("admin:legacy_legacynote_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_signs_in_by_email_in_any_case() -> None:
    site_admin()
    client = Client()

    assert_signed_in(admin_login(client, "Ellen@Example.com", ADMIN_PASSWORD))


@pytest.mark.parametrize(
    ("columns", "password"),
    [
        pytest.param({}, "creme brulee", id="wrong password"),
        pytest.param({}, ADMIN_PASSWORD[:-1], id="password prefix"),
        pytest.param({"is_admin": 0}, ADMIN_PASSWORD, id="not an admin"),
        pytest.param({"status": "suspended"}, ADMIN_PASSWORD, id="suspended admin"),
        pytest.param({"status": "deleted"}, ADMIN_PASSWORD, id="deleted admin"),
        pytest.param({"password": "!locked"}, "!locked", id="unusable hash"),
    ],
)
def test_refused(columns: dict[str, Any], password: str) -> None:
    user_id = site_admin(**columns)
    client = Client()

    assert_refused(admin_login(client, "ellen", password), client)
    assert not User.objects.filter(username=site_username(user_id)).exists()


def test_unknown_user_is_refused() -> None:
    client = Client()

    assert_refused(admin_login(client, "nobody", ADMIN_PASSWORD), client)


def test_django_staff_still_sign_in_with_their_django_password() -> None:
    site_admin(username="staff", email="site-staff@example.com")
    User.objects.create_user("staff", "staff@example.com", "django password", is_staff=True, is_superuser=True)
    client = Client()

    response = admin_login(client, "staff", "django password")

    assert_signed_in(response)
    assert response.context["user"].username == "staff"


def test_md5_admin_signs_in_and_the_hash_becomes_php_bcrypt_alone() -> None:
    user_id = site_admin(username="oldtimer", email="old@example.com", password=php_md5(OLD_PASSWORD))
    before = row_hex("users", "user_id", user_id)
    client = Client()

    assert_signed_in(admin_login(client, "oldtimer", OLD_PASSWORD))

    stored = fetch_value("SELECT password FROM users WHERE user_id = %s", [user_id])
    assert stored.startswith("$2y$10$")
    assert php_password_verify(OLD_PASSWORD, stored)
    after = row_hex("users", "user_id", user_id)
    assert after.pop("password") != before.pop("password")
    assert after == before  # last_login, created_at, display_name, ... byte for byte

    # The upgraded hash keeps working for the next sign-in.
    assert_signed_in(admin_login(Client(), "oldtimer", OLD_PASSWORD))
    assert fetch_value("SELECT password FROM users WHERE user_id = %s", [user_id]) == stored


def test_wrong_password_for_md5_admin_changes_nothing() -> None:
    user_id = site_admin(username="oldtimer", email="old@example.com", password=php_md5(OLD_PASSWORD))
    before = row_hex("users", "user_id", user_id)
    client = Client()

    assert_refused(admin_login(client, "oldtimer", "sunshine2010"), client)
    assert row_hex("users", "user_id", user_id) == before


def test_bcrypt_admin_row_is_not_written() -> None:
    user_id = site_admin()
    before = row_hex("users", "user_id", user_id)

    assert_signed_in(admin_login(Client(), "ellen", ADMIN_PASSWORD))

    assert row_hex("users", "user_id", user_id) == before


def test_site_changes_reach_the_django_user_on_next_sign_in() -> None:
    user_id = site_admin()
    assert_signed_in(admin_login(Client(), "ellen", ADMIN_PASSWORD))
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "UPDATE users SET email = %s, display_name = NULL WHERE user_id = %s", ["helen@example.com", user_id]
        )

    assert_signed_in(admin_login(Client(), "helen@example.com", ADMIN_PASSWORD))

    user = User.objects.get(username=site_username(user_id))
    assert (user.email, user.first_name) == ("helen@example.com", "ellen")
    assert User.objects.filter(username__startswith="site:").count() == 1


@pytest.mark.parametrize("change", ["status = 'suspended'", "is_admin = 0"])
def test_suspending_or_demoting_on_the_site_ends_the_admin_session(change: str) -> None:
    user_id = site_admin()
    client = Client()
    assert_signed_in(admin_login(client, "ellen", ADMIN_PASSWORD))

    with connections["default"].cursor() as cursor:
        cursor.execute(f"UPDATE users SET {change} WHERE user_id = %s", [user_id])

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_inactive_django_account_is_refused() -> None:
    user_id = site_admin()
    assert_signed_in(admin_login(Client(), "ellen", ADMIN_PASSWORD))
    User.objects.filter(username=site_username(user_id)).update(is_active=False)
    client = Client()

    assert_refused(admin_login(client, "ellen", ADMIN_PASSWORD), client)


def test_unknown_users_and_md5_accounts_cost_a_bcrypt_check_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Counts the bcrypt library's checks (a spy on a third-party function; ours run unchanged).
    checks: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)
    site_admin(username="oldtimer", email="old@example.com", password=php_md5(OLD_PASSWORD))
    backend = SitePasswordBackend()

    assert backend.authenticate(None, username="nobody", password="x") is None
    assert len(checks) == 1
    assert backend.authenticate(None, username="oldtimer", password="wrong") is None
    assert len(checks) == 2


def test_passwords_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    site_admin()
    site_admin(username="oldtimer", email="old@example.com", password=php_md5(OLD_PASSWORD))

    admin_login(Client(), "ellen", ADMIN_PASSWORD)
    admin_login(Client(), "ellen", "a wrong one")
    admin_login(Client(), "oldtimer", OLD_PASSWORD)
    admin_login(Client(), "nobody", "secret for nobody")

    assert caplog.records, "the sign-ins should have been logged"
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.__dict__!r}"
        for password in (ADMIN_PASSWORD, "a wrong one", OLD_PASSWORD, "secret for nobody"):
            assert password not in text


def test_async_sign_in_checks_the_site_password_too() -> None:
    # ModelBackend's async version would check the Django password: the backend must not inherit it.
    backend = SitePasswordBackend()
    user_id = site_admin()

    async def sign_in(password: str) -> Any:
        return await backend.aauthenticate(None, username="ellen", password=password)

    # async_to_sync: the backend's sync_to_async calls run in this thread, inside the test's transaction.
    user = async_to_sync(sign_in)(ADMIN_PASSWORD)

    assert user is not None
    assert user.get_username() == site_username(user_id)
    assert async_to_sync(sign_in)("wrong") is None
    assert async_to_sync(backend.aget_user)(user.pk) == user


@pytest.mark.parametrize("login", ["łukasz", "用户", "ellen😀", "ellen@exampłe.com"])
def test_a_login_the_sites_latin1_columns_cannot_hold_gets_the_normal_refusal(login: str) -> None:
    site_admin()
    client = Client()

    assert_refused(admin_login(client, login, ADMIN_PASSWORD), client)
