"""Full-text search of notes behind one backend interface (SPEC §5): MySQL FULLTEXT, CloudSearch, later more."""

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
