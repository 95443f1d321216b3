"""devstack/cloudsearch/process.py and `python -m devstack.cloudsearch`: a real child process, its data
kept across restarts, its fields from a file, quiet unless asked."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aws.clients import cloudsearch_domain_client
from devstack.cloudsearch.process import CloudSearchServer, CloudSearchServerError
from devstack.local_server import free_port
from tests.devstack.cloudsearch_helpers import note, search_ids, structured_ids, upload
from tests.devstack.server_helpers import accepts_connections

ROOT = Path(__file__).resolve().parents[2]


def test_serves_on_a_free_port_and_stops_on_exit() -> None:
    with CloudSearchServer() as server:
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(server.endpoint_url + "/health", timeout=5) as response:
            assert json.load(response) == {"status": "ok", "documents": 0}
        data_dir = server.data_dir

    assert not server.is_running
    assert not accepts_connections(server.port)
    assert data_dir is not None
    assert not data_dir.exists()  # a temporary data directory goes with the server


def test_documents_survive_a_stop_and_start_with_the_same_data_dir(tmp_path: Path) -> None:
    with CloudSearchServer(data_dir=tmp_path) as server:
        client = cloudsearch_domain_client(server.endpoint_url)
        upload(client, note("kept", headline="Lighthouse"), note("gone", headline="Lighthouse keeper"))
        upload(client, note("gone", headline="Replaced"))

    with CloudSearchServer(data_dir=tmp_path) as server:
        client = cloudsearch_domain_client(server.endpoint_url)
        found = search_ids(client, "lighthouse")
        replaced = search_ids(client, "replaced")

    assert found == ["kept"]
    assert replaced == ["gone"]


def test_restart_keeps_even_a_temporary_data_dir() -> None:
    with CloudSearchServer() as server:
        client = cloudsearch_domain_client(server.endpoint_url)
        upload(client, note("n1", headline="Harbour"))

        server.restart()

        assert search_ids(cloudsearch_domain_client(server.endpoint_url), "harbour") == ["n1"]


def test_a_taken_port_is_a_readable_error(cloudsearch_server: CloudSearchServer) -> None:
    with pytest.raises(CloudSearchServerError, match=f"Port {cloudsearch_server.port} .* already in use"):
        CloudSearchServer(cloudsearch_server.port).start()

    assert cloudsearch_server.is_running


def test_a_bad_fields_file_stops_the_server_with_its_reason(tmp_path: Path) -> None:
    fields_path = tmp_path / "fields.json"
    fields_path.write_text(json.dumps([{"IndexFieldName": "Bad Name", "IndexFieldType": "text"}]))

    with pytest.raises(CloudSearchServerError, match="exited with code") as excinfo:
        CloudSearchServer(free_port(), fields_path=fields_path).start()

    assert "Invalid index field name 'Bad Name'" in str(excinfo.value)


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[Any]:
    """A server whose fields come from a file: every field type the local server supports."""
    fields = [
        {"IndexFieldName": "title", "IndexFieldType": "text"},
        {"IndexFieldName": "keywords", "IndexFieldType": "text-array"},
        {"IndexFieldName": "tags", "IndexFieldType": "literal-array"},
        {"IndexFieldName": "year", "IndexFieldType": "int"},
        {"IndexFieldName": "price", "IndexFieldType": "double"},
        {"IndexFieldName": "released", "IndexFieldType": "date-array"},
    ]
    fields_path = tmp_path / "fields.json"
    fields_path.write_text(json.dumps(fields))
    with CloudSearchServer(fields_path=fields_path) as server:
        yield cloudsearch_domain_client(server.endpoint_url)


def test_fields_from_a_file_with_numbers_and_arrays(catalogue: Any) -> None:
    def book(document_id: str, **fields: Any) -> dict[str, Any]:
        return {"type": "add", "id": document_id, "fields": fields}

    upload(
        catalogue,
        book("b1", title="Old map", keywords=["sea chart", "compass"], tags=["maps", "old"], year=1850, price=12.5),
        book("b2", title="New map", keywords="city streets", tags="maps", year=2020, price="8.25"),
        book("b3", title="Atlas", year=1990, released=["1990-01-01T00:00:00Z", "2001-06-01T00:00:00Z"]),
    )

    assert structured_ids(catalogue, "tags:'old'") == ["b1"]
    assert sorted(structured_ids(catalogue, "tags:'maps'")) == ["b1", "b2"]
    assert structured_ids(catalogue, "year:[1900,}", sort="year desc") == ["b2", "b3"]
    assert structured_ids(catalogue, "(range field=price {,10.0])") == ["b2"]
    assert structured_ids(catalogue, "released:['2000-01-01T00:00:00Z',}") == ["b3"]
    # Values of an array field never join into one phrase.
    assert structured_ids(catalogue, "(phrase field=keywords 'chart compass')") == []
    assert structured_ids(catalogue, "(phrase field=keywords 'sea chart')") == ["b1"]
    hit = catalogue.search(query="atlas", returnFields="year,released")["hits"]["hit"][0]
    assert hit["fields"] == {"year": ["1990"], "released": ["1990-01-01T00:00:00Z", "2001-06-01T00:00:00Z"]}
    with pytest.raises(catalogue.exceptions.DocumentServiceException, match="not a 64-bit integer"):
        upload(catalogue, book("b4", year="nineteen"))
    with pytest.raises(catalogue.exceptions.SearchException, match="Invalid int value"):
        catalogue.search(query="year:'soon'", queryParser="structured")


def _run_foreground(tmp_path: Path, *options: str) -> str:
    """Start `python -m devstack.cloudsearch`, make one search, stop it with SIGTERM; its output."""
    port = free_port()
    command = [sys.executable, "-m", "devstack.cloudsearch", "--port", str(port), "--data-dir", str(tmp_path), *options]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        while not accepts_connections(port):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/2013-01-01/search?q=x", timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=10)[0]
    assert process.returncode == 0
    return output


def test_the_command_is_quiet_unless_verbose(tmp_path: Path) -> None:
    quiet = _run_foreground(tmp_path)
    verbose = _run_foreground(tmp_path, "--verbose")

    [banner] = quiet.strip().splitlines()  # nothing per request
    assert banner.startswith("CloudSearch (local) at http://127.0.0.1:")
    assert "GET /2013-01-01/search?q=x" in verbose
