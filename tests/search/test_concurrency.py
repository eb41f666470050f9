"""Real processes at once: posting, searching and holding the index; no lock error reaches
anyone, the index ends complete, and a new post is findable within a second."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import SearchOutboxEntry
from tests import factories

PROCESSES = 4
REPLIES = 25

WORKER = textwrap.dedent(
    """
    import sys, time
    from forum import create_app

    url, index_dir, email, password, topic_id, who, count, start = sys.argv[1:9]
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir, "TESTING": True,
        "SECRET_KEY": "concurrency", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    })
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    while time.time() < float(start):  # all four begin together
        time.sleep(0.01)
    for n in range(int(count)):
        body = f"Svar {n} fra proces {who} om koordineringsmøder og overgange."
        response = client.post(f"/t/{topic_id}/svar", data={"body": body})
        response.close()  # a server closes every response: the index sync runs now
        if response.status_code != 302:
            print("status", response.status_code, file=sys.stderr)
            sys.exit(1)
    """
)


def test_four_processes_posting_at_once(searcher, app, database_url, member):
    writers = [factories.user(db.session, name=f"Skribent {n}") for n in range(PROCESSES)]
    topic = factories.topic(db.session, member, title="Koordinering på tværs", body="Start")
    db.session.commit()
    searcher.sync()
    start = time.time() + 6
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                database_url,
                app.config["SEARCH_INDEX_DIR"],
                writer.email,
                factories.PASSWORD,
                str(topic.id),
                str(n),
                str(REPLIES),
                str(start),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n, writer in enumerate(writers)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        assert b"LockError" not in err and b"Traceback" not in err, err.decode()
    # No sync here: the writers' own after-request syncs left the index complete.
    index = searcher.index
    assert index.cursor() == db.session.scalar(select(func.max(SearchOutboxEntry.id)))
    results = searcher("koordineringsmøder")
    assert results.total == 1
    assert results.posts == PROCESSES * REPLIES


SEARCHER = textwrap.dedent(
    """
    import sys
    from forum import create_app, permissions
    from forum.extensions import db
    from forum.search import search_index
    from forum.search.query import search

    url, index_dir, count = sys.argv[1:4]
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir, "TESTING": True,
        "SECRET_KEY": "concurrency",
    })
    found = 0
    with app.app_context():
        for n in range(int(count)):
            results = search(db.session, search_index(), permissions.ANY_MEMBER, "trivsel")
            found += bool(results.hits and all("<mark>" in hit.snippet for hit in results.hits))
            db.session.rollback()
    print("found", found)
    """
)


def test_searches_in_several_processes_while_another_commits(searcher, app, database_url, member):
    """One search reads one searcher: commits by other processes never close it mid-search."""
    factories.topic(db.session, member, title="Trivsel i skolen", body="Trivsel og fravær.")
    searcher.sync()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", SEARCHER, database_url, app.config["SEARCH_INDEX_DIR"], "150"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    while any(reader.poll() is None for reader in readers):  # commit while they search
        factories.topic(db.session, member, body="Mere om trivsel og samvær.")
        searcher.sync()
    for reader in readers:
        out, err = reader.communicate(timeout=300)
        assert reader.returncode == 0, err.decode()
        assert b"Traceback" not in err, err.decode()
        assert out.decode().split() == ["found", "150"]


# -- a new post is findable at once, whoever holds the index -----------------------------------

# Seconds the other process keeps the index's lock to itself; an uncommitted outbox id longer
# than the second the new post has to become findable in.
# Long enough that a loaded machine answers the request well before the holder lets go.
HOLD = {"sync": 2.0, "lock": 2.0, "transaction": 2.5, "rollback": 2.5}

HOLDER = textwrap.dedent(
    """
    import sys, time
    from forum import create_app, permissions
    from forum.extensions import db
    from forum.search import search_index
    from forum.search.indexer import SearchIndex
    from forum.search.query import search

    url, index_dir, how, hold, author_id = sys.argv[1:6]
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir, "TESTING": True,
        "SECRET_KEY": "concurrency",
    })

    def holding():
        print("holding", flush=True)
        time.sleep(float(hold))

    with app.app_context():
        index = search_index()
        # A process that has served before: the analyzer and its word lists are loaded.
        search(db.session, index, permissions.ANY_MEMBER, "skoleskift")
        db.session.rollback()
        if how == "sync":  # a sync that takes a while, the lock held all along
            apply = SearchIndex._apply
            def slow_apply(self, session, writer):
                holding()
                return apply(self, session, writer)
            SearchIndex._apply = slow_apply
            assert index.sync(db.session) is not None
        elif how == "lock":  # the lock taken, then let go without syncing (a writer that died)
            writer = index.open().writer()
            holding()
            writer.cancel()
        else:  # PostgreSQL: an outbox id taken, committed only later, or never
            from forum.models import User
            db.session.get(User, int(author_id)).display_name = "Mette Langsom"
            db.session.flush()
            holding()
            if how == "transaction":
                db.session.commit()
                index.sync(db.session)  # as its request would
            else:
                db.session.rollback()
    print("released", flush=True)
    """
)


@pytest.mark.parametrize("holder", ["sync", "lock", "transaction", "rollback"])
def test_a_new_post_is_found_within_a_second_whoever_holds_the_index(
    searcher, app, database_url, member, other_member, auth, client, holder
):
    """Two processes on one database and index: while the other one holds the index's lock
    (a slow sync, or a writer that lets go without syncing) or, on PostgreSQL, an outbox id
    its transaction has not committed, a post is findable within a second of its request,
    with no `search sync` run."""
    if holder in ("transaction", "rollback") and db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no outbox id is taken before the last commits")
    answered: list[float] = []  # when the response is ready to leave, before its after-work

    @app.after_request
    def _answered(response):  # type: ignore[no-untyped-def]
        answered.append(time.perf_counter())
        return response

    topic = factories.topic(db.session, member, title="Skoleskift", body="Hvordan gør I?")
    db.session.commit()
    if holder != "sync":
        searcher.sync()  # else the other process's sync has this topic to apply
    auth.login(other_member)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLDER,
            database_url,
            app.config["SEARCH_INDEX_DIR"],
            holder,
            str(HOLD[holder]),
            str(member.id),
        ],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "holding\n", process.stderr.read()
        held_from = time.perf_counter()
        response = client.post(f"/t/{topic.id}/svar", data={"body": "Brobygning med børnehaven."})
        assert response.status_code == 302
        assert answered[-1] < held_from + HOLD[holder], "answered while the other one held on"
        found = _found_within(searcher, "brobygning", answered[-1] + 1.0)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()  # reaps it and closes its pipes, also when an assert failed
    assert process.returncode == 0, err
    assert out == "released\n"
    assert found is not None, "not findable within a second of its request"
    last = db.session.scalar(select(func.max(SearchOutboxEntry.id)))
    if holder == "rollback":
        # The cursor waits at the id that never committed (indexer.GAP_WAIT); the post after
        # it is applied and recorded as such, so searches do not hide it meanwhile.
        cursor = searcher.index.cursor()
        past = set(
            db.session.scalars(select(SearchOutboxEntry.id).where(SearchOutboxEntry.id > cursor))
        )
        assert past and cursor + 1 not in past and searcher.index.ahead() == past
    else:  # nothing is left behind once the other process is done (its change too)
        assert searcher.index.cursor() == last


def _found_within(searcher, word, deadline):  # type: ignore[no-untyped-def]
    """When ``word`` was first found (polling until ``deadline``), or None."""
    while True:
        now = time.perf_counter()
        if searcher(word).posts:
            return now
        if now > deadline:
            return None
        time.sleep(0.02)
