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
import threading
from collections import Counter
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
from forum.search import analysis
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


def _phrase_query(terms: list[str]) -> wq.Query:
    if len(terms) == 1:
        return _word_query(terms)
    return wq.Or([wq.Phrase(f, terms) for f in TEXT_FIELDS])


def _filter_query(parsed: ParsedQuery) -> list[wq.Query]:
    clauses: list[wq.Query] = []
    for name, values in parsed.filters.items():
        terms = [wq.Term(name, value) for value in dict.fromkeys(values)]
        clauses.append(terms[0] if len(terms) == 1 else wq.Or(terms))
    if "answered" in parsed.filters:
        clauses.append(wq.Term("kind", TopicKind.SPARRING))
    if parsed.after or parsed.before:
        start = datetime.combine(parsed.after, time.min) if parsed.after else None
        end = datetime.combine(parsed.before, time.max) if parsed.before else None
        clauses.append(wq.DateRange("created", start, end))
    return clauses


@dataclass
class Ask:
    """What to find, and what to leave out (kept apart: Whoosh's AndNot matcher can let an
    excluded document through, so exclusions are applied as sets of documents)."""

    find: wq.Query
    leave_out: list[wq.Query] = field(default_factory=list)

    def excluded(self, searcher: Any) -> set[int]:
        found: set[int] = set()
        for q in self.leave_out:
            found.update(searcher.docs_for_query(q))
        return found


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
    positive.extend(_filter_query(parsed))
    if not positive:
        if not parsed.excluded:
            return None
        positive.append(wq.Term("doctype", POST))
    ask = Ask(positive[0] if len(positive) == 1 else wq.And(positive))
    for item in parsed.excluded:
        terms = analysis.terms(item.rstrip("*"))
        if terms:
            ask.leave_out.append(_phrase_query(terms) if " " in item else _word_query(terms))
    return ask


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

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, math.ceil(self.total / self.per_page)))


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


class _Columns:
    """Facet and grouping values of each document, per segment (segments never change)."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, list[Any]]] = {}
        self._lock = threading.Lock()

    def of(self, leaf: Any) -> dict[str, list[Any]]:
        reader = leaf.reader()
        key = reader.segment().segment_id() if hasattr(reader, "segment") else str(id(reader))
        columns = self._cache.get(key)
        if columns is None:
            columns = {name: list(reader.column_reader(name)) for name in ("topic", *FACETS)}
            # Raw numbers: they sort like the dates (and the meta document has none).
            columns["created"] = list(reader.column_reader("created", translate=False))
            with self._lock:
                if len(self._cache) > 256:
                    self._cache.clear()
                self._cache[key] = columns
        return columns


_columns = _Columns()


@dataclass
class _Match:
    """What one pass over the matching documents learns."""

    topics: Counter[str] = field(default_factory=Counter)  # topic -> matching posts
    newest: dict[str, tuple[Any, int]] = field(default_factory=dict)  # topic -> (created, doc)
    facets: dict[str, Counter[str]] = field(default_factory=dict)


def _scan(searcher: Any, q: wq.Query, excluded: set[int]) -> _Match:
    """Count topics and facet values over every matching post (no scoring)."""
    result = _Match(facets={name: Counter() for name in FACETS})
    per_topic = {"region", "theme", "kind", "answered"}
    seen_pairs: dict[str, set[tuple[str, str]]] = {"municipality": set(), "year": set()}
    for leaf, offset in _leaves(searcher):
        columns = _columns.of(leaf)
        topic_col, created_col = columns["topic"], columns["created"]
        matcher = q.matcher(leaf)
        if not matcher.is_active():
            continue
        for doc in matcher.all_ids():
            if excluded and doc + offset in excluded:
                continue
            topic = topic_col[doc]
            created = created_col[doc]
            if topic not in result.topics:
                for name in per_topic:
                    result.facets[name][columns[name][doc]] += 1
            result.topics[topic] += 1
            newest = result.newest.get(topic)
            if newest is None or created > newest[0]:
                result.newest[topic] = (created, doc + offset)
            for name, pairs in seen_pairs.items():
                pair = (topic, columns[name][doc])
                if pair not in pairs:
                    pairs.add(pair)
                    result.facets[name][pair[1]] += 1
    return result


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
    match = _scan(searcher, q.find, excluded)
    if not match.topics and len(parsed.terms()) > 1:
        broader = build(parsed, any_word=True)
        assert broader is not None
        match = _scan(searcher, broader.find, excluded)
        if match.topics:
            q, results.some_words = broader, True
    results.total = len(match.topics)
    results.posts = sum(match.topics.values())
    results.facets = _facets(match, parsed, places)
    if results.total < 3 and parsed.words:
        results.suggestion = _suggest(searcher, index, parsed, places, mask)
    if not results.total:
        return results

    start = (results.page - 1) * per_page
    if results.sort == "newest":
        ordered = sorted(match.newest.items(), key=lambda item: item[1][0], reverse=True)
        page_hits = [(topic, doc, 0.0) for topic, (_, doc) in ordered[start : start + per_page]]
    else:
        page_hits = _ranked(searcher, q.find, excluded, start, per_page, results.total)
    results.hits = _load_hits(session, index, user, parsed, page_hits, match.topics)
    return results


def _ranked(
    searcher: Any, q: wq.Query, excluded: set[int], start: int, count: int, total_topics: int
) -> list[tuple[str, int, float]]:
    """The page's topics by their best post's score: (topic, best doc, score)."""
    wanted = start + count
    limit = max(50, wanted * 4)
    while True:
        hits = searcher.search(q, limit=limit, terms=False, mask=excluded or None)
        best: dict[str, tuple[int, float]] = {}
        for hit in hits:
            topic = _topic_of(searcher, hit.docnum)
            if topic not in best:
                best[topic] = (hit.docnum, hit.score)
                if len(best) >= wanted:
                    break
        if len(best) >= min(wanted, total_topics) or hits.scored_length() < limit:
            ordered = list(best.items())[start:wanted]
            return [(topic, doc, score) for topic, (doc, score) in ordered]
        limit *= 4


def _topic_of(searcher: Any, docnum: int) -> str:
    for leaf, offset in reversed(_leaves(searcher)):
        if docnum >= offset:
            return _columns.of(leaf)["topic"][docnum - offset]
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
    return text if _scan(searcher, corrected.find, corrected.excluded(searcher)).topics else None


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
