"""A tiny HTTP proxy for fault tests: forwards to a real server, but answers chosen requests with
an error instead — a fault on the wire, with no change to the code under test."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack.local_server import HOST


class FaultProxy:
    """Forwards every request to ``target``; the requests numbered in ``fail`` (1-based) get 503."""

    def __init__(self, target: str, fail: set[int]) -> None:
        self.target = target.rstrip("/")
        self.fail = fail
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                with proxy._lock:
                    proxy.requests += 1
                    number = proxy.requests
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if number in proxy.fail:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
                request = urllib.request.Request(
                    proxy.target + self.path, data=body or None, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, payload, answer_headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, payload, answer_headers = error.code, error.read(), error.headers
                self.send_response(status)
                self.send_header("Content-Type", answer_headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
