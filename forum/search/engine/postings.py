"""Reading word queries block by block: the fast path of ``scan.scan``.

Whoosh answers a query through a tree of matchers that step one posting at a time; for the
queries members type (words, each in the title or the text; all of them, or some) most of
the time went into that stepping: several method calls per posting and per level of the tree,
about 8 µs a posting. Here the same query tree is evaluated a range of documents at a time:
each word's postings are taken from Whoosh's posting reader a block (128 postings) at a time,
the column filters are checked on them, the survivors are scored with Whoosh's own scorer
(BM25F, same numbers), and the words are combined with set operations on dicts. Queries with
anything else in them (phrases, prefixes, author and date terms, boosts) keep the matcher
path; the search tests check that both paths give the same matches and scores.

The block reader reaches into Whoosh's ``W3LeafMatcher`` only through ``engine.internals``; a
posting list read some other way (a term with one posting is stored inline), or a Whoosh
without those internals, is stepped through with the public matcher methods.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

from whoosh import query as wq
from whoosh import scoring as whoosh_scoring
from whoosh.matching import FilterMatcher

from forum.search.engine import internals, scoring

_TEXT_FIELDS = ("title", "body")

Keep = Callable[[int], bool] | None
Docs = AbstractSet[int]  # a set, or a dict's keys


class _Term:
    """One word in one field of one segment: its posting reader, kept open between ranges."""

    def __init__(self, leaf: Any, fieldname: str, text: bytes, scorer: Any) -> None:
        reader = leaf.reader()
        matcher = reader.postings(fieldname, text)
        self.deleted: frozenset[int] = frozenset()
        deleted = getattr(reader, "deleted_docs_set", None)  # cached by the segment reader
        if isinstance(matcher, FilterMatcher) and deleted:
            # A segment with deleted documents: Whoosh wraps the reader in a filter that
            # steps one posting at a time; read the blocks and leave those documents out here.
            # (Without the set, the filter stays: no blocks, one posting at a time.)
            matcher, self.deleted = matcher.child, frozenset(deleted)
        self.matcher = matcher
        self.blocks = internals.has_blocks(self.matcher)
        self.score = internals.raw_scorer(scorer)
        self.lengths = scoring.arrays.lengths(reader, fieldname)

    def postings(self, low: int, high: int) -> tuple[list[int], list[float]]:
        """Document numbers and weights of the postings in [low, high), deleted ones left out."""
        ids, weights = self._read(low, high)
        if self.deleted:
            deleted = self.deleted
            kept = [i for i, doc in enumerate(ids) if doc not in deleted]
            ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
        return ids, weights

    def _read(self, low: int, high: int) -> tuple[list[int], list[float]]:
        m = self.matcher
        ids: list[int] = []
        weights: list[float] = []
        if not m.is_active():
            return ids, weights
        if m.id() < low:
            m.skip_to(low)
        if not self.blocks:
            while m.is_active() and m.id() < high:
                ids.append(m.id())
                weights.append(m.weight())
                m.next()
            return ids, weights
        internals.read_range(m, high, ids, weights)
        return ids, weights

    def find(self, low: int, high: int, keep: Keep) -> Docs:
        ids, weights = self.postings(low, high)
        if keep is not None:
            kept = [i for i, doc in enumerate(ids) if keep(doc)]
            ids = [ids[i] for i in kept]
            weights = [weights[i] for i in kept]
        self.found = dict(zip(ids, weights, strict=True))
        return self.found.keys()

    def add_scores(self, docs: Docs, scores: dict[int, float]) -> None:
        found, score, lengths = self.found, self.score, self.lengths
        if len(found) < len(docs):
            pairs = [(doc, w) for doc, w in found.items() if doc in docs]
        else:
            pairs = [(doc, found[doc]) for doc in docs if doc in found]
        for doc, w in pairs:
            scores[doc] = scores.get(doc, 0.0) + score(w, lengths[doc])


class _Empty:
    found: dict[int, float] = {}

    def find(self, low: int, high: int, keep: Keep) -> Docs:
        return self.found.keys()

    def add_scores(self, docs: Docs, scores: dict[int, float]) -> None:
        return None


class _Any:
    """Or: a document matching several parts scores their sum (as Whoosh's union does)."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        self.matched: Docs = set()

    def find(self, low: int, high: int, keep: Keep) -> Docs:
        matched: set[int] = set()
        for part in self.parts:
            matched.update(part.find(low, high, keep))
        self.matched = matched
        return matched

    def add_scores(self, docs: Docs, scores: dict[int, float]) -> None:
        docs = docs & self.matched
        for part in self.parts:
            part.add_scores(docs, scores)


class _All:
    """And: documents every part matches, scoring the sum of the parts. Only the documents
    all parts match are scored (an AND of common words may leave a handful of thousands)."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        self.matched: Docs = set()

    def find(self, low: int, high: int, keep: Keep) -> Docs:
        matched: Docs | None = None
        for part in self.parts:
            found = part.find(low, high, keep)
            matched = set(found) if matched is None else matched & found
            if not matched:  # the other parts' readers skip ahead when next asked
                break
        self.matched = matched or set()
        return self.matched

    def add_scores(self, docs: Docs, scores: dict[int, float]) -> None:
        docs = docs & self.matched
        if docs:
            for part in self.parts:
                part.add_scores(docs, scores)


def read(node: Any, low: int, high: int, keep: Keep, scored: bool) -> dict[int, float]:
    """The documents in [low, high) that ``node`` (made by ``plan``) matches, with their
    scores (0 for all if not ``scored``)."""
    matched = node.find(low, high, keep)
    if not scored:
        return dict.fromkeys(matched, 0.0)
    scores: dict[int, float] = {}
    node.add_scores(matched, scores)
    return scores


def plan(q: wq.Query, leaf: Any, weighting: Any) -> Any | None:
    """A block-at-a-time reader of ``q`` over one segment, or None if ``q`` needs matchers."""
    if q.boost != 1.0:
        return None
    if isinstance(q, wq.Term):
        if q.fieldname not in _TEXT_FIELDS:
            return None
        text = leaf.schema[q.fieldname].to_bytes(q.text)
        if (q.fieldname, text) not in leaf.reader():
            return _Empty()
        scorer = weighting.scorer(leaf, q.fieldname, text)
        if not isinstance(scorer, whoosh_scoring.WeightLengthScorer):
            return None
        return _Term(leaf, q.fieldname, text, scorer)
    if type(q) in (wq.And, wq.Or):
        if isinstance(q, wq.Or) and (q.minmatch or q.scale):
            return None
        parts = [plan(sub, leaf, weighting) for sub in q.subqueries]
        if any(part is None for part in parts):
            return None
        return _All(parts) if isinstance(q, wq.And) else _Any(parts)
    return None
