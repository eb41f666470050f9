"""Reading word queries block by block: the fast path of ``query._scan``.

Whoosh answers a query through a tree of matchers that step one posting at a time; for the
queries members type (words, each in the title or the text; all of them, or some) most of
the time went into that stepping: several method calls per posting and per level of the tree,
about 8 µs a posting. Here the same query tree is evaluated a range of documents at a time:
each word's postings are taken from Whoosh's posting reader a block (128 postings) at a time,
the column filters are checked on them, the survivors are scored with Whoosh's own scorer
(BM25F, same numbers), and the words are combined with set operations on dicts. Queries with
anything else in them (phrases, prefixes, author and date terms, boosts) keep the matcher
path; the search tests check that both paths give the same matches and scores.

The block reader uses attributes of Whoosh's ``W3LeafMatcher`` (``_ids``, ``_weights``, ``_i``,
``_blocklength``, ``_read_ids``, ``_read_weights``, ``_next_block``), present in whoosh-reloaded
2.7.5 and whoosh3 3.54; a posting list read some other way (a term with one posting is stored
inline) is stepped through with the public matcher methods.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh import scoring as whoosh_scoring
from whoosh.matching import FilterMatcher

from forum.search import scoring

_BLOCK_ATTRIBUTES = ("_ids", "_weights", "_i", "_blocklength", "_read_ids", "_read_weights")
_TEXT_FIELDS = ("title", "body")

Keep = Callable[[int], bool] | None


class _Term:
    """One word in one field of one segment: its posting reader, kept open between ranges."""

    def __init__(self, leaf: Any, fieldname: str, text: bytes, scorer: Any) -> None:
        reader = leaf.reader()
        matcher = reader.postings(fieldname, text)
        self.deleted: frozenset[int] = frozenset()
        if isinstance(matcher, FilterMatcher):
            # A segment with deleted documents: Whoosh wraps the reader in a filter that
            # steps one posting at a time; read the blocks and leave those documents out here.
            deleted = getattr(reader, "deleted_docs_set", None)  # cached by the reader
            matcher, self.deleted = matcher.child, frozenset(deleted or reader.deleted_docs())
        self.matcher = matcher
        self.blocks = all(hasattr(self.matcher, name) for name in _BLOCK_ATTRIBUTES)
        self.score = scorer._score
        self.lengths = scoring.arrays.lengths(leaf.reader(), fieldname)

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
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            start, end = m._i, m._blocklength
            block = m._ids
            if block[end - 1] < high:
                ids.extend(block[start:end])
                weights.extend(m._weights[start:end])
                m._next_block()
                continue
            stop = bisect_left(block, high, start, end)
            ids.extend(block[start:stop])
            weights.extend(m._weights[start:stop])
            m._i = stop
            break
        return ids, weights

    def read(self, low: int, high: int, keep: Keep, scored: bool) -> dict[int, float]:
        ids, weights = self.postings(low, high)
        if keep is not None:
            kept = [i for i, doc in enumerate(ids) if keep(doc)]
            ids = [ids[i] for i in kept]
            weights = [weights[i] for i in kept]
        if not scored:
            return dict.fromkeys(ids, 0.0)
        score, lengths = self.score, self.lengths
        return {doc: score(w, lengths[doc]) for doc, w in zip(ids, weights, strict=True)}


class _Empty:
    def read(self, low: int, high: int, keep: Keep, scored: bool) -> dict[int, float]:
        return {}


class _Any:
    """Or: a document matching several parts scores their sum (as Whoosh's union does)."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    def read(self, low: int, high: int, keep: Keep, scored: bool) -> dict[int, float]:
        found: dict[int, float] = {}
        for part in self.parts:
            for doc, score in part.read(low, high, keep, scored).items():
                found[doc] = found.get(doc, 0.0) + score
        return found


class _All:
    """And: documents every part matches, scoring the sum of the parts."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    def read(self, low: int, high: int, keep: Keep, scored: bool) -> dict[int, float]:
        found: dict[int, float] | None = None
        for part in self.parts:
            scores = part.read(low, high, keep, scored)
            if found is None:
                found = scores
            else:
                found = {doc: found[doc] + scores[doc] for doc in found.keys() & scores.keys()}
            if not found:  # the other parts' readers skip ahead when next asked
                return {}
        return found or {}


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
