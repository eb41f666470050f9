"""Hostile content and busy moments: bounded splitting and highlighting, failed documents set
aside, deletions hidden whatever is pending, negated filters, one searcher per search, and a
new post never left behind by a busy lock holder."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, insert, select

from forum import permissions
from forum.extensions import db
from forum.models import SearchFailure, SearchOutboxEntry
from forum.search import analysis, indexer, pending
from forum.search import query as search_query
from forum.search.analysis import Vocabulary
from forum.search.query import search
from forum.timeutil import utcnow
from forum.topics import delete_post, reply
from tests import factories

# Far more than any real word needs (a 48-letter compound takes a few hundred), far fewer
# than the unbounded splitter took on the inputs below (millions, or a RecursionError).
MAX_SEGMENT_CALLS = 20_000


@pytest.fixture
def segment_calls(monkeypatch):
    """Counts the compound splitter's steps (the real splitter runs)."""
    calls = {"n": 0, "longest": 0}
    real = Vocabulary._segment

    def counting(self, word, start, memo, depth):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        calls["longest"] = max(calls["longest"], len(word))
        return real(self, word, start, memo, depth)

    monkeypatch.setattr(Vocabulary, "_segment", counting)
    return calls


PATHOLOGICAL = {
    "one word 3,000 times": "barn" * 3000,
    "30,000 letters": "a" * 30_000,
    "400 brackets": "(" * 400 + "tre barn" + ")" * 400 + "[" * 400,
    "long then longer": "a" * 74 + " tre " + "a" * 29_000,
}


@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_hostile_posts_index_search_and_highlight_within_bounds(
    searcher, member, segment_calls, body
):
    factories.topic(db.session, member, title="Barnets tre ønsker", body=body)
    factories.topic(db.session, member, title="Plejefamilie", body="Tre børn i en plejefamilie.")
    result = searcher.sync()  # unbounded, this raised RecursionError
    assert result.indexed == 2 and not result.failed
    assert segment_calls["n"] < MAX_SEGMENT_CALLS
    assert segment_calls["longest"] <= analysis.MAX_SPLIT_CHARS
    segment_calls["n"] = 0
    assert {hit.topic.title for hit in searcher("tre").hits} == {
        "Barnets tre ønsker",
        "Plejefamilie",
    }
    for text in ("tre", "barn", "plejefamilie", body[:500]):
        for hit in searcher(text).hits:
            # The calm topic is found by its body; the hostile one (whose body may hold no
            # word of the query) by its title. Either way the hit shows what matched.
            shown = hit.snippet if hit.topic.title == "Plejefamilie" else hit.title
            assert "<mark>" in shown, (text[:20], hit.topic.title)
    assert searcher("plejefamilie").total == 1
    assert segment_calls["n"] < MAX_SEGMENT_CALLS  # highlighting split at most short words
    assert segment_calls["longest"] <= analysis.MAX_SPLIT_CHARS


def test_rebuild_indexes_a_hostile_post(searcher, member):
    factories.topic(db.session, member, title="Gentagelser", body="barn" * 3000)
    assert searcher.rebuild().posts == 1


def test_a_real_compound_is_still_split():
    vocabulary = Vocabulary(["netværk", "anbringelser"])
    assert set(vocabulary.split("netvaerksanbringelser")) >= {"netvaerk", "anbringelser"}
    assert vocabulary.split("netvaerk" * 20) == ()  # too long to be a word: never split


def test_a_post_that_cannot_be_indexed_is_set_aside_and_counted(
    searcher, member, monkeypatch, runner
):
    bad = factories.topic(db.session, member, title="Ødelagt", body="Noget om efterværn")
    good = factories.topic(db.session, member, title="Efterværn virker", body="Om efterværn.")
    db.session.commit()
    bad_post = factories.post(db.session, bad, 1)
    bad_post_id = bad_post.id
    real = indexer.document

    def failing_for_one(row, text):  # type: ignore[no-untyped-def]
        if row.id == bad_post_id:  # a bug that only this post's content triggers
            raise ValueError("could not analyse this post")
        return real(row, text)

    monkeypatch.setattr(indexer, "document", failing_for_one)
    result = searcher.sync()
    assert set(result.failed) == {bad_post_id}
    assert searcher.titles("efterværn") == [good.title]  # the rest of the batch went in
    assert searcher.index.cursor() == db.session.scalar(select(func.max(SearchOutboxEntry.id)))
    (failure,) = db.session.scalars(select(SearchFailure)).all()
    assert (failure.kind, failure.object_id) == ("post", bad_post_id)
    assert "could not analyse" in failure.error

    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 1
    assert "Failed documents: 1" in status.output
    assert f"post {bad_post_id}" in status.output and "could not analyse" in status.output
    assert "Index usable: yes" in status.output and "pending changes: 0" in status.output

    monkeypatch.setattr(indexer, "document", real)  # fixed; the next change indexes it
    bad_post.body = "Noget om efterværn, rettet."
    searcher.sync()
    assert sorted(searcher.titles("efterværn")) == sorted([good.title, bad.title])
    assert db.session.scalar(select(func.count(SearchFailure.id))) == 0
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 0, status.output
    assert "Failed documents: 0" in status.output and "Fast path: on" in status.output


def test_status_without_an_index_exits_non_zero(app, runner):
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 1
    assert "Index usable: no" in status.output and "search rebuild" in status.output


def test_a_deleted_post_is_not_counted_however_much_is_pending(searcher, member, other_member):
    topic = factories.topic(db.session, member, title="Samvær", body="Samvær hver uge.")
    gone = reply(db.session, other_member, topic, "Samvær med bedsteforældre.")
    searcher.sync()
    assert searcher("samvær").posts == 2
    # A backlog larger than the mask reads at once: changes to posts that no longer exist.
    now = utcnow()
    rows = [
        {"kind": "post", "object_id": 10**6 + n, "op": "update", "created_at": now}
        for n in range(pending.MASK_LIMIT + 1000)
    ]
    db.session.execute(insert(SearchOutboxEntry), rows)
    delete_post(db.session, other_member, gone)
    db.session.commit()  # no sync: the index still holds the deleted post
    results = searcher("samvær")
    assert results.posts == 1 and results.total == 1
    assert [hit.post.id for hit in results.hits] != [gone.id]


@pytest.fixture
def spread(searcher, member, other_member, facilitator):
    """Posts over two regions, themes, kinds, municipalities, authors and answered states."""
    s = db.session
    a = factories.topic(
        s, member, title="Netværk i Norddjurs", body="Om netværk.", region="midtjylland"
    )
    reply(s, other_member, a, "Netværk i Odense også.")
    b = factories.topic(
        s,
        other_member,
        title="Sparring om netværk",
        body="Netværk og sparring.",
        kind="sparring",
        region="syddanmark",
        theme="anbringelser",
    )
    reply(s, facilitator, b, "Netværk hos os.")
    factories.topic(s, facilitator, title="Materiale om netværk", body="Netværk.", kind="material")
    searcher.sync()
    return {"member": member}


NEGATABLE = [
    "region:midtjylland",
    "tema:anbringelser",
    "kommune:norddjurs",
    "type:sparring",
    "@mette-kjaer",
    "løst:nej",
    f"år:{utcnow().year}",
]


@pytest.mark.parametrize("word", NEGATABLE)
@pytest.mark.parametrize("with_text", [False, True])
def test_every_filter_word_works_negated(searcher, spread, word, with_text):
    prefix = "netværk " if with_text else ""
    every = searcher("netværk")
    chosen = searcher(prefix + word)
    others = searcher(prefix + "-" + word)
    assert not chosen.query.notices and not others.query.notices
    # Together they are every post, each in one of them only.
    assert chosen.posts + others.posts == every.posts
    chosen_posts = {hit.post.id for hit in searcher(prefix + word, per_page=50).hits}
    other_posts = {hit.post.id for hit in searcher(prefix + "-" + word, per_page=50).hits}
    assert not chosen_posts & other_posts
    if word != f"år:{utcnow().year}":  # every post is from this year
        assert chosen.posts and others.posts


def test_a_search_uses_one_searcher_while_others_commit(searcher, member, monkeypatch):
    factories.topic(db.session, member, title="Skolefravær", body="Skolefravær og trivsel.")
    searcher.sync()
    real = search_query.pending_mask

    def commit_meanwhile(session, cursor, *ahead):  # type: ignore[no-untyped-def]
        # Another process writes and syncs between the search's first and later reads.
        factories.topic(db.session, member, title="Mere skolefravær", body="Skolefravær igen.")
        searcher.sync()
        return real(session, cursor, *ahead)

    monkeypatch.setattr(search_query, "pending_mask", commit_meanwhile)
    results = search(db.session, searcher.index, permissions.ANY_MEMBER, "skolefravær")
    # The search read one commit of the index throughout (the one before the new topic).
    assert [hit.topic.title for hit in results.hits] == ["Skolefravær"]
    assert all(re.search("<mark>", str(hit.snippet)) for hit in results.hits)


def test_a_row_committed_while_another_holds_the_lock_is_applied(searcher, member, monkeypatch):
    """The lock holder looks again after releasing the lock: a row whose writer found the lock
    taken is applied by the holder, even one below ids it has already seen (on PostgreSQL ids
    are handed out before commit, so a row can commit below the largest id read)."""
    first = factories.topic(db.session, member, title="Første", body="Overgange til voksenliv.")
    searcher.sync()
    index = searcher.index
    # "Anden" is written by a transaction that has its outbox id but has not committed yet:
    # its row is missing (a gap) while a later transaction's row is already there.
    other_topic = factories.topic(db.session, member, title="Anden", body="Overgange igen.")
    db.session.commit()
    gap = db.session.scalar(
        select(func.min(SearchOutboxEntry.id)).where(SearchOutboxEntry.id > index.cursor())
    )
    db.session.execute(delete(SearchOutboxEntry).where(SearchOutboxEntry.id >= gap))
    db.session.execute(
        insert(SearchOutboxEntry),
        [
            {
                "id": gap + 10,
                "kind": "user",
                "object_id": member.id,
                "op": "update",
                "created_at": utcnow(),
            }
        ],
    )
    reply(db.session, member, first, "Overgange er svære.")  # the request that holds the lock
    db.session.commit()
    real_reindex = index._reindex
    calls = {"n": 0, "other": "not run"}

    def meanwhile(session, writer, post_ids, result):  # type: ignore[no-untyped-def]
        done = real_reindex(session, writer, post_ids, result)  # the lock is held here
        calls["n"] += 1
        if calls["n"] == 1:
            # The late transaction commits now and, finding the lock taken, leaves its row.
            with searcher.app.app_context():
                other = db.session
                other.execute(
                    insert(SearchOutboxEntry),
                    [
                        {
                            "id": gap,
                            "kind": "topic",
                            "object_id": other_topic.id,
                            "op": "insert",
                            "created_at": utcnow(),
                        }
                    ],
                )
                other.commit()
                calls["other"] = index.sync(other)
                other.remove()
        return done

    monkeypatch.setattr(index, "_reindex", meanwhile)
    searcher.sync()
    assert calls["other"] is None  # its writer left the work to the lock holder
    assert sorted(searcher.titles("overgange")) == ["Anden", "Første"]
