"""`make sdk` (sdk/build.py) on the document the code serves: Redocly's recommended lint with no error
or warning, and TypeScript, Kotlin and Swift clients generated with zero warnings, their models
named as the document names them (no `ModelError`, no `…RequestRequest`), the TypeScript one
compiling under `tsc --strict` (its errors count as warnings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.build import build

pytestmark = pytest.mark.slow  # SDK generation: Redocly, OpenAPI Generator (java) twice, tsc


def test_make_sdk_lints_clean_and_generates_three_clients_without_a_warning(tmp_path: Path) -> None:
    report = build(tmp_path)

    assert report.lint_problems == []
    assert report.warnings == {"typescript": [], "kotlin": [], "swift": []}
    types = (tmp_path / "typescript" / "schema.d.ts").read_text(encoding="utf-8")
    assert '"/api/v1/notes/{noteId}"' in types
    kotlin_models = {path.stem for path in (tmp_path / "kotlin").rglob("models/*.kt")}
    swift_models = {path.stem for path in (tmp_path / "swift").rglob("Models/*.swift")}
    for models in (kotlin_models, swift_models):
        assert {"Note", "NoteCreateRequest", "Visibility", "NoteCreateError", "NoteCreateErrorCode"} <= models
        assert not {name for name in models if name.startswith("Model") or name.endswith("RequestRequest")}
