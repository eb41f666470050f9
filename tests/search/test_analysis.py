"""The Danish analyzer: stems, folding, stop words and compound parts."""

from __future__ import annotations

from importlib import resources

import pytest

from forum.search import analysis, lexicon
from forum.search.analysis import DanishAnalyzer, Vocabulary, fold, terms, using
from forum.search.lexicon import NO_LEXICON, WordSet


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


def test_compounds_are_split_as_written_not_as_stemmed():
    # The stemmer after the splitter changes the same token object: read too late, the word
    # was "socialvag", and "vag" is no part.
    vocabulary = Vocabulary(["social", "vagten"], lexicon=NO_LEXICON)
    with using(vocabulary):
        indexed = {t.text for t in DanishAnalyzer()("socialvagten")}
    assert set(terms("vagt")) <= indexed


def test_every_run_of_neighbouring_parts_is_indexed():
    # børne|råd|s|møderne: "børneråd" is a part though no list holds it.
    vocabulary = Vocabulary(["børne", "råd", "møderne"], lexicon=NO_LEXICON)
    parts = vocabulary.split("boerneraadsmoederne")
    assert {"boerne", "raad", "moederne", "boerneraad", "raadsmoederne"} <= set(parts)


def test_parts_of_parts_are_bounded():
    words = ["plan", "team", "sted", "dage", "planteam", "steddage", "planteamsteddage"]
    vocabulary = Vocabulary(words, lexicon=NO_LEXICON)
    parts = vocabulary.split("planteamsteddage" * 3)  # 12 known words, nested three deep
    assert 0 < len(parts) <= analysis.MAX_FINE_PARTS * (analysis.MAX_FINE_PARTS + 1) // 2 - 1


# --- The Danish lexicon: compounds of words the forum has never seen alone -------------------


@pytest.mark.parametrize(
    ("compound", "part"),
    [
        ("skoletandplejen", "tandpleje"),  # a run of the parts skole|tand|plejen
        ("hjemmebesøgsprogrammet", "hjemmebesøg"),  # linking -s- where the dictionary has it
        ("mødereferatet", "referat"),
        ("krisecenteret", "krise"),
        ("sundhedsplejersken", "sundhed"),
        ("ungdomsklubben", "klub"),
        ("skolebestyrelsen", "bestyrelse"),
        ("netværkskortet", "kort"),  # netværk|s|kort, not netværk|skort (a skirt)
        ("boligselskabet", "selskab"),  # bolig|selskab, not bolig|s|elskab
        ("plejefamiliekonsulenten", "plejefamilie"),  # a dictionary compound as a part
    ],
)
def test_the_lexicon_splits_compounds_into_words_the_forum_has_not_seen(compound, part):
    with using(Vocabulary()):  # the shipped domain words and the lexicon, no forum text
        indexed = {t.text for t in DanishAnalyzer()(compound)}
    assert set(terms(part)) <= indexed


@pytest.mark.parametrize(
    "word",
    # Dictionary words that a general lexicon would cut into two of its words: alle|rede,
    # politi|kerne, beta|ling, delta|gere, stud|rende ...
    [
        *("allerede", "politikerne", "betaling", "deltagere", "konkrete", "regionale"),
        *("personalets", "kampagnen", "fortalte", "studerende", "holdbart", "stillede"),
        *("interesserede", "fjortende"),
    ],
)
def test_dictionary_words_that_only_look_like_compounds_stay_whole(word):
    assert Vocabulary().split(fold(word)) == ()


def test_the_forums_words_still_split_what_the_dictionary_does_not():
    # The dictionary knows "langvarig" but not as a compound (its "varig" inflects otherwise).
    assert Vocabulary().split("langvarig") == ()
    assert Vocabulary(["lang", "varig"]).split("langvarig") == ("lang", "varig")


def test_the_lexicon_is_loaded_once_and_small():
    danish = lexicon.danish_lexicon()
    assert lexicon.danish_lexicon() is danish
    assert len(danish.bare) > 30_000 and len(danish.tails) > 100_000
    assert len(danish.known) > 100_000 and len(danish.cuts) > 20_000
    assert "familie" in danish.bare and "raadgivning" in danish.linked_s
    assert analysis.stem("katalog") in danish.tails
    sections = (danish.bare, danish.linked_s, danish.linked_e, danish.tails, danish.known)
    assert sum(section.nbytes() for section in (*sections, danish.cuts)) < 3_000_000


def test_a_word_set_keeps_eight_bytes_a_word():
    words = [f"ord{i}" for i in range(10_000)]
    found = WordSet(words)
    assert all(word in found for word in words[::97])
    assert "ord10000" not in found and "" not in found and len(found) == 10_000
    assert found.nbytes() == 80_000


def test_the_lexicon_ships_with_its_licence():
    files = resources.files("forum.search")
    notice = files.joinpath(lexicon.LEXICON_NOTICE).read_text("utf-8")
    assert "Mozilla Public License 1.1" in notice and "Stavekontrolden" in notice
    assert files.joinpath(lexicon.LEXICON_FILE).is_file()
