"""Staff issue and revoke API keys in the admin; only a digest is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey, api_key_digest
from accounts.services import api_key_is_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(settings: Any) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.create_user("keeper", password="keeper-Password-1", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_new_key_is_shown_once_and_stored_as_a_digest(staff_client: Client, settings: Any) -> None:
    settings.API_KEY_REQUIRED = True

    response = staff_client.post(reverse("admin:accounts_apikey_add"), {"name": "Android 5.0", "_save": "1"})

    assert response.status_code == 302
    shown = [str(message) for message in get_messages(response.wsgi_request) if "New API key" in str(message)]
    assert len(shown) == 1
    key = shown[0].split(": ", 1)[1].split(" ", 1)[0]
    stored = ApiKey.objects.get(name="Android 5.0")
    assert stored.digest == api_key_digest(key)
    assert key not in {stored.digest, stored.prefix}
    assert api_key_is_valid(key)
    assert key in staff_client.get(response["Location"]).content.decode()  # the one page that shows it
    assert key not in staff_client.get(reverse("admin:accounts_apikey_change", args=[stored.pk])).content.decode()


def test_revoking_a_key_in_the_admin_stops_it(staff_client: Client, settings: Any) -> None:
    settings.API_KEY_REQUIRED = True
    staff_client.post(reverse("admin:accounts_apikey_add"), {"name": "Old app", "_save": "1"})
    stored = ApiKey.objects.get(name="Old app")

    staff_client.post(
        reverse("admin:accounts_apikey_changelist"), {"action": "revoke", "_selected_action": [stored.pk]}
    )

    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert staff_client.get(reverse("admin:accounts_apikey_delete", args=[stored.pk])).status_code == 403
