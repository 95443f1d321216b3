"""media_url: S3 presigned GETs without a CDN, CloudFront URLs with one, signed ones for private photos."""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings as SettingsWrapper

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from tests.uploads.helpers import PNG_BYTES
from uploads.services import media_url

CDN = "d111111abcdef8.cloudfront.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"


@pytest.fixture(scope="module")
def cloudfront_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def cloudfront_base64_decode(value: str) -> bytes:
    # CloudFront's URL-safe base64: "-" for "+", "_" for "=", "~" for "/".
    return base64.b64decode(value.replace("-", "+").replace("_", "=").replace("~", "/"))


def stored_photo(bucket: str) -> str:
    key = f"uploads/7/{uuid.uuid4().hex}-a photo é.png"
    s3_client().put_object(Bucket=bucket, Key=key, Body=PNG_BYTES, ContentType="image/png")
    return key


@pytest.mark.parametrize("private", [True, False])
def test_without_a_cdn_a_presigned_s3_url_fetches_the_photo(
    aws_stack: DevstackResources, settings: SettingsWrapper, private: bool
) -> None:
    settings.MEDIA_CDN_DOMAIN = ""
    key = stored_photo(aws_stack.bucket)

    url = media_url(key=key, private=private)

    assert url.startswith(f"{aws_stack.endpoint_url}/{aws_stack.bucket}/uploads/7/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_URL_EXPIRES_SECONDS)]
    assert "X-Amz-Signature" in query
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == PNG_BYTES


def test_without_a_cloudfront_key_even_a_public_photo_gets_an_s3_presigned_url(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    # The distribution then refuses every photo (infra/template.json): privacy is per note, so an
    # unsigned CDN URL of a public photo would stay valid once the note turns private.
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = ""
    settings.CLOUDFRONT_PRIVATE_KEY = ""

    url = media_url(key="legacy/uploads/2014/03/beach day+1.jpg", private=False)

    assert url.startswith(f"{aws_stack.endpoint_url}/{aws_stack.bucket}/legacy/uploads/2014/03/beach%20day%2B1.jpg?")
    assert "X-Amz-Signature=" in url


def test_with_a_cloudfront_key_public_photos_are_signed_too(
    settings: SettingsWrapper, cloudfront_key: rsa.RSAPrivateKey
) -> None:
    # The distribution's key group then guards the whole bucket: an unsigned URL would be refused.
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = pem(cloudfront_key)

    url = media_url(key="legacy/uploads/beach.jpg", private=False)

    assert url.startswith(f"https://{CDN}/legacy/uploads/beach.jpg?Expires=")
    assert f"Key-Pair-Id={KEY_PAIR_ID}" in url


def test_a_cdn_domain_given_as_a_url_still_works(settings: SettingsWrapper, cloudfront_key: rsa.RSAPrivateKey) -> None:
    settings.MEDIA_CDN_DOMAIN = f"https://{CDN}/"
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = pem(cloudfront_key)

    assert media_url(key="a.jpg", private=False).startswith(f"https://{CDN}/a.jpg?Expires=")


def test_a_private_photo_gets_a_cloudfront_signed_url_that_verifies(
    settings: SettingsWrapper, cloudfront_key: rsa.RSAPrivateKey
) -> None:
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = pem(cloudfront_key)
    now = int(time.time())

    url = media_url(key="uploads/7/secret.jpg", private=True)

    resource, _, query_string = url.partition("?")
    assert resource == f"https://{CDN}/uploads/7/secret.jpg"
    query = parse_qs(query_string)
    assert set(query) == {"Expires", "Signature", "Key-Pair-Id"}
    assert query["Key-Pair-Id"] == [KEY_PAIR_ID]
    expires = int(query["Expires"][0])
    lifetime = settings.MEDIA_URL_EXPIRES_SECONDS
    assert now + lifetime * 9 // 10 - 1 <= expires <= now + lifetime
    # The canned policy CloudFront rebuilds from the URL and Expires, compact JSON.
    policy = json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    ).encode()
    cloudfront_key.public_key().verify(
        cloudfront_base64_decode(query["Signature"][0]),
        policy,
        padding.PKCS1v15(),
        hashes.SHA1(),  # noqa: S303 - CloudFront signs with SHA-1
    )


def test_a_private_photo_is_never_served_unsigned_through_the_cdn(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = ""
    settings.CLOUDFRONT_PRIVATE_KEY = ""

    url = media_url(key="uploads/7/secret.jpg", private=True)

    assert url.startswith(f"{aws_stack.endpoint_url}/{aws_stack.bucket}/uploads/7/secret.jpg?")
    assert "X-Amz-Signature=" in url


def test_urls_are_reused_within_a_window(
    aws_stack: DevstackResources, settings: SettingsWrapper, cloudfront_key: rsa.RSAPrivateKey
) -> None:
    settings.MEDIA_CDN_DOMAIN = ""
    s3_first = media_url(key="uploads/7/a.jpg", private=True)
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = pem(cloudfront_key)
    cloudfront_first = media_url(key="uploads/7/a.jpg", private=True)

    settings.MEDIA_CDN_DOMAIN = ""
    assert media_url(key="uploads/7/a.jpg", private=True) == s3_first
    settings.MEDIA_CDN_DOMAIN = CDN
    assert media_url(key="uploads/7/a.jpg", private=True) == cloudfront_first


def test_an_unreadable_private_key_is_a_configuration_error(settings: SettingsWrapper) -> None:
    settings.MEDIA_CDN_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"

    with pytest.raises(ImproperlyConfigured, match="CLOUDFRONT_PRIVATE_KEY"):
        media_url(key="uploads/7/secret.jpg", private=True)
