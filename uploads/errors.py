"""Error codes of the uploads API, registered with the shared registry (api/errors.py); tests reuse them."""

from __future__ import annotations

from typing import Final

from api.error_codes import register_error_codes

UPLOAD_TOO_LARGE: Final = "upload_too_large"
PHOTO_NOT_IMAGE: Final = "photo_not_image"

register_error_codes(
    {UPLOAD_TOO_LARGE: (413, "The photo is larger than the upload limit (`UPLOAD_MAX_BYTES`, 10 MB by default).")},
    only_operations=["upload_create"],
)
register_error_codes(
    {PHOTO_NOT_IMAGE: (400, "The uploaded file's content is not a JPEG, PNG, GIF, WebP or HEIC/HEIF image.")},
    only_operations=["note_create", "note_update", "note_replace"],
)
