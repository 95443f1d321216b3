"""The search read: the index says which notes match and in what order, MySQL what the caller sees.

Hits are read back through notes_visible_by_uuids, so an index that is behind (a note deleted or
made private since) can never show what the caller may no longer read. Failures are the backend's
own exceptions (SearchUnavailable, SearchRejected); the API turns them into HTTP answers.
"""

from __future__ import annotations

import uuid

from notes.search.backend import SearchPage, search_backend
from notes.selectors import NoteView, notes_visible_by_uuids


def notes_search(*, user_id: int, text: str, size: int, start: int) -> tuple[list[NoteView], SearchPage]:
    """The page of hits ``user_id`` may read, as NoteViews in rank order, with the index's page.

    Raises SearchUnavailable (the backend cannot be reached) or SearchRejected (it refused the words).
    """
    page = search_backend().search(text=text, user_id=user_id, size=size, start=start)
    note_uuids: list[uuid.UUID] = []
    for note_id in page.note_ids:
        try:
            note_uuids.append(uuid.UUID(note_id))
        except ValueError:
            continue  # not a document of ours
    return notes_visible_by_uuids(user_id=user_id, note_uuids=note_uuids), page
