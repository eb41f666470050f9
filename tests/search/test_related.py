"""Related topics: still related, bounded work, kept per index generation, never hidden ones."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from forum import permissions
from forum import topics as domain
from forum.extensions import db
from forum.imports import import_lines
from forum.models import Topic
from forum.search import related as related_module
from forum.search.related import key_terms, related
from tests import factories

HERE = Path(__file__).parent

# Pairs from the relevance corpus that a reader would call related: the second must be among
# the first's related topics.
KNOWN_PAIRS = [
    (
        "Ungdomsboliger til unge på vej ud af anbringelse – hvem skaffer boligen?",
        "Ungdomsboliger med bostøtte til unge fra opholdssteder – hvem har erfaring?",
    ),
    (
        "Adoption af et plejebarn efter mange år – hvad med samtykke fra forældrene?",
        "Hvem tager drøftelsen af adoption med plejefamilien hos jer?",
    ),
    (
        "Søskende anbragt hvert sit sted – hvordan samler I dem igen?",
        "Erfaring: Søskendesamvær hver måned med plejefamilierne som værter",
    ),
]


def _titles(searcher, topic, user=permissions.ANY_MEMBER) -> list[str]:  # type: ignore[no-untyped-def]
    db.session.commit()
    return [t.title for t in related(db.session, searcher.index, user, topic)]


def _by_title(title: str) -> Topic:
    return db.session.scalars(db.select(Topic).where(Topic.title == title)).one()


@pytest.fixture
def corpus(searcher):  # type: ignore[no-untyped-def]
    with (HERE / "corpus.jsonl").open(encoding="utf-8") as lines:
        report = import_lines(db.session, lines)
    assert not report.errors, report.errors
    db.session.commit()
    searcher.rebuild()
    return searcher


@pytest.mark.parametrize(("title", "other"), KNOWN_PAIRS)
def test_known_pairs_stay_related(corpus, title, other):
    found = _titles(corpus, _by_title(title))
    assert other in found, found
    assert title not in found  # never the topic itself


def test_near_stop_words_are_not_key_terms(searcher, member):
    s = db.session
    for n in range(30):
        factories.topic(
            s,
            member,
            title=f"Hvordan kom vi godt i gang nummer {n}",
            body=f"Hvordan kom I godt i gang? Emne {n} handler om noget helt andet.",
        )
    for n in range(3):
        factories.topic(
            s,
            member,
            title=f"Hvordan kom vi godt i gang med plejefamilierekruttering {n}",
            body="Hvordan kom I godt i gang med plejefamilierekruttering og annoncer?",
        )
    searcher.rebuild()
    found = key_terms(
        searcher.index.searcher(),
        "Hvordan kom I godt i gang med plejefamilierekruttering?",
        topics=33,
    )
    words = {word for word, _ in found["title"] + found["body"]}
    assert "plejefamilierekruttering" in words, found  # the one telling word is kept
    assert not {"hvordan", "kom", "godt", "gang"} & words, found


WORDS = [
    "aflastning", "bisidder", "efterværn", "handleplan", "visitation", "tilsyn", "skolefravær",
    "opfølgning", "dokumentation", "evaluering", "samvær", "søskende", "netværkspleje",
    "plejefamilie", "kontaktperson", "hjemgivelse", "socialtilsyn", "bostøtte", "ungdomsbolig",
    "familierådslagning",
]  # fmt: skip


def test_work_is_bounded_by_the_budgets(searcher, member, monkeypatch):
    s = db.session
    # Each of the twenty words is in five of the hundred topics: none is too common, and all
    # of them together would read far more postings than the (small, for the test) budgets.
    for n in range(100):
        word = WORDS[n % 20]
        factories.topic(s, member, title=f"Om {word} nr {n}", body=f"Vi skriver om {word}.")
    searcher.rebuild()
    monkeypatch.setattr(related_module, "TITLE_BUDGET", 12)
    monkeypatch.setattr(related_module, "BODY_BUDGET", 12)
    reader = searcher.index.searcher()
    found = key_terms(reader, " ".join(WORDS), 100)
    for field in ("title", "body"):
        assert 1 <= len(found[field]) <= 2, found
        assert sum(reader.doc_frequency(field, w) for w, _ in found[field]) <= 12, found


@pytest.mark.parametrize(
    "body",
    ["a" * 30_000, "plejefamilie " * 3_000, "[" * 400 + "søskende" + "]" * 400],
    ids=["30000-letter word", "one word 3000 times", "400 brackets"],
)
def test_pathological_text_is_cheap(searcher, member, body):
    s = db.session
    factories.topic(s, member, title="Plejefamilie og søskende", body="Plejefamilie, søskende.")
    strange = factories.topic(s, member, title="Et emne med mærkelig tekst", body=body[:20_000])
    searcher.rebuild()
    started = time.perf_counter()
    _titles(searcher, strange)
    assert time.perf_counter() - started < 2.0


def test_a_new_generation_of_the_index_is_asked_again(searcher, member):
    s = db.session
    first = factories.topic(
        s, member, title="Efterværn for unge med handicap", body="Efterværn og handicap."
    )
    factories.topic(s, member, title="Skolefravær i udskolingen", body="Skolefravær.")
    searcher.rebuild()
    assert _titles(searcher, first) == []
    factories.topic(
        s, member, title="Efterværn og overgangen ved 18 år", body="Efterværn for unge, handicap."
    )
    searcher.sync()
    assert _titles(searcher, first) == ["Efterværn og overgangen ved 18 år"]


def test_answers_are_kept_until_the_index_changes(searcher, member, monkeypatch):
    s = db.session
    first = factories.topic(s, member, title="Efterværn for unge", body="Efterværn og handicap.")
    factories.topic(s, member, title="Efterværn ved 18 år", body="Efterværn for unge.")
    searcher.rebuild()
    assert _titles(searcher, first) == ["Efterværn ved 18 år"]
    asked = []
    real = related_module.related_ids
    monkeypatch.setattr(
        related_module, "related_ids", lambda *a, **k: asked.append(a) or real(*a, **k)
    )
    assert _titles(searcher, first) == ["Efterværn ved 18 år"]
    assert asked == []


def test_a_deleted_topic_is_left_out_before_the_indexer_runs(searcher, member, facilitator):
    s = db.session
    first = factories.topic(s, member, title="Efterværn for unge", body="Efterværn og handicap.")
    other = factories.topic(s, member, title="Efterværn ved 18 år", body="Efterværn for unge.")
    searcher.rebuild()
    assert _titles(searcher, first) == ["Efterværn ved 18 år"]
    domain.delete_post(s, facilitator, factories.post(s, other, 1))
    assert _titles(searcher, first) == []


def test_related_topics_on_the_topic_page(searcher, client, auth, member):
    s = db.session
    first = factories.topic(
        s, member, title="Netværksanbringelser i Norddjurs", body="Flere netværksanbringelser."
    )
    factories.topic(
        s,
        member,
        title="Kursus for netværksplejefamilier",
        body="Netværksanbringelser kræver et kursus for netværksplejefamilierne.",
    )
    searcher.rebuild()
    auth.login(member)
    page = client.get(f"/t/{first.slug}/{first.id}").get_data(as_text=True)
    assert 'class="related-topics"' in page
    assert "Kursus for netværksplejefamilier" in page
