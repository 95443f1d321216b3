"""The in-memory inverted index of one search domain and BM25 scoring of a query tree over it."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime

from devstack.cloudsearch.analysis import tokenize
from devstack.cloudsearch.fields import IndexField
from devstack.cloudsearch.query import (
    AnyField,
    Boolean,
    ExactValue,
    MatchAll,
    MatchNone,
    Query,
    TextPrefix,
    TextTerms,
    Value,
    ValuePrefix,
    ValueRange,
    parse_date,
)

# BM25's usual constants (Lucene's defaults, which CloudSearch uses).
BM25_K1 = 1.2
BM25_B = 0.75
# Positions between two values of a text-array field, so a phrase never spans two values.
ARRAY_VALUE_GAP = 100

Document = dict[str, list[Value]]
Scores = dict[str, float]


def comparable(index_field: IndexField, value: Value) -> Value | datetime:
    """A value as ranges and sorting compare it (dates as instants, not strings)."""
    if index_field.base_type == "date" and isinstance(value, str):
        return parse_date(value)
    return value


class SearchIndex:
    """Documents by id, a positional inverted index per text field, and value lookups for the rest.

    Not thread-safe by itself: the domain holds a lock around every use.
    """

    def __init__(self, fields: dict[str, IndexField]) -> None:
        self.documents: dict[str, Document] = {}
        self._empty(fields)

    def _empty(self, fields: dict[str, IndexField]) -> None:
        self.fields = fields
        self._postings: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(lambda: defaultdict(dict))
        self._lengths: dict[str, dict[str, int]] = defaultdict(dict)
        self._total_lengths: dict[str, int] = defaultdict(int)
        self._values: dict[str, dict[Value, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._sorted_terms: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.documents)

    # --- writes ----------------------------------------------------------------------------------

    def put(self, document_id: str, document: Document) -> None:
        """Add the document, replacing every field of one with the same id."""
        self.remove(document_id)
        self.documents[document_id] = document
        for name, values in document.items():
            index_field = self.fields.get(name)
            if index_field is None:
                continue  # a field since deleted from the schema: kept, not searchable
            if index_field.is_text:
                position = 0
                for value in values:
                    for term in tokenize(str(value)):
                        self._postings[name][term].setdefault(document_id, []).append(position)
                        position += 1
                    position += ARRAY_VALUE_GAP
                length = position - ARRAY_VALUE_GAP * len(values)
                self._lengths[name][document_id] = length
                self._total_lengths[name] += length
                self._sorted_terms.pop(name, None)
            else:
                for value in values:
                    self._values[name][value].add(document_id)

    def remove(self, document_id: str) -> None:
        document = self.documents.pop(document_id, None)
        if document is None:
            return
        for name, values in document.items():
            index_field = self.fields.get(name)
            if index_field is None:
                continue
            if index_field.is_text:
                postings = self._postings[name]
                for value in values:
                    for term in tokenize(str(value)):
                        documents = postings.get(term)
                        if documents is not None:
                            documents.pop(document_id, None)
                            if not documents:
                                del postings[term]
                self._total_lengths[name] -= self._lengths[name].pop(document_id, 0)
                self._sorted_terms.pop(name, None)
            else:
                for value in values:
                    holders = self._values[name].get(value)
                    if holders is not None:
                        holders.discard(document_id)
                        if not holders:
                            del self._values[name][value]

    def rebuild(self, fields: dict[str, IndexField]) -> None:
        """Index every document again under new field definitions (CloudSearch's IndexDocuments)."""
        documents, self.documents = self.documents, {}
        self._empty(fields)
        for document_id, document in documents.items():
            self.put(document_id, document)

    # --- reads -----------------------------------------------------------------------------------

    def evaluate(self, query: Query) -> Scores:
        """The matching document ids with their scores."""
        match query:
            case MatchAll(boost=boost):
                return dict.fromkeys(self.documents, boost)
            case MatchNone():
                return {}
            case TextTerms():
                return self._text_terms(query)
            case TextPrefix():
                return self._text_prefix(query)
            case ExactValue(field=name, value=value, boost=boost):
                return dict.fromkeys(self._values[name].get(value, ()), boost)
            case ValuePrefix(field=name, prefix=prefix, boost=boost):
                return {
                    document_id: boost
                    for value, holders in self._values[name].items()
                    if isinstance(value, str) and value.startswith(prefix)
                    for document_id in holders
                }
            case ValueRange():
                return self._range(query)
            case AnyField(queries=queries, tie_breaker=tie_breaker):
                return self._any_field([self.evaluate(sub) for sub in queries], tie_breaker)
            case Boolean():
                return self._boolean(query)
        raise TypeError(f"unknown query node {query!r}")

    def _idf(self, name: str, term: str) -> float:
        total = len(self.documents)
        frequency = len(self._postings[name].get(term, ()))
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def _bm25(self, name: str, document_id: str, frequency: int, idf: float) -> float:
        lengths = self._lengths[name]
        average = (self._total_lengths[name] / len(lengths)) if lengths else 1.0
        normalised = 1 - BM25_B + BM25_B * lengths.get(document_id, 0) / (average or 1.0)
        return idf * frequency * (BM25_K1 + 1) / (frequency + BM25_K1 * normalised)

    def _text_terms(self, query: TextTerms) -> Scores:
        postings = self._postings[query.field]
        per_term = [postings.get(term, {}) for term in query.terms]
        if not per_term or not all(per_term):
            return {}
        candidates = set(per_term[0]).intersection(*per_term[1:])
        idf = sum(self._idf(query.field, term) for term in query.terms)
        scores: Scores = {}
        for document_id in candidates:
            frequency = _phrase_frequency([documents[document_id] for documents in per_term], query.slop)
            if frequency:
                scores[document_id] = query.boost * self._bm25(query.field, document_id, frequency, idf)
        return scores

    def _text_prefix(self, query: TextPrefix) -> Scores:
        terms = self._sorted_terms.get(query.field)
        if terms is None:
            terms = self._sorted_terms[query.field] = sorted(self._postings[query.field])
        scores: Scores = {}
        # Like Lucene's prefix queries, every matching document scores the same (the boost).
        for term in terms[bisect_left(terms, query.prefix) :]:
            if not term.startswith(query.prefix):
                break
            matches = self._text_terms(TextTerms(query.field, (*query.before, term), 0, query.boost))
            for document_id in matches:
                scores[document_id] = query.boost
        return scores

    def _range(self, query: ValueRange) -> Scores:
        index_field = self.fields[query.field]
        low = None if query.low is None else comparable(index_field, query.low)
        high = None if query.high is None else comparable(index_field, query.high)
        matched: set[str] = set()
        for value, holders in self._values[query.field].items():
            key = comparable(index_field, value)
            if low is not None and (key < low or (key == low and not query.include_low)):  # type: ignore[operator]
                continue
            if high is not None and (key > high or (key == high and not query.include_high)):  # type: ignore[operator]
                continue
            matched |= holders
        return dict.fromkeys(matched, query.boost)

    @staticmethod
    def _any_field(results: list[Scores], tie_breaker: float) -> Scores:
        combined: dict[str, list[float]] = defaultdict(list)
        for result in results:
            for document_id, score in result.items():
                combined[document_id].append(score)
        return {
            document_id: max(scores) + tie_breaker * (sum(scores) - max(scores))
            for document_id, scores in combined.items()
        }

    def _boolean(self, query: Boolean) -> Scores:
        scores: Scores | None = None
        for clause in query.must:
            result = self.evaluate(clause)
            scores = (
                dict(result)
                if scores is None
                else {
                    document_id: score + result[document_id]
                    for document_id, score in scores.items()
                    if document_id in result
                }
            )
            if not scores:
                return {}
        if query.should:
            optional: Scores = {}
            for clause in query.should:
                for document_id, score in self.evaluate(clause).items():
                    optional[document_id] = optional.get(document_id, 0.0) + score
            if scores is None:
                scores = optional
            else:
                scores = {document_id: score + optional.get(document_id, 0.0) for document_id, score in scores.items()}
        if scores is None:
            return {}
        for clause in query.must_not:
            for document_id in self.evaluate(clause):
                scores.pop(document_id, None)
        if query.boost != 1.0:
            scores = {document_id: score * query.boost for document_id, score in scores.items()}
        return scores


def _phrase_frequency(positions: list[list[int]], slop: int) -> int:
    """How often the terms occur in order, each within `slop` extra positions of the one before."""
    if len(positions) == 1:
        return len(positions[0])
    later = [set(term_positions) for term_positions in positions[1:]]
    count = 0
    for start in positions[0]:
        current = start
        for term_positions in later:
            following = next(
                (candidate for candidate in range(current + 1, current + 2 + slop) if candidate in term_positions),
                None,
            )
            if following is None:
                break
            current = following
        else:
            count += 1
    return count
