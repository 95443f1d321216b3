"""Routes of the notes room under /api/v1/."""

from __future__ import annotations

from django.urls import path

from notes.apis.sync import NoteChangesApi
from notes.apis.v1 import NoteDetailApi, NoteListCreateApi
from notes.search.apis import NoteSearchApi

urlpatterns = [
    path("notes/", NoteListCreateApi.as_view(), name="note-list"),
    # Before the detail route: "changes" and "search" are not noteIds.
    path("notes/changes", NoteChangesApi.as_view(), name="note-changes"),
    path("notes/search", NoteSearchApi.as_view(), name="note-search"),
    path("notes/<uuid:note_id>", NoteDetailApi.as_view(), name="note-detail"),
]
