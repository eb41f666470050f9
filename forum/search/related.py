"""Related topics: a few topics that talk about the same things as a topic, cheaply.

The first version asked Whoosh for "more like this": twelve key terms in both text fields
through the generic matchers, near-stop words such as *hvordan*, *kom* and *god* among them, so
a topic page read hundreds of thousands of postings (98 % of its time). Here the work is
bounded whatever the volume:

- the key terms are the topic's words (title twice, then the opening post, cut at
  ``MAX_TEXT_CHARS``) weighted by tf × idf, leaving out words in more than one in
  ``COMMON_SHARE`` of the documents (they say nothing about what a topic is about);
- each text field gets at most ``MAX_TERMS`` of them, best-weighted first within a budget of
  postings (``TITLE_BUDGET``, ``BODY_BUDGET``): the number of postings read has a ceiling;
- the postings are read a block at a time (the search path's block reader), a post scores the
  weights (idf) of the key terms it has, a title match twice, and a topic as its best post;
- the answer is kept per index generation (the indexer's cursor): a topic seen again before
  the index changes costs a dictionary look-up.

Visibility is checked on the topics found, in SQL and with the permission policy, so a
deleted topic never shows even before the indexer has applied the deletion.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import Counter, defaultdict
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from whoosh import query as wq

from forum import permissions
from forum.lists import topic_counts
from forum.markup import text_of_html
from forum.models import Post, Topic
from forum.search.engine import postings, scoring
from forum.search.indexer import SearchIndex
from forum.search.schema import TITLE_BOOST

MAX_TEXT_CHARS = 5_000  # of the opening post: enough to say what it is about, bounded
COMMON_SHARE = 20  # a word in more than 1/20 of the documents is too common to relate topics
MAX_TERMS = 8  # per text field
TITLE_BUDGET = 1_200  # postings read in the title field, at most
BODY_BUDGET = 800  # postings read in the body field, at most
CACHE_SIZE = 4_096  # topics remembered per index generation (per process)

_cache_lock = threading.Lock()
_cache: dict[tuple[str, int], dict[int, list[int]]] = {}


def key_terms(searcher: Any, text: str, topics: int) -> dict[str, list[tuple[str, float]]]:
    """The words of ``text`` worth matching, per text field, with their weights (idf).

    ``topics`` is the number of topics (one title document each), for the title field's
    share of common words; the body field's is taken over all documents."""
    analyzer = searcher.schema["body"].analyzer
    counts = Counter(token.text for token in analyzer(text[: MAX_TEXT_CHARS * 2]))
    documents = max(searcher.doc_count(), 1)
    chosen: dict[str, list[tuple[str, float]]] = {}
    for field, budget, total in (
        ("title", TITLE_BUDGET, max(topics, 1)),
        ("body", BODY_BUDGET, documents),
    ):
        common = max(5, total // COMMON_SHARE)
        candidates = []
        for word, count in counts.items():
            df = searcher.doc_frequency(field, word)
            if 2 <= df <= common:
                idf = math.log(total / df) + 1.0
                # At most three uses count: a word repeated 3,000 times is not 3,000 times
                # more telling.
                candidates.append((min(count, 3) * idf, word, df, idf))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        words: list[tuple[str, float]] = []
        spent = 0
        for _, word, df, idf in candidates:
            if len(words) == MAX_TERMS:
                break
            if spent + df <= budget:
                words.append((word, idf))
                spent += df
        chosen[field] = words
    return chosen


def related_ids(searcher: Any, topic_id: int, text: str, topics: int, limit: int) -> list[int]:
    """Ids of the topics whose posts best match ``text``'s key terms, best first.

    A post scores the sum of the weights of the key terms it has (a title match twice): no
    BM25 per posting, since only the order of a handful of topics matters here."""
    terms = key_terms(searcher, text, topics)
    own = str(topic_id)
    best: dict[str, float] = {}
    for leaf, _offset in searcher.leaf_searchers():
        end = leaf.doc_count_all()
        scores: defaultdict[int, float] = defaultdict(float)
        for field, words in terms.items():
            boost = TITLE_BOOST if field == "title" else 1.0
            for word, weight in words:
                node = postings.plan(wq.Term(field, word), leaf, searcher.weighting)
                if node is None:  # cannot happen for a plain word; never take the slow path
                    continue
                weight *= boost
                for doc in postings.read(node, 0, end, None, False):
                    scores[doc] += weight
        column = scoring.arrays.column(leaf.reader(), "topic")
        for doc, score in scores.items():
            topic = column[doc]
            if score > best.get(topic, 0.0):
                best[topic] = score
    best.pop(own, None)
    # Topics only: a file's pages are grouped under the file, not a topic id.
    best = {topic: score for topic, score in best.items() if topic.isdigit()}
    # The best few by score; among them, ties go to the older topic (so the answer does not
    # depend on the order of the segments).
    top = heapq.nlargest(limit * 2, best.items(), key=itemgetter(1))
    top.sort(key=lambda item: (-item[1], int(item[0])))
    return [int(topic) for topic, _ in top[:limit]]


def _cached(index: SearchIndex, generation: int) -> dict[int, list[int]]:
    key = (str(index.directory), generation)
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            # A new generation: the answers of the old one may be wrong now; drop them.
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            found = _cache[key] = {}
        elif len(found) >= CACHE_SIZE:
            found.clear()
        return found


def related(
    session: Session, index: SearchIndex, user: Any, topic: Topic, *, limit: int = 5
) -> list[Topic]:
    """Up to ``limit`` visible topics that talk about the same things as ``topic``."""
    if not permissions.can(user, permissions.SEARCH) or not index.is_usable():
        return []
    # One searcher for the cursor and the reading: another process's commit must not close it.
    searcher = index.searcher()
    remembered = _cached(index, index.cursor(searcher))
    found = remembered.get(topic.id)
    if found is None:
        first = session.scalar(select(Post).where(Post.topic_id == topic.id, Post.number == 1))
        if first is None:
            return []
        text = f"{topic.title}\n{topic.title}\n{text_of_html(first.html)[:MAX_TEXT_CHARS]}"
        topics = topic_counts(session, user).total  # titles: counted once per change
        # A few more than shown, so that topics the member may not see can be left out.
        found = related_ids(searcher, topic.id, text, topics, limit + 5)
        remembered[topic.id] = found
    if not found:
        return []
    topics_by_id = {
        t.id: t
        for t in session.scalars(
            select(Topic)
            .where(Topic.id.in_(found), permissions.visible_topics(user))
            .options(joinedload(Topic.region))
        )
    }
    shown = [
        topics_by_id[i]
        for i in found
        if i in topics_by_id and permissions.can(user, permissions.VIEW, topics_by_id[i])
    ]
    return shown[:limit]
