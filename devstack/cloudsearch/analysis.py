"""Text analysis for text fields and queries: Unicode words, case and accents folded (no stemming)."""

from __future__ import annotations

import re
import unicodedata

# A word is a run of Unicode letters and digits; everything else (punctuation, "_") separates.
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case, accents removed: "Crème BRÛLÉE" -> "creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(character for character in decomposed if not unicodedata.combining(character))
    return unicodedata.normalize("NFKC", without_marks).casefold()


def tokenize(text: str) -> list[str]:
    """The terms of `text`, in order, as the index stores them."""
    return _WORD.findall(fold(text))
