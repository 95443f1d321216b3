"""The search backend interface every engine implements, its data shapes, and the one chosen by SEARCH_BACKEND."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SearchError(Exception):
    """Search or indexing did not happen; the message is safe to log (it never carries note text)."""


class SearchUnavailable(SearchError):
    """The backend cannot be reached or is failing, or is not configured: retry later."""


class SearchRejected(SearchError):
    """The backend refused the request itself (a malformed query or document): retrying will not help."""


@dataclass(frozen=True)
class SearchDocument:
    """One note as the index holds it (SPEC §5 fields); `note_id` is the API's noteId and the document id."""

    note_id: str
    headline: str
    text: str
    user_id: int
    visibility: str  # "private" | "public"
    updated_at: str  # ISO-8601 UTC, e.g. 2026-11-21T10:00:00Z
    s3_url: str | None = None
    # The note's version (the API's `version`): with updated_at, tells a newer state from an older.
    version: int = 0


@dataclass(frozen=True)
class SearchPage:
    """One page of hits: noteIds in rank order, how many matched in all, and where the page starts."""

    note_ids: list[str]
    found: int
    start: int


class SearchBackend(Protocol):
    """What the stream handler, the search API and a reindex need from a search engine.

    Every method is idempotent: indexing a document again replaces it, deleting a missing id is
    not an error. Failures raise SearchUnavailable or SearchRejected, never return quietly.
    """

    def index(self, documents: Sequence[SearchDocument]) -> None:
        """Add or replace these documents."""
        ...

    def delete(self, note_ids: Sequence[str]) -> None:
        """Remove these documents (absent ones are fine)."""
        ...

    def search(self, *, text: str, user_id: int, size: int, start: int) -> SearchPage:
        """Notes matching the user's `text` that `user_id` may see: their own and public ones, never others'."""
        ...

    def indexed_ids(self) -> Iterator[str]:
        """Every document id in the index, e.g. for a reindex to delete what MySQL no longer has."""
        ...


def _cloudsearch() -> SearchBackend:
    from notes.search.cloudsearch import CloudSearchBackend

    return CloudSearchBackend.from_settings()


def _mysql() -> SearchBackend:
    from notes.search.mysql import MySQLSearchBackend

    return MySQLSearchBackend.from_settings()


# SEARCH_BACKEND names one of these; an OpenSearch backend is one more entry.
BACKENDS: dict[str, Callable[[], SearchBackend]] = {"cloudsearch": _cloudsearch, "mysql": _mysql}


def search_backend() -> SearchBackend:
    """The backend named by settings.SEARCH_BACKEND, configured from settings (cheap: clients are cached)."""
    factory = BACKENDS.get(settings.SEARCH_BACKEND)
    if factory is None:
        raise ImproperlyConfigured(
            f"SEARCH_BACKEND={settings.SEARCH_BACKEND!r} is not one of: {', '.join(sorted(BACKENDS))}."
        )
    return factory()
