"""Error codes of the uploads API, registered with the shared registry (api/errors.py); tests reuse them."""

from __future__ import annotations

from typing import Final

from api.error_codes import register_error_codes

UPLOAD_TOO_LARGE: Final = "upload_too_large"

register_error_codes(
    {UPLOAD_TOO_LARGE: (413, "The photo is larger than the upload limit (`UPLOAD_MAX_BYTES`, 10 MB by default).")}
)
