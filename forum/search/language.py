"""The query language: what a member types in the search field, read into a ``ParsedQuery``.

    netværksanbringelse "kommunale plejefamilier" -aflastning region:midtjylland tema:familiepleje
    kommune:norddjurs type:sparring @mette-kjaer efter:2024-01-01 før:2025-06-30 løst:ja anbring*

Words must all match (title or text, any inflection, as a compound part too); a ``-`` in front
of a word, a phrase or a filter word leaves out what it matches. The query text is the whole
state of a search: facets and filters are words in it, so every search can be linked to,
bookmarked and refined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.models import Municipality, Region, Theme, TopicKind
from forum.search import analysis
from forum.search.schema import FILE

MAX_QUERY_CHARS = 500

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
    "bilag": FILE,
    "fil": FILE,
    "filer": FILE,
    "file": FILE,
    "attachment": FILE,
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
    # -region:x, -@user, ...: index field -> values a match must not have
    excluded_filters: dict[str, list[str]] = field(default_factory=dict)
    after: date | None = None
    before: date | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        """Whether any filter word (negated or not) or date bound was given."""
        return bool(self.filters or self.excluded_filters or self.after or self.before)

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
                _add_filter(parsed, name, value.strip(), places, negative)
        elif match["user"] is not None:
            target = parsed.excluded_filters if negative else parsed.filters
            target.setdefault("author", []).append(match["user"].lower())
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


def _add_filter(
    parsed: ParsedQuery, name: str, value: str, places: Places, negative: bool = False
) -> None:
    # A negated filter word leaves its value out; a negated date is read as the date itself.
    filters = parsed.excluded_filters if negative else parsed.filters
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
        filters.setdefault(name, []).append(slug)
    elif name == "kind":
        kind = _KIND_WORDS.get(analysis.fold(value))
        if kind is None:
            parsed.notices.append(
                _(
                    "Kender ikke typen »%(value)s«: brug sparring, erfaring, drøftelse, "
                    "materiale eller bilag.",
                    value=value,
                )
            )
            return
        filters.setdefault("kind", []).append(kind)
    elif name == "year":
        if not re.fullmatch(r"\d{4}", value):
            parsed.notices.append(_("Skriv året med fire cifre, fx år:2025."))
            return
        filters.setdefault("year", []).append(value)
    elif name == "answered":
        answer = _YES.get(analysis.fold(value))
        if answer is None:
            parsed.notices.append(_("Skriv løst:ja eller løst:nej."))
            return
        filters["answered"] = [answer]
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
