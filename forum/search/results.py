"""What a search returns: hits, facets, counts, and their JSON shape."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from forum.models import Post, Topic
from forum.search.language import ParsedQuery

PER_PAGE = 10
MAX_PAGE = 100
SORTS = ("relevance", "newest")

# --- Results ---------------------------------------------------------------------------------


@dataclass
class Hit:
    topic: Topic
    post: Post
    score: float
    other_matches: int  # matching posts of the topic besides the one shown
    title: Markup
    snippet: Markup


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class Results:
    query: ParsedQuery
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matching topics
    posts: int = 0  # matching posts
    page: int = 1
    per_page: int = PER_PAGE
    sort: str = "relevance"
    facets: list[Facet] = field(default_factory=list)
    suggestion: str | None = None  # the whole query, corrected
    some_words: bool = False  # no post had every word: these have some of them
    unavailable: bool = False  # no index (yet)
    estimated: bool = False  # a broad search: total, posts and facet counts are estimates
    reachable: int = 0  # topics that can be paged to (an estimated total counts more)

    @property
    def pages(self) -> int:
        pageable = min(self.total, self.reachable) if self.estimated else self.total
        return min(MAX_PAGE, max(1, math.ceil(pageable / self.per_page)))


def results_json(results: Results) -> dict[str, Any]:
    """The JSON shape of results, shared by `flask search query --json` and /search.json.

    Each text field says what it holds: ``*_text`` is plain text (escape it before putting it
    in HTML), ``*_html`` is escaped HTML whose only tag is ``<mark>`` (insert it as HTML)."""
    return {
        "total": results.total,
        "results": [
            {
                "topic_id": hit.topic.id,
                "post_id": hit.post.id,
                "title_text": hit.topic.title,
                "title_html": str(hit.title),
                "snippet_html": str(hit.snippet),
                "score": round(hit.score, 4),
            }
            for hit in results.hits
        ],
    }
