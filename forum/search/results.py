"""What a search returns: hits, facets, counts, and their JSON shape."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from forum.models import Attachment, Post, Topic
from forum.search.language import ParsedQuery
from forum.search.schema import FILE

PER_PAGE = 10
MAX_PAGE = 100
SORTS = ("relevance", "newest")

# --- Results ---------------------------------------------------------------------------------


@dataclass
class FileHit:
    """The page (slide, sheet) of a file a hit shows."""

    attachment: Attachment
    number: int  # of the page, slide or sheet, from 1
    label: str  # where it is, for members: "side 3", "dias 14"


@dataclass
class Hit:
    """A topic's best matching post, or a file's best matching page (``file``): then
    ``topic`` is the topic it belongs to (its post's, or its meeting's discussion), ``post``
    the post it is attached to (None on a meeting), and ``title`` reads "Bilag: x.pdf, side 3"."""

    topic: Topic
    post: Post | None
    score: float
    other_matches: int  # matching posts of the topic (pages of the file) besides this one
    title: Markup
    snippet: Markup
    file: FileHit | None = None


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
    def files(self) -> int:
        """How many of the ``total`` results are files (the Type facet's count of them)."""
        for facet in self.facets:
            if facet.name == "kind":
                return sum(v.count for v in facet.values if v.value == FILE)
        return 0

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
                "post_id": hit.post.id if hit.post is not None else None,
                "file_id": hit.file.attachment.id if hit.file is not None else None,
                "page": hit.file.number if hit.file is not None else None,
                "title_text": hit.topic.title if hit.file is None else _plain(hit.title),
                "title_html": str(hit.title),
                "snippet_html": str(hit.snippet),
                "score": round(hit.score, 4),
            }
            for hit in results.hits
        ],
    }


def _plain(markup: Markup) -> str:
    return html.unescape(re.sub(r"</?mark>", "", str(markup)))
