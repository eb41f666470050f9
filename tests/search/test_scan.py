"""The fast paths of asking: one scoring pass, estimated counts for broad searches, the
bisecting skip and the cached field lengths must give the answers the slow ways give."""

from __future__ import annotations

import random

import pytest
from whoosh import query as wq
from whoosh import scoring as whoosh_scoring

from forum import permissions
from forum.extensions import db
from forum.generate import generate
from forum.search import query as search_query
from forum.search import scoring
from forum.search.query import Places, _scan, build, parse, search


@pytest.fixture
def generated(searcher):
    """1,200 generated posts: enough for the windowed reading (at least 512 documents)."""
    generate(db.session, topics=120, posts_per_topic=10, seed=3)
    searcher.rebuild()
    return searcher


def _ask(searcher, text):
    places = Places.load(db.session)
    ask = build(parse(text, places))
    return searcher.index.searcher(), ask


def test_a_broad_search_estimates_its_counts_and_keeps_the_page_exact(generated, monkeypatch):
    exact = generated("barn", per_page=10)
    assert not exact.estimated and exact.total > 60
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 100)
    broad = generated("barn", per_page=10)
    newest = generated("barn", per_page=10, sort="newest")
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 10**9)
    exact_newest = generated("barn", per_page=10, sort="newest")

    assert broad.estimated
    assert abs(broad.total - exact.total) <= 0.35 * exact.total
    assert abs(broad.posts - exact.posts) <= 0.35 * exact.posts
    # The counts next to each hit are exact, whichever windows were read.
    assert broad.hits
    for hit in broad.hits:
        assert hit.other_matches == _matching_posts_slowly(generated, "barn", hit.topic.id) - 1
    # The newest window is always read: sorting by newest is exact on the first page.
    assert [h.topic.id for h in newest.hits] == [h.topic.id for h in exact_newest.hits]
    # Facet counts are estimates of the same size as the exact ones.
    assert {f.name for f in broad.facets} == {f.name for f in exact.facets}


def _matching_posts_slowly(searcher, text, topic_id):
    whoosh_searcher, ask = _ask(searcher, text)
    within = wq.And([ask.find, wq.Term("topic", str(topic_id))])
    return len(list(whoosh_searcher.docs_for_query(within)))


def test_estimated_pages_stop_where_the_read_topics_end(generated, monkeypatch):
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 100)
    results = generated("barn", per_page=10)
    assert results.estimated
    last = generated("barn", per_page=10, page=results.pages)
    assert last.hits, "the last page offered has results"


def test_the_budget_is_where_estimating_starts(generated, monkeypatch):
    exact = generated("barn")
    whoosh_searcher, ask = _ask(generated, "barn")
    can_match = ask.find.estimate_size(whoosh_searcher.reader())
    monkeypatch.setattr(search_query, "SCAN_BUDGET", can_match)
    at_budget = generated("barn")
    assert not at_budget.estimated
    assert (at_budget.total, at_budget.posts) == (exact.total, exact.posts)
    monkeypatch.setattr(search_query, "SCAN_BUDGET", can_match // 4)
    assert generated("barn").estimated


def test_one_pass_scores_like_whooshs_own_search(generated):
    whoosh_searcher, ask = _ask(generated, "plejefamilie samarbejde")
    match = _scan(whoosh_searcher, ask.find, set(), budget=10**9)
    expected = {
        hit.docnum: hit.score for hit in whoosh_searcher.search(ask.find, limit=None, terms=False)
    }
    found = {doc: score for _, (score, doc) in match.best.items()}
    assert found
    for doc, score in found.items():
        assert score == pytest.approx(expected[doc])
    assert match.posts == len(expected)


def test_cached_lengths_give_whooshs_bm25f_scores(generated):
    index = generated.index
    fast = index.searcher()
    plain = index.open().searcher(weighting=whoosh_scoring.BM25F())
    try:
        q = wq.Or([wq.Term("body", "barn"), wq.Term("title", "barn")])
        ours = [(hit.docnum, round(hit.score, 6)) for hit in fast.search(q, limit=30)]
        theirs = [(hit.docnum, round(hit.score, 6)) for hit in plain.search(q, limit=30)]
        assert ours == theirs and ours
    finally:
        plain.close()


def test_skipping_by_bisection_lands_where_stepping_does(generated):
    reader = generated.index.searcher().reader()
    assert scoring.whoosh3.W3LeafMatcher.skip_to is scoring._skip_within_block
    rng = random.Random(5)
    for term in ("barn", "familie", "sag"):
        if not reader.doc_frequency("body", term):
            continue
        ids = list(reader.postings("body", term).all_ids())
        for _ in range(40):
            matcher = reader.postings("body", term)
            target = rng.randrange(0, ids[-1] + 2)
            matcher.skip_to(target)
            following = [doc for doc in ids if doc >= target]
            if following:
                assert matcher.is_active() and matcher.id() == following[0]
            else:
                assert not matcher.is_active()


def test_estimated_hits_are_posts_the_member_may_see(generated, monkeypatch, member):
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 100)
    results = search(db.session, generated.index, permissions.ANY_MEMBER, "barn")
    for hit in results.hits:
        assert permissions.can(member, permissions.VIEW, hit.post)


def test_the_page_says_when_counts_are_estimates(generated, monkeypatch, client, auth, member):
    auth.login(member)
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 100)
    html = client.get("/search", query_string={"q": "barn"}).get_data(as_text=True)
    assert "ca. " in html and 'title="anslået"' in html
    assert client.get("/search.json", query_string={"q": "barn"}).get_json()["estimated"] is True
    monkeypatch.setattr(search_query, "SCAN_BUDGET", 10**9)
    html = client.get("/search", query_string={"q": "barn"}).get_data(as_text=True)
    assert "ca. " not in html
    assert client.get("/search.json", query_string={"q": "barn"}).get_json()["estimated"] is False
