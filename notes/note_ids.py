"""The noteId of a note the PHP site wrote, derived from the site's note id: stable, with no write.

A note gets a MobileNote row (and keeps its noteId there) only when Lambridge writes it. Until
then its noteId is derived from the site's `note_id`: a name-based UUID (version 5 bits, as
MariaDB's UUID column accepts; version 8 it refuses) whose top 64 bits are a fixed Lambridge marker
and whose low bits carry the note id, rather than a SHA-1 digest, so that it maps back. So every
read shows the same noteId, the row a later write creates stores that same id, and a noteId the
apps send back maps to its note without any table. Apps' own noteIds (random, version 4) never
fall in this space.
"""

from __future__ import annotations

import hashlib
import uuid

_MARKER = int.from_bytes(hashlib.sha256(b"lambridge.site-note").digest()[:8], "big")
# Version 5 in bits 76-79 of the UUID (the high nibble of the third group).
_HIGH = (_MARKER & ~(0xF << 12)) | (0x5 << 12)
# RFC 9562 variant (0b10) in the top two bits of the low half; the note id below it.
_VARIANT = 0b10 << 62
_NOTE_ID_MAX = 2**32 - 1  # notes.note_id is INT UNSIGNED


def site_note_uuid(note_id: int) -> uuid.UUID:
    """The derived noteId of the site's note ``note_id``."""
    if not 0 < note_id <= _NOTE_ID_MAX:
        raise ValueError(f"Not a site note id: {note_id}")
    return uuid.UUID(int=(_HIGH << 64) | _VARIANT | note_id)


def site_note_id(note_uuid: uuid.UUID) -> int | None:
    """The site's note id a derived noteId carries, or None for any other UUID."""
    value = note_uuid.int
    if value >> 64 != _HIGH or (value >> 62) & 0b11 != 0b10:
        return None
    note_id = value & ((1 << 62) - 1)
    return note_id if 0 < note_id <= _NOTE_ID_MAX else None
