"""The Danish analyzer: stems, folding, stop words and compound parts."""

from __future__ import annotations

import pytest

from forum.search import analysis
from forum.search.analysis import DanishAnalyzer, Vocabulary, fold, terms, using


@pytest.mark.parametrize(
    "forms",
    [
        ["anbringelse", "anbringelsen", "anbringelser", "anbringelserne"],
        ["plejefamilie", "plejefamilien", "plejefamilier", "plejefamilierne"],
        ["kommune", "kommunen", "kommuner", "kommunerne"],
        ["sagsbehandling", "sagsbehandlingen"],
        ["børn", "børnene", "boern", "boernene"],
    ],
)
def test_inflections_meet_in_one_stem(forms):
    assert len({tuple(terms(form)) for form in forms}) == 1, [terms(f) for f in forms]


@pytest.mark.parametrize(
    ("typed", "written"),
    [("boern", "børn"), ("aeldre", "ældre"), ("foraeldre", "forældre"), ("Aabenraa", "Åbenrå")],
)
def test_missing_danish_letters_still_match(typed, written):
    assert terms(typed) == terms(written)


def test_stop_words_are_dropped_in_either_spelling():
    assert terms("og på til paa") == []
    assert terms("børn på skolen") == terms("boern paa skolen")


def test_fold():
    assert fold("Børnehøjde på Ærø") == "boernehoejde paa aeroe"


@pytest.fixture
def vocabulary():
    return Vocabulary(
        ["netværksanbringelser", "familieplejeanbringelser", "familiepleje", "sagsbehandlingen"]
    )


@pytest.mark.parametrize(
    ("compound", "part"),
    [
        ("netværksanbringelser", "anbringelse"),  # linking -s-
        ("familieplejeanbringelser", "familiepleje"),
        ("familieplejeanbringelser", "pleje"),  # a part of a part
        ("anbringelsessag", "sag"),  # a shipped three-letter word
        ("sagsbehandlingen", "sagsbehandling"),  # plain inflection
        ("børnesamtaler", "børn"),  # linking -e-
        ("skolefravær", "fravær"),
    ],
)
def test_compound_parts_are_indexed(vocabulary, compound, part):
    with using(vocabulary):
        indexed = {t.text for t in DanishAnalyzer()(compound)}
    assert set(terms(part)) <= indexed


@pytest.mark.parametrize(
    "word",
    # Inflections and derivations that look like compounds of short or suffix-like words.
    ["forældre", "børnene", "kommunen", "tryghed", "sammen", "evalueringen", "samtalen"],
)
def test_words_that_are_not_compounds_stay_whole(word):
    vocabulary = Vocabulary(["for", "ældre", "ene", "kom", "munen", "tryg", "samt", "alen"])
    assert vocabulary.split(fold(word)) == ()


def test_parts_shorter_than_three_letters_are_ignored():
    vocabulary = Vocabulary(["ad", "hoc", "adhoc"])
    assert all(len(part) >= 3 for part in vocabulary.split("adhocsag"))
    assert vocabulary.split("adsag") == ()  # "ad" is too short to be a part


def test_learned_three_letter_words_are_not_parts():
    # "ser" is a word, but only shipped domain words of three letters are trusted as parts.
    vocabulary = Vocabulary(["pres", "ser"])
    assert vocabulary.split("presser") == ()


def test_parts_are_weaker_than_the_whole_word(vocabulary):
    with using(vocabulary):
        tokens = [
            (t.text, t.boost, t.pos)
            for t in DanishAnalyzer()("netværksanbringelser", positions=True)
        ]
    whole, *parts = tokens
    assert whole[1] == 1.0
    assert parts and all(boost < 1.0 and pos == whole[2] for _, boost, pos in parts)


def test_without_a_vocabulary_nothing_is_split():
    assert terms("netværksanbringelser") == ["netvaerksanbring"]


def test_the_vocabulary_learns_words_and_keeps_their_spelling():
    vocabulary = Vocabulary()
    new = vocabulary.add(["Bisidder", "bisidder", "Søskende", "og", "x1"])
    assert sorted(new) == ["bisidder", "søskende"]
    assert vocabulary.surface["soeskende"] == "søskende"
    assert vocabulary.split(fold("søskendebisidderen")) == ("soeskende", "bisidderen")


def test_domain_words_ship_with_the_code():
    assert {"anbringelse", "sag", "netværk"} <= set(analysis.domain_words())
