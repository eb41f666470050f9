"""Random draws for generated content: which region, theme and kind a topic gets, and when
its posts are written.

Decks deal exact shares even in small runs; post times spread a topic's posts from its start
towards now, strictly increasing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from forum.models import Region

T = TypeVar("T")

NATIONAL_SHARE = 0.10  # of topics, in the national region (if there is one)
MEAN_REPLY_GAP = 20 * 3600.0  # seconds between posts in a topic, on average


class Deck(Generic[T]):
    """Draws cards without replacement and reshuffles when empty: exact shares, even in
    small runs (every region, theme and kind appears once a deck has been dealt)."""

    def __init__(self, rng: random.Random, make: Callable[[], list[T]]) -> None:
        self._rng = rng
        self._make = make
        self._cards: list[T] = []

    def draw(self) -> T:
        if not self._cards:
            self._cards = self._make()
            self._rng.shuffle(self._cards)
        return self._cards.pop()


def new_region_deck(rng: random.Random, regions: Sequence[Region]) -> Deck[Region]:
    national = [r for r in regions if r.is_national]
    regional = [r for r in regions if not r.is_national] or list(regions)

    def make() -> list[Region]:
        size = 20
        cards = national * round(size * NATIONAL_SHARE) if national else []
        free = size - len(cards)
        cards += regional * (free // len(regional))
        cards += rng.sample(regional, free % len(regional))
        return cards

    return Deck(rng, make)


def spread(rng: random.Random, start: datetime, now: datetime, count: int) -> list[datetime]:
    """Times of a topic's ``count`` posts: from start, strictly increasing, never after now."""
    gaps = [60 + rng.expovariate(1 / MEAN_REPLY_GAP) for _ in range(count - 1)]
    room = (now - start).total_seconds() - count
    scale = min(1.0, room / sum(gaps)) if gaps and room > 0 else (1.0 if gaps else 0.0)
    times = [start]
    offset = 0.0
    last = 0
    for gap in gaps:
        offset += gap * scale
        # Whole seconds, at least one apart: numbering and time order always agree.
        last = max(last + 1, int(offset))
        times.append(start + timedelta(seconds=last))
    return times
