"""Keeping the index in step: outbox rows, sync, rebuild, the cursor, crash safety."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from forum import places
from forum.extensions import db
from forum.models import SearchOutboxEntry
from forum.search.indexer import _safe_cursor
from forum.timeutil import utcnow
from forum.topics import delete_post, edit_post, mark_answer, move_topic, reply, restore_post
from tests import factories


def outbox() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(SearchOutboxEntry.kind, SearchOutboxEntry.op).order_by(SearchOutboxEntry.id)
    ).all()
    return [tuple(row) for row in rows]


def test_changes_write_outbox_rows_in_their_transaction(app, member):
    db.session.commit()
    before = len(outbox())
    topic = factories.topic(db.session, member, body="Første indlæg")
    db.session.flush()
    assert ("topic", "insert") in outbox()[before:]
    assert ("post", "insert") in outbox()[before:]
    db.session.rollback()  # the change goes, and its rows with it
    assert len(outbox()) == before
    topic = factories.topic(db.session, member, body="Første indlæg")
    db.session.commit()
    count = len(outbox())
    topic.locked_at = utcnow()  # nothing the index holds
    db.session.commit()
    assert len(outbox()) == count
    member.display_name = "Mette K. Kjær"
    db.session.commit()
    assert outbox()[-1] == ("user", "update")


def test_a_reply_is_findable_after_sync_and_sync_is_idempotent(searcher, member, other_member):
    topic = factories.topic(db.session, member, title="Efterværn for unge", body="Hvordan?")
    reply(db.session, other_member, topic, "Vi har gode erfaringer med en fast kontaktperson.")
    result = searcher.sync()
    assert result.indexed == 2
    assert searcher.titles("kontaktperson") == ["Efterværn for unge"]
    assert searcher.index.cursor() == db.session.scalar(select(func.max(SearchOutboxEntry.id)))
    again = searcher.sync()
    assert again.rows == 0


def test_edits_replace_deletes_remove_restores_readd(searcher, member, facilitator):
    topic = factories.topic(
        db.session, member, title="Skolefravær", body="Vi bruger tidlig kontakt."
    )
    first = factories.post(db.session, topic, 1)
    searcher.sync()
    assert searcher.titles("kontakt")
    edit_post(db.session, member, first, body="Vi bruger hjemmebesøg.", title="Skolefravær")
    searcher.sync()
    assert searcher.titles("kontakt") == []
    assert searcher.titles("hjemmebesøg") == ["Skolefravær"]
    delete_post(db.session, member, first)  # the opening post: the topic goes too
    searcher.sync()
    assert searcher("hjemmebesøg").total == 0
    restore_post(db.session, facilitator, first)
    searcher.sync()
    assert searcher.titles("hjemmebesøg") == ["Skolefravær"]


def test_moves_and_answers_refacet_every_post(searcher, member, other_member, facilitator):
    topic = factories.topic(
        db.session, member, title="Matchning", body="Hvordan matcher I?", kind="sparring"
    )
    answer = reply(db.session, other_member, topic, "Vi matcher med et fast team.")
    searcher.sync()
    assert searcher("matcher region:midtjylland").total == 1
    assert searcher("matcher løst:ja").total == 0
    move_topic(
        db.session,
        facilitator,
        topic,
        places.region_by_slug(db.session, "syddanmark"),
        places.theme_by_slug(db.session, "familiepleje"),
    )
    mark_answer(db.session, member, topic, answer)
    searcher.sync()
    assert searcher("matcher region:midtjylland").total == 0
    found = searcher("matcher region:syddanmark tema:familiepleje løst:ja")
    assert found.total == 1 and found.posts == 2


def test_renaming_a_member_reindexes_their_posts(searcher, member):
    factories.topic(db.session, member, title="Ledelsesinformation", body="Tal og kvalitet")
    searcher.sync()
    member.username = "mette-k"
    db.session.commit()
    searcher.sync()
    assert searcher("@mette-k").total == 1
    assert searcher("@mette-kjaer").total == 0


def test_rebuild_recreates_the_index_and_keeps_the_cursor(searcher, member):
    for n in range(3):
        factories.topic(db.session, member, title=f"Emne {n}", body="Plejefamilier i Aabenraa")
    result = searcher.rebuild()
    assert result.posts == 3
    assert result.size_bytes > 0
    assert searcher.index.cursor() == db.session.scalar(select(func.max(SearchOutboxEntry.id)))
    assert searcher("plejefamilie").total == 3


def test_a_failure_mid_batch_loses_nothing(searcher, member, monkeypatch):
    factories.topic(db.session, member, title="Kontaktfamilie", body="Første")
    db.session.commit()
    index = searcher.index
    original = type(index)._reindex

    def fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise RuntimeError("killed")

    monkeypatch.setattr(type(index), "_reindex", fail)
    with pytest.raises(RuntimeError):
        index.sync(db.session)
    monkeypatch.undo()
    assert searcher("kontaktfamilie").total == 0  # nothing half-written
    searcher.sync()
    assert searcher("kontaktfamilie").total == 1


def test_a_process_killed_while_indexing_loses_nothing(searcher, app, member, database_url):
    """A real process takes the lock, writes documents and dies before committing."""
    for n in range(5):
        factories.topic(db.session, member, title=f"Netværksråd {n}", body="Familierådslagning")
    db.session.commit()
    script = textwrap.dedent(
        """
        import os, signal, sys
        from forum import create_app
        from forum.extensions import db
        from forum.search import search_index
        from forum.search.indexer import SearchIndex

        original = SearchIndex._reindex

        def die(self, *args, **kwargs):
            original(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        SearchIndex._reindex = die
        app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SEARCH_INDEX_DIR": sys.argv[2],
                          "SECRET_KEY": "x", "TESTING": True})
        with app.app_context():
            search_index().sync(db.session)
        """
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", script, database_url, app.config["SEARCH_INDEX_DIR"]],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()
    assert searcher("familierådslagning").total == 0
    searcher.sync()  # the dead process's lock is gone with it
    assert searcher("familierådslagning").total == 5


def test_the_cursor_waits_for_a_gap_then_moves_on():
    now = utcnow()
    row = lambda id, age: SimpleNamespace(id=id, created_at=now - timedelta(seconds=age))  # noqa: E731
    assert _safe_cursor(0, [row(1, 0), row(2, 0)], now) == 2
    # id 3 is missing: maybe a transaction that has not committed yet
    assert _safe_cursor(2, [row(4, 1), row(5, 0)], now) == 2
    # ... but after a minute it was rolled back
    assert _safe_cursor(2, [row(4, 120), row(5, 0)], now) == 5


def test_sync_without_an_index_does_nothing(app):
    from forum.search import search_index

    assert search_index(app).sync(db.session) is None


def test_writing_requests_sync_after_the_response(app, client, auth, member):
    from forum.search import search_index

    db.session.commit()
    search_index(app).rebuild(db.session)
    topic = factories.topic(db.session, member, title="Døgninstitution", body="Overgange")
    db.session.commit()
    search_index(app).sync(db.session)
    auth.login(member)
    response = client.post(
        f"/t/{topic.id}/svar", data={"body": "Vi har en fast overgangskoordinator."}
    )
    assert response.status_code == 302
    # No sync here: the request did it after its response.
    assert search_index(app).cursor() == db.session.scalar(select(func.max(SearchOutboxEntry.id)))


def test_cli_sync_builds_a_missing_index_then_applies_changes(app, runner, member):
    factories.topic(db.session, member, title="Skoleskift", body="Overgang til ny skole")
    db.session.commit()
    first = runner.invoke(args=["search", "sync"])
    assert first.exit_code == 0, first.output
    assert "building it" in first.output
    factories.topic(db.session, member, title="Skoleskift igen", body="Overgang")
    db.session.commit()
    second = runner.invoke(args=["search", "sync"])
    assert second.exit_code == 0 and "2 posts indexed" not in second.output
    assert "1 posts indexed" in second.output
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "Indexed 2 posts" in rebuilt.output


def test_opening_retries_when_another_process_replaced_the_table_of_contents(
    searcher, app, monkeypatch
):
    """Whoosh lists the directory, then reads the newest TOC file; a commit elsewhere can
    remove that file in between. Opening tries again (as Whoosh's own reader does)."""
    from whoosh import index as whoosh_index

    from forum.search import indexer

    real, calls = whoosh_index.open_dir, []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) < 3:
            raise FileNotFoundError("_forum_27.toc")
        return real(*args, **kwargs)

    monkeypatch.setattr(indexer.index, "open_dir", flaky)
    fresh = indexer.SearchIndex(app.config["SEARCH_INDEX_DIR"])
    assert fresh.is_usable() and len(calls) >= 3
    fresh.close()
