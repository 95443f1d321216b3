"""CloudSearch query languages: the simple and structured parsers, turned into one small query tree."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from devstack.cloudsearch.analysis import tokenize
from devstack.cloudsearch.fields import IndexField


class QuerySyntaxError(ValueError):
    """A query (q, fq, q.options) CloudSearch would refuse; the message says what to fix."""


# --- the query tree ------------------------------------------------------------------------------

Value = str | int | float


@dataclass(frozen=True)
class MatchAll:
    boost: float = 1.0


@dataclass(frozen=True)
class MatchNone:
    pass


@dataclass(frozen=True)
class TextTerms:
    """Terms in a row in a text field: one term, or a phrase (with `slop` extra positions allowed)."""

    field: str
    terms: tuple[str, ...]
    slop: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class TextPrefix:
    """Text terms starting with `prefix`; `before` are whole terms that must come right before it."""

    field: str
    prefix: str
    before: tuple[str, ...] = ()
    boost: float = 1.0


@dataclass(frozen=True)
class ExactValue:
    """A literal, int, double or date field holding exactly `value`."""

    field: str
    value: Value
    boost: float = 1.0


@dataclass(frozen=True)
class ValuePrefix:
    """A literal field whose value starts with `prefix` (case-sensitive, as CloudSearch)."""

    field: str
    prefix: str
    boost: float = 1.0


@dataclass(frozen=True)
class ValueRange:
    field: str
    low: Value | None
    high: Value | None
    include_low: bool
    include_high: bool
    boost: float = 1.0


@dataclass(frozen=True)
class AnyField:
    """The same query over several fields: the best field's score (plus tie_breaker times the others)."""

    queries: tuple[Query, ...]
    tie_breaker: float = 0.0


@dataclass(frozen=True)
class Boolean:
    """Lucene-style: every `must`, no `must_not`, and at least one `should` when there is no `must`."""

    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()
    boost: float = 1.0


Query = MatchAll | MatchNone | TextTerms | TextPrefix | ExactValue | ValuePrefix | ValueRange | AnyField | Boolean


# --- values --------------------------------------------------------------------------------------


def parse_date(text: str) -> datetime:
    """An RFC 3339 UTC date as CloudSearch takes it: 2024-05-01T12:00:00Z (fractions allowed)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z", text):
        raise ValueError(f"{text!r} is not an RFC 3339 UTC date like 2024-05-01T12:00:00Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


def typed_value(index_field: IndexField, raw: str) -> Value:
    """A query string for a non-text field as the value the index compares with."""
    base_type = index_field.base_type
    try:
        if base_type == "int":
            return int(raw)
        if base_type == "double":
            return float(raw)
        if base_type == "date":
            parse_date(raw)
    except ValueError as exc:
        raise QuerySyntaxError(f"Invalid {base_type} value {raw!r} for field ({index_field.name}): {exc}") from exc
    return raw


# --- q.options -----------------------------------------------------------------------------------

QUERY_OPTION_KEYS = frozenset(
    {"defaultOperator", "fields", "operators", "phraseFields", "phraseSlop", "explicitPhraseSlop", "tieBreaker"}
)


@dataclass(frozen=True)
class QueryOptions:
    fields: tuple[tuple[str, float], ...]
    default_operator: str = "and"
    tie_breaker: float = 0.0
    explicit_phrase_slop: int = 0


def parse_query_options(raw: str, index_fields: dict[str, IndexField]) -> QueryOptions:
    """q.options JSON; the default fields are every searchable text field, as in CloudSearch."""
    try:
        options = json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise QuerySyntaxError(f"q.options is not valid JSON: {exc}") from exc
    if not isinstance(options, dict):
        raise QuerySyntaxError("q.options must be a JSON object.")
    unknown = set(options) - QUERY_OPTION_KEYS
    if unknown:
        raise QuerySyntaxError(f"Unknown q.options key(s): {', '.join(sorted(unknown))}.")
    default_fields = [name for name, index_field in index_fields.items() if index_field.is_text]
    raw_fields = options.get("fields", default_fields)
    if not isinstance(raw_fields, list) or not all(isinstance(item, str) for item in raw_fields):
        raise QuerySyntaxError('q.options "fields" must be a list of field names, e.g. ["headline^2", "note_text"].')
    fields: list[tuple[str, float]] = []
    for item in raw_fields:
        name, _, boost_text = item.partition("^")
        index_field = index_fields.get(name)
        if index_field is None:
            raise QuerySyntaxError(f"q.options fields: field ({name}) does not exist.")
        if not index_field.search_enabled:
            raise QuerySyntaxError(f"q.options fields: field ({name}) is not search enabled.")
        try:
            boost = float(boost_text) if boost_text else 1.0
        except ValueError as exc:
            raise QuerySyntaxError(f"q.options fields: invalid boost in {item!r}.") from exc
        fields.append((name, boost))
    operator = options.get("defaultOperator", "and")
    if operator not in ("and", "or"):
        raise QuerySyntaxError('q.options "defaultOperator" must be "and" or "or".')
    tie_breaker = options.get("tieBreaker", 0.0)
    slop = options.get("explicitPhraseSlop", 0)
    if not isinstance(tie_breaker, int | float) or not 0 <= tie_breaker <= 1:
        raise QuerySyntaxError('q.options "tieBreaker" must be a number from 0 to 1.')
    if not isinstance(slop, int) or slop < 0:
        raise QuerySyntaxError('q.options "explicitPhraseSlop" must be a non-negative integer.')
    return QueryOptions(tuple(fields), operator, float(tie_breaker), slop)


def _over_fields(
    options: QueryOptions, index_fields: dict[str, IndexField], words: list[str], *, prefix: bool, slop: int = 0
) -> Query:
    """The words (as typed) searched in each default field: text fields analyse them, literal fields
    compare the exact string."""
    per_field: list[Query] = []
    for name, boost in options.fields:
        index_field = index_fields[name]
        if index_field.is_text:
            terms = [term for word in words for term in tokenize(word)]
            if not terms:
                continue
            if prefix:
                per_field.append(TextPrefix(name, terms[-1], tuple(terms[:-1]), boost))
            else:
                per_field.append(TextTerms(name, tuple(terms), slop, boost))
        elif index_field.base_type == "literal":
            value = " ".join(words)
            per_field.append(ValuePrefix(name, value, boost) if prefix else ExactValue(name, value, boost))
    if not per_field:
        return MatchNone()
    if len(per_field) == 1:
        return per_field[0]
    return AnyField(tuple(per_field), options.tie_breaker)


# --- the simple parser ---------------------------------------------------------------------------

_SIMPLE_TOKEN = re.compile(r'\s+|"(?:\\.|[^"\\])*"?(?:~\d+)?|[()|]|[+-]|[^\s()|"]+')


def parse_simple(text: str, options: QueryOptions, index_fields: dict[str, IndexField]) -> Query:
    """The simple parser: words (all must match by default), "phrases", prefix*, +must, -not, a|b, ( ).

    Like CloudSearch it never fails on odd input: stray operators and unbalanced quotes or
    parentheses are read as well as they can be.
    """
    tokens = [token for token in _SIMPLE_TOKEN.findall(text) if not token.isspace()]
    position = 0

    def parse_or() -> Query:
        nonlocal position
        alternatives = [parse_sequence()]
        while position < len(tokens) and tokens[position] == "|":
            position += 1
            alternatives.append(parse_sequence())
        alternatives = [query for query in alternatives if not isinstance(query, MatchNone)]
        if not alternatives:
            return MatchNone()
        return alternatives[0] if len(alternatives) == 1 else Boolean(should=tuple(alternatives))

    def parse_sequence() -> Query:
        nonlocal position
        must: list[Query] = []
        should: list[Query] = []
        must_not: list[Query] = []
        while position < len(tokens) and tokens[position] not in ("|", ")"):
            sign = ""
            while position < len(tokens) and tokens[position] in ("+", "-"):
                sign = tokens[position]
                position += 1
            if position >= len(tokens) or tokens[position] in ("|", ")"):
                break
            clause = parse_unit()
            if isinstance(clause, MatchNone) and sign != "+":
                continue  # e.g. a word of punctuation only: nothing to look for
            if sign == "-":
                must_not.append(clause)
            elif sign == "+" or options.default_operator == "and":
                must.append(clause)
            else:
                should.append(clause)
        if not must and not should:
            return Boolean(must=(MatchAll(),), must_not=tuple(must_not)) if must_not else MatchNone()
        if len(must) == 1 and not should and not must_not:
            return must[0]
        return Boolean(tuple(must), tuple(should), tuple(must_not))

    def parse_unit() -> Query:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":  # noqa: S105 (a query token, not a password)
            inner = parse_or()
            if position < len(tokens) and tokens[position] == ")":
                position += 1
            return inner
        if token.startswith('"'):
            body, _, slop_text = token[1:].rpartition('"') if '"' in token[1:] else (token[1:], "", "")
            slop = int(slop_text[1:]) if slop_text.startswith("~") else options.explicit_phrase_slop
            words = re.sub(r"\\(.)", r"\1", body).split()
            return _over_fields(options, index_fields, words, prefix=False, slop=slop)
        word = re.sub(r"~\d*$", "", token)  # fuzzy matching is not emulated: the plain word is searched
        if word.endswith("*") and len(word) > 1:
            return _over_fields(options, index_fields, [word.rstrip("*")], prefix=True)
        return _over_fields(options, index_fields, [word], prefix=False)

    query = parse_or()
    while position < len(tokens):  # a stray ")" or "|": skip it and read on, as CloudSearch does
        position += 1
        rest = parse_or()
        if not isinstance(rest, MatchNone):
            query = rest if isinstance(query, MatchNone) else Boolean(must=(query, rest))
    return query


# --- the structured parser -----------------------------------------------------------------------

# Strings are in single quotes; inside them \' is a quote and \\ a backslash (CloudSearch's rules).
_STRUCTURED_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'(?:\\.|[^'\\])*')
      | (?P<open>\()
      | (?P<close>\))
      | (?P<range>[\[{][^\]}]*[\]}])
      | (?P<option>[A-Za-z_][A-Za-z0-9_]*=[^\s()']*)
      | (?P<field>[a-z][a-z0-9_]*:)
      | (?P<word>[^\s()'\[\]{}:]+)
      | (?P<bad>.)""",
    re.VERBOSE,
)

_STRUCTURED_OPERATORS = frozenset({"and", "or", "not", "term", "phrase", "prefix", "range", "near", "boost"})


def unquote_structured(quoted: str) -> str:
    """The value inside a structured-query string: 'it\\'s' -> it's."""
    return re.sub(r"\\(.)", r"\1", quoted[1:-1], flags=re.DOTALL)


def quote_structured(value: str) -> str:
    """`value` as a structured-query string that cannot end early: it's -> 'it\\'s'."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class _Token:
    kind: str
    text: str
    offset: int


@dataclass
class _StructuredParser:
    text: str
    options: QueryOptions
    index_fields: dict[str, IndexField]
    tokens: list[_Token] = field(default_factory=list)
    position: int = 0

    def parse(self) -> Query:
        for match in _STRUCTURED_TOKEN.finditer(self.text):
            kind = match.lastgroup or "bad"
            if kind == "bad":
                if match.group() == "'":
                    self.fail("unterminated string (a ' without its closing quote)", match.start())
                self.fail(f"unexpected character {match.group()!r}", match.start())
            if kind != "space":
                self.tokens.append(_Token(kind, match.group(), match.start()))
        if not self.tokens:
            self.fail("empty query", 0)
        query = self.expression()
        if self.position < len(self.tokens):
            token = self.tokens[self.position]
            self.fail(f"unexpected {token.text!r} after the end of the query", token.offset)
        return query

    def fail(self, problem: str, offset: int) -> None:
        raise QuerySyntaxError(f"Syntax error in query: {problem} at character {offset} of {self.text!r}.")

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            self.fail("the query ends too early (missing ')' or value?)", len(self.text))
            raise AssertionError  # not reached: fail() raises
        self.position += 1
        return token

    def searchable_field(self, name: str, offset: int) -> IndexField:
        index_field = self.index_fields.get(name)
        if index_field is None:
            self.fail(f"field ({name}) does not exist", offset)
            raise AssertionError
        if not index_field.search_enabled:
            self.fail(f"field ({name}) is not search enabled", offset)
        return index_field

    def expression(self) -> Query:
        token = self.take()
        if token.kind == "open":
            return self.compound(token)
        if token.kind == "field":
            return self.field_value(token.text[:-1], self.take(), kind="term", boost=1.0)
        if token.kind == "string":
            return self.default_fields_value(token, kind="term", boost=1.0)
        if token.kind == "word" and token.text == "matchall":
            return MatchAll()
        if token.kind == "word":
            self.fail(
                f"{token.text!r} is neither a quoted 'value', field:value, matchall nor (operator ...)", token.offset
            )
        self.fail(f"unexpected {token.text!r}", token.offset)
        raise AssertionError

    def compound(self, opening: _Token) -> Query:
        operator_token = self.take()
        operator = operator_token.text
        if operator_token.kind != "word" or operator not in _STRUCTURED_OPERATORS:
            self.fail(f"unknown operator {operator!r} after '('", operator_token.offset)
        named: dict[str, str] = {}
        while (token := self.peek()) is not None and token.kind == "option":
            self.position += 1
            key, _, value = token.text.partition("=")
            named[key] = value
        boost = self.boost(named, operator_token)
        if operator in ("and", "or", "not"):
            self.no_options(named, {"boost"}, operator_token)
            clauses: list[Query] = []
            while (token := self.peek()) is not None and token.kind != "close":
                clauses.append(self.expression())
            self.closing(opening)
            if operator == "not":
                if len(clauses) != 1:
                    self.fail("(not ...) takes exactly one expression", operator_token.offset)
                return Boolean(must=(MatchAll(),), must_not=(clauses[0],), boost=boost)
            if not clauses:
                self.fail(f"({operator}) needs at least one expression", operator_token.offset)
            return (
                Boolean(must=tuple(clauses), boost=boost)
                if operator == "and"
                else Boolean(should=tuple(clauses), boost=boost)
            )
        if operator == "near":
            self.fail("(near ...) is not supported by the local CloudSearch server", operator_token.offset)
        self.no_options(named, {"boost", "field"}, operator_token)
        value_token = self.take()
        self.closing(opening)
        if "field" in named:
            return self.field_value(
                named["field"], value_token, kind=operator, boost=boost, offset=operator_token.offset
            )
        if value_token.kind != "string":
            self.fail(f"({operator}) without field= needs a quoted string", value_token.offset)
        return self.default_fields_value(value_token, kind=operator, boost=boost)

    def boost(self, named: dict[str, str], token: _Token) -> float:
        try:
            return float(named.get("boost", "1"))
        except ValueError:
            self.fail(f"invalid boost {named['boost']!r}", token.offset)
            raise AssertionError from None

    def no_options(self, named: dict[str, str], allowed: set[str], token: _Token) -> None:
        unknown = set(named) - allowed
        if unknown:
            self.fail(f"({token.text}) does not take option(s) {', '.join(sorted(unknown))}", token.offset)

    def closing(self, opening: _Token) -> None:
        token = self.peek()
        if token is None or token.kind != "close":
            self.fail("missing ')'", opening.offset if token is None else token.offset)
        self.position += 1

    def default_fields_value(self, token: _Token, *, kind: str, boost: float) -> Query:
        words = unquote_structured(token.text).split()
        scaled = QueryOptions(
            tuple((name, field_boost * boost) for name, field_boost in self.options.fields),
            self.options.default_operator,
            self.options.tie_breaker,
        )
        if kind == "range":
            self.fail("(range ...) needs field=", token.offset)
        return _over_fields(scaled, self.index_fields, words, prefix=kind == "prefix")

    def field_value(self, name: str, token: _Token, *, kind: str, boost: float, offset: int | None = None) -> Query:
        index_field = self.searchable_field(name, token.offset if offset is None else offset)
        if token.kind == "range" or kind == "range":
            if token.kind != "range" or index_field.base_type in ("text", "literal"):
                if token.kind == "range":
                    self.fail(f"ranges need an int, double or date field; ({name}) is {index_field.type}", token.offset)
                self.fail("(range ...) needs a range like [a,b], {a,b] or [a,}", token.offset)
            return self.value_range(index_field, token, boost)
        if token.kind == "string":
            raw = unquote_structured(token.text)
        elif token.kind == "word" and index_field.base_type in ("int", "double"):
            raw = token.text
        else:
            self.fail(f"expected a quoted value for field ({name}), found {token.text!r}", token.offset)
            raise AssertionError
        if index_field.is_text:
            terms = tuple(tokenize(raw))
            if not terms:
                return MatchNone()
            if kind == "prefix":
                return TextPrefix(name, terms[-1], terms[:-1], boost)
            return TextTerms(name, terms, 0, boost)
        if kind == "prefix":
            if index_field.base_type != "literal":
                self.fail(f"(prefix ...) needs a text or literal field; ({name}) is {index_field.type}", token.offset)
            return ValuePrefix(name, raw, boost)
        return ExactValue(name, typed_value(index_field, raw), boost)

    def value_range(self, index_field: IndexField, token: _Token, boost: float) -> Query:
        text = token.text
        body = text[1:-1]
        if body.count(",") != 1:
            self.fail(f"a range needs exactly one ',': {text!r}", token.offset)
        low_text, high_text = (part.strip() for part in body.split(","))
        if (text[0] == "[" and not low_text) or (text[-1] == "]" and not high_text):
            self.fail(f"an open end of a range takes {{ or }}: {text!r}", token.offset)

        def bound(part: str) -> Value | None:
            if not part:
                return None
            if part.startswith("'") and part.endswith("'") and len(part) >= 2:
                part = unquote_structured(part)
            return typed_value(index_field, part)

        return ValueRange(index_field.name, bound(low_text), bound(high_text), text[0] == "[", text[-1] == "]", boost)


def parse_structured(text: str, options: QueryOptions, index_fields: dict[str, IndexField]) -> Query:
    """The structured parser: (and ...), (or ...), (not ...), (term|phrase|prefix|range field=f ...),
    field:'value', 'value' (default fields), matchall. QuerySyntaxError on anything malformed."""
    return _StructuredParser(text, options, index_fields).parse()
