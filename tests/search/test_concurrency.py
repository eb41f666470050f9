"""Four real processes posting at once: no lock error reaches anyone, the index ends complete."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

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
    import time

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
