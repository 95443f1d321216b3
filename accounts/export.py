"""GET /api/v1/me/export: everything Lambridge holds about a user as one JSON document, generated
in chunks (SPEC §12).

The document is written as it is read: the profile, then each registered section
(accounts/lifecycle.py) as an array whose items come from the section's iterator, so a user with
100k notes costs one batch of notes in memory, not the whole document. It is spooled to a temporary
file (memory first, then /tmp): a small document is answered as it is, a large one is uploaded to
the media bucket and the app is sent there (a Lambda response cannot exceed 6 MB).
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from accounts.lifecycle import user_data_sections
from accounts.models import CognitoIdentity
from aws.clients import s3_client
from legacy.models import LegacyUser

# Text is handed to the server in pieces of about this size: few enough writes, little memory.
CHUNK_CHARACTERS: Final = 64 * 1024
EXPORT_FORMAT_VERSION: Final = 1
# The spooled document stays in memory up to this size, then moves to a temporary file.
SPOOL_MEMORY_BYTES: Final = 1024 * 1024
EXPORT_KEY_PREFIX: Final = "exports/"
# One part in memory at a time (S3's smallest part), no threads: the upload's memory stays small.
UPLOAD_PART_BYTES: Final = 5 * 1024 * 1024


class ExportStorageUnavailable(Exception):
    """The media bucket could not take a large export; nothing was kept."""


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def account_profile_export(*, site_user: LegacyUser) -> dict[str, Any]:
    """The profile part: the site's row (never its password hash) and the Cognito link."""
    link = CognitoIdentity.objects.filter(site_user_id=site_user.user_id).first()
    return {
        "userId": site_user.user_id,
        "email": site_user.email,
        "username": site_user.username,
        "displayName": site_user.display_name,
        "status": site_user.status,
        "isAdmin": bool(site_user.is_admin),
        "createdAt": _iso(site_user.created_at),
        "lastLogin": _iso(site_user.last_login),
        "cognito": {"sub": link.sub, "linkedAt": _iso(link.created_at)} if link is not None else None,
    }


def _pieces(site_user: LegacyUser) -> Iterator[str]:
    yield '{"format":' + _dumps(EXPORT_FORMAT_VERSION)
    yield ',"exportedAt":' + _dumps(_iso(timezone.now()))
    yield ',"profile":' + _dumps(account_profile_export(site_user=site_user))
    for section in user_data_sections():
        if section.export is None:
            continue
        yield f",{_dumps(section.section)}:["
        items: Iterable[Any] = section.export(site_user_id=site_user.user_id)
        for index, item in enumerate(items):
            yield ("," if index else "") + _dumps(item)
        yield "]"
    yield "}"


def account_export_chunks(*, site_user: LegacyUser) -> Iterator[bytes]:
    """The export document of ``site_user`` as UTF-8 chunks of about CHUNK_CHARACTERS."""
    buffer: list[str] = []
    size = 0
    for piece in _pieces(site_user):
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARACTERS:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def export_filename(*, site_user: LegacyUser) -> str:
    return f"lambridge-export-{site_user.user_id}.json"


def account_export_spooled(*, site_user: LegacyUser) -> tuple[IO[bytes], int]:
    """The export document in a temporary file (memory, then disk), rewound, and its size in bytes.
    The caller closes the file."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - the caller closes it
    for chunk in account_export_chunks(site_user=site_user):
        spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    return spool, size


def account_export_upload(*, document: IO[bytes], filename: str) -> str:
    """Upload an export document under a random key of exports/; a presigned URL to download it.

    The key says nothing of whose it is; the URL expires after EXPORT_URL_EXPIRES_SECONDS and the
    object after a day (the template's lifecycle rule). Raises ExportStorageUnavailable.
    """
    # boto3's transfer manager (s3transfer) only for the rare large export: not on every cold start.
    from boto3.exceptions import S3UploadFailedError
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=UPLOAD_PART_BYTES, multipart_chunksize=UPLOAD_PART_BYTES, use_threads=False
    )
    key = f"{EXPORT_KEY_PREFIX}{uuid.uuid4().hex}.json"
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    s3 = s3_client()
    try:
        s3.upload_fileobj(
            document,
            bucket,
            key,
            ExtraArgs={
                "ContentType": "application/json",
                "ContentDisposition": f'attachment; filename="{filename}"',
                "CacheControl": "no-store",
            },
            Config=config,
        )
        url: str = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=settings.EXPORT_URL_EXPIRES_SECONDS
        )
    except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
        raise ExportStorageUnavailable(str(exc)) from exc
    return url
