"""upload_check_attachable against objects really POSTed to the moto bucket with the presigned form."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from pytest_django import Settings as SettingsWrapper

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from tests.unreachable import closed_port, silent_server
from tests.uploads.helpers import PNG_BYTES, app_upload, new_site_user
from uploads.services import (
    NOT_ATTACHABLE_MESSAGE,
    NOT_IMAGE_MESSAGE,
    MediaStorageUnavailable,
    UploadNotAttachable,
    UploadNotImage,
    upload_check_attachable,
    upload_key_prefix,
    upload_presign,
)

pytestmark = pytest.mark.django_db


def uploaded_photo(user_id: int, content: bytes = PNG_BYTES) -> str:
    """The key of a PNG the user uploaded through a presigned POST, as the app does."""
    form = upload_presign(user_id=user_id, content_type="image/png", content_length=len(content), filename="me.png")
    response = app_upload(form.url, form.fields, content)
    assert response.status_code == 204, response.text
    return form.key


def refusal(user_id: int, key: str) -> str:
    with pytest.raises(UploadNotAttachable) as refused:
        upload_check_attachable(user_id=user_id, key=key)
    return refused.value.message


def test_the_owner_may_attach_an_uploaded_photo(aws_stack: DevstackResources) -> None:
    owner = new_site_user()
    key = uploaded_photo(owner)

    upload_check_attachable(user_id=owner, key=key)

    stored = s3_client().get_object(Bucket=aws_stack.bucket, Key=key)
    assert stored["Body"].read() == PNG_BYTES
    assert stored["ContentType"] == "image/png"


def test_another_user_gets_the_same_answer_as_for_a_missing_key(aws_stack: DevstackResources) -> None:
    owner, other = new_site_user(), new_site_user()
    key = uploaded_photo(owner)
    missing_own = f"{upload_key_prefix(user_id=other)}never-uploaded.png"

    foreign = refusal(other, key)
    missing = refusal(other, missing_own)

    assert foreign == missing == NOT_ATTACHABLE_MESSAGE


def test_keys_outside_every_prefix_or_with_dot_segments_are_refused(aws_stack: DevstackResources) -> None:
    owner = new_site_user()
    prefix = upload_key_prefix(user_id=owner)
    key = uploaded_photo(owner)
    # Exists in the bucket under the owner's prefix, but names another path once a URL is normalised.
    s3_client().put_object(
        Bucket=aws_stack.bucket, Key=f"{prefix}../{owner + 1}/x.png", Body=PNG_BYTES, ContentType="image/png"
    )

    for bad in (key.replace(prefix, "uploads/"), "legacy/uploads/x.png", f"{prefix}../{owner + 1}/x.png", "", prefix):
        assert refusal(owner, bad) == NOT_ATTACHABLE_MESSAGE


def test_a_user_id_that_prefixes_another_does_not_reach_its_keys() -> None:
    # "uploads/4/" must not match "uploads/42/...": the prefix ends with a slash.
    assert not upload_key_prefix(user_id=42).startswith(upload_key_prefix(user_id=4))
    assert refusal(4, "uploads/42/abc-photo.png") == NOT_ATTACHABLE_MESSAGE


def test_a_non_image_object_under_the_prefix_is_refused(aws_stack: DevstackResources) -> None:
    owner = new_site_user()
    key = f"{upload_key_prefix(user_id=owner)}notes.png"
    s3_client().put_object(Bucket=aws_stack.bucket, Key=key, Body=b"<html>hi</html>", ContentType="text/html")

    message = refusal(owner, key)

    assert message != NOT_ATTACHABLE_MESSAGE
    assert "text/html" in message


def test_a_file_over_the_limit_is_refused_although_moto_accepted_it(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    owner = new_site_user()
    key = uploaded_photo(owner)
    # The form said at most UPLOAD_MAX_BYTES; moto does not enforce the policy, so the check must.
    settings.UPLOAD_MAX_BYTES = len(PNG_BYTES) - 1

    message = refusal(owner, key)

    assert f"{len(PNG_BYTES)} bytes" in message


NOT_IMAGES = [
    b"<?php echo 'hi';",
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"%PDF-1.7 a pdf",
    b"PK\x03\x04 a zip",
    b"\x00\x00\x00\x18ftypmp42 an mp4",
    b"RIFF\x10\x00\x00\x00WAVEfmt ",
    b"GIF88a not quite",
    PNG_BYTES[:7],
    b"MZ an exe",
]


@pytest.mark.parametrize("content", NOT_IMAGES)
def test_an_object_uploaded_as_png_that_is_no_image_is_refused(aws_stack: DevstackResources, content: bytes) -> None:
    owner = new_site_user()
    key = uploaded_photo(owner, content)

    with pytest.raises(UploadNotImage) as refused:
        upload_check_attachable(user_id=owner, key=key)

    assert refused.value.message == NOT_IMAGE_MESSAGE


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        b"GIF89a\x01\x00\x01\x00",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
        b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00",
    ],
)
def test_every_allowed_image_format_is_recognised_by_its_first_bytes(
    aws_stack: DevstackResources, content: bytes
) -> None:
    owner = new_site_user()
    key = uploaded_photo(owner, content + b"\x00" * 64)

    upload_check_attachable(user_id=owner, key=key)


@pytest.mark.parametrize(
    "endpoint",
    # slow: a timeout test, it waits out the client's real read timeout
    [closed_port, pytest.param(silent_server, marks=pytest.mark.slow)],
)
def test_s3_unreachable_is_storage_unavailable_not_a_refusal(
    aws_stack: DevstackResources, settings: SettingsWrapper, endpoint: Callable[[], AbstractContextManager[str]]
) -> None:
    owner = new_site_user()
    key = uploaded_photo(owner)

    with endpoint() as url:
        settings.AWS_ENDPOINT_URL = url
        with pytest.raises(MediaStorageUnavailable):
            upload_check_attachable(user_id=owner, key=key)
