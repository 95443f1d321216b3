"""The media bucket's django-storages backend, with our AWS client's short timeouts and few retries."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from aws.clients import client_config


class MediaStorage(S3Storage):
    """S3Storage whose botocore client fails fast like every other client of ours (aws/clients.py).

    botocore's defaults (60 s to connect and to read, several retries) would hold a staff upload in
    the admin for minutes while S3 does not answer; with these, it ends in seconds with
    MediaStorageUnavailable and a clear message. The Config is built here, at the storage's first
    use, not in settings: botocore is loaded with the first AWS client, not at start-up.
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        # The location options (addressing style, signature) stay the storage's; ours add the timeouts.
        # django-storages sets client_config untyped in __init__: read and write it by name.
        location: Any = getattr(self, "client_config", None)
        endpoint: str = getattr(self, "endpoint_url", None) or ""
        setattr(self, "client_config", client_config("s3", endpoint_url=endpoint).merge(location))  # noqa: B010
