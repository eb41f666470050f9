"""The one place that touches Whoosh's private attributes (the fast path of searching).

``postings`` reads a posting list a block at a time through :func:`read_range`, scores with
:func:`raw_scorer`, and ``scoring`` installs :func:`_skip_within_block` as the posting
reader's ``skip_to``. They rely on attributes of ``W3LeafMatcher`` and ``WeightLengthScorer``
that whoosh-reloaded 2.7.5 and whoosh3 (the versions pinned in setup.cfg and the Makefile, both
tested) have. On any other version that lacks them the fast path is off: searches give the
same answers through Whoosh's public matchers, more slowly, and this is logged once and shown
by ``flask search status``.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from whoosh import scoring as whoosh_scoring
from whoosh.codec import whoosh3
from whoosh.matching import ReadTooFar

log = logging.getLogger(__name__)

BLOCK_ATTRIBUTES = (
    "_ids",
    "_weights",
    "_i",
    "_blocklength",
    "_read_ids",
    "_read_weights",
    "_next_block",
)
_SKIP_NEEDS = ("skip_to", "block_max_id", "_read_ids", "_skip_to_block", "_next_block")
# Attributes defined on the class (the others, _ids, _weights, _i, _blocklength, are set on
# each instance and are checked per matcher by ``has_blocks``).
_CLASS_LEVEL = ("_read_weights", *_SKIP_NEEDS)


def _check() -> tuple[bool, str]:
    matcher = getattr(whoosh3, "W3LeafMatcher", None)
    if matcher is None:
        return False, "whoosh.codec.whoosh3.W3LeafMatcher is missing"
    missing = [name for name in _CLASS_LEVEL if not hasattr(matcher, name)]
    if missing:
        return False, f"W3LeafMatcher lacks {', '.join(missing)}"
    if not hasattr(whoosh_scoring.WeightLengthScorer, "_score"):
        return False, "WeightLengthScorer lacks _score"
    return True, ""


_FAST, _WHY_NOT = _check()
_logged = False


def fast_path() -> tuple[bool, str]:
    """Whether the block reader is on, and if not, why (logged once per process)."""
    global _logged
    if not _FAST and not _logged:
        _logged = True
        log.warning("Search fast path is off (%s): searches will be slower", _WHY_NOT)
    return _FAST, _WHY_NOT


def has_blocks(matcher: Any) -> bool:
    """Whether ``matcher`` can be read a block at a time."""
    return _FAST and all(hasattr(matcher, name) for name in BLOCK_ATTRIBUTES)


def raw_scorer(scorer: Any) -> Callable[[float, int], float]:
    """The scorer's function of (weight, field length), without the per-call matcher lookups."""
    return scorer._score


def read_range(m: Any, high: int, ids: list[int], weights: list[float]) -> None:
    """Append the ids and weights of ``m``'s postings before ``high`` (``m`` already at or past
    the range's start), block by block, leaving ``m`` at the first posting not read."""
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


def _skip_within_block(self: Any, target: int) -> None:
    """W3LeafMatcher.skip_to, with a bisection inside the block (same result, faster)."""
    if not self.is_active():
        raise ReadTooFar
    if target <= self.id():
        return
    if target > self.block_max_id():
        self._skip_to_block(lambda: target > self.block_max_id())
        if not self.is_active():
            return
    if self._ids is None:
        self._read_ids()
    self._i = bisect_left(self._ids, target, self._i, self._blocklength)
    if self._i == self._blocklength:
        self._next_block()


def install_skip() -> None:
    """Replace W3LeafMatcher.skip_to by the bisecting skip, where the reader allows it."""
    if _FAST:
        whoosh3.W3LeafMatcher.skip_to = _skip_within_block


def skip_installed() -> bool:
    """Whether the bisecting skip is in use."""
    return getattr(whoosh3, "W3LeafMatcher", None) is not None and (
        whoosh3.W3LeafMatcher.skip_to is _skip_within_block
    )
