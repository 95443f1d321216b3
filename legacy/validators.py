"""Validators for what the site's columns can really store.

In strict mode MySQL refuses text its column's character set cannot hold (without strict mode it
would silently become "?"), so Lambridge checks first and tells the user which characters.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

# MariaDB's and MySQL's "latin1" is Windows-1252, plus the five bytes cp1252 leaves undefined.
_LATIN1_EXTRA = {"\x81", "\x8d", "\x8f", "\x90", "\x9d"}
# utf8mb3 ("utf8" before MySQL 8) stores at most three bytes per character: no emoji.
_UTF8MB3_MAX_CODEPOINT = 0xFFFF

INVALID_CHARACTERS = "invalid_characters"


def fits_latin1(text: str) -> bool:
    """Whether every character of `text` fits the site's latin1 columns.

    A lookup with any other character cannot match a row, and MySQL refuses to compare it with a
    latin1 column (error 1267, "Illegal mix of collations"): callers check first.
    """
    return all(_fits_latin1(character) for character in text)


def fits_utf8mb3(character: str) -> bool:
    """Whether one character fits the site's utf8 (3-byte) column."""
    return ord(character) <= _UTF8MB3_MAX_CODEPOINT


def _fits_latin1(character: str) -> bool:
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return character in _LATIN1_EXTRA
    return True


def _refuse(characters: list[str], charset_help: str) -> None:
    shown = " ".join(sorted(set(characters))[:5])
    raise ValidationError(
        "This text contains characters the site's database cannot store: %(shown)s. %(help)s",
        code=INVALID_CHARACTERS,
        params={"shown": shown, "help": charset_help},
    )


def validate_latin1(value: str) -> None:
    """Refuse characters outside the latin1 (Windows-1252) columns of the site."""
    bad = [character for character in value if not _fits_latin1(character)]
    if bad:
        _refuse(bad, "Use Western European characters only (no emoji or other scripts).")


def validate_utf8mb3(value: str) -> None:
    """Refuse characters that need four bytes in UTF-8 (emoji and rare scripts)."""
    bad = [character for character in value if ord(character) > _UTF8MB3_MAX_CODEPOINT]
    if bad:
        _refuse(bad, "Emoji and other 4-byte characters are not supported here.")
