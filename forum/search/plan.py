"""From a parsed query to what the engine is asked: the Whoosh query, its exclusions and the
column values a match must have."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from whoosh import query as wq
from whoosh.util.times import datetime_to_long

from forum.search import analysis
from forum.search.engine import scoring
from forum.search.language import ParsedQuery
from forum.search.schema import FILE, POST

TEXT_FIELDS = ("title", "body")

# --- Building Whoosh queries -----------------------------------------------------------------


def _word_query(terms: list[str], *, prefix: bool = False) -> wq.Query:
    clauses = []
    for i, term in enumerate(terms):
        last = i == len(terms) - 1
        if prefix and last:
            clauses.append(wq.Or([wq.Prefix(f, term) for f in TEXT_FIELDS]))
        else:
            clauses.append(wq.Or([wq.Term(f, term) for f in TEXT_FIELDS]))
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


PHRASE_FIELDS = ("title", "body_phrase")  # the text fields with positions


def _phrase_query(terms: list[str]) -> wq.Query:
    if len(terms) == 1:
        return _word_query(terms)
    return wq.Or([wq.Phrase(f, terms) for f in PHRASE_FIELDS])


# Filters on a handful of values (a region holds a sixth of the forum) are checked on each
# matching post's column rather than read as posting lists: "barn region:midtjylland" would
# otherwise read the region's 17,000 postings for every query. Filters on many small values
# (a municipality, an author) stay in the query, where their short lists lead the way.
_COLUMN_FILTERS = ("region", "theme", "kind", "year", "answered")


def _created_bounds(parsed: ParsedQuery) -> tuple[datetime | None, datetime | None] | None:
    if not (parsed.after or parsed.before):
        return None
    start = datetime.combine(parsed.after, time.min) if parsed.after else None
    end = datetime.combine(parsed.before, time.max) if parsed.before else None
    return start, end


@dataclass
class Ask:
    """What to find, what to leave out, and which column values a match must have.

    Exclusions are kept apart (Whoosh's AndNot matcher can let an excluded document through),
    and applied as sets of documents; ``keep`` and ``created`` are checked on each match."""

    find: wq.Query
    leave_out: list[wq.Query] = field(default_factory=list)
    keep: dict[str, frozenset[str]] = field(default_factory=dict)
    created: tuple[datetime | None, datetime | None] | None = None

    def excluded(self, searcher: Any) -> set[int]:
        found: set[int] = set()
        for q in self.leave_out:
            found.update(searcher.docs_for_query(q))
        return found

    def check(self, reader: Any) -> Callable[[int], bool] | None:
        """Whether a document of this segment has the kept values (None: nothing to check)."""
        tests = [(scoring.arrays.column(reader, name), ok) for name, ok in self.keep.items()]
        if self.created is None:
            if not tests:
                return None
            if len(tests) == 1:
                values, ok = tests[0]
                return lambda doc: values[doc] in ok
            return lambda doc: all(values[doc] in ok for values, ok in tests)
        start, end = self.created
        low = datetime_to_long(start) if start else -math.inf
        # A document without a time reads as the column's largest number: never in range.
        high = datetime_to_long(end or datetime.max)
        created = scoring.arrays.column(reader, "created")
        return lambda doc: (
            low <= created[doc] <= high and all(values[doc] in ok for values, ok in tests)
        )


def build(parsed: ParsedQuery, *, any_word: bool = False) -> Ask | None:
    """The Whoosh query; ``any_word`` asks for some of the words rather than all."""
    words = [
        _word_query(terms, prefix=word.endswith("*"))
        for word, terms in ((w, analysis.terms(w.rstrip("*"))) for w in parsed.words)
        if terms
    ]
    phrases = [_phrase_query(terms) for terms in parsed.phrase_terms()]
    positive: list[wq.Query] = []
    if any_word and len(words) > 1:
        positive.append(wq.Or(words))
    else:
        positive.extend(words)
    positive.extend(phrases)
    keep: dict[str, frozenset[str]] = {}
    filters = {name: list(dict.fromkeys(values)) for name, values in parsed.filters.items()}
    for name, values in filters.items():
        if name not in _COLUMN_FILTERS:
            positive.append(_any_term(name, values))
    created = _created_bounds(parsed)
    if positive:  # something else leads: check the broad filters on its matches
        keep = {n: frozenset(v) for n, v in filters.items() if n in _COLUMN_FILTERS}
    else:  # only broad filters: their postings are what is asked for
        positive.extend(_any_term(n, v) for n, v in filters.items() if n in _COLUMN_FILTERS)
        if created is not None:
            positive.append(wq.DateRange("created", *created))
            created = None
    if not positive:
        if not (parsed.excluded or parsed.excluded_filters):
            return None
        positive.append(wq.Or([wq.Term("doctype", POST), wq.Term("doctype", FILE)]))
    ask = Ask(positive[0] if len(positive) == 1 else wq.And(positive), keep=keep, created=created)
    for name, values in parsed.excluded_filters.items():
        ask.leave_out.append(_any_term(name, list(dict.fromkeys(values))))
    for item in parsed.excluded:
        terms = analysis.terms(item.rstrip("*"))
        if terms:
            ask.leave_out.append(_phrase_query(terms) if " " in item else _word_query(terms))
    return ask


def _any_term(name: str, values: list[str]) -> wq.Query:
    terms = [wq.Term(name, value) for value in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)
