"""A local stand-in for the stage's CloudFront distribution: serves the private media bucket's objects over HTTP.

On AWS the bucket blocks public access and CloudFront reads it through Origin Access Control,
signing each request (infra/template.json). Here a small server does the same: it reads the
object through the S3 API, signed with the stack's credentials, and answers an anonymous GET.
So `STATIC_URL=http://127.0.0.1:<port>/static/` behaves like `https://<distribution>/static/`.
It does not check CloudFront signed URLs (private photos get S3 presigned URLs locally).
"""

from __future__ import annotations

import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from botocore.exceptions import ClientError

from devstack.moto_server import HOST

# The response headers of the object that CloudFront passes on to the browser.
PASSED_HEADERS = {
    "ContentType": "Content-Type",
    "CacheControl": "Cache-Control",
    "ETag": "ETag",
    "LastModified": "Last-Modified",
}
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class _CdnHandler(BaseHTTPRequestHandler):
    server: LocalCdnHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: tests and `make run` have enough output.
        return

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path.lstrip("/"))
        try:
            response = self.server.s3.get_object(Bucket=self.server.bucket, Key=key)
        except ClientError as exc:
            missing = exc.response["Error"]["Code"] in MISSING_CODES
            # CloudFront answers 403 for a missing key too when the role may not list the bucket.
            self._send_status(HTTPStatus.NOT_FOUND if missing else HTTPStatus.FORBIDDEN)
            return
        body: bytes = response["Body"].read()
        self.send_response(HTTPStatus.OK)
        for field, header in PASSED_HEADERS.items():
            value = response.get(field)
            if value:
                self.send_header(header, value if isinstance(value, str) else self.date_time_string(value.timestamp()))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _send_status(self, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class LocalCdnHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, s3: Any, bucket: str) -> None:
        super().__init__(address, _CdnHandler)
        self.s3 = s3
        self.bucket = bucket


class LocalCdn:
    """The stand-in on 127.0.0.1 in a background thread (`with LocalCdn(s3=client, bucket=b) as cdn: cdn.url`).

    `s3` is a boto3 S3 client pointed at the emulator; port 0 picks a free one.
    """

    def __init__(self, *, s3: Any, bucket: str, port: int = 0) -> None:
        self._server = LocalCdnHTTPServer((HOST, port), s3=s3, bucket=bucket)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-cdn", daemon=True)

    @property
    def domain(self) -> str:
        """host:port, what MEDIA_CDN_DOMAIN holds for a real distribution."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.domain}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
