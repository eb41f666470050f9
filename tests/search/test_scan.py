"""The fast paths of asking: one scoring pass, estimated counts for broad searches, the
bisecting skip and the cached field lengths must give the answers the slow ways give."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from whoosh import query as wq
from whoosh import scoring as whoosh_scoring

from forum import permissions
from forum.extensions import db
from forum.search import plan as search_plan
from forum.search import scan as search_scan
from forum.search.engine import internals, postings
from forum.search.query import Places, build, parse, search
from forum.search.scan import scan as _scan
from tests import factories
from tests.search.conftest import Searcher, app_on


@pytest.fixture
def app(generated_forum, database_url, tmp_path):
    """The application on the generated forum, put back for each test (a test may write)."""
    yield from app_on(generated_forum, database_url, tmp_path)


@pytest.fixture
def generated(app):
    """A searcher over the 1,200 generated posts and their index."""
    return Searcher(app)


def _ask(searcher, text):
    places = Places.load(db.session)
    ask = build(parse(text, places))
    return searcher.index.searcher(), ask


def test_a_broad_search_estimates_its_counts_and_keeps_the_page_exact(generated, monkeypatch):
    exact = generated("barn", per_page=10)
    assert not exact.estimated and exact.total > 60
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 100)
    broad = generated("barn", per_page=10)
    newest = generated("barn", per_page=10, sort="newest")
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 10**9)
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
    # Facet counts are estimates of the same size as the exact ones: each facet's total, and
    # each value that counts for much, within the same margin as the totals.
    assert {f.name for f in broad.facets} == {f.name for f in exact.facets}
    exact_counts = {(f.name, v.value): v.count for f in exact.facets for v in f.values}
    broad_counts = {(f.name, v.value): v.count for f in broad.facets for v in f.values}
    for facet in exact.facets:
        exact_sum = sum(v.count for v in facet.values)
        broad_sum = sum(broad_counts.get((facet.name, v.value), 0) for v in facet.values)
        assert abs(broad_sum - exact_sum) <= 0.35 * exact_sum, facet.name
        # A single value is a smaller sample: its error is bounded by the facet's size.
        for value in facet.values:
            key = (facet.name, value.value)
            assert abs(broad_counts.get(key, 0) - exact_counts[key]) <= 0.35 * exact_sum, key


def _matching_posts_slowly(searcher, text, topic_id):
    whoosh_searcher, ask = _ask(searcher, text)
    within = wq.And([_whole_query(ask, text), wq.Term("topic", str(topic_id))])
    return len(list(whoosh_searcher.docs_for_query(within)))


def _whole_query(ask, text):
    """The ask with its column filters as Whoosh query clauses (the slow, plain way)."""
    parsed = parse(text, Places.load(db.session))
    filters = [
        search_plan._any_term(name, values)
        for name, values in parsed.filters.items()
        if name in ask.keep
    ]
    if ask.created:
        filters.append(wq.DateRange("created", *ask.created))
    return wq.And([ask.find, *filters]) if filters else ask.find


def test_estimated_pages_stop_where_the_read_topics_end(generated, monkeypatch):
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 100)
    results = generated("barn", per_page=10)
    assert results.estimated
    last = generated("barn", per_page=10, page=results.pages)
    assert last.hits, "the last page offered has results"


def test_the_budget_is_where_estimating_starts(generated, monkeypatch):
    exact = generated("barn")
    whoosh_searcher, ask = _ask(generated, "barn")
    can_match = ask.find.estimate_size(whoosh_searcher.reader())
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", can_match)
    at_budget = generated("barn")
    assert not at_budget.estimated
    assert (at_budget.total, at_budget.posts) == (exact.total, exact.posts)
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", can_match // 4)
    assert generated("barn").estimated


def test_one_pass_scores_like_whooshs_own_search(generated):
    whoosh_searcher, ask = _ask(generated, "plejefamilie samarbejde")
    match = _scan(whoosh_searcher, ask, set(), budget=10**9)
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
    assert internals.skip_installed()
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
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 100)
    results = search(db.session, generated.index, permissions.ANY_MEMBER, "barn")
    for hit in results.hits:
        assert permissions.can(member, permissions.VIEW, hit.post)


def test_the_page_says_when_counts_are_estimates(generated, monkeypatch, client, auth, member):
    auth.login(member)
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 100)
    html = client.get("/search", query_string={"q": "barn"}).get_data(as_text=True)
    assert "ca. " in html and 'title="anslået"' in html
    assert client.get("/search.json", query_string={"q": "barn"}).get_json()["estimated"] is True
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", 10**9)
    html = client.get("/search", query_string={"q": "barn"}).get_data(as_text=True)
    assert "ca. " not in html
    assert client.get("/search.json", query_string={"q": "barn"}).get_json()["estimated"] is False


@pytest.mark.parametrize(
    "text, columns, dated",
    [
        ("barn region:midtjylland", {"region"}, False),
        ("barn tema:familiepleje type:sparring", {"theme", "kind"}, False),
        ("familie år:2024", {"year"}, False),
        ("barn løst:nej", {"answered"}, False),
        ("barn efter:2024-03-01 før:2024-12-31", set(), True),
    ],
)
def test_column_filters_find_what_their_postings_find(generated, text, columns, dated):
    """Broad filters are checked on each match's column; the posts kept must be exactly those
    Whoosh finds when the filter is part of the query."""
    whoosh_searcher, ask = _ask(generated, text)
    assert set(ask.keep) == columns, "these filters are checked on columns"
    assert (ask.created is not None) == dated, "a date range is checked on the time column"
    expected = set(whoosh_searcher.docs_for_query(_whole_query(ask, text)))
    match = _scan(whoosh_searcher, ask, set(), budget=10**9)
    found = {doc for _, docs, _ in match.parts for doc in docs}
    assert expected and found == expected
    assert match.posts == len(expected)


def test_a_filtered_broad_search_estimates_and_counts_other_matches_exactly(generated, monkeypatch):
    text = "barn region:midtjylland"
    exact = generated(text, per_page=10)
    monkeypatch.setattr(search_scan, "SCAN_BUDGET", exact.posts // 4)
    broad = generated(text, per_page=10)
    assert broad.estimated and not exact.estimated
    assert abs(broad.posts - exact.posts) <= 0.35 * exact.posts
    assert [f.name for f in broad.facets if f.name == "region"] == ["region"]
    region = next(f for f in broad.facets if f.name == "region")
    assert [v.value for v in region.values] == ["midtjylland"]
    for hit in broad.hits:
        assert hit.topic.region.slug == "midtjylland"
        assert hit.other_matches == _matching_posts_slowly(generated, text, hit.topic.id) - 1


def test_only_filters_read_the_filters_postings(generated):
    _, ask = _ask(generated, "region:midtjylland efter:2024-01-01")
    assert not ask.keep and ask.created is None
    assert generated("region:midtjylland efter:2024-01-01", per_page=10).total


@pytest.mark.parametrize(
    "text, any_word",
    [
        ("barn", False),
        ("plejefamilie samarbejde", False),
        ("plejefamilie samarbejde", True),
        ("barn familie region:midtjylland", True),
        ("barn tema:familiepleje efter:2024-01-01", False),
    ],
)
@pytest.mark.parametrize("budget", [10**9, 60])
def test_block_reading_finds_and_scores_like_whooshs_matchers(
    generated, monkeypatch, text, any_word, budget
):
    whoosh_searcher = generated.index.searcher()
    ask = build(parse(text, Places.load(db.session)), any_word=any_word)
    leaf = whoosh_searcher.leaf_searchers()[0][0]
    assert postings.plan(ask.find, leaf, whoosh_searcher.weighting) is not None
    fast = _scan(whoosh_searcher, ask, set(), budget=budget)
    monkeypatch.setattr(postings, "plan", lambda *args: None)
    slow = _scan(whoosh_searcher, ask, set(), budget=budget)

    assert fast.posts == slow.posts and fast.total == slow.total and fast.posts
    assert fast.estimated == slow.estimated
    if text == "barn":
        assert fast.estimated == (budget < 100), "both the whole and the windowed reading"
    assert [doc for _, docs, _ in fast.parts for doc in docs] == [
        doc for _, docs, _ in slow.parts for doc in docs
    ]
    assert fast.best.keys() == slow.best.keys()
    for topic, (score, doc) in slow.best.items():
        assert fast.best[topic][0] == pytest.approx(score)
        assert fast.best[topic][1] == doc
    assert fast.facets == slow.facets


def test_a_phrase_or_a_prefix_keeps_whooshs_matchers(generated):
    whoosh_searcher = generated.index.searcher()
    leaf = whoosh_searcher.leaf_searchers()[0][0]
    for text in ('"tæt samarbejde"', "plejefam*", "barn @nogen"):
        ask = build(parse(text, Places.load(db.session)))
        assert postings.plan(ask.find, leaf, whoosh_searcher.weighting) is None


@pytest.mark.parametrize("by_block", [True, False])
def test_the_block_reader_reads_every_posting_once_across_ranges(generated, by_block):
    """By block (Whoosh's own posting reader) or, for readers without blocks, one by one."""
    searcher = generated.index.searcher()
    reader = searcher.reader()
    leaf = searcher.leaf_searchers()[0][0]
    bounds = [0, 1, 77, 128, 129, 400, 401, 700, 1000, reader.doc_count_all()]
    rare = [t for t, i in reader.iter_field("body") if i.doc_frequency() == 1][:1]
    common = [t for _, t in reader.most_frequent_terms("body", number=2)]
    assert len(rare + common) == 3
    for term in (t.decode() for t in rare + common):
        expected = list(reader.postings("body", term).all_ids())
        plan = postings.plan(wq.Term("body", term), leaf, searcher.weighting)
        assert plan.blocks
        plan.blocks = by_block
        read = []
        for low, high in zip(bounds, bounds[1:], strict=False):
            ids, weights = plan.postings(low, high)
            assert all(low <= doc < high for doc in ids) and len(weights) == len(ids)
            read.extend(ids)
        assert read == expected


def test_block_reading_leaves_out_deleted_posts(generated, monkeypatch, facilitator):
    from forum.models import Post
    from forum.topics import delete_post

    replies = db.session.scalars(
        select(Post).where(Post.number > 1).order_by(Post.id).limit(300)
    ).all()
    for post in replies[::3]:
        delete_post(db.session, facilitator, post)
    db.session.commit()
    generated.sync()
    whoosh_searcher = generated.index.searcher()
    deleted_ids = {str(post.id) for post in replies[::3]}
    with_deletions = [
        leaf for leaf, _ in whoosh_searcher.leaf_searchers() if leaf.reader().has_deletions()
    ]
    plan = postings.plan(wq.Term("body", "barn"), with_deletions[0], whoosh_searcher.weighting)
    assert plan.blocks and plan.deleted, "read by block, deleted posts left out"
    for text in ("barn", "plejefamilie samarbejde", "barn region:midtjylland"):
        ask = build(parse(text, Places.load(db.session)))
        fast = _scan(whoosh_searcher, ask, set(), budget=10**9)
        found = [doc for _, docs, _ in fast.parts for doc in docs]
        assert not {whoosh_searcher.stored_fields(doc)["doc_id"] for doc in found} & deleted_ids
        with monkeypatch.context() as patched:
            patched.setattr(postings, "plan", lambda *args: None)
            slow = _scan(whoosh_searcher, ask, set(), budget=10**9)
        assert fast.posts == slow.posts and fast.best.keys() == slow.best.keys()
        for topic, (score, doc) in slow.best.items():
            assert fast.best[topic] == (pytest.approx(score), doc)


def test_matches_bunched_in_time_keep_the_budget(generated):
    """Matches only in windows the first pass skips (a year, say) are still read pass by
    pass until the budget is spent, not all at once because the first pass found none."""
    whoosh_searcher, ask = _ask(generated, "barn")
    step = -(-whoosh_searcher.doc_count_all() // search_scan._WINDOWS)
    low, high = 17 * step, 30 * step  # windows 17-29: none of them in the first pass

    class Bunched(type(ask)):
        def check(self, reader):
            return lambda doc: low <= doc < high

    bunched = Bunched(ask.find)
    everything = _scan(whoosh_searcher, bunched, set(), budget=10**9)
    assert not everything.estimated and everything.posts > 40
    match = _scan(whoosh_searcher, bunched, set(), budget=10)
    read = sum(len(docs) for _, docs, _ in match.parts)
    assert match.estimated and read < everything.posts / 2


def test_a_document_without_a_time_is_outside_every_date_range(generated):
    whoosh_searcher, ask = _ask(generated, "barn efter:2020-01-01")
    meta = whoosh_searcher.document_number(doc_id="meta")  # the one document without a time
    for leaf, offset in whoosh_searcher.leaf_searchers():
        if offset <= meta < offset + leaf.doc_count_all():
            assert ask.check(leaf.reader())(meta - offset) is False
            assert ask.check(leaf.reader())(0) is True  # a post written after 2020


def test_what_a_test_writes_is_gone_for_the_next(generated, generated_forum, tmp_path):
    """The generated forum is built once; each test gets its rows and index back."""
    from forum.models import Post, Role, User
    from forum.search.indexer import SearchIndex
    from forum.topics import delete_post

    def counts(index):
        live = db.session.scalar(select(func.count(Post.id)).where(Post.deleted_at.is_(None)))
        users = db.session.scalar(select(func.count(User.id)))
        return live, users, index.searcher().doc_count(), index.cursor()

    before = counts(generated.index)
    facilitator = factories.user(db.session, name="Ny Facilitator", role=Role.FACILITATOR)
    for post in db.session.scalars(select(Post).where(Post.number > 1).limit(5)):
        delete_post(db.session, facilitator, post)
    db.session.commit()
    generated.sync()
    written = counts(generated.index)
    assert written[0] == before[0] - 5 and written[1] == before[1] + 1
    assert written[2] == before[2] - 5 and written[3] > before[3]

    db.session.remove()
    with db.engine.begin() as connection:
        generated_forum.restore(connection, tmp_path / "restored")
    assert counts(SearchIndex(tmp_path / "restored")) == before
