"""AWS endpoints that fail on the wire, for outage tests: a closed port, and one that accepts and never answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from devstack.local_server import HOST


@contextmanager
def closed_port() -> Iterator[str]:
    """An endpoint URL nothing listens on (connection refused), kept reserved while in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind((HOST, 0))
        # Bound but not listening: connections are refused, and no other test can take the port.
        yield f"http://{HOST}:{reserved.getsockname()[1]}"


@contextmanager
def silent_server() -> Iterator[str]:
    """An endpoint URL that accepts connections (the kernel's backlog) and never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(64)
        yield f"http://{HOST}:{listener.getsockname()[1]}"
