"""Changes the index has not applied yet: left out of every search until it catches up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import query as wq

from forum import permissions
from forum.models import Attachment, Meeting, Post, SearchOutboxEntry, Topic
from forum.search import filedocs

# Up to this many changed posts and topics are all left out (an edited post waits for its new
# text). Past it, only those no longer visible are: a large backlog (a bulk move, a rebuild
# under way) must neither make every search slow nor let a deleted post be counted.
MASK_LIMIT = 5000


def pending_mask(
    session: Session, cursor: int, ahead: frozenset[int] = frozenset()
) -> wq.Query | None:
    """What to leave out of a search of an index at ``cursor``: posts, topics and files changed
    since, so that a post deleted a moment ago never shows, whatever else is pending. ``ahead``: ids
    past the cursor the index has applied already (the cursor waits at a gap): not pending."""
    pending = select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id).where(
        *_pending(cursor, ahead), SearchOutboxEntry.kind.in_(_MASKED)
    )
    rows = set(
        session.execute(pending.distinct().order_by(SearchOutboxEntry.kind).limit(MASK_LIMIT + 1))
    )
    if len(rows) > MASK_LIMIT:
        rows = _no_longer_visible(session, cursor, ahead)
    terms = [term for kind, object_id in sorted(rows) for term in _terms(kind, str(object_id))]
    if not terms:
        return None
    return wq.Or(terms)


_MASKED = ("post", "topic", "attachment", "meeting")


def _terms(kind: str, object_id: str) -> list[wq.Query]:
    """The documents a pending change may alter: a post's and the pages of its files, a
    topic's posts and files, a file's pages, a meeting's files."""
    if kind == "post":
        return [wq.Term("doc_id", object_id), wq.Term("parent", f"p{object_id}")]
    if kind == "topic":
        return [wq.Term("topic", object_id), wq.Term("in_topic", object_id)]
    if kind == "meeting":
        return [wq.Term("parent", f"m{object_id}")]
    return [wq.Term("file", object_id)]


def _pending(cursor: int, ahead: frozenset[int]) -> list[Any]:
    where = [SearchOutboxEntry.id > cursor]
    if ahead:  # a few ids at most (indexer.AHEAD_LIMIT), while the cursor waits at a gap
        where.append(SearchOutboxEntry.id.not_in(sorted(ahead)))
    return where


def _no_longer_visible(
    session: Session, cursor: int, ahead: frozenset[int]
) -> set[tuple[str, int]]:
    """The pending posts, topics, files and meetings that the index must not show any more
    (deleted, gone)."""
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
    files = changed.where(SearchOutboxEntry.kind == "attachment").distinct()
    meetings = changed.where(SearchOutboxEntry.kind == "meeting")
    live_meetings = select(Meeting.id).where(Meeting.id.in_(meetings), Meeting.deleted_at.is_(None))
    hidden_meetings = meetings.where(SearchOutboxEntry.object_id.not_in(live_meetings)).distinct()
    # A file's visibility has several parts (filedocs.is_live): read the rows, decide here.
    file_ids = set(session.scalars(files))
    hidden_files = set(file_ids)
    ordered = sorted(file_ids)
    for start in range(0, len(ordered), 5000):
        rows = session.execute(
            filedocs.rows_query().where(Attachment.id.in_(ordered[start : start + 5000]))
        )
        hidden_files -= {row.id for row in rows if filedocs.is_live(row)}
    return (
        {("post", i) for i in session.scalars(hidden_posts)}
        | {("topic", i) for i in session.scalars(hidden_topics)}
        | {("attachment", i) for i in hidden_files}
        | {("meeting", i) for i in session.scalars(hidden_meetings)}
    )
