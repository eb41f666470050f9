"""The Danish analyzer: one chain of filters for indexing, querying and highlighting.

    text -> word tokens -> lower case -> æøå folded (æ=ae, ø=oe, å=aa) -> Danish stop words
         -> compound parts (when a vocabulary is in use) -> Snowball Danish stems

Folding comes before stemming on both sides, so ``boernene`` and ``børnene`` reach the same
stem whichever way they were typed. Compound parts are extra tokens at the compound's own
position with a lower boost: ``netværksanbringelser`` is indexed as the whole word *and* as
``netværk`` and ``anbringelser``, so a search for *anbringelse* finds it, below a post that says
*anbringelse* itself.

Whoosh pickles the analyzer into the index: the classes here keep their import path, and any
change to what they produce must bump ``forum.search.schema.SCHEMA_VERSION`` (a rebuild).
The vocabulary is not pickled: the indexer puts one in use with :func:`using` while it writes
and highlights; without one (e.g. while parsing a query) no compound is split.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import threading
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stemmer_for_language, stopwords_for_language

# Compound parts count for this much of a whole word (the token's boost becomes its weight).
PART_BOOST = 0.3
MIN_PART = 3  # parts shorter than this are ignored
MIN_LEARNED_PART = 4  # a three-letter part must be a shipped domain word: "sag", not "ser"
MAX_PARTS = 4  # longer chains are left whole: they are almost always mis-splits
# Longer words are never split: real compounds are shorter (netværksanbringelsesundersøgelse
# has 31 letters), and splitting costs grow with the length (any input must stay cheap).
MAX_SPLIT_CHARS = 48

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_ACCENTS = str.maketrans("éèêáàâíìîóòôúùûýçñ", "eeeaaaiiiooouuuycn")
WORD = re.compile(r"[^\W_]+")


def fold(word: str) -> str:
    """Lower-case ASCII-ish spelling of a Danish word: ``Børnehøjde`` -> ``boernehoejde``."""
    return word.lower().translate(_FOLD).translate(_ACCENTS)


@cache
def stop_words() -> frozenset[str]:
    """Danish stop words, folded (``på`` -> ``paa``) as the tokens they are compared with."""
    return frozenset(fold(word) for word in stopwords_for_language("da"))


# Endings that are words on their own but, after a word, are inflection or derivation:
# ``børn|ene``, ``tryg|hed``. Never a part.
_NOT_PARTS = frozenset(
    [
        *("ene", "ere", "erne", "ende", "endes", "ens", "ers", "ede", "eret", "ets"),
        *("hed", "heden", "heder", "lig", "lige", "ligt", "ligere", "else", "elser"),
        *("ning", "ningen", "isk", "iske", "iskt", "mand", "tion", "tionen", "samt"),
        *("ingen", "inger", "ingerne", "ring", "ringen", "ringer", "bare", "vist"),
    ]
)


# --- Vocabulary ------------------------------------------------------------------------------


class Vocabulary:
    """The words a compound may be split into: the forum's own words and a shipped domain list.

    Words are kept folded. ``split(word)`` returns the parts of a compound (and any run of
    parts that is itself a known word, so ``familieplejeanbringelser`` also yields
    ``familiepleje``), or an empty tuple.
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._stem = _stemmer()
        self.words: set[str] = set()  # folded
        self.surface: dict[str, str] = {}  # folded -> as written (lower case), for suggestions
        self.stems: set[str] = set()
        self._splits: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.add(domain_words())
        self.short = {word for word in self.words if len(word) < MIN_LEARNED_PART}
        self.short_stems = {self._stem(word) for word in self.short}
        self.add(words)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return fold(word) in self.words

    def add(self, words: Iterable[str]) -> list[str]:
        """Learn words; returns the new ones (lower case, as written)."""
        new = []
        stop = stop_words()
        for word in {word.lower() for word in words}:
            folded = fold(word)
            if (
                len(folded) >= MIN_PART
                and folded not in self.words
                and folded.isalpha()
                and folded not in stop
            ):
                self.words.add(folded)
                self.surface[folded] = word
                self.stems.add(self._stem(folded))
                new.append(word)
        if new:
            with self._lock:
                self._splits.clear()  # a new word may complete an earlier non-split
        return new

    def split(self, word: str) -> tuple[str, ...]:
        """The known parts of a folded compound, or () when it is not one."""
        if not 2 * MIN_PART <= len(word) <= MAX_SPLIT_CHARS:
            return ()
        parts = self._splits.get(word)
        if parts is None:
            parts = self._parts(word)
            with self._lock:
                if len(self._splits) > 200_000:
                    self._splits.clear()
                self._splits[word] = parts
        return parts

    # A segmentation is a list of (start, end) spans of the word, linking letters left out.

    def _parts(self, word: str) -> tuple[str, ...]:
        spans = self._segment(word, 0, {}, 1)
        if not spans:
            return ()
        parts: list[str] = []
        for i, (start, end) in enumerate(spans):
            parts.append(word[start:end])
            for j in range(i + 1, len(spans)):  # runs of parts that are words themselves
                run = word[start : spans[j][1]]
                if (i, j) != (0, len(spans) - 1) and self._is_tail(run):
                    parts.append(run)
        for part in list(parts):  # a part may be a compound itself: familiepleje
            if len(part) >= 2 * MIN_PART:
                parts.extend(self._parts(part))
        return tuple(dict.fromkeys(part for part in parts if part != word))

    def _segment(
        self,
        word: str,
        start: int,
        memo: dict[tuple[int, int], list[tuple[int, int]] | None],
        depth: int,
    ) -> list[tuple[int, int]] | None:
        """Fewest parts covering word[start:], each known, at least two; None if none.
        ``depth`` is the number of this part: past ``MAX_PARTS`` no split is kept anyway."""
        if (start, depth) in memo:
            return memo[(start, depth)]
        if depth >= MAX_PARTS:  # the rest would be a fifth part: give up here
            return None
        best: list[tuple[int, int]] | None = None
        # Longest first part first: ``familiepleje|anbringelser`` before ``familie|...``.
        for end in range(len(word) - MIN_PART, start + MIN_PART - 1, -1):
            for head_end in self._heads(word, start, end):
                rest = word[end:]
                if self._is_tail(rest):
                    candidate = [(start, head_end), (end, len(word))]
                else:
                    tail = self._segment(word, end, memo, depth + 1)
                    candidate = [(start, head_end), *tail] if tail else None
                fewer = best is None or (candidate is not None and len(candidate) < len(best))
                if candidate and len(candidate) <= MAX_PARTS and fewer:
                    best = candidate
            if best is not None and len(best) == 2:
                break
        memo[(start, depth)] = best
        return best

    def _heads(self, word: str, start: int, end: int) -> Iterator[int]:
        """Ends of a known word at word[start:end], allowing a linking -s- or -e-."""
        if self._is_head(word[start:end]):
            yield end
        linked = word[end - 1] in "se" and end - 1 - start >= MIN_PART
        if linked and self._is_head(word[start : end - 1]):
            yield end - 1

    def _is_head(self, part: str) -> bool:
        if len(part) < MIN_LEARNED_PART:
            return part in self.short
        return part in self.words and part not in _NOT_PARTS

    def _is_tail(self, part: str) -> bool:
        if len(part) < MIN_LEARNED_PART:
            return part in self.short or (
                len(part) >= MIN_PART and self._stem(part) in self.short_stems
            )
        if part in _NOT_PARTS or part in stop_words():
            return False
        return part in self.words or self._stem(part) in self.stems


@cache
def domain_words() -> tuple[str, ...]:
    """The shipped list of the field's words (``forum/search/words.txt``), one per line."""
    text = resources.files("forum.search").joinpath("words.txt").read_text(encoding="utf-8")
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


_vocabulary: contextvars.ContextVar[Vocabulary | None] = contextvars.ContextVar(
    "forum_search_vocabulary", default=None
)


@contextlib.contextmanager
def using(vocabulary: Vocabulary) -> Iterator[Vocabulary]:
    """Split compounds with ``vocabulary`` while indexing or highlighting in this block."""
    token = _vocabulary.set(vocabulary)
    try:
        yield vocabulary
    finally:
        _vocabulary.reset(token)


def words(text: str) -> list[str]:
    """The words of a text, as the tokenizer sees them (for learning a vocabulary)."""
    return WORD.findall(text)


# --- Filters ---------------------------------------------------------------------------------


class FoldFilter(Filter):
    """æ, ø, å (and common accents) to their ASCII spellings; expects lower-case tokens."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


class CompoundFilter(Filter):
    """After each word, its compound parts at the same position, boosted ``PART_BOOST``."""

    def __call__(self, tokens):
        vocabulary = _vocabulary.get()
        if vocabulary is None:
            yield from tokens
            return
        for t in tokens:
            yield t
            if t.stopped:
                continue
            parts = vocabulary.split(t.text)
            if parts:
                whole, boost = t.text, t.boost
                for part in parts:
                    t.text = part
                    t.boost = boost * PART_BOOST
                    yield t
                t.text, t.boost = whole, boost


class DanishStemFilter(Filter):
    """The Snowball Danish stemmer, with a cache (stems are looked up far more than computed)."""

    is_morph = True

    def __call__(self, tokens):
        stem = _stemmer()
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


@cache
def _stemmer():
    snowball = stemmer_for_language("da")
    stems: dict[str, str] = {}

    def stem(word: str) -> str:
        result = stems.get(word)
        if result is None:
            if len(stems) > 500_000:
                stems.clear()
            result = stems[word] = snowball(word)
        return result

    return stem


def stem(word: str) -> str:
    """The folded stem of one word: what the index holds for it."""
    return _stemmer()(fold(word))


def DanishAnalyzer():  # named like Whoosh's own analyzer factories
    """The analyzer of every text field (see the module docstring)."""
    return (
        RegexTokenizer(WORD.pattern)
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=stop_words(), minsize=2)
        | CompoundFilter()
        | DanishStemFilter()
    )


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (no compound splitting): for building queries."""
    return [t.text for t in DanishAnalyzer()(text)]
