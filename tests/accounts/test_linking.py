"""A Cognito user becomes exactly one site user: by verified email, or as a new site account."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connections

from accounts.models import CognitoIdentity
from accounts.services import CognitoPerson, SiteAccountUnavailable, site_user_for_cognito
from legacy.models import LegacyUser
from tests.factories import fetch_value, legacy_connection, site_user

pytestmark = pytest.mark.django_db


def test_a_verified_email_links_the_existing_site_account() -> None:
    existing = site_user(email="ann@example.com", username="ann")

    user = site_user_for_cognito(person=CognitoPerson(sub="sub-ann", email="ann@example.com", email_verified=True))

    assert user.pk == existing
    assert CognitoIdentity.objects.get(sub="sub-ann").site_user_id == existing
    # Later calls find the link without looking at the email again.
    again = site_user_for_cognito(person=CognitoPerson(sub="sub-ann", email="changed@example.com", email_verified=True))
    assert again.pk == existing


def test_an_unverified_email_never_links_an_existing_account() -> None:
    existing = site_user(email="victim@example.com", username="victim")

    user = site_user_for_cognito(
        person=CognitoPerson(sub="sub-mallory", email="victim@example.com", email_verified=False)
    )

    assert user.pk != existing
    assert user.email != "victim@example.com"
    assert CognitoIdentity.objects.get(sub="sub-mallory").linked_by == "created"


def test_a_new_person_gets_a_site_account_the_php_site_cannot_sign_into() -> None:
    user = site_user_for_cognito(
        person=CognitoPerson(sub="sub-new", email="newcomer@example.com", email_verified=True, name="Zoë")
    )

    row = LegacyUser.objects.get(pk=user.pk)
    assert row.email == "newcomer@example.com"
    assert row.username == "newcomer"
    assert row.display_name == "Zoë"
    assert row.status == LegacyUser.Status.ACTIVE
    # Neither a bcrypt hash nor an md5 digest: password_verify() rejects every password.
    password = fetch_value("SELECT password FROM users WHERE user_id = %s", [user.pk])
    assert password.startswith("!")
    assert len(password) != 32


def test_a_username_taken_on_the_site_is_not_reused() -> None:
    site_user(email="someone@example.org", username="sam")

    user = site_user_for_cognito(person=CognitoPerson(sub="sub-sam", email="sam@example.com", email_verified=True))

    assert user.username.startswith("sam-")


def test_a_site_account_already_linked_to_another_cognito_user_is_not_shared() -> None:
    existing = site_user(email="twin@example.com")
    site_user_for_cognito(person=CognitoPerson(sub="sub-first", email="twin@example.com", email_verified=True))

    second = site_user_for_cognito(
        person=CognitoPerson(sub="sub-second", email="twin@example.com", email_verified=True)
    )

    assert second.pk != existing


@pytest.mark.parametrize("status", ["suspended", "deleted"])
def test_suspended_and_deleted_site_accounts_are_refused(status: str) -> None:
    site_user(email=f"{status}@example.com", status=status)

    with pytest.raises(SiteAccountUnavailable) as refused:
        site_user_for_cognito(
            person=CognitoPerson(sub=f"sub-{status}", email=f"{status}@example.com", email_verified=True)
        )

    assert refused.value.status == status


@pytest.mark.django_db(transaction=True)
def test_two_first_requests_racing_make_one_account_and_one_link() -> None:
    person = CognitoPerson(sub="sub-racer", email="racer@example.com", email_verified=True)
    results: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def first_request() -> None:
        try:
            start.wait()
            results.append(site_user_for_cognito(person=person).pk)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=first_request) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert failures == []
        assert len(results) == 2
        assert results[0] == results[1]
        assert fetch_value("SELECT COUNT(*) FROM users WHERE email = 'racer@example.com'") == 1
        assert fetch_value("SELECT COUNT(*) FROM users WHERE username LIKE 'racer%%'") == 1
        assert CognitoIdentity.objects.filter(sub="sub-racer").count() == 1
    finally:
        # users is not flushed after transactional tests (Django does not manage it).
        with legacy_connection().cursor() as cursor:
            cursor.execute("DELETE FROM users WHERE username LIKE 'racer%%'")


@pytest.mark.parametrize(
    "token_email",
    [
        # The site's accent-insensitive collation calls each of these equal to the victim's address.
        "victim@gmaíl.com",
        "victim@gmäil.com",
        "vıctim@gmail.com",  # dotless i
        "victim@gmail.com ",
        " victim@gmail.com",
        "victim@gmail.com\t",
        "victim@gmail.com\u00a0",
        "victim@gmail.\u212aom",  # Kelvin sign K, which str.lower() turns into "k"
        "VİCTİM@gmail.com",  # dotted capital I
        "victim@ｇmail.com",  # fullwidth g
        "victim@gmaıl.com",
        "victim\u200b@gmail.com",  # zero-width space
    ],
)
def test_a_lookalike_verified_email_never_links_the_site_account(token_email: str) -> None:
    victim = site_user(email="victim@gmail.com", username="victim")

    user = site_user_for_cognito(person=CognitoPerson(sub=str(uuid.uuid4()), email=token_email, email_verified=True))

    assert user.pk != victim
    assert CognitoIdentity.objects.get(site_user_id=user.pk).linked_by == "created"
    assert not CognitoIdentity.objects.filter(site_user_id=victim).exists()


def test_letter_case_of_ascii_letters_does_not_matter_for_linking() -> None:
    existing = site_user(email="Ann.Lee@Example.com", username="annlee")

    user = site_user_for_cognito(
        person=CognitoPerson(sub="sub-annlee", email="ann.lee@example.COM", email_verified=True)
    )

    assert user.pk == existing


def test_a_site_email_with_an_accent_is_not_linked_by_its_ascii_lookalike() -> None:
    existing = site_user(email="jose@café.example", username="jose")

    user = site_user_for_cognito(person=CognitoPerson(sub="sub-jose", email="jose@cafe.example", email_verified=True))

    assert user.pk != existing
    # The address is another person's in the site's eyes: the new account gets a placeholder.
    assert user.email.endswith("@users.invalid")
