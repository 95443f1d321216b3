"""devstack/moto_server.py: a real `python -m moto.server` child process, started and stopped."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
from pytest_django import Settings as SettingsWrapper

from aws.clients import reset_clients
from devstack.aws_resources import ensure_resources
from devstack.moto_server import MotoServer, MotoServerError, free_port
from tests.devstack.server_helpers import accepts_connections


def test_serves_on_a_free_port_and_stops_on_exit() -> None:
    with MotoServer() as server:
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(server.endpoint_url + "/moto-api/", timeout=5) as response:
            assert response.status == 200
        assert server.is_running

    assert not server.is_running
    assert not accepts_connections(server.port)


def test_stop_twice_is_harmless() -> None:
    server = MotoServer().start()

    server.stop()
    server.stop()

    assert not server.is_running


def test_a_taken_port_is_a_readable_error(moto_server: MotoServer) -> None:
    with pytest.raises(MotoServerError, match=f"Port {moto_server.port} .* already in use"):
        MotoServer(moto_server.port).start()

    assert moto_server.is_running


def test_a_server_that_dies_while_starting_shows_its_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A `moto` package earlier on the path that fails to import: the child exits at once.
    (tmp_path / "moto").mkdir()
    (tmp_path / "moto" / "__init__.py").write_text("raise ImportError('moto is broken here')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    with pytest.raises(MotoServerError, match="exited with code") as excinfo:
        MotoServer(free_port()).start()

    assert "moto is broken here" in str(excinfo.value)


def test_free_port_is_bindable() -> None:
    port = free_port()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_stable_ids_survive_a_restart(settings: SettingsWrapper) -> None:
    ids = []
    for _ in range(2):
        with MotoServer(stable_ids=True) as server:
            settings.AWS_ENDPOINT_URL = server.endpoint_url
            reset_clients()
            resources = ensure_resources()
            ids.append((resources.user_pool_id, resources.app_client_id))
    reset_clients()

    assert ids[0] == ids[1]
