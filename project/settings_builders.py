"""Functions that build settings values (DATABASES entries, STORAGES) from plain arguments.

Apart from project/settings.py, which holds only settings: tests and tools import these without
importing (and re-evaluating) the settings module.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured


def database_from_url(
    url: str,
    *,
    engine: str,
    init_command: str,
    connect_timeout: int,
    read_timeout: int,
    conn_max_age: int,
    secret_arn: str = "",
) -> dict[str, Any]:
    """One DATABASES entry from a URL, with Lambridge's MySQL options (`engine` replaces Django's)."""
    config: dict[str, Any] = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.mysql":
        config["ENGINE"] = engine
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("charset", "utf8mb4")
        config["OPTIONS"].setdefault("init_command", init_command)
        # A database that is down or unreachable must give a quick 503, never a hung request:
        # bounded waits to connect and for each answer (Lambda's own timeout is 30 s).
        config["OPTIONS"].setdefault("connect_timeout", connect_timeout)
        config["OPTIONS"].setdefault("read_timeout", read_timeout)
        config["OPTIONS"].setdefault("write_timeout", read_timeout)
        # Test databases are created like the site's: latin1 by default (our tables still get
        # utf8mb4 from the engine above).
        config["TEST"] = {"CHARSET": "latin1", "COLLATION": "latin1_swedish_ci"}
        # Lambda reuses a process for many requests; keep the connection, but check it first.
        config["CONN_MAX_AGE"] = conn_max_age
        config["CONN_HEALTH_CHECKS"] = True
        if secret_arn:
            # project/mysql reads USER and PASSWORD from this Secrets Manager secret.
            config["SECRET_ARN"] = secret_arn
    return config


# The bucket folder static files live in; an absolute STATIC_URL ends with it.
STATIC_LOCATION = "static"
# CloudFront and browsers keep admin CSS/JS this long; names are not hashed, so not for a year.
STATIC_CACHE_CONTROL = "public, max-age=3600"


def s3_bucket_options(*, bucket: str, region: str, endpoint_url: str) -> dict[str, Any]:
    """The django-storages S3Storage options that say where a bucket is (media and static alike)."""
    return {
        "bucket_name": bucket,
        "region_name": region,
        "endpoint_url": endpoint_url or None,
        # Emulators answer on one host:port; virtual-hosted "bucket.127.0.0.1" cannot resolve.
        "addressing_style": "path" if endpoint_url else None,
        "signature_version": "s3v4",
    }


def is_absolute_url(url: str) -> bool:
    """True for "https://cdn.example.com/static/" and "//cdn.example.com/static/", False for "/static/"."""
    return url.startswith(("http://", "https://", "//"))


def static_storage(*, static_url: str, bucket: str, region: str, endpoint_url: str) -> dict[str, Any]:
    """STORAGES["staticfiles"]: local disk for a relative STATIC_URL; for an absolute one, the bucket's
    static/ folder through django-storages, with URLs that are STATIC_URL + the file's path."""
    if not is_absolute_url(static_url):
        return {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    parts = urlsplit(static_url if "://" in static_url else f"https:{static_url}")
    suffix = f"/{STATIC_LOCATION}/"
    if not parts.path.endswith(suffix) or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"An absolute STATIC_URL must end with {suffix} (files are uploaded to the bucket's {STATIC_LOCATION}/"
            f" folder), e.g. https://d111111abcdef8.cloudfront.net{suffix}; got {static_url!r}."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **s3_bucket_options(bucket=bucket, region=region, endpoint_url=endpoint_url),
            "location": STATIC_LOCATION,
            # URLs are built from STATIC_URL without a network call or a signature: the same page
            # renders the same links, and CloudFront (or the bucket) serves them as they are.
            "querystring_auth": False,
            "custom_domain": parts.netloc + parts.path.removesuffix(suffix),
            "url_protocol": f"{parts.scheme}:",
            "default_acl": None,
            "file_overwrite": True,
            "object_parameters": {"CacheControl": STATIC_CACHE_CONTROL},
        },
    }


def s3_storages(
    *,
    bucket: str,
    region: str,
    endpoint_url: str,
    url_expires_seconds: int,
    static_url: str = "/static/",
    static_bucket: str = "",
) -> dict[str, Any]:
    """STORAGES: media in the S3 bucket through django-storages; static files on local disk, or in
    `static_bucket` (default: the media bucket) when `static_url` is absolute."""
    return {
        "default": {
            # django-storages' S3Storage with our client timeouts (uploads/storage.py).
            "BACKEND": "uploads.storage.MediaStorage",
            "OPTIONS": {
                **s3_bucket_options(bucket=bucket, region=region, endpoint_url=endpoint_url),
                # Never replace a stored photo by a new one of the same name.
                "file_overwrite": False,
                # The bucket stays private (ACLs off); photos are served through signed URLs.
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": url_expires_seconds,
            },
        },
        "staticfiles": static_storage(
            static_url=static_url, bucket=static_bucket or bucket, region=region, endpoint_url=endpoint_url
        ),
    }
