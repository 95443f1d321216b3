"""The user's search words, read with the documented simple syntax, as a MySQL boolean-mode query.

Boolean mode gives `+ - * " ( ) < > ~ @` meaning, so user text never reaches it raw: the text is
read like CloudSearch's simple parser reads it (words all required, `-word` excluded, `word*` a
prefix, `"a phrase"`, `a | b` either side) and written back from bare words only, with the
operators this module chooses. Words InnoDB never indexes (shorter than its minimum token size,
or on its default stopword list) are left out, because a required word the index cannot hold
would make every search containing it find nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# InnoDB's default FULLTEXT stopword list: the same 36 words on MariaDB 10.x/11.x and MySQL 8.x
# (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD, which needs PROCESS to read, hence a copy).
_STOPWORDS_AS_PRINTED = (
    "a about an are as at be by com de en for from how i in is it la of on or that the this to "
    "und was what when where who will with www"
)
INNODB_DEFAULT_STOPWORDS = frozenset(_STOPWORDS_AS_PRINTED.split(" "))
# innodb_ft_min_token_size's default on MariaDB and MySQL 8; the backend reads the server's value.
DEFAULT_MIN_TOKEN_SIZE = 3
# A prefix shorter than this would expand to much of the index: it is left out like a short word.
MIN_PREFIX_SIZE = 2
# Enough for any real query (the API caps the text at 500 characters); bounds the SQL's work.
MAX_TERMS = 32

# Phrases (closed or not), alternatives, signs, and runs of anything else, as the simple parser
# splits them. Parentheses are read as spaces: grouping is not offered.
_TOKEN = re.compile(r'"[^"]*"?|[|()]|[+-]|[^\s"|()]+')
# What InnoDB's parser counts as a word: letters, digits and underscore; anything else splits.
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]
    excluded: bool = False
    prefix: bool = False
    phrase: bool = False

    def boolean(self) -> str:
        body = '"' + " ".join(self.words) + '"' if self.phrase else self.words[0] + ("*" if self.prefix else "")
        return ("-" if self.excluded else "+") + body


def folded(word: str) -> str:
    """Lower case without accents, as utf8mb4_unicode_ci compares: "Thé" -> "the"."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).casefold()


def indexable(word: str, *, min_token_size: int) -> bool:
    """Whether InnoDB keeps this word in a FULLTEXT index (long enough, not a stopword)."""
    return len(word) >= min_token_size and folded(word) not in INNODB_DEFAULT_STOPWORDS


def _terms(token: str, *, excluded: bool, min_token_size: int) -> list[_Term]:
    if token.startswith('"'):
        words = tuple(_WORD.findall(token))
        # Inside a phrase short words and stopwords still take part in InnoDB's adjacency check.
        if not any(indexable(word, min_token_size=min_token_size) for word in words):
            return []
        if len(words) == 1:
            return [_Term(words=words, excluded=excluded)]
        return [_Term(words=words, excluded=excluded, phrase=True)]
    prefix = token.endswith("*")
    pieces = _WORD.findall(token)
    terms: list[_Term] = []
    for position, word in enumerate(pieces):
        # Only the last piece of `e-mail*` is a prefix: the pieces before it are whole words.
        is_prefix = prefix and position == len(pieces) - 1
        if is_prefix and len(word) >= MIN_PREFIX_SIZE and folded(word) not in INNODB_DEFAULT_STOPWORDS:
            terms.append(_Term(words=(word,), excluded=excluded, prefix=True))
        elif indexable(word, min_token_size=min_token_size):
            terms.append(_Term(words=(word,), excluded=excluded))
    return terms


def boolean_query(text: str, *, min_token_size: int = DEFAULT_MIN_TOKEN_SIZE) -> str:
    """The boolean-mode query for the user's `text`, or "" when nothing in it can be searched for.

    "crème brûlée" -> '+crème +brûlée'; 'sea | "old man" -boat' -> '(+sea) (+"old man" -boat)'.
    """
    groups: list[list[_Term]] = [[]]
    excluded = False
    for part in _TOKEN.findall(text):
        if part == "|":
            groups.append([])
            excluded = False
        elif part in ("+", "-"):
            excluded = part == "-"
        elif part in ("(", ")"):
            continue
        else:
            groups[-1].extend(_terms(part, excluded=excluded, min_token_size=min_token_size))
            excluded = False
    # A group of exclusions alone would find nothing in boolean mode; such a group is dropped.
    usable = [group for group in groups if any(not term.excluded for term in group)]
    budget = MAX_TERMS
    written: list[str] = []
    for group in usable:
        kept = group[:budget]
        budget -= len(kept)
        if any(not term.excluded for term in kept):
            written.append(" ".join(term.boolean() for term in kept))
        if budget <= 0:
            break
    if len(written) <= 1:
        return written[0] if written else ""
    return " ".join(f"({group})" for group in written)
