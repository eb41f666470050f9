"""Changes the index has not applied yet: left out of every search until it catches up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import query as wq

from forum import permissions
from forum.models import Post, SearchOutboxEntry, Topic

# Up to this many changed posts and topics are all left out (an edited post waits for its new
# text). Past it, only those no longer visible are: a large backlog (a bulk move, a rebuild
# under way) must neither make every search slow nor let a deleted post be counted.
MASK_LIMIT = 5000


def pending_mask(
    session: Session, cursor: int, ahead: frozenset[int] = frozenset()
) -> wq.Query | None:
    """What to leave out of a search of an index at ``cursor``: posts and topics changed since,
    so that a post deleted a moment ago never shows, whatever else is pending. ``ahead``: ids
    past the cursor the index has applied already (the cursor waits at a gap): not pending."""
    pending = select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id).where(
        *_pending(cursor, ahead), SearchOutboxEntry.kind.in_(("post", "topic"))
    )
    rows = set(
        session.execute(pending.distinct().order_by(SearchOutboxEntry.kind).limit(MASK_LIMIT + 1))
    )
    if len(rows) > MASK_LIMIT:
        rows = _no_longer_visible(session, cursor, ahead)
    terms = [
        wq.Term("doc_id" if kind == "post" else "topic", str(object_id))
        for kind, object_id in sorted(rows)
    ]
    if not terms:
        return None
    return wq.Or(terms)


def _pending(cursor: int, ahead: frozenset[int]) -> list[Any]:
    where = [SearchOutboxEntry.id > cursor]
    if ahead:  # a few ids at most (indexer.AHEAD_LIMIT), while the cursor waits at a gap
        where.append(SearchOutboxEntry.id.not_in(sorted(ahead)))
    return where


def _no_longer_visible(
    session: Session, cursor: int, ahead: frozenset[int]
) -> set[tuple[str, int]]:
    """The pending posts and topics that the index must not show any more (deleted, gone)."""
    changed = select(SearchOutboxEntry.object_id).where(*_pending(cursor, ahead))
    posts = changed.where(SearchOutboxEntry.kind == "post")
    topics = changed.where(SearchOutboxEntry.kind == "topic")
    visible_posts = (
        select(Post.id)
        .join(Topic, Post.topic_id == Topic.id)
        .where(Post.id.in_(posts), permissions.searchable_posts())
    )
    visible_topics = select(Topic.id).where(Topic.id.in_(topics), Topic.deleted_at.is_(None))
    hidden_posts = posts.where(SearchOutboxEntry.object_id.not_in(visible_posts)).distinct()
    hidden_topics = topics.where(SearchOutboxEntry.object_id.not_in(visible_topics)).distinct()
    return {("post", i) for i in session.scalars(hidden_posts)} | {
        ("topic", i) for i in session.scalars(hidden_topics)
    }
