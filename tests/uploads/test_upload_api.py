"""`POST /api/v1/uploads` with real Cognito tokens: the presigned POST's policy field by field, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from pytest_django.fixtures import SettingsWrapper
from rest_framework.test import APIClient

from api.errors import NOT_AUTHENTICATED, UNSUPPORTED_MEDIA_TYPE, VALIDATION_ERROR
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_user
from tests.uploads.helpers import post_policy
from uploads.errors import UPLOAD_TOO_LARGE
from uploads.models import Upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/uploads"


@pytest.fixture
def caller(aws_stack: DevstackResources) -> tuple[APIClient, int]:
    """An API client signed in as a new Cognito user linked to a new site user, and that user's id."""
    email = unique_email("uploader")
    user_id = site_user(email=email, username=email.split("@")[0])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {cognito_tokens(aws_stack, email=email).id_token}")
    return client, user_id


def request_body(**overrides: Any) -> dict[str, Any]:
    return {"contentType": "image/jpeg", "contentLength": 123_456, "filename": "My Holiday Photo.JPG"} | overrides


def test_the_presigned_post_confines_one_key_type_and_size(
    caller: tuple[APIClient, int], aws_stack: DevstackResources
) -> None:
    client, user_id = caller
    before = datetime.now(UTC)

    response = client.post(URL, request_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"url", "fields", "key", "expiresAt"}
    prefix = f"uploads/{user_id}/"
    key = body["key"]
    assert key.startswith(prefix)
    assert key.endswith("-My-Holiday-Photo.jpg")
    assert body["url"] == f"{aws_stack.endpoint_url}/{aws_stack.bucket}"
    fields = body["fields"]
    assert set(fields) == {
        "key",
        "Content-Type",
        "policy",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-signature",
    }
    assert fields["key"] == key
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].endswith(f"/{aws_stack.region}/s3/aws4_request")

    policy = post_policy(fields)
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expected = before + timedelta(seconds=settings.UPLOAD_URL_EXPIRES_SECONDS)
    assert expected - timedelta(seconds=2) <= expiration <= expected + timedelta(seconds=5)
    conditions = policy["conditions"]
    assert len(conditions) == 8
    assert {"bucket": aws_stack.bucket} in conditions
    assert {"key": key} in conditions
    assert ["starts-with", "$key", prefix] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, settings.UPLOAD_MAX_BYTES] in conditions
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert {"x-amz-credential": fields["x-amz-credential"]} in conditions
    assert {"x-amz-date": fields["x-amz-date"]} in conditions

    # The app is told when the form stops working: never later than the policy says.
    expires_at = datetime.fromisoformat(body["expiresAt"])
    assert expires_at <= expiration
    assert expiration - expires_at <= timedelta(seconds=5)

    upload = Upload.objects.get(key=key)
    assert upload.user_id == user_id
    assert upload.content_type == "image/jpeg"
    assert upload.content_length == 123_456
    assert upload.filename == "My Holiday Photo.JPG"
    assert upload.expires_at == expires_at


def test_the_policy_follows_the_size_and_expiry_settings(
    caller: tuple[APIClient, int], settings: SettingsWrapper
) -> None:
    settings.UPLOAD_MAX_BYTES = 5000
    settings.UPLOAD_URL_EXPIRES_SECONDS = 60
    client, _ = caller
    before = datetime.now(UTC)

    response = client.post(URL, request_body(contentLength=5000, contentType=" IMAGE/PNG "), format="json")

    assert response.status_code == 201, response.content
    policy = post_policy(response.json()["fields"])
    assert ["content-length-range", 1, 5000] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expiration <= before + timedelta(seconds=65)


def test_two_requests_get_two_keys(caller: tuple[APIClient, int]) -> None:
    client, _ = caller

    first = client.post(URL, request_body(filename="same.jpg"), format="json").json()["key"]
    second = client.post(URL, request_body(filename="same.jpg"), format="json").json()["key"]

    assert first != second


def test_a_type_outside_the_list_gets_415_and_records_nothing(caller: tuple[APIClient, int]) -> None:
    client, user_id = caller

    response = client.post(URL, request_body(contentType="application/pdf", filename="cv.pdf"), format="json")

    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == UNSUPPORTED_MEDIA_TYPE
    assert "image/jpeg" in error["message"]
    assert not Upload.objects.filter(user_id=user_id).exists()


def test_too_many_bytes_get_413_and_record_nothing(caller: tuple[APIClient, int], settings: SettingsWrapper) -> None:
    client, user_id = caller

    response = client.post(URL, request_body(contentLength=settings.UPLOAD_MAX_BYTES + 1), format="json")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == UPLOAD_TOO_LARGE
    assert str(settings.UPLOAD_MAX_BYTES) in error["message"]
    assert not Upload.objects.filter(user_id=user_id).exists()


@pytest.mark.parametrize(
    ("body", "bad_field"),
    [
        (request_body(contentLength=0), "contentLength"),
        (request_body(contentLength=-5), "contentLength"),
        (request_body(contentLength="lots"), "contentLength"),
        (request_body(contentLength=None), "contentLength"),
        (request_body(filename=""), "filename"),
        (request_body(filename="x" * 256), "filename"),
        (request_body(contentType=""), "contentType"),
        ({"contentType": "image/png", "contentLength": 10}, "filename"),
    ],
)
def test_invalid_bodies_get_400_with_the_field_and_record_nothing(
    caller: tuple[APIClient, int], body: dict[str, Any], bad_field: str
) -> None:
    client, user_id = caller

    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == VALIDATION_ERROR
    assert set(error["fields"]) == {bad_field}
    assert not Upload.objects.filter(user_id=user_id).exists()


def test_a_body_that_is_not_json_gets_a_4xx_not_a_500(caller: tuple[APIClient, int]) -> None:
    client, _ = caller

    garbage = client.post(URL, b"{not json", content_type="application/json")
    form = client.post(URL, {"contentType": "image/png"})

    assert garbage.status_code == 400
    assert form.status_code == 415


def test_no_token_gets_401_and_records_nothing(aws_stack: DevstackResources) -> None:
    count = Upload.objects.count()

    response = APIClient().post(URL, request_body(), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == NOT_AUTHENTICATED
    assert Upload.objects.count() == count
