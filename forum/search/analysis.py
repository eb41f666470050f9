"""The Danish analyzer: one chain of filters for indexing, querying and highlighting.

    text -> word tokens -> lower case -> æøå folded (æ=ae, ø=oe, å=aa) -> Danish stop words
         -> compound parts (when a vocabulary is in use) -> Snowball Danish stems

Folding comes before stemming on both sides, so ``boernene`` and ``børnene`` reach the same
stem whichever way they were typed. Compound parts are extra tokens at the compound's own
position with a lower boost: ``netværksanbringelser`` is indexed as the whole word *and* as
``netværk`` and ``anbringelser``, so a search for *anbringelse* finds it, below a post that says
*anbringelse* itself. Parts are the forum's own words and the words of a Danish lexicon
(:mod:`forum.search.lexicon`), so *katalog* finds *nøgletalskataloget* though the forum never
wrote *katalog* alone.

Whoosh pickles the analyzer into the index: the classes here keep their import path, and any
change to what they produce must bump ``forum.search.schema.SCHEMA_VERSION`` (a rebuild).
The vocabulary is not pickled: the indexer puts one in use with :func:`using` while it writes
and highlights; without one (e.g. while parsing a query) no compound is split.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import re
import threading
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stemmer_for_language, stopwords_for_language

from forum.search.lexicon import NO_LEXICON, Lexicon, cut_key, danish_lexicon

# Compound parts count for this much of a whole word (the token's boost becomes its weight).
PART_BOOST = 0.3
MIN_PART = 3  # parts shorter than this are ignored
MIN_LEARNED_PART = 4  # a three-letter part must be a shipped domain word: "sag", not "ser"
MAX_PARTS = 4  # longer chains are left whole: they are almost always mis-splits
MAX_FINE_PARTS = 6  # parts of parts, in all: at most 20 parts and runs of them are indexed
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
    """The words a compound may be split into: the forum's own words, a shipped domain list
    and the general Danish lexicon (:mod:`forum.search.lexicon`).

    Words are kept folded. ``split(word)`` returns the parts of a compound and every run of
    neighbouring parts (``familieplejeanbringelser`` also yields ``familiepleje``), or an
    empty tuple.
    """

    def __init__(self, words: Iterable[str] = (), lexicon: Lexicon | None = None) -> None:
        self._stem = _stemmer()
        self.lexicon = lexicon if lexicon is not None else danish_lexicon()
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
        """Every part of the finest split, and every run of neighbouring parts: the parts of
        ``familie|råd|s|møder`` and ``familieråd`` and ``rådsmøder``, so that a search for a
        part finds the compound even where the part never stands alone."""
        spans = self._finest(word, 0, 1)
        parts = []
        for length in range(1, len(spans)):  # the run of them all is the word itself
            for first in range(len(spans) - length + 1):
                parts.append(word[spans[first][0] : spans[first + length - 1][1]])
        return tuple(dict.fromkeys(part for part in parts if part != word))

    def _finest(self, word: str, offset: int, budget: int) -> list[tuple[int, int]]:
        """(start, end) of word's parts, each part split again where it is a compound itself
        (``familiepleje|konsulent`` -> ``familie|pleje|konsulent``), linking letters left
        out; at most ``MAX_FINE_PARTS`` in all. ``[(0, len)]`` when it is no compound."""
        spans = self._split_once(word)
        if not spans or len(spans) - 1 > MAX_FINE_PARTS - budget:
            return [(offset, offset + len(word))]
        budget += len(spans) - 1
        finest: list[tuple[int, int]] = []
        for start, end in spans:
            inner = (
                self._finest(word[start:end], offset + start, budget)
                if end - start >= 2 * MIN_PART
                else [(offset + start, offset + end)]
            )
            budget += len(inner) - 1
            finest.extend(inner)
        return finest

    def _split_once(self, word: str) -> list[tuple[int, int]] | None:
        """One level of parts: where the dictionary cuts a word it knows (into the forum's own
        words it still may be split, as before the lexicon), else the best segmentation."""
        if self._stem(word) in self.lexicon.known:
            # ``lomme|penge``, never ``alle|rede`` for ``allerede``
            return self._cut(word) or self._segment(word, 0, _Memo(NO_LEXICON), 1)
        return self._segment(word, 0, _Memo(self.lexicon), 1)

    def _cut(self, word: str) -> list[tuple[int, int]] | None:
        """The dictionary's split of a word it knows: the longest head, joined as it is before
        joined by linking letters. A head the forum knows with its linking letter keeps it
        (``fælles|møde``, where the dictionary joins ``fælle|s|``)."""
        cuts = self.lexicon.cuts
        for head_end in range(len(word) - MIN_LEARNED_PART, MIN_LEARNED_PART - 1, -1):
            for tail in range(head_end, min(head_end + 3, len(word) - MIN_LEARNED_PART + 1)):
                if cut_key(word, head_end, tail) not in cuts:
                    continue
                if word[:head_end] in _NOT_PARTS or word[tail:] in _NOT_PARTS:
                    continue
                if tail > head_end and word[:tail] in self.words:
                    head_end = tail
                return [(0, head_end), (tail, len(word))]
        return None

    def _segment(
        self,
        word: str,
        start: int,
        memo: _Memo,
        depth: int,
    ) -> list[tuple[int, int]] | None:
        """The best parts covering word[start:], each known, at least two; None if none.

        Best is fewest parts; then fewest joins the lexicon does not know (``netværk|s|kort``,
        as the dictionary joins *netværk*, not ``netværk|skort``); then fewest linking letters
        (``bolig|selskab``, not ``bolig|s|elskab``); then the longest first part
        (``familiepleje|anbringelser``, not ``familie|plejeanbringelser``). ``depth`` is the
        number of this part: past ``MAX_PARTS`` no split is kept anyway."""
        if (start, depth) in memo:
            return memo[(start, depth)][0]
        if depth >= MAX_PARTS:  # the rest would be a fifth part: give up here
            return None
        best: list[tuple[int, int]] | None = None
        rank = (MAX_PARTS + 1, 0, 0)
        for end in range(len(word) - MIN_PART, start + MIN_PART - 1, -1):  # longest first
            for head_end, known_join in self._heads(word, start, end, memo.lexicon):
                unknown = 0 if known_join else 1
                if self._is_tail(word[end:], memo.lexicon):
                    candidate = [(start, head_end), (end, len(word))]
                elif rank[0] == 2:  # more parts cannot beat the two already found
                    continue
                else:
                    tail = self._segment(word, end, memo, depth + 1)
                    if not tail:
                        continue
                    candidate = [(start, head_end), *tail]
                    unknown += memo[(end, depth + 1)][1]
                links = sum(b[0] - a[1] for a, b in itertools.pairwise(candidate))
                if (len(candidate), unknown, links) < rank:
                    best, rank = candidate, (len(candidate), unknown, links)
            if rank == (2, 0, 0):  # nothing is better than two known parts joined as they are
                break
        memo[(start, depth)] = (best, rank[1])
        return best

    def _heads(
        self, word: str, start: int, end: int, lexicon: Lexicon
    ) -> Iterator[tuple[int, bool]]:
        """(end of the part, whether the lexicon knows the join) for each known word at
        word[start:end]: joined as it is, or by a linking -s- or -e- (any of them for the
        forum's words, the one the dictionary gives for its own)."""
        part = word[start:end]
        if self._is_head(part):
            yield end, len(part) >= MIN_LEARNED_PART and part in lexicon.bare
        elif len(part) >= MIN_LEARNED_PART and part in lexicon.bare and part not in _NOT_PARTS:
            yield end, True
        link = word[end - 1]
        if link in "se" and end - 1 - start >= MIN_PART:
            head = part[:-1]
            linked = lexicon.linked_s if link == "s" else lexicon.linked_e
            known = len(head) >= MIN_LEARNED_PART and head in linked and head not in _NOT_PARTS
            if known or self._is_head(head):
                yield end - 1, known

    def _is_head(self, part: str) -> bool:
        """A forum word (or shipped domain word) that may begin a compound."""
        if len(part) < MIN_LEARNED_PART:
            return part in self.short
        return part in self.words and part not in _NOT_PARTS

    def _is_tail(self, part: str, lexicon: Lexicon) -> bool:
        if len(part) < MIN_LEARNED_PART:
            return part in self.short or (
                len(part) >= MIN_PART and self._stem(part) in self.short_stems
            )
        if part in _NOT_PARTS or part in stop_words():
            return False
        if part in self.words:
            return True
        stem = self._stem(part)
        return stem in self.stems or stem in lexicon.tails


class _Memo(dict[tuple[int, int], tuple[list[tuple[int, int]] | None, int]]):
    """One word's segmentation: (start, part number) -> (best spans, joins the lexicon does
    not know), and the lexicon the word may be split with."""

    def __init__(self, lexicon: Lexicon) -> None:
        super().__init__()
        self.lexicon = lexicon


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
            # Read the word before passing the token on: the filters after this one change
            # the same token object (the stemmer would hand back "socialvag", not the word).
            word, boost, stopped = t.text, t.boost, t.stopped
            yield t
            if stopped:
                continue
            parts = vocabulary.split(word)
            if parts:
                for part in parts:
                    t.text = part
                    t.boost = boost * PART_BOOST
                    yield t
                t.text, t.boost = word, boost


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
