"""Error codes of the notes API, registered with the shared registry (api/errors.py); tests reuse them."""

from __future__ import annotations

from typing import Final

from api.error_codes import register_error_codes

NOTE_ID_CONFLICT: Final = "note_id_conflict"
PRECONDITION_FAILED: Final = "precondition_failed"

register_error_codes(
    {
        NOTE_ID_CONFLICT: (409, "The noteId is another user's note or a deleted note's: create with a new noteId."),
        PRECONDITION_FAILED: (
            412,
            "`If-Match` names an old version: fetch the object again (see `ETag`), then retry.",
        ),
    }
)
