"""The general Danish lexicon that compounds are split into, beside the forum's own words.

``lexicon-da.txt.gz`` is derived from Stavekontrolden's da_DK hunspell dictionary by
``scripts/build_lexicon.py`` (which says what each section holds), and distributed under
MPL-1.1 with its notice beside it. Each process loads it once, when the first vocabulary is
made (about 0.16 s), and keeps its 340,000 entries as sorted 64-bit hashes (2.7 MB).
"""

from __future__ import annotations

import gzip
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from functools import cache
from importlib import resources

# The general Danish lexicon compounds split into (beside the forum's own words), built from
# Stavekontrolden's hunspell dictionary by scripts/build_lexicon.py; MPL-1.1, notice beside it.
LEXICON_FILE = "lexicon-da.txt.gz"
LEXICON_NOTICE = "lexicon-da.LICENSE.txt"
CUT_KEY_TAIL = 4  # letters of the tail that name a cut with the head (see cut_key)


class WordSet:
    """A large, fixed set of words in 8 bytes a word: their sorted hashes, searched by bisection.

    A Python ``frozenset`` of the lexicon's 340,000 strings would take about 40 MB in every
    process; this takes 2.7 MB. A word that is not in the set is taken for one only if its
    64-bit hash equals one of the set's (with 340,000 words, about one lookup in 10^13)."""

    __slots__ = ("_hashes",)

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._hashes = array("q", sorted(map(hash, words)))  # a repeat does no harm

    def __contains__(self, word: object) -> bool:
        key = hash(word)
        i = bisect_left(self._hashes, key)
        return i < len(self._hashes) and self._hashes[i] == key

    def __len__(self) -> int:
        return len(self._hashes)

    def nbytes(self) -> int:
        """The memory its hashes take."""
        return self._hashes.itemsize * len(self._hashes)


class Lexicon:
    """A general Danish lexicon for compound parts, folded: the words that begin a compound as
    they are (``familie|pleje``), with a linking -s- (``rådgivning|s|tilbud``) or -e-
    (``børn|e|have``), the stems of the words that may end one (``pleje``, ``tilbud``), the
    stems of all its words, and where those that are compounds are cut (``lomme|penge``)."""

    __slots__ = ("bare", "linked_s", "linked_e", "tails", "known", "cuts")

    def __init__(
        self,
        bare: Iterable[str] | WordSet = (),
        linked_s: Iterable[str] | WordSet = (),
        linked_e: Iterable[str] | WordSet = (),
        tails: Iterable[str] | WordSet = (),
        known: Iterable[str] | WordSet = (),
        cuts: Iterable[str] | WordSet = (),
    ) -> None:
        def words(given: Iterable[str] | WordSet) -> WordSet:
            return given if isinstance(given, WordSet) else WordSet(given)

        self.bare = words(bare)
        self.linked_s = words(linked_s)
        self.linked_e = words(linked_e)
        self.tails = words(tails)
        self.known = words(known)
        self.cuts = words(cuts)

    def __len__(self) -> int:
        """The number of entries (a word may be in several sections)."""
        sections = (self.bare, self.linked_s, self.linked_e, self.tails, self.known, self.cuts)
        return sum(len(section) for section in sections)

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        """Read the sections of a lexicon file (see ``scripts/build_lexicon.py``)."""
        heads = list(_SECTION.finditer(text))
        ends = [match.start() for match in heads[1:]] + [len(text)]
        sections = {
            match[1]: WordSet(text[match.end() : end].split())  # one section's words at a time
            for match, end in zip(heads, ends, strict=True)
        }
        return cls(*(sections.get(name, WordSet()) for name in _SECTIONS))


_SECTION = re.compile(r"^\[(\w+)\]$", re.MULTILINE)
_SECTIONS = ("bare", "s", "e", "tail", "known", "cuts")
NO_LEXICON = Lexicon()


def cut_key(word: str, head_end: int, tail_start: int) -> str:
    """How the lexicon names a cut of a dictionary compound: the word up to a few letters into
    its tail, and the cut (every inflection of ``lommepenge`` is ``lommepeng:5:5``)."""
    return f"{word[: tail_start + CUT_KEY_TAIL]}:{head_end}:{tail_start}"


@cache
def danish_lexicon() -> Lexicon:
    """The shipped lexicon (``forum/search/lexicon-da.txt.gz``), loaded once per process."""
    data = resources.files("forum.search").joinpath(LEXICON_FILE).read_bytes()
    return Lexicon.parse(gzip.decompress(data).decode("utf-8"))
