"""Topic lists: cached counts that follow every change, pinned topics apart, index-ordered pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from forum import lists, places
from forum import topics as domain
from forum.extensions import db
from forum.models import PinScope, Topic
from tests import factories

BASE = datetime(2025, 3, 1, 9, 0)


def _counts(session, member):  # type: ignore[no-untyped-def]
    return lists.topic_counts(session, member)


def test_counts_per_region_theme_and_pair(session, member):
    factories.topic(session, member, region="midtjylland", theme="familiepleje")
    factories.topic(session, member, region="midtjylland", theme="adoption")
    factories.topic(session, member, region="syddanmark", theme="adoption")
    midt = places.region_by_slug(session, "midtjylland")
    adoption = places.theme_by_slug(session, "adoption")
    counts = _counts(session, member)
    assert counts.total == 3
    assert counts.of(midt, None) == 2
    assert counts.of(None, adoption) == 2
    assert counts.of(midt, adoption) == 1
    assert counts.of(places.region_by_slug(session, "nordjylland"), None) == 0


def test_counts_follow_new_deleted_restored_and_moved_topics(session, member, facilitator):
    midt = places.region_by_slug(session, "midtjylland")
    nord = places.region_by_slug(session, "nordjylland")
    theme = places.theme_by_slug(session, "familiepleje")
    topic = factories.topic(session, member, region="midtjylland", theme="familiepleje")
    session.commit()
    assert _counts(session, member).of(midt, None) == 1

    factories.topic(session, member, region="midtjylland", theme="familiepleje")
    session.commit()
    assert _counts(session, member).of(midt, None) == 2

    opening = factories.post(session, topic, 1)
    domain.delete_post(session, facilitator, opening)
    session.commit()
    assert _counts(session, member).of(midt, None) == 1

    domain.restore_post(session, facilitator, opening)
    session.commit()
    assert _counts(session, member).of(midt, None) == 2

    domain.move_topic(session, facilitator, topic, nord, theme)
    session.commit()
    counts = _counts(session, member)
    assert (counts.of(midt, None), counts.of(nord, None)) == (1, 1)


def test_counts_are_not_recounted_while_nothing_changes(app, session, member, count_queries):
    factories.topic(session, member)
    session.commit()
    first = _counts(session, member)
    with count_queries() as counter:
        again = _counts(session, member)
    assert again is first
    assert len(counter.statements) == 1  # the generation number only
    assert "GROUP BY" not in counter.statements[0].upper()


def test_counts_are_recounted_after_a_minute_anyway(app, session, member, monkeypatch):
    factories.topic(session, member)
    session.commit()
    first = _counts(session, member)
    monkeypatch.setattr(lists, "COUNTS_MAX_AGE_SECONDS", 0.0)
    assert _counts(session, member) is not first


def _page_titles(session, member, page: int, per_page: int) -> list[str]:  # type: ignore[no-untyped-def]
    found = lists.topic_page(session, member, page=page, per_page=per_page)
    return [t.title for t in found.items]


def test_pinned_topics_first_across_page_boundaries(app, session, member):
    made = {}
    for days, name in enumerate(["plain1", "pin1", "plain2", "pin2", "plain3", "pin3", "old"]):
        made[name] = factories.topic(
            session, member, title=f"Emnet {name} her", created_at=BASE + timedelta(days=days)
        )
    for name in ("pin1", "pin2", "pin3"):
        made[name].pin_scope = PinScope.GLOBAL
    made["old"].pin_scope = PinScope.GLOBAL
    made["old"].pinned_until = datetime(2020, 1, 1)  # expired: an ordinary topic again
    session.flush()
    pages = [_page_titles(session, member, page, 2) for page in (1, 2, 3, 4, 5)]
    assert pages == [
        ["Emnet pin3 her", "Emnet pin2 her"],
        ["Emnet pin1 her", "Emnet old her"],
        ["Emnet plain3 her", "Emnet plain2 her"],
        ["Emnet plain1 her"],
        [],
    ]
    found = lists.topic_page(session, member, page=1, per_page=2)
    assert (found.total, found.pages) == (7, 4)


# -- query plans -----------------------------------------------------------------------------


def _plan(session, stmt) -> str:  # type: ignore[no-untyped-def]
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(row[-1]) for row in rows)
    # On a handful of rows PostgreSQL rightly prefers a sequential scan and a sort; switched
    # off, they show whether the index can give the order by itself (a Sort would remain).
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    rows = session.execute(text("EXPLAIN " + sql)).all()
    session.rollback()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    ("region", "index"),
    [("midtjylland", "ix_topics_region_last"), (None, "ix_topics_last_posted_at")],
)
def test_the_list_walks_the_index(session, member, region, index):
    for days in range(5):
        factories.topic(session, member, created_at=BASE + timedelta(days=days))
    session.commit()
    the_region = places.region_by_slug(session, region) if region else None
    stmt = lists.unpinned_topics_query(member, region=the_region, leave_out=[1, 2]).limit(30)
    plan = _plan(session, stmt)
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan.upper(), plan  # SQLite sorting the rows itself
    assert not re.search(r"(^|->)\s*Sort\s+\(", plan, re.MULTILINE), plan  # PostgreSQL sorting all


def test_the_list_ignores_deleted_topics(session, member, facilitator):
    kept = factories.topic(session, member, title="Emnet der bliver")
    gone = factories.topic(session, member, title="Emnet der slettes")
    gone.pin_scope = PinScope.GLOBAL
    domain.delete_post(session, facilitator, factories.post(session, gone, 1))
    found = lists.topic_page(session, member, page=1, per_page=10)
    assert [t.id for t in found.items] == [kept.id]
    assert found.total == 1
    assert session.get(Topic, gone.id).is_deleted
