"""staff_photo_store: admin photos checked, then saved through django-storages into the moto bucket."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import Settings as SettingsWrapper

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from project.settings import s3_storages
from tests.unreachable import closed_port, silent_server
from tests.uploads.helpers import PNG_BYTES
from uploads.services import (
    MediaStorageUnavailable,
    UploadEmpty,
    UploadNotImage,
    UploadTooLarge,
    UploadTypeNotAllowed,
    staff_photo_store,
)

NOTE_ID = 424242


def stored_keys(bucket: str, note_id: int) -> list[str]:
    listing = s3_client().list_objects_v2(Bucket=bucket, Prefix=f"staff/{note_id}/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_the_photo_lands_in_the_bucket_under_the_note(aws_stack: DevstackResources) -> None:
    photo = SimpleUploadedFile("Beach Day (2).PNG", PNG_BYTES, content_type="Image/PNG")

    key = staff_photo_store(note_id=NOTE_ID, file=photo)

    assert key.startswith(f"staff/{NOTE_ID}/")
    assert key.endswith("-Beach-Day-2.png")
    stored = s3_client().get_object(Bucket=aws_stack.bucket, Key=key)
    assert stored["Body"].read() == PNG_BYTES
    assert stored["ContentType"] == "image/png"


def test_the_same_file_twice_gets_two_keys(aws_stack: DevstackResources) -> None:
    first = staff_photo_store(note_id=NOTE_ID + 1, file=SimpleUploadedFile("a.png", PNG_BYTES, "image/png"))
    second = staff_photo_store(note_id=NOTE_ID + 1, file=SimpleUploadedFile("a.png", PNG_BYTES, "image/png"))

    assert first != second
    assert {first, second} <= set(stored_keys(aws_stack.bucket, NOTE_ID + 1))


@pytest.mark.parametrize(
    ("name", "content_type", "refusal"),
    [
        ("cv.pdf", "application/pdf", UploadTypeNotAllowed),
        # An allowed type with the extension of another, or of none.
        ("photo.gif", "image/png", UploadTypeNotAllowed),
        ("photo", "image/png", UploadTypeNotAllowed),
        ("photo.png.html", "image/png", UploadTypeNotAllowed),
        ("photo.png", None, UploadTypeNotAllowed),
    ],
)
def test_files_that_are_not_allowed_images_are_refused_and_not_stored(
    aws_stack: DevstackResources, name: str, content_type: str | None, refusal: type[Exception]
) -> None:
    note_id = NOTE_ID + 2
    photo = SimpleUploadedFile(name, PNG_BYTES, content_type=content_type)

    with pytest.raises(refusal):
        staff_photo_store(note_id=note_id, file=photo)

    assert stored_keys(aws_stack.bucket, note_id) == []


def test_too_large_and_empty_files_are_refused(aws_stack: DevstackResources, settings: SettingsWrapper) -> None:
    settings.UPLOAD_MAX_BYTES = len(PNG_BYTES) - 1
    note_id = NOTE_ID + 3

    with pytest.raises(UploadTooLarge):
        staff_photo_store(note_id=note_id, file=SimpleUploadedFile("a.png", PNG_BYTES, "image/png"))
    with pytest.raises(UploadEmpty):
        staff_photo_store(note_id=note_id, file=SimpleUploadedFile("a.png", b"", "image/png"))

    assert stored_keys(aws_stack.bucket, note_id) == []


@pytest.mark.parametrize(
    ("name", "content_type", "content"),
    [
        ("photo.png", "image/png", b"<?php system($_GET['c']);"),
        ("photo.jpg", "image/jpeg", b"<html><script>alert(1)</script></html>"),
        ("photo.gif", "image/gif", b"%PDF-1.7"),
        ("photo.webp", "image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt "),
    ],
)
def test_a_file_with_an_image_name_and_type_but_other_content_is_refused(
    aws_stack: DevstackResources, name: str, content_type: str, content: bytes
) -> None:
    note_id = NOTE_ID + 5

    with pytest.raises(UploadNotImage):
        staff_photo_store(note_id=note_id, file=SimpleUploadedFile(name, content, content_type))

    assert stored_keys(aws_stack.bucket, note_id) == []


def test_s3_unreachable_is_storage_unavailable(aws_stack: DevstackResources, settings: SettingsWrapper) -> None:
    with closed_port() as url:
        settings.STORAGES = s3_storages(
            bucket=aws_stack.bucket,
            region=settings.AWS_REGION,
            endpoint_url=url,
            url_expires_seconds=settings.MEDIA_URL_EXPIRES_SECONDS,
        )
        with pytest.raises(MediaStorageUnavailable):
            staff_photo_store(note_id=NOTE_ID + 6, file=SimpleUploadedFile("a.png", PNG_BYTES, "image/png"))


@pytest.mark.slow  # a timeout test: it waits out the S3 client's real read timeout, twice (two attempts)
def test_s3_that_accepts_and_never_answers_is_storage_unavailable_too(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    # botocore's own defaults would wait minutes here; the media storage uses our client's timeouts.
    with silent_server() as url:
        settings.STORAGES = s3_storages(
            bucket=aws_stack.bucket,
            region=settings.AWS_REGION,
            endpoint_url=url,
            url_expires_seconds=settings.MEDIA_URL_EXPIRES_SECONDS,
        )
        with pytest.raises(MediaStorageUnavailable):
            staff_photo_store(note_id=NOTE_ID + 7, file=SimpleUploadedFile("a.png", PNG_BYTES, "image/png"))
