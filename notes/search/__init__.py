"""Full-text search of notes behind a small backend interface (SPEC §5): MySQL FULLTEXT or CloudSearch, OpenSearch later."""

from __future__ import annotations

from notes.search.backend import (
    SearchBackend,
    SearchDocument,
    SearchError,
    SearchPage,
    SearchRejected,
    SearchUnavailable,
    search_backend,
)

__all__ = [
    "SearchBackend",
    "SearchDocument",
    "SearchError",
    "SearchPage",
    "SearchRejected",
    "SearchUnavailable",
    "search_backend",
]
