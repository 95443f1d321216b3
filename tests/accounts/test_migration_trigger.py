"""The Cognito user-migration trigger with the real event shapes Cognito sends."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from accounts.migration_trigger import (
    AUTHENTICATION,
    FORGOT_PASSWORD,
    UserMigrationRefused,
    handle_user_migration,
    is_user_migration_event,
)
from tests.accounts.php import php_md5, php_password_hash, php_password_verify
from tests.factories import fetch_value, row_hex, site_user

pytestmark = pytest.mark.django_db

PASSWORD = "Sésame, ouvre-toi"
OLD_PASSWORD = "sunshine2009"

# As Cognito sends it (see the Lambda trigger documentation): nulls included.
EVENT: dict[str, Any] = {
    "version": "1",
    "triggerSource": AUTHENTICATION,
    "region": "us-east-1",
    "userPoolId": "us-east-1_EXAMPLE",
    "userName": "",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "example-client-id"},
    "request": {"password": "", "validationData": None, "clientMetadata": None},
    "response": {
        "userAttributes": None,
        "forceAliasCreation": None,
        "finalUserStatus": None,
        "messageAction": None,
        "desiredDeliveryMediums": None,
    },
}


def migration_event(source: str, user_name: str, password: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["triggerSource"] = source
    event["userName"] = user_name
    if password is None:
        del event["request"]["password"]  # ForgotPassword events carry none
    else:
        event["request"]["password"] = password
    return event


def test_a_site_password_made_by_php_migrates_the_user() -> None:
    user_id = site_user(
        email="ellen@example.com", username="ellen", display_name="Ellen Ripley", password=php_password_hash(PASSWORD)
    )

    answer = handle_user_migration(migration_event(AUTHENTICATION, "ellen@example.com", PASSWORD))

    assert answer["response"]["userAttributes"] == {
        "email": "ellen@example.com",
        "email_verified": "true",
        "name": "Ellen Ripley",
        "custom:legacy_user_id": str(user_id),
    }
    assert answer["response"]["finalUserStatus"] == "CONFIRMED"
    assert answer["response"]["messageAction"] == "SUPPRESS"
    assert is_user_migration_event(answer)


def test_an_md5_site_password_migrates_and_is_upgraded_for_php() -> None:
    user_id = site_user(email="old@example.com", username="oldtimer", password=php_md5(OLD_PASSWORD))
    before = row_hex("users", "user_id", user_id)

    handle_user_migration(migration_event(AUTHENTICATION, "oldtimer", OLD_PASSWORD))

    stored = fetch_value("SELECT password FROM users WHERE user_id = %s", [user_id])
    assert stored.startswith("$2y$10$")
    assert php_password_verify(OLD_PASSWORD, stored)
    after = row_hex("users", "user_id", user_id)
    assert {column for column in before if before[column] != after[column]} == {"password"}


@pytest.mark.parametrize(
    ("login", "password", "status"),
    [
        ("ellen@example.com", "wrong password", "active"),
        ("nobody@example.com", PASSWORD, "active"),
        ("ellen@example.com", PASSWORD, "suspended"),
        ("ellen@example.com", PASSWORD, "deleted"),
    ],
)
def test_wrong_passwords_unknown_and_blocked_users_are_refused(login: str, password: str, status: str) -> None:
    site_user(email="ellen@example.com", password=php_password_hash(PASSWORD), status=status)

    with pytest.raises(UserMigrationRefused) as refused:
        handle_user_migration(migration_event(AUTHENTICATION, login, password))

    # The same message whatever the reason: it reaches the app.
    assert str(refused.value) == "Incorrect username or password."


def test_forgot_password_returns_the_attributes_without_a_password() -> None:
    user_id = site_user(email="forgetful@example.com", username="forgetful", password=php_password_hash(PASSWORD))

    answer = handle_user_migration(migration_event(FORGOT_PASSWORD, "forgetful@example.com"))

    assert answer["response"]["userAttributes"]["custom:legacy_user_id"] == str(user_id)
    assert answer["response"]["messageAction"] == "SUPPRESS"
    assert answer["response"]["finalUserStatus"] is None


def test_forgot_password_for_an_unknown_user_is_refused() -> None:
    with pytest.raises(UserMigrationRefused):
        handle_user_migration(migration_event(FORGOT_PASSWORD, "ghost@example.com"))


def test_other_events_are_not_migration_events() -> None:
    assert not is_user_migration_event({"triggerSource": "PreSignUp_SignUp"})
    assert not is_user_migration_event({"Records": []})
    with pytest.raises(UserMigrationRefused):
        handle_user_migration({"triggerSource": "PreSignUp_SignUp", "userName": "x"})


def test_the_password_never_reaches_any_log_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    site_user(email="ellen@example.com", password=php_password_hash(PASSWORD))
    site_user(email="old@example.com", username="oldtimer", password=php_md5(OLD_PASSWORD))

    handle_user_migration(migration_event(AUTHENTICATION, "ellen@example.com", PASSWORD))
    handle_user_migration(migration_event(AUTHENTICATION, "oldtimer", OLD_PASSWORD))
    with pytest.raises(UserMigrationRefused):
        handle_user_migration(migration_event(AUTHENTICATION, "ellen@example.com", "not-" + PASSWORD))

    assert caplog.records
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.__dict__!r}"
        assert PASSWORD not in text
        assert OLD_PASSWORD not in text


@pytest.mark.parametrize("source", [AUTHENTICATION, FORGOT_PASSWORD])
@pytest.mark.parametrize("login", ["łukasz@example.com", "用户", "ellen😀@example.com", "ell\u0435n"])
def test_a_login_the_sites_latin1_columns_cannot_hold_is_refused_like_an_unknown_one(source: str, login: str) -> None:
    site_user(email="ellen@example.com", username="ellen", password=php_password_hash(PASSWORD))

    with pytest.raises(UserMigrationRefused) as refused:
        handle_user_migration(migration_event(source, login, PASSWORD if source == AUTHENTICATION else None))

    assert str(refused.value) == "Incorrect username or password."
