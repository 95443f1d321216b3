"""The committed snapshot openapi.json is the contract: the served document must be exactly it, so a
change to the API arrives as a reviewed diff of that file (`make openapi` refreshes it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sdk.snapshot import render
from sdk.tools import SNAPSHOT


def served_document() -> dict[str, Any]:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def test_the_served_document_is_the_committed_snapshot() -> None:
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))

    served = served_document()

    if served != committed:
        changed = sorted(
            key
            for key in {*served.get("paths", {}), *committed.get("paths", {})}
            if served["paths"].get(key) != committed["paths"].get(key)
        )
        pytest.fail(
            "The API's OpenAPI document differs from the committed openapi.json "
            f"(paths differing: {changed or 'none; see components/info'}). If the change is meant, run "
            "`make openapi`, review `git diff openapi.json` and commit it."
        )


def test_the_snapshot_is_written_in_its_stable_form() -> None:
    text = SNAPSHOT.read_text(encoding="utf-8")

    assert text == render(json.loads(text)), "openapi.json was edited by hand: regenerate it with `make openapi`"
