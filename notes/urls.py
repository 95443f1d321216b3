"""Routes of the notes room under /api/v1/."""

from __future__ import annotations

from django.urls import path

from notes.apis import NoteChangesApi, NoteDetailApi, NoteListCreateApi

urlpatterns = [
    path("notes/", NoteListCreateApi.as_view(), name="note-list"),
    # Before the detail route: "changes" is not a noteId.
    path("notes/changes", NoteChangesApi.as_view(), name="note-changes"),
    path("notes/<uuid:note_id>", NoteDetailApi.as_view(), name="note-detail"),
]
