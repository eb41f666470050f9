"""Reading the index fast: per-segment arrays read once and kept, and a quicker skip.

Whoosh segments never change once written (deletions live apart from them), so what is read
from one can be kept for as long as the segment exists. Whoosh's BM25F looks up a document's
field length through the reader for every posting it scores; reading each field's lengths
into a list once makes ranking about three times faster with exactly the same scores.

Whoosh's posting reader skips to a document by stepping through the current block one posting
at a time; ``internals`` installs a skip that finds the place by bisection instead (same
result, and an AND of common words gets several times faster), where the reader allows it.
"""

from __future__ import annotations

import threading
from typing import Any

from whoosh import scoring

from forum.search.engine import internals
from forum.search.schema import FACETS

_MAX_SEGMENTS = 256


class SegmentArrays:
    """Tuples indexed by a segment's document numbers, read on first use.

    Tuples, not lists: a tuple of strings and numbers is dropped from the garbage collector's
    watch after its first collection, while every full collection walks every item of every
    list (a million items for 100,000 posts, tens of milliseconds added to some searches)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    def _get(self, reader: Any, name: str, read: Any) -> tuple[Any, ...]:
        segment = reader.segment() if hasattr(reader, "segment") else None
        key = (segment.segment_id() if segment is not None else str(id(reader)), name)
        values = self._cache.get(key)
        if values is None:
            values = read()
            with self._lock:
                if len(self._cache) > _MAX_SEGMENTS * 16:
                    self._cache.clear()
                self._cache[key] = values
        return values

    def column(self, reader: Any, name: str) -> tuple[Any, ...]:
        """A sortable field's value for every document; ``created`` as raw numbers (they sort
        like the dates, and the meta document has none)."""
        raw = name == "created"

        def read() -> tuple[Any, ...]:
            values = reader.column_reader(name, translate=not raw)
            if raw:
                return tuple(values)
            # Few distinct values (topics, slugs, years): one object each, not one per document.
            shared: dict[Any, Any] = {}
            return tuple(shared.setdefault(value, value) for value in values)

        return self._get(reader, f"column:{name}", read)

    def columns(self, reader: Any) -> dict[str, tuple[Any, ...]]:
        return {name: self.column(reader, name) for name in ("topic", "created", *FACETS)}

    def lengths(self, reader: Any, fieldname: str) -> tuple[int, ...]:
        def read() -> tuple[int, ...]:
            length = reader.doc_field_length
            return tuple(length(doc, fieldname, 1) for doc in range(reader.doc_count_all()))

        return self._get(reader, f"length:{fieldname}", read)


arrays = SegmentArrays()


class BM25F(scoring.BM25F):
    """Whoosh's BM25F, reading field lengths from ``arrays`` instead of the reader."""

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if isinstance(scorer, scoring.WeightLengthScorer):
            scorer.dfl = arrays.lengths(searcher.reader(), fieldname).__getitem__
        return scorer


internals.install_skip()
