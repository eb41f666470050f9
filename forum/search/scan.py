"""Reading the matches: one pass that scores posts, groups them by topic and counts facets."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq

from forum.search.engine import postings, scoring
from forum.search.plan import Ask
from forum.search.schema import FACETS

# A search scores at most about this many matching posts. Past it, the index is read in
# windows spread over all of it (the newest first) until the budget is spent, and counts are
# scaled up from the windows read: "ca. 9.300 emner". Below it everything is exact.
SCAN_BUDGET = 2000
_WINDOWS = 64


def _passes(count: int) -> list[list[int]]:
    """Windows in passes, each in ascending order (one matcher per pass), each pass halving the
    gaps the earlier ones left: the newest window and every 16th, then every 16th from 8, every
    8th from 4, and so on. Stopping after any pass leaves an even spread."""
    step = 16
    first = sorted({*range(0, count, step), count - 1})
    passes, done = [first], set(first)
    while step > 1:
        start = step // 2
        passes.append([i for i in range(start, count, step) if i not in done])
        done.update(passes[-1])
        step //= 2
    return [windows for windows in passes if windows]


@dataclass
class Match:
    """What one pass over the matching posts learns: each one's score, topic and facets."""

    topics: Counter[str] = field(default_factory=Counter)  # topic -> matching posts read
    best: dict[str, tuple[float, int]] = field(default_factory=dict)  # topic -> (score, doc)
    facets: dict[str, Counter[str]] = field(default_factory=dict)
    total: int = 0  # matching topics (estimated if ``estimated``)
    posts: int = 0  # matching posts (estimated if ``estimated``)
    estimated: bool = False
    read: list[tuple[int, int]] = field(default_factory=list)  # ranges read, if estimated
    excluded: set[int] = field(default_factory=set)
    # (topics, docs, created) of each stretch read, for sorting by newest.
    parts: list[tuple[list[str], list[int], list[Any]]] = field(default_factory=list)

    def ranked(self) -> list[tuple[str, int, float]]:
        """(topic, best post, score) by score, best first; ties by newest post."""
        ordered = sorted(self.best.items(), key=lambda item: item[1], reverse=True)
        return [(topic, doc, score) for topic, (score, doc) in ordered]

    def newest(self) -> list[tuple[str, int, float]]:
        """(topic, newest matching post, 0) by that post's time, newest first."""
        newest: dict[str, tuple[Any, int]] = {}
        for topics, docs, created in self.parts:
            for topic, doc, when in zip(topics, docs, created, strict=True):
                seen = newest.get(topic)
                if seen is None or when > seen[0]:
                    newest[topic] = (when, doc)
        ordered = sorted(newest.items(), key=lambda item: item[1], reverse=True)
        return [(topic, doc, 0.0) for topic, (_, doc) in ordered]


def scan(
    searcher: Any,
    ask: Ask,
    excluded: set[int],
    *,
    budget: float | None = None,
    scored: bool = True,
) -> Match:
    """Score the matching posts (BM25F) and, from the same pass, count topics and facet values.

    One pass over each posting list, stepping Whoosh's matchers directly. Queries that can
    match at most ``budget`` posts are read whole and counted exactly; broader ones are read
    window by window (see ``SCAN_BUDGET``) and their counts estimated. The budget counts posts
    that pass the column filters (``Ask.keep``): those are checked before a post is scored.
    """
    budget = SCAN_BUDGET if budget is None else budget
    q = ask.find
    segments = leaves(searcher)
    size = searcher.doc_count_all()
    context = searcher.context(needs_current=True, weighting=searcher.weighting)
    if q.estimate_size(searcher.reader()) <= budget or size < _WINDOWS * 8:
        windows, passes = [(0, size)], [[0]]
    else:
        step = math.ceil(size / _WINDOWS)
        windows = [(i * step, min(size, (i + 1) * step)) for i in range(_WINDOWS)]
        passes = _passes(_WINDOWS)
    seen: list[tuple[dict[str, tuple[Any, ...]], list[int], int, list[float]]] = []
    read: list[tuple[int, int]] = []
    found = 0
    while passes:
        numbers = passes.pop(0)
        for leaf, offset in segments:
            leaf_size = leaf.doc_count_all()
            keep = ask.check(leaf.reader())
            docs: list[int] = []
            scores: list[float] = []
            fast = postings.plan(q, leaf, searcher.weighting)
            matcher = q.matcher(leaf, context) if fast is None else None
            for start, stop in (windows[i] for i in numbers):
                low, high = max(start - offset, 0), min(stop - offset, leaf_size)
                if low >= high:
                    continue
                if fast is not None:
                    found_scores = postings.read(fast, low, high, keep, scored)
                    for doc in sorted(found_scores):
                        if not excluded or doc + offset not in excluded:
                            docs.append(doc)
                            scores.append(found_scores[doc])
                    continue
                assert matcher is not None
                if not matcher.is_active():
                    continue
                if matcher.id() < low:
                    matcher.skip_to(low)
                while matcher.is_active():
                    doc = matcher.id()
                    if doc >= high:
                        break
                    if (not excluded or doc + offset not in excluded) and (
                        keep is None or keep(doc)
                    ):
                        docs.append(doc)
                        scores.append(matcher.score() if scored else 0.0)
                    matcher.next()
            if docs:
                seen.append((scoring.arrays.columns(leaf.reader()), docs, offset, scores))
                found += len(docs)
        read.extend(windows[i] for i in numbers)
        if passes and found > budget:
            match = _count(seen, scale=len(windows) / len(read))
            match.read, match.excluded = sorted(read), excluded
            return match
        if passes and 0 < found * len(windows) / len(read) <= budget:
            # Fewer matches than the size estimate promised (an AND of words, or filters):
            # all of it will be read, and one pass over the rest reads it fastest. (Not when
            # the spread-out first windows found nothing: matches bunched in time, as with
            # år:2023, are then found pass by pass and the budget still holds.)
            passes = [sorted(i for numbers in passes for i in numbers)]
    return _count(seen, scale=1.0)


def _count(
    seen: list[tuple[dict[str, tuple[Any, ...]], list[int], int, list[float]]], *, scale: float
) -> Match:
    """Topics, best posts and facet counts of the posts read; counts times ``scale``."""
    match = Match(facets={name: Counter() for name in FACETS}, estimated=scale != 1.0)
    firsts: dict[str, tuple[dict[str, tuple[Any, ...]], int]] = {}
    pairs: dict[str, set[tuple[str, Any]]] = {"municipality": set(), "year": set()}
    best = match.best
    for columns, docs, offset, scores in seen:
        topics = list(map(columns["topic"].__getitem__, docs))
        match.topics.update(topics)
        for topic, score, doc in zip(topics, scores, docs, strict=True):
            doc += offset
            known = best.get(topic)
            # Equal scores: the later document (higher number) is the newer post.
            if known is None or (score, doc) > known:
                best[topic] = (score, doc)
        for topic, doc in zip(topics, docs, strict=True):
            firsts.setdefault(topic, (columns, doc))
        for name, found in pairs.items():
            found.update(zip(topics, map(columns[name].__getitem__, docs), strict=True))
        created = list(map(columns["created"].__getitem__, docs))
        match.parts.append((topics, [doc + offset for doc in docs], created))
    # Region, theme, kind and answered belong to the topic: counted once per topic.
    for name in ("region", "theme", "kind", "answered"):
        match.facets[name].update(columns[name][doc] for columns, doc in firsts.values())
    # A topic counts once for each municipality and year among its matching posts.
    for name, found in pairs.items():
        match.facets[name].update(value for _, value in found)
    match.total = len(match.topics)
    match.posts = sum(match.topics.values())
    if match.estimated:
        match.total = _about(match.total * scale)
        match.posts = _about(match.posts * scale)
        for counter in match.facets.values():
            for value, count in counter.items():
                counter[value] = _about(count * scale)
    return match


def _about(number: float) -> int:
    """An estimate rounded to two significant digits (9,284.6 -> 9,300)."""
    if number < 100:
        return round(number)
    digits = len(str(int(number))) - 2
    return int(round(number, -digits))


def leaves(searcher: Any) -> list[tuple[Any, int]]:
    """The segments of a searcher with the document number each starts at."""
    return searcher.leaf_searchers()


def matching_posts(searcher: Any, ask: Ask, match: Match, topics: list[str]) -> Counter[str]:
    """The exact number of matching posts in each of ``topics``, after an estimated scan: the
    posts read were counted, the topics' posts outside the windows read are checked here (a
    topic's posts are mostly written close together, so usually there are none)."""
    counts = Counter({topic: match.topics[topic] for topic in topics})

    def was_read(doc: int) -> bool:
        return any(start <= doc < stop for start, stop in match.read)

    outside = sorted(
        doc
        for topic in topics
        for doc in searcher.docs_for_query(wq.Term("topic", topic))
        if not was_read(doc)
    )
    if not outside:
        return counts
    context = searcher.context(needs_current=False, weighting=searcher.weighting)
    for leaf, offset in leaves(searcher):
        local = [doc - offset for doc in outside if 0 <= doc - offset < leaf.doc_count_all()]
        matcher = ask.find.matcher(leaf, context) if local else None
        keep = ask.check(leaf.reader())
        for doc in local:
            if matcher is None or not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
            if (
                matcher.is_active()
                and matcher.id() == doc
                and doc + offset not in match.excluded
                and (keep is None or keep(doc))
            ):
                counts[topic_of(searcher, doc + offset)] += 1
    return counts


def topic_of(searcher: Any, docnum: int) -> str:
    """The topic id of a document, read from the topic column."""
    for leaf, offset in reversed(leaves(searcher)):
        if docnum >= offset:
            return scoring.arrays.column(leaf.reader(), "topic")[docnum - offset]
    raise LookupError(docnum)
