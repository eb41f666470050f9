""" "Mente du ...?": a corrected query, offered when a search finds little."""

from __future__ import annotations

import re
from typing import Any

from whoosh import query as wq
from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import levenshtein

from forum.search import analysis
from forum.search.language import ParsedQuery, Places, parse
from forum.search.plan import build
from forum.search.scan import scan


def suggest(
    searcher: Any,
    vocabulary: analysis.Vocabulary,
    parsed: ParsedQuery,
    places: Places,
    mask: wq.Query | None,
) -> str | None:
    """The query with its rare words replaced by close, common words of the forum, if that
    finds something the member may see."""
    corrector = _corrector(vocabulary)
    text = parsed.text
    changed = False
    for word in parsed.words:
        plain = word.rstrip("*")
        terms = analysis.terms(plain)
        if not terms or len(plain) < 4:
            continue
        frequency = sum(searcher.doc_frequency("body", term) for term in terms)
        if frequency >= 3:
            continue
        folded = analysis.fold(plain)
        candidates = corrector.suggest(folded, limit=20, maxdist=2 if len(folded) > 5 else 1)
        best = None
        best_key: tuple[int, int] | None = None
        for candidate in candidates:
            if candidate == folded:
                continue
            key = (
                levenshtein(folded, candidate),
                -searcher.doc_frequency("body", analysis.stem(candidate)),
            )
            if key[1] < 0 and (best_key is None or key < best_key):
                best, best_key = candidate, key
        if best is not None and best_key is not None and -best_key[1] > frequency:
            surface = vocabulary.surface.get(best, best)
            text = re.sub(rf"(?<![\w@:-]){re.escape(plain)}(?!\w)", surface, text, count=1)
            changed = True
    if not changed:
        return None
    corrected = build(parse(text, places))
    if corrected is None:
        return None
    if mask is not None:
        corrected.leave_out.append(mask)
    # Only offer what finds something visible: a word of a deleted post is never suggested.
    return text if scan(searcher, corrected, corrected.excluded(searcher)).topics else None


_correctors: dict[int, tuple[int, ListCorrector]] = {}


def _corrector(vocabulary: analysis.Vocabulary) -> ListCorrector:
    cached = _correctors.get(id(vocabulary))
    if cached is None or cached[0] != len(vocabulary):
        cached = (len(vocabulary), ListCorrector(sorted(vocabulary.words)))
        _correctors.clear()
        _correctors[id(vocabulary)] = cached
    return cached[1]
