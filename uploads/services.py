"""Media rules and writes: presigned uploads per user prefix, attach checks, photo URLs, staff storage."""

from __future__ import annotations

import functools
import mimetypes
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

if TYPE_CHECKING:
    from botocore.signers import CloudFrontSigner

from aws.clients import s3_client, s3_quick_client
from uploads.images import IMAGE_HEAD_BYTES, image_type_of
from uploads.models import Upload

UPLOAD_KEY_ROOT = "uploads"
STAFF_KEY_ROOT = "staff"
# Enough of a name to recognise the file in the bucket, short enough for any key length limit.
FILENAME_STEM_MAX_LENGTH = 80
EXTENSION_MAX_LENGTH = 10
DEFAULT_FILENAME_STEM = "photo"
RANDOM_ID_BYTES = 16

# The extensions each image type may carry; mimetypes fills in for types configured beyond these
# (and does not know HEIC/HEIF everywhere, hence the table).
IMAGE_EXTENSIONS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe"}),
    "image/png": frozenset({".png"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "image/heic": frozenset({".heic"}),
    "image/heif": frozenset({".heif", ".heic"}),
}

# S3 answers HEAD of a missing key with one of these (403 instead when the role lacks s3:ListBucket:
# the Lambda role must have it, or a missing key becomes an error instead of a clear refusal).
MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})

NOT_ATTACHABLE_MESSAGE = (
    "No uploaded photo was found at this key. Upload the file with a form from POST /api/v1/uploads"
    " first, then send the key that form returned."
)

NOT_IMAGE_MESSAGE = (
    "The uploaded file is not a photo: its content is not a JPEG, PNG, GIF, WebP or HEIC/HEIF image,"
    " whatever its name or type says. Upload a real photo and send its key."
)
STORAGE_UNAVAILABLE_MESSAGE = "Photo storage is briefly unreachable; nothing was changed. Retry shortly."
# How long a client should wait before retrying an attach or upload that S3 could not serve.
STORAGE_RETRY_AFTER_SECONDS = 5

# A signed URL is reused for a tenth of its lifetime, so a page of 50 notes signs nothing on warm
# requests and the apps' image caches see the same URL; every URL still lives ≥ 90% of the setting.
URL_REUSE_FRACTION = 10
URL_CACHE_SIZE = 4096


class UploadRefused(Exception):
    """An upload, or a key offered for attaching, that the media rules refuse.

    `message` tells the user what to do instead; it is safe to send to a client.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadTypeNotAllowed(UploadRefused):
    """The content type (or the file's extension) is not one of UPLOAD_ALLOWED_CONTENT_TYPES."""


class UploadTooLarge(UploadRefused):
    """More than UPLOAD_MAX_BYTES."""


class UploadEmpty(UploadRefused):
    """Zero (or fewer) bytes."""


class UploadNotAttachable(UploadRefused):
    """The key is not an uploaded, valid photo of this user (or the user may not know it exists)."""


class UploadNotImage(UploadNotAttachable):
    """The file's first bytes are not an allowed image format (SPEC §4 `photo_not_image`)."""


class MediaStorageUnavailable(Exception):
    """S3 could not be reached (or answered with a server error) while checking or storing a photo.

    Nothing was changed; the caller answers 503 with Retry-After (STORAGE_RETRY_AFTER_SECONDS).
    """

    def __init__(self, message: str = STORAGE_UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PresignedUpload:
    """A form the app POSTs the file with: `fields` first, then the file as the last part."""

    url: str
    fields: dict[str, str]
    key: str
    expires_at: datetime


# --- Rules ------------------------------------------------------------------------------------


def _allowed_content_type(content_type: str) -> str:
    """The content type, normalised; UploadTypeNotAllowed unless it is an allowed one."""
    normalised = content_type.strip().lower()
    allowed = [value.strip().lower() for value in settings.UPLOAD_ALLOWED_CONTENT_TYPES]
    if normalised not in allowed:
        raise UploadTypeNotAllowed(
            f"Photos must be one of {', '.join(allowed)}; '{content_type[:100]}' is not accepted."
        )
    return normalised


def _check_size(size: int) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if size < 1:
        raise UploadEmpty("The file is empty; choose a photo of at least 1 byte.")
    if size > limit:
        raise UploadTooLarge(f"The file is {size} bytes; photos may be at most {limit} bytes. Send a smaller one.")


def _extensions_for(content_type: str) -> frozenset[str]:
    known = IMAGE_EXTENSIONS.get(content_type, frozenset())
    return known | frozenset(mimetypes.guess_all_extensions(content_type))


def content_type_for_name(name: str) -> str | None:
    """The image type a file name's extension stands for, or what mimetypes guesses, or None."""
    extension = PurePosixPath(name).suffix.lower()
    for content_type, extensions in IMAGE_EXTENSIONS.items():
        if extension in extensions:
            return content_type
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed


def safe_filename(name: str) -> str:
    """`name` made safe for a key: no folders, ASCII letters/digits/-/_ only, extension kept, length capped."""
    # Browsers and apps may send a full path, with either separator.
    base = PurePosixPath(name.replace("\\", "/")).name
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, extension = ascii_name.rpartition(".")
    if not dot:
        stem, extension = ascii_name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:FILENAME_STEM_MAX_LENGTH].strip("-_")
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension).lower()[:EXTENSION_MAX_LENGTH]
    stem = stem or DEFAULT_FILENAME_STEM
    return f"{stem}.{extension}" if extension else stem


def _is_plain_key(key: str) -> bool:
    """No empty, "." or ".." segments and no control characters.

    S3 takes such keys literally, but URLs built from them are normalised by browsers and CDNs, so
    "uploads/1/../2/x.jpg" could end up naming another user's photo.
    """
    if not key or any(ord(character) < 32 or ord(character) == 127 for character in key):
        return False
    return all(segment not in {"", ".", ".."} for segment in key.split("/"))


# --- Presigned uploads from the apps ----------------------------------------------------------


def upload_key_prefix(*, user_id: int) -> str:
    """Where every app upload of site user `user_id` lives, e.g. "uploads/42/" (the slash keeps 4 out of 42's)."""
    if user_id < 1:
        raise ValueError(f"A site user id is positive, not {user_id}.")
    return f"{UPLOAD_KEY_ROOT}/{user_id}/"


def upload_presign(*, user_id: int, content_type: str, content_length: int, filename: str) -> PresignedUpload:
    """A presigned POST for one photo under the user's prefix, and its Upload record.

    No network call: the form is signed locally. Raises UploadTypeNotAllowed, UploadTooLarge or
    UploadEmpty (nothing recorded then). The policy pins the bucket, the exact key, the prefix,
    the Content-Type and the size range; S3 enforces it (moto does not: attaching re-checks).
    """
    content_type = _allowed_content_type(content_type)
    _check_size(content_length)
    prefix = upload_key_prefix(user_id=user_id)
    key = f"{prefix}{secrets.token_hex(RANDOM_ID_BYTES)}-{safe_filename(filename)}"
    expires_in: int = settings.UPLOAD_URL_EXPIRES_SECONDS
    # Taken before signing and rounded down, so it is never later than the policy's expiration.
    expires_at = timezone.now().replace(microsecond=0) + timedelta(seconds=expires_in)
    post: dict[str, Any] = s3_client().generate_presigned_post(
        Bucket=settings.AWS_STORAGE_BUCKET_NAME,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["starts-with", "$key", prefix],
            ["content-length-range", 1, settings.UPLOAD_MAX_BYTES],
        ],
        ExpiresIn=expires_in,
    )
    Upload.objects.create(
        key=key,
        user_id=user_id,
        content_type=content_type,
        content_length=content_length,
        filename=filename[: Upload._meta.get_field("filename").max_length],
        expires_at=expires_at,
    )
    return PresignedUpload(
        url=post["url"],
        fields={name: str(value) for name, value in post["fields"].items()},
        key=key,
        expires_at=expires_at,
    )


def upload_check_attachable(*, user_id: int, key: str) -> None:
    """Raise UploadNotAttachable unless `key` is a valid photo this user uploaded.

    The key must be under the user's prefix, exist in the bucket, obey the size and type rules,
    and start with an image's bytes (a ranged GET of the first bytes; UploadNotImage otherwise).
    A key of another user gets the same answer as a missing one, so nobody learns which keys
    exist. Makes network calls (HEAD, GET of a few bytes) with one quick attempt each: never call
    it inside a database transaction or under a lock. S3 unreachable or failing: MediaStorageUnavailable.
    """
    if not key.startswith(upload_key_prefix(user_id=user_id)) or not _is_plain_key(key):
        raise UploadNotAttachable(NOT_ATTACHABLE_MESSAGE)
    s3 = s3_quick_client()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
            raise UploadNotAttachable(NOT_ATTACHABLE_MESSAGE) from None
        raise MediaStorageUnavailable() from exc
    except BotoCoreError as exc:
        raise MediaStorageUnavailable() from exc
    try:
        _allowed_content_type(str(head.get("ContentType", "")))
        _check_size(int(head.get("ContentLength", 0)))
    except UploadRefused as exc:
        # The owner asked: saying what is wrong with their own file reveals nothing.
        raise UploadNotAttachable(f"The uploaded file cannot be used as a photo: {exc.message}") from None
    try:
        first = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{IMAGE_HEAD_BYTES - 1}")
        file_head: bytes = first["Body"].read(IMAGE_HEAD_BYTES)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
            raise UploadNotAttachable(NOT_ATTACHABLE_MESSAGE) from None
        raise MediaStorageUnavailable() from exc
    except BotoCoreError as exc:
        raise MediaStorageUnavailable() from exc
    if image_type_of(file_head) is None:
        raise UploadNotImage(NOT_IMAGE_MESSAGE)


# --- Photo URLs -------------------------------------------------------------------------------


def media_url(*, key: str, private: bool) -> str:
    """The URL an app shows the photo at `key` with. No network call.

    With MEDIA_CDN_DOMAIN and CLOUDFRONT_KEY_ID/CLOUDFRONT_PRIVATE_KEY: the CloudFront URL, signed
    (canned policy) for every photo (the distribution's key group requires it). Otherwise an S3
    presigned GET: without a signing key the distribution serves no photo at all (infra/template.json
    refuses unsigned requests, since privacy is per note, not per key prefix), and a private photo
    never gets an unsigned URL.
    Signed URLs are reused for a tenth of MEDIA_URL_EXPIRES_SECONDS (see URL_REUSE_FRACTION).
    """
    expires_in: int = settings.MEDIA_URL_EXPIRES_SECONDS
    reuse_seconds = max(1, expires_in // URL_REUSE_FRACTION)
    window_start = int(time.time()) // reuse_seconds * reuse_seconds
    domain = _cdn_domain()
    if domain and settings.CLOUDFRONT_KEY_ID and settings.CLOUDFRONT_PRIVATE_KEY:
        # The distribution's key group requires a signature on every photo (infra/template.json),
        # public ones too.
        return _cloudfront_signed_url(
            f"https://{domain}/{quote(key)}",
            key_id=settings.CLOUDFRONT_KEY_ID,
            private_key_pem=settings.CLOUDFRONT_PRIVATE_KEY,
            expires_epoch=window_start + expires_in,
        )
    return _s3_presigned_get_url(
        key,
        bucket=settings.AWS_STORAGE_BUCKET_NAME,
        endpoint_url=settings.AWS_ENDPOINT_URL,
        region=settings.AWS_REGION,
        expires_in=expires_in,
        window_start=window_start,
    )


def media_stable_url(*, key: str) -> str:
    """An unsigned URL of the photo at `key` that does not expire: what the mirror stores (s3Url).

    The CloudFront URL when MEDIA_CDN_DOMAIN is set, else the S3 object URL. Readers of the mirror
    get a fresh signed URL from the API (media_url) when the bucket is private.
    """
    domain = _cdn_domain()
    if domain:
        return f"https://{domain}/{quote(key)}"
    endpoint: str = settings.AWS_ENDPOINT_URL
    if endpoint:
        return f"{endpoint.rstrip('/')}/{settings.AWS_STORAGE_BUCKET_NAME}/{quote(key)}"
    return f"https://{settings.AWS_STORAGE_BUCKET_NAME}.s3.{settings.AWS_REGION}.amazonaws.com/{quote(key)}"


def _cdn_domain() -> str:
    # Forgive "https://cdn.example.com/" where a bare domain is expected.
    domain: str = settings.MEDIA_CDN_DOMAIN or ""
    return domain.strip().removeprefix("https://").removeprefix("http://").strip("/")


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _cloudfront_signed_url(url: str, *, key_id: str, private_key_pem: str, expires_epoch: int) -> str:
    signer = _cloudfront_signer(key_id, private_key_pem)
    signed: str = signer.generate_presigned_url(url, date_less_than=datetime.fromtimestamp(expires_epoch, tz=UTC))
    return signed


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _s3_presigned_get_url(
    key: str, *, bucket: str, endpoint_url: str, region: str, expires_in: int, window_start: int
) -> str:
    # endpoint_url, region and window_start only key the cache: s3_client() reads the settings.
    url: str = s3_client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )
    return url


@functools.lru_cache(maxsize=2)
def _cloudfront_signer(key_id: str, private_key_pem: str) -> CloudFrontSigner:
    """A signer with the key loaded once per process (parsing a PEM costs more than signing)."""
    from botocore.signers import CloudFrontSigner  # only when signing: botocore is slow to import

    try:
        private_key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except ValueError as exc:
        raise ImproperlyConfigured("CLOUDFRONT_PRIVATE_KEY is not a readable unencrypted PEM private key.") from exc
    if not isinstance(private_key, RSAPrivateKey):
        raise ImproperlyConfigured("CLOUDFRONT_PRIVATE_KEY must be an RSA key (CloudFront signs with RSA).")

    def rsa_signer(message: bytes) -> bytes:
        # CloudFront's signed URLs are defined as RSA with SHA-1; the choice is not ours.
        return private_key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

    return CloudFrontSigner(key_id, rsa_signer)


# --- Staff uploads in the admin ----------------------------------------------------------------


def staff_photo_check(*, file: UploadedFile) -> str:
    """Raise UploadRefused unless `file` is an allowed image (by content type AND extension) of allowed size.

    Returns the normalised content type. For an admin form's clean(), so the refusal shows on the field.
    """
    content_type = _allowed_content_type(file.content_type or "")
    extension = PurePosixPath(file.name or "").suffix.lower()
    if extension not in _extensions_for(content_type):
        raise UploadTypeNotAllowed(
            f"The file name's extension '{extension or '(none)'}' does not match its type {content_type}."
            " Rename the file or choose another photo."
        )
    _check_size(file.size or 0)
    if image_type_of(_uploaded_head(file)) is None:
        raise UploadNotImage(NOT_IMAGE_MESSAGE)
    return content_type


def _uploaded_head(file: UploadedFile) -> bytes:
    """The first bytes of an uploaded file, leaving it at its start for whoever saves it."""
    file.seek(0)
    head = file.read(IMAGE_HEAD_BYTES)
    file.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def staff_photo_store(*, note_id: int, file: UploadedFile) -> str:
    """Store a photo chosen in the admin for note `note_id` in the media bucket; returns its key.

    Checked first (staff_photo_check), then saved through the default storage (django-storages
    S3Storage) under "staff/<note_id>/<random>-<safe name>". Network calls: not inside a
    database transaction. S3 unreachable or failing: MediaStorageUnavailable (nothing stored).
    """
    # S3Storage stores the file's own content_type: the checked, normalised one.
    file.content_type = staff_photo_check(file=file)
    name = f"{STAFF_KEY_ROOT}/{note_id}/{secrets.token_hex(RANDOM_ID_BYTES // 2)}-{safe_filename(file.name or '')}"
    # The storage may change the name (never overwriting a photo); what it returns is the key.
    try:
        key: str = storages["default"].save(name, file)
    except (BotoCoreError, ClientError) as exc:
        raise MediaStorageUnavailable() from exc
    return key


# --- Deleting a user's media (account deletion) -------------------------------------------------

# S3's DeleteObjects takes at most 1,000 keys per call.
DELETE_BATCH_SIZE = 1000


def media_objects_delete(*, keys: list[str]) -> int:
    """Delete `keys` from the media bucket; how many were asked for. Deleting a missing key is not
    an error in S3, so a repeat after a crash finishes the job. Network calls: never inside a
    database transaction. Errors reaching S3 propagate (the caller retries)."""
    unique = sorted({key for key in keys if key})
    for start in range(0, len(unique), DELETE_BATCH_SIZE):
        batch = unique[start : start + DELETE_BATCH_SIZE]
        answer = s3_client().delete_objects(
            Bucket=settings.AWS_STORAGE_BUCKET_NAME,
            Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
        )
        if answer.get("Errors"):
            failed = answer["Errors"][0]
            raise RuntimeError(f"S3 refused to delete {len(answer['Errors'])} object(s): {failed.get('Code')}")
    return len(unique)


def media_prefix_delete(*, prefix: str) -> int:
    """Delete every object under `prefix` (which must end in "/"); how many there were."""
    if not prefix.endswith("/") or prefix == "/":
        raise ValueError(f"Refusing to delete under {prefix!r}: a prefix names one folder and ends in '/'.")
    paginator = s3_client().get_paginator("list_objects_v2")
    keys = [
        item["Key"]
        for page in paginator.paginate(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    return media_objects_delete(keys=keys)


def uploads_delete_for_user(*, site_user_id: int) -> int:
    """Every photo the user's apps uploaded (their whole prefix), then the records of the forms
    they were given; how many objects there were. Idempotent."""
    deleted = media_prefix_delete(prefix=upload_key_prefix(user_id=site_user_id))
    Upload.objects.filter(user_id=site_user_id).delete()
    return deleted
