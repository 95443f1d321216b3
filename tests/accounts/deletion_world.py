"""A member with something of everything Lambridge holds, for the account-deletion tests: a PHP
password, notes written through the API and by the site, an app upload (attached and not), a
staff photo, a copied site photo, a dataset; and a bystander whose data must survive."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from aws.clients import cognito_idp_client, s3_client
from datasets.models import Dataset
from devstack.aws_resources import DevstackResources
from legacy.models import LegacyNote
from notes.services import note_staff_save
from tests.accounts.cognito_helpers import CognitoTokens, cognito_tokens, unique_email
from tests.accounts.php import php_password_hash, php_password_verify
from tests.factories import fetch_value, legacy_connection, site_note, site_user
from tests.uploads.helpers import PNG_BYTES, uploaded_key

OLD_PASSWORD = "my old site password"


@dataclass
class Person:
    user_id: int
    email: str
    tokens: CognitoTokens
    client: APIClient
    password_hash: str
    note_ids: list[str]
    photo_keys: list[str]

    def bearer(self, token: str | None = None) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token or self.tokens.id_token}"}


def make_person(resources: DevstackResources, site_root: Path, name: str) -> Person:
    email = unique_email(name)
    password_hash = php_password_hash(OLD_PASSWORD)
    user_id = site_user(
        email=email, username=f"{name}-{uuid.uuid4().hex[:8]}", display_name=name.title(), password=password_hash
    )
    tokens = cognito_tokens(resources, email=email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.id_token}")

    attached = uploaded_key(client)
    unattached = uploaded_key(client)  # uploaded, never put on a note
    first = client.post(
        "/api/v1/notes/",
        {"headline": "With a photo", "text": "x", "photoKey": attached, "tags": ["trip"]},
        format="json",
    ).json()
    second = client.post(
        "/api/v1/notes/", {"headline": "Public", "text": "y", "visibility": "public"}, format="json"
    ).json()
    staffed = client.post("/api/v1/notes/", {"headline": "Staff adds a photo", "text": "z"}, format="json").json()
    staff_note = LegacyNote.objects.get(pk=fetch_value("SELECT MAX(note_id) FROM notes WHERE user_id = %s", [user_id]))
    note_staff_save(note=staff_note, tags=None, photo=SimpleUploadedFile("staff.png", PNG_BYTES, "image/png"))

    # A note of the PHP site with a photo of its old uploads folder, copied to the bucket.
    photo_path = f"uploads/{uuid.uuid4().hex[:8]}/{name}.png"
    (site_root / photo_path).parent.mkdir(parents=True, exist_ok=True)
    (site_root / photo_path).write_bytes(PNG_BYTES)
    site_note(user_id, headline="From the site", photo_path=photo_path)
    call_command("import_legacy_media", "--source", str(site_root), "--no-progress", stdout=StringIO())

    assert (
        client.patch(
            "/api/v1/datasets/settings", {"syncCount": 0, "records": [{"key": "theme", "value": "dark"}]}, format="json"
        ).status_code
        == 200
    )
    listed = client.get("/api/v1/notes/?pageSize=100").json()["results"]
    assert len(listed) == 4
    photo_keys = sorted({note["photoKey"] for note in listed if note["photoKey"]} | {unattached})
    assert len(photo_keys) == 4  # app upload (attached), app upload (not), staff photo, site photo
    assert {first["noteId"], second["noteId"], staffed["noteId"]} <= {note["noteId"] for note in listed}
    return Person(
        user_id=user_id,
        email=email,
        tokens=tokens,
        client=client,
        password_hash=password_hash,
        note_ids=sorted(note["noteId"] for note in listed),
        photo_keys=photo_keys,
    )


def object_exists(key: str) -> bool:
    try:
        s3_client().head_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def cognito_user_exists(resources: DevstackResources, username: str) -> bool:
    try:
        cognito_idp_client().admin_get_user(UserPoolId=resources.user_pool_id, Username=username)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "UserNotFoundException":
            return False
        raise
    return True


def site_row(user_id: int) -> dict[str, Any]:
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "SELECT email, username, password, display_name, status FROM users WHERE user_id = %s", [user_id]
        )
        email, username, password, display_name, status = cursor.fetchone()
    return {"email": email, "username": username, "password": password, "display_name": display_name, "status": status}


def assert_fully_deleted(resources: DevstackResources, person: Person) -> None:
    """Everything the acceptance names, checked where it lives (MySQL, Cognito, S3), not via the app."""
    assert not cognito_user_exists(resources, person.tokens.user.username)
    row = site_row(person.user_id)
    assert row["status"] == "deleted"
    assert row["email"] != person.email
    assert row["email"].endswith(".invalid")
    assert row["display_name"] is None
    assert str(person.user_id) in row["username"]
    assert not php_password_verify(OLD_PASSWORD, row["password"])
    assert php_password_verify(OLD_PASSWORD, person.password_hash)  # the check itself works
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s AND deleted = 0", [person.user_id]) == 0
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [person.user_id]) == 4  # soft, as the site
    assert fetch_value("SELECT COUNT(*) FROM accounts_cognitoidentity WHERE site_user_id = %s", [person.user_id]) == 0
    assert [key for key in person.photo_keys if object_exists(key)] == []
    assert not Dataset.objects.filter(user_id=person.user_id).exists()
    for token in (person.tokens.id_token, person.tokens.access_token):
        refused = APIClient().get("/api/v1/me", **person.bearer(token))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "account_deleted"


def assert_untouched(person: Person) -> None:
    """The bystander: still signed in, with every note, photo and dataset."""
    assert person.client.get("/api/v1/me").status_code == 200
    assert len(person.client.get("/api/v1/notes/?pageSize=100").json()["results"]) == 4
    assert all(object_exists(key) for key in person.photo_keys)
    assert person.client.get("/api/v1/datasets/settings").status_code == 200
    assert php_password_verify(OLD_PASSWORD, site_row(person.user_id)["password"])


@pytest.fixture
def _site_users_removed_after_test(django_db_blocker: Any) -> Iterator[None]:
    """For transactional tests: the `users` rows they committed are deleted afterwards (Django's
    flush leaves the site's unmanaged tables alone, and other tests expect them as they were)."""
    with django_db_blocker.unblock(), legacy_connection().cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(user_id), 0) FROM users")
        before = int(cursor.fetchone()[0])
    yield
    with django_db_blocker.unblock(), legacy_connection().cursor() as cursor:
        cursor.execute("DELETE FROM users WHERE user_id > %s", [before])
