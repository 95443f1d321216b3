"""Helpers for the tests of local server processes: is anything listening on a port."""

from __future__ import annotations

import socket

from devstack.local_server import HOST


def accepts_connections(port: int) -> bool:
    """Whether something on 127.0.0.1 accepts a TCP connection on ``port`` (within a second)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0
