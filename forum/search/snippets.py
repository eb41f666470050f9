"""Snippets: the passages of a post that match, and the title, with matching words marked.

This module finds *where* the words are (Danish-aware: *anbringelserne* and
*netværksanbringelse* are marked for *anbringelse*); :func:`forum.markup.highlighted` makes
the HTML, so user text becomes HTML in one place only.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from whoosh import highlight

from forum.markup import highlighted
from forum.search import analysis

SNIPPET_CHARS = 240
# Highlighting reads at most this much of a post: a snippet shows two short passages, and the
# analyzer's work grows with the text (every token is stemmed and looked up).
MAX_HIGHLIGHT_CHARS = 50_000

Passage = tuple[int, int, list[tuple[int, int]]]

_ANALYZER = analysis.DanishAnalyzer()


class _Spans(highlight.Formatter):
    """Whoosh's fragments as (start, end, marked spans), in text order, no HTML."""

    def format(self, fragments: list[Any], replace: bool = False) -> list[Passage]:
        return [
            (
                fragment.startchar,
                fragment.endchar,
                [(t.startchar, t.endchar) for t in fragment.matches],
            )
            for fragment in sorted(fragments, key=lambda f: f.startchar)
        ]


def passages(
    text: str, terms: set[str], fragmenter: Any, *, top: int, minscore: int = 1
) -> list[Passage]:
    """Where ``terms`` occur in ``text``: up to ``top`` passages with their matching words."""
    if not terms:
        return []
    found = highlight.highlight(
        text[:MAX_HIGHLIGHT_CHARS],
        terms,
        _ANALYZER,
        fragmenter,
        _Spans(),
        top=top,
        minscore=minscore,
    )
    return found or []


def snippet(text: str, terms: set[str], *, length: int = SNIPPET_CHARS) -> Markup:
    """The passages of ``text`` that match, with the matching words marked (HTML)."""
    text = " ".join(text.split())
    fragmenter = highlight.ContextFragmenter(maxchars=length // 2 + 20, surround=60)
    found = passages(text, terms, fragmenter, top=2)
    if found:
        return highlighted(text, found, lead=found[0][0] > 0, trail=True)
    if len(text) <= length:
        return highlighted(text, [(0, len(text), [])])
    cut = text[:length].rsplit(" ", 1)[0]
    return highlighted(cut, [(0, len(cut), [])], trail=True)


def highlight_title(title: str, terms: set[str]) -> Markup:
    """The title with its matching words marked (HTML)."""
    found = passages(title, terms, highlight.WholeFragmenter(), top=1)
    return highlighted(title, [(0, len(title), found[0][2] if found else [])])


def whole_text_marks(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Where ``terms`` occur anywhere in ``text`` (a file's page shown whole), as spans."""
    found = passages(text, terms, highlight.WholeFragmenter(), top=1)
    return found[0][2] if found else []
