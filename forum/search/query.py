"""Asking the index: the query language, the permission filter, grouping, facets, snippets.

The query language is what a member types in the search field:

    netværksanbringelse "kommunale plejefamilier" -aflastning region:midtjylland tema:familiepleje
    kommune:norddjurs type:sparring @mette-kjaer efter:2024-01-01 før:2025-06-30 løst:ja anbring*

Words must all match (title or text, any inflection, as a compound part too); if none of the
posts has all of them, posts with some of them are shown, and the page says so. The query
text is the whole state of a search: facets and filters are words in it, so every search can
be linked to, bookmarked and refined.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from whoosh import highlight
from whoosh import query as wq
from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import levenshtein
from whoosh.util.times import datetime_to_long

from forum import permissions
from forum.markup import text_of_html
from forum.models import (
    Municipality,
    Post,
    Region,
    SearchOutboxEntry,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.search import analysis, postings, scoring
from forum.search.indexer import POST, SearchIndex
from forum.search.schema import FACETS

PER_PAGE = 10
MAX_PAGE = 100
SORTS = ("relevance", "newest")
TEXT_FIELDS = ("title", "body")

# field: in the query -> index field. Spelled folded, so "før" and "foer" are one.
_FIELD_NAMES = {
    "region": "region",
    "tema": "theme",
    "theme": "theme",
    "kommune": "municipality",
    "type": "kind",
    "efter": "after",
    "foer": "before",
    "loest": "answered",
    "aar": "year",
}
# index field -> how it is written in a query (facet links add these).
FILTER_WORDS = {
    "region": "region",
    "theme": "tema",
    "kind": "type",
    "municipality": "kommune",
    "year": "år",
    "answered": "løst",
}
_KIND_WORDS = {
    "discussion": TopicKind.DISCUSSION,
    "droeftelse": TopicKind.DISCUSSION,
    "diskussion": TopicKind.DISCUSSION,
    "sparring": TopicKind.SPARRING,
    "experience": TopicKind.EXPERIENCE,
    "erfaring": TopicKind.EXPERIENCE,
    "material": TopicKind.MATERIAL,
    "materiale": TopicKind.MATERIAL,
}
_YES = {"ja": "ja", "yes": "ja", "nej": "nej", "no": "nej"}

# A query part: -"a phrase", field:"value", field:value, @user, "phrase", word. An unclosed
# quote runs to the end.
_PART = re.compile(
    r"""(?P<neg>-)?(?:
        (?P<field>[^\W\d_]+):(?:"(?P<fquoted>[^"]*)"?|(?P<fvalue>[^\s"]+))
      | @(?P<user>[\w.\-]+)
      | "(?P<phrase>[^"]*)"?
      | (?P<word>[^\s"]+)
    )""",
    re.VERBOSE,
)


# --- Parsing ---------------------------------------------------------------------------------


@dataclass
class Places:
    """Slugs and names of regions, themes and municipalities, for filters and facet labels."""

    regions: dict[str, str]
    themes: dict[str, str]
    municipalities: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> Places:
        def pairs(model: Any) -> dict[str, str]:
            return dict(session.execute(select(model.slug, model.name).order_by(model.id)).all())

        return cls(pairs(Region), pairs(Theme), pairs(Municipality))

    def find(self, kind: str, value: str) -> str | None:
        """The slug a typed value means: a slug or a name, in any case, with or without æøå."""
        table = {"region": self.regions, "theme": self.themes, "municipality": self.municipalities}
        options = table[kind]
        wanted = _key(value)
        for slug, name in options.items():
            if wanted in (_key(slug), _key(name), _key(name.removeprefix("Region "))):
                return slug
        return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", analysis.fold(text))


@dataclass
class ParsedQuery:
    text: str
    words: list[str] = field(default_factory=list)  # as typed (a trailing * kept)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # words or phrases
    filters: dict[str, list[str]] = field(default_factory=dict)  # index field -> values
    after: date | None = None
    before: date | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return bool(self.filters or self.after or self.before)

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no searchable word, phrase or filter."""
        return not (self.terms() or self.phrase_terms() or self.has_filters)

    def terms(self) -> list[list[str]]:
        """Each typed word's index terms (a stop word has none; ``co-parenting`` has two)."""
        return [terms for terms in (analysis.terms(w.rstrip("*")) for w in self.words) if terms]

    def phrase_terms(self) -> list[list[str]]:
        return [terms for terms in (analysis.terms(p) for p in self.phrases) if terms]

    def highlight_terms(self) -> set[str]:
        return {term for terms in self.terms() + self.phrase_terms() for term in terms}


def parse(text: str, places: Places) -> ParsedQuery:
    """Read a query; what cannot be understood becomes a notice, never an error."""
    text = text.strip()[:500]
    parsed = ParsedQuery(text=text)
    for match in _PART.finditer(text):
        negative = bool(match["neg"])
        if match["field"] is not None:
            value = match["fquoted"] if match["fquoted"] is not None else match["fvalue"]
            name = _FIELD_NAMES.get(analysis.fold(match["field"]))
            if name is None:  # "kl:10" or a URL: just words
                _add_words(parsed, f"{match['field']} {value}", negative)
            else:
                _add_filter(parsed, name, value.strip(), places)
        elif match["user"] is not None:
            parsed.filters.setdefault("author", []).append(match["user"].lower())
        elif match["phrase"] is not None:
            phrase = match["phrase"].strip()
            if phrase:
                (parsed.excluded if negative else parsed.phrases).append(phrase)
        else:
            _add_words(parsed, match["word"], negative)
    return parsed


def _add_words(parsed: ParsedQuery, text: str, negative: bool) -> None:
    for word in text.split():
        # Only a trailing * is a wildcard; one inside a word would scan the whole index.
        word = word.strip("*") + ("*" if word.endswith("*") and len(word.strip("*")) >= 3 else "")
        if not analysis.WORD.search(word):
            continue
        (parsed.excluded if negative else parsed.words).append(word)


def _add_filter(parsed: ParsedQuery, name: str, value: str, places: Places) -> None:
    if name in ("region", "theme", "municipality"):
        slug = places.find(name, value)
        if slug is None:
            labels = {
                "region": _("Kender ikke regionen »%(value)s«.", value=value),
                "theme": _("Kender ikke temaet »%(value)s«.", value=value),
                "municipality": _("Kender ikke kommunen »%(value)s«.", value=value),
            }
            parsed.notices.append(labels[name])
            return
        parsed.filters.setdefault(name, []).append(slug)
    elif name == "kind":
        kind = _KIND_WORDS.get(analysis.fold(value))
        if kind is None:
            parsed.notices.append(
                _(
                    "Kender ikke typen »%(value)s«: brug sparring, erfaring, drøftelse "
                    "eller materiale.",
                    value=value,
                )
            )
            return
        parsed.filters.setdefault("kind", []).append(kind)
    elif name == "year":
        if not re.fullmatch(r"\d{4}", value):
            parsed.notices.append(_("Skriv året med fire cifre, fx år:2025."))
            return
        parsed.filters.setdefault("year", []).append(value)
    elif name == "answered":
        answer = _YES.get(analysis.fold(value))
        if answer is None:
            parsed.notices.append(_("Skriv løst:ja eller løst:nej."))
            return
        parsed.filters["answered"] = [answer]
    else:
        day = _date(value, end=name == "before")
        if day is None:
            parsed.notices.append(
                _("»%(value)s« er ikke en dato: skriv fx 2025-06-30.", value=value)
            )
            return
        setattr(parsed, name, day)


def _date(value: str, *, end: bool) -> date | None:
    """2025-06-30, 2025-06 or 2025; the first (or, for før:, the last) day it means."""
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
            return date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
        if re.fullmatch(r"\d{4}-\d{1,2}", value):
            year, month = (int(part) for part in value.split("-"))
            first = date(year, month, 1)
            return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1) if end else first
        if re.fullmatch(r"\d{4}", value):
            return date(int(value), 12, 31) if end else date(int(value), 1, 1)
    except ValueError:
        return None
    return None


def refine(text: str, name: str, value: str, places: Places) -> str:
    """The query with the filter ``name``=``value`` added, or removed if it is there."""
    kept, found = [], False
    for match in _PART.finditer(text):
        if match["field"] is not None and not match["neg"]:
            field_name = _FIELD_NAMES.get(analysis.fold(match["field"]))
            typed = match["fquoted"] if match["fquoted"] is not None else match["fvalue"]
            if field_name == name:
                probe = ParsedQuery(text="")
                _add_filter(probe, name, typed.strip(), places)
                if value in probe.filters.get(name, ()):
                    found = True
                    continue
        kept.append(match.group(0))
    if not found:
        kept.append(f"{FILTER_WORDS[name]}:{value}")
    return " ".join(kept)


# --- Building Whoosh queries -----------------------------------------------------------------


def _word_query(terms: list[str], *, prefix: bool = False) -> wq.Query:
    clauses = []
    for i, term in enumerate(terms):
        last = i == len(terms) - 1
        if prefix and last:
            clauses.append(wq.Or([wq.Prefix(f, term) for f in TEXT_FIELDS]))
        else:
            clauses.append(wq.Or([wq.Term(f, term) for f in TEXT_FIELDS]))
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


PHRASE_FIELDS = ("title", "body_phrase")  # the text fields with positions


def _phrase_query(terms: list[str]) -> wq.Query:
    if len(terms) == 1:
        return _word_query(terms)
    return wq.Or([wq.Phrase(f, terms) for f in PHRASE_FIELDS])


# Filters on a handful of values (a region holds a sixth of the forum) are checked on each
# matching post's column rather than read as posting lists: "barn region:midtjylland" would
# otherwise read the region's 17,000 postings for every query. Filters on many small values
# (a municipality, an author) stay in the query, where their short lists lead the way.
_COLUMN_FILTERS = ("region", "theme", "kind", "year", "answered")


def _created_bounds(parsed: ParsedQuery) -> tuple[datetime | None, datetime | None] | None:
    if not (parsed.after or parsed.before):
        return None
    start = datetime.combine(parsed.after, time.min) if parsed.after else None
    end = datetime.combine(parsed.before, time.max) if parsed.before else None
    return start, end


@dataclass
class Ask:
    """What to find, what to leave out, and which column values a match must have.

    Exclusions are kept apart (Whoosh's AndNot matcher can let an excluded document through),
    and applied as sets of documents; ``keep`` and ``created`` are checked on each match."""

    find: wq.Query
    leave_out: list[wq.Query] = field(default_factory=list)
    keep: dict[str, frozenset[str]] = field(default_factory=dict)
    created: tuple[datetime | None, datetime | None] | None = None

    def excluded(self, searcher: Any) -> set[int]:
        found: set[int] = set()
        for q in self.leave_out:
            found.update(searcher.docs_for_query(q))
        return found

    def check(self, reader: Any) -> Callable[[int], bool] | None:
        """Whether a document of this segment has the kept values (None: nothing to check)."""
        tests = [(scoring.arrays.column(reader, name), ok) for name, ok in self.keep.items()]
        if self.created is None:
            if not tests:
                return None
            if len(tests) == 1:
                values, ok = tests[0]
                return lambda doc: values[doc] in ok
            return lambda doc: all(values[doc] in ok for values, ok in tests)
        start, end = self.created
        low = datetime_to_long(start) if start else -math.inf
        # A document without a time reads as the column's largest number: never in range.
        high = datetime_to_long(end or datetime.max)
        created = scoring.arrays.column(reader, "created")
        return lambda doc: (
            low <= created[doc] <= high and all(values[doc] in ok for values, ok in tests)
        )


def build(parsed: ParsedQuery, *, any_word: bool = False) -> Ask | None:
    """The Whoosh query; ``any_word`` asks for some of the words rather than all."""
    words = [
        _word_query(terms, prefix=word.endswith("*"))
        for word, terms in ((w, analysis.terms(w.rstrip("*"))) for w in parsed.words)
        if terms
    ]
    phrases = [_phrase_query(terms) for terms in parsed.phrase_terms()]
    positive: list[wq.Query] = []
    if any_word and len(words) > 1:
        positive.append(wq.Or(words))
    else:
        positive.extend(words)
    positive.extend(phrases)
    keep: dict[str, frozenset[str]] = {}
    filters = {name: list(dict.fromkeys(values)) for name, values in parsed.filters.items()}
    for name, values in filters.items():
        if name not in _COLUMN_FILTERS:
            positive.append(_any_term(name, values))
    created = _created_bounds(parsed)
    if positive:  # something else leads: check the broad filters on its matches
        keep = {n: frozenset(v) for n, v in filters.items() if n in _COLUMN_FILTERS}
    else:  # only broad filters: their postings are what is asked for
        positive.extend(_any_term(n, v) for n, v in filters.items() if n in _COLUMN_FILTERS)
        if created is not None:
            positive.append(wq.DateRange("created", *created))
            created = None
    if not positive:
        if not parsed.excluded:
            return None
        positive.append(wq.Term("doctype", POST))
    ask = Ask(positive[0] if len(positive) == 1 else wq.And(positive), keep=keep, created=created)
    for item in parsed.excluded:
        terms = analysis.terms(item.rstrip("*"))
        if terms:
            ask.leave_out.append(_phrase_query(terms) if " " in item else _word_query(terms))
    return ask


def _any_term(name: str, values: list[str]) -> wq.Query:
    terms = [wq.Term(name, value) for value in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


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
    """The JSON shape of results, shared by `flask search query --json` and /search.json."""
    return {
        "total": results.total,
        "results": [
            {
                "topic_id": hit.topic.id,
                "post_id": hit.post.id,
                "title": hit.topic.title,
                "snippet": str(hit.snippet),
                "score": round(hit.score, 4),
            }
            for hit in results.hits
        ],
    }


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
class _Match:
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


def _scan(
    searcher: Any,
    ask: Ask,
    excluded: set[int],
    *,
    budget: float | None = None,
    scored: bool = True,
) -> _Match:
    """Score the matching posts (BM25F) and, from the same pass, count topics and facet values.

    One pass over each posting list, stepping Whoosh's matchers directly. Queries that can
    match at most ``budget`` posts are read whole and counted exactly; broader ones are read
    window by window (see ``SCAN_BUDGET``) and their counts estimated. The budget counts posts
    that pass the column filters (``Ask.keep``): those are checked before a post is scored.
    """
    budget = SCAN_BUDGET if budget is None else budget
    q = ask.find
    leaves = _leaves(searcher)
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
        for leaf, offset in leaves:
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
) -> _Match:
    """Topics, best posts and facet counts of the posts read; counts times ``scale``."""
    match = _Match(facets={name: Counter() for name in FACETS}, estimated=scale != 1.0)
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


def _leaves(searcher: Any) -> list[tuple[Any, int]]:
    return searcher.leaf_searchers()


def _pending_mask(session: Session, index: SearchIndex) -> wq.Query | None:
    """Posts and topics changed since the index's cursor are left out until it catches up:
    a post deleted a moment ago must not show, even before the indexer has run."""
    rows = session.execute(
        select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id)
        .where(SearchOutboxEntry.id > index.cursor())
        .limit(5000)
    ).all()
    terms = [
        wq.Term("doc_id" if kind == "post" else "topic", str(object_id))
        for kind, object_id in rows
        if kind in ("post", "topic")
    ]
    if not terms:
        return None
    return wq.Or(terms)


def search(
    session: Session,
    index: SearchIndex,
    user: Any,
    text: str,
    *,
    page: int = 1,
    sort: str = "relevance",
    per_page: int = PER_PAGE,
    places: Places | None = None,
) -> Results:
    """Search as ``user``: only what the permission policy lets them see is found or counted."""
    places = places or Places.load(session)
    parsed = parse(text, places)
    results = Results(query=parsed, page=max(1, min(page, MAX_PAGE)), per_page=per_page)
    results.sort = sort if sort in SORTS else "relevance"
    if not permissions.can(user, permissions.SEARCH):
        return results
    q = build(parsed)
    if q is None:
        return results
    if not index.is_usable():
        results.unavailable = True
        return results
    searcher = index.searcher()
    mask = _pending_mask(session, index)
    if mask is not None:
        q.leave_out.append(mask)
    excluded = q.excluded(searcher)
    # Newest first must be exact (the newest posts can be anywhere in the index), so it reads
    # every match; it needs no scores, which makes reading them all affordable.
    newest = results.sort == "newest"
    budget, scored = (math.inf, False) if newest else (None, True)
    match = _scan(searcher, q, excluded, budget=budget, scored=scored)
    if not match.topics and len(parsed.terms()) > 1:
        broader = build(parsed, any_word=True)
        assert broader is not None
        match = _scan(searcher, broader, excluded, budget=budget, scored=scored)
        if match.topics:
            q, results.some_words = broader, True
    results.total, results.posts, results.estimated = match.total, match.posts, match.estimated
    results.facets = _facets(match, parsed, places)
    if results.total < 3 and parsed.words:
        results.suggestion = _suggest(searcher, index, parsed, places, mask)
    if not results.total:
        return results

    ordered = match.newest() if newest else match.ranked()
    results.reachable = len(ordered)
    start = (results.page - 1) * per_page
    page_hits = ordered[start : start + per_page]
    counts = match.topics
    if match.estimated:  # the windows read saw only some of these topics' posts
        counts = _matching_posts(searcher, q, match, [topic for topic, _, _ in page_hits])
    results.hits = _load_hits(session, index, user, parsed, page_hits, counts)
    return results


def _matching_posts(searcher: Any, ask: Ask, match: _Match, topics: list[str]) -> Counter[str]:
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
    for leaf, offset in _leaves(searcher):
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
                counts[_topic_of(searcher, doc + offset)] += 1
    return counts


def _topic_of(searcher: Any, docnum: int) -> str:
    for leaf, offset in reversed(_leaves(searcher)):
        if docnum >= offset:
            return scoring.arrays.column(leaf.reader(), "topic")[docnum - offset]
    raise LookupError(docnum)


def _load_hits(
    session: Session,
    index: SearchIndex,
    user: Any,
    parsed: ParsedQuery,
    page_hits: list[tuple[str, int, float]],
    topic_counts: Counter[str],
) -> list[Hit]:
    searcher = index.searcher()
    post_ids = {int(searcher.stored_fields(doc)["doc_id"]): topic for topic, doc, _ in page_hits}
    posts = {
        post.id: post
        for post in session.scalars(
            select(Post)
            .where(Post.id.in_(post_ids))
            .options(
                joinedload(Post.topic).options(joinedload(Topic.region), joinedload(Topic.theme)),
                joinedload(Post.author).joinedload(User.municipality),
            )
        ).unique()
    }
    terms = parsed.highlight_terms()
    hits = []
    with analysis.using(index.vocabulary()):
        for topic, doc, score in page_hits:
            post_id = int(searcher.stored_fields(doc)["doc_id"])
            post = posts.get(post_id)
            # The index only holds what every member may see; this is the second lock.
            if post is None or not permissions.can(user, permissions.VIEW, post):
                continue
            hits.append(
                Hit(
                    topic=post.topic,
                    post=post,
                    score=score,
                    other_matches=topic_counts[topic] - 1,
                    title=_highlight_title(post.topic.title, terms),
                    snippet=snippet(text_of_html(post.html), terms),
                )
            )
    return hits


# --- Snippets --------------------------------------------------------------------------------


class _MarkFormatter(highlight.Formatter):
    """Matched words in <mark>, everything else escaped."""

    between = " … "

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


_ANALYZER = analysis.DanishAnalyzer()
SNIPPET_CHARS = 240


def snippet(text: str, terms: set[str], *, length: int = SNIPPET_CHARS) -> Markup:
    """The passages of ``text`` that match, with the matching words marked (Danish-aware:
    *anbringelserne* and *netværksanbringelse* are marked for *anbringelse*)."""
    text = " ".join(text.split())
    found = ""
    if terms:
        fragmenter = highlight.ContextFragmenter(maxchars=length // 2 + 20, surround=60)
        found = highlight.highlight(
            text, terms, _ANALYZER, fragmenter, _MarkFormatter(), top=2, minscore=1
        )
    if found:
        starts = not text.startswith(re.sub(r"</?mark>", "", found)[:20])
        return Markup(("… " if starts else "") + found + " …")
    short = text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
    return Markup(escape(short))


def _highlight_title(title: str, terms: set[str]) -> Markup:
    if not terms:
        return Markup(escape(title))
    fragmenter = highlight.WholeFragmenter()
    found = highlight.highlight(title, terms, _ANALYZER, fragmenter, _MarkFormatter(), top=1)
    return Markup(found) if found else Markup(escape(title))


# --- Facets ----------------------------------------------------------------------------------


def _facets(match: _Match, parsed: ParsedQuery, places: Places) -> list[Facet]:
    from forum.topics import KIND_LABELS

    labels = {
        "region": (_("Region"), places.regions),
        "theme": (_("Tema"), places.themes),
        "kind": (_("Type"), {kind: str(label) for kind, label in KIND_LABELS.items()}),
        "municipality": (_("Kommune"), places.municipalities),
        "year": (_("År"), {}),
        "answered": (_("Løst"), {"ja": _("Løst"), "nej": _("Ikke løst")}),
    }
    facets = []
    for name in FACETS:
        label, names = labels[name]
        counts = match.facets.get(name, Counter())
        selected = set(parsed.filters.get(name, ()))
        values = [
            FacetValue(value, str(names.get(value, value)), count, value in selected)
            for value, count in counts.items()
            if value
        ]
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        elif name in ("region", "theme", "kind"):
            order = list(names)
            values.sort(key=lambda v: order.index(v.value) if v.value in order else 999)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        if values:
            facets.append(Facet(name, str(label), values))
    return facets


# --- "Mente du ...?" -------------------------------------------------------------------------


def _suggest(
    searcher: Any,
    index: SearchIndex,
    parsed: ParsedQuery,
    places: Places,
    mask: wq.Query | None,
) -> str | None:
    """The query with its rare words replaced by close, common words of the forum, if that
    finds something the member may see."""
    vocabulary = index.vocabulary()
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
    return text if _scan(searcher, corrected, corrected.excluded(searcher)).topics else None


_correctors: dict[int, tuple[int, ListCorrector]] = {}


def _corrector(vocabulary: analysis.Vocabulary) -> ListCorrector:
    cached = _correctors.get(id(vocabulary))
    if cached is None or cached[0] != len(vocabulary):
        cached = (len(vocabulary), ListCorrector(sorted(vocabulary.words)))
        _correctors.clear()
        _correctors[id(vocabulary)] = cached
    return cached[1]


# --- Related topics --------------------------------------------------------------------------


def related(
    session: Session, index: SearchIndex, user: Any, topic: Topic, *, limit: int = 5
) -> list[Topic]:
    """Topics that talk about the same things (more like this over the index)."""
    if not permissions.can(user, permissions.SEARCH) or not index.is_usable():
        return []
    first = session.scalar(select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    if first is None:
        return []
    text = f"{topic.title}\n{topic.title}\n{text_of_html(first.html)}"
    searcher = index.searcher()
    keywords = searcher.key_terms_from_text("body", text, numterms=12)
    if not keywords:
        return []
    q: wq.Query = wq.Or(
        [wq.Term(f, word, boost=weight) for word, weight in keywords for f in TEXT_FIELDS]
    )
    ask = Ask(q, [wq.Term("topic", str(topic.id))])
    mask = _pending_mask(session, index)
    if mask is not None:
        ask.leave_out.append(mask)
    found: list[int] = []
    for hit in searcher.search(q, limit=60, terms=False, mask=ask.excluded(searcher) or None):
        topic_id = int(_topic_of(searcher, hit.docnum))
        if topic_id not in found:
            found.append(topic_id)
            if len(found) >= limit:
                break
    if not found:
        return []
    topics = {
        t.id: t
        for t in session.scalars(
            select(Topic).where(Topic.id.in_(found)).options(joinedload(Topic.region))
        )
    }
    return [
        topics[i]
        for i in found
        if i in topics and permissions.can(user, permissions.VIEW, topics[i])
    ]
