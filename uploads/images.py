"""What kind of image a file is, by its first bytes (never by its name or declared type): SPEC §4."""

from __future__ import annotations

# Enough bytes for every signature below (ISO-BMFF's brand sits at bytes 8-11, WebP's at 8-11).
IMAGE_HEAD_BYTES = 32

# HEIC/HEIF files are ISO-BMFF boxes: "....ftyp<brand>"; these brands are the still images phones write.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def image_type_of(head: bytes) -> str | None:
    """The image content type whose signature `head` (a file's first bytes) starts with, or None.

    JPEG, PNG, GIF, WebP and HEIC/HEIF: the types UPLOAD_ALLOWED_CONTENT_TYPES allows. A text,
    PDF, HTML, SVG or PHP file is None whatever its name says (SVG is left out on purpose: it can
    carry scripts).
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic" if head[8:12] in {b"heic", b"heix", b"heim", b"heis"} else "image/heif"
    return None


def is_image(head: bytes) -> bool:
    """Whether `head` starts like one of the image formats photos may be."""
    return image_type_of(head) is not None
