"""Read state: how far each member has read each topic, what is unread and what is new.

Discourse's model (``topic_users``): one ``topic_members`` row per member and topic, with the
last post number read, which only moves forward, and a notification level. Lists show unread
posts for the topics a member tracks or watches (a member watches the topics they started and
tracks those they replied to), and mark as *new* the topics created since the member's cut-off
(the latest of: their first login, 14 days ago, their "mark all read") that they never opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, case, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from forum.afterwards import small_write
from forum.extensions import upsert_insert
from forum.models import Post, Topic, TopicMember, User
from forum.timeutil import utcnow

MUTED, NORMAL, TRACKING, WATCHING = 0, 1, 2, 3
NEW_DAYS = 14  # a topic older than this is never new


@dataclass(frozen=True)
class RowState:
    """What a list row shows about the member's reading of its topic."""

    unread: int = 0  # posts after the last read, in a topic tracked or watched
    is_new: bool = False  # created since the cut-off and never opened
    first_unread: int | None = None  # the post a link should open at

    @property
    def has_news(self) -> bool:
        return self.unread > 0 or self.is_new


def new_cutoff(user: User, now: datetime | None = None) -> datetime:
    """Topics created after this, never opened, are new to ``user``."""
    now = now or utcnow()
    candidates = [now - timedelta(days=NEW_DAYS), user.first_login_at or user.created_at]
    if user.marked_read_at is not None:
        candidates.append(user.marked_read_at)
    return max(c for c in candidates if c is not None)


def states(session: Session, user: Any, topic_ids: list[int]) -> dict[int, TopicMember]:
    """The member's rows for these topics, in one statement ({} for no one logged in)."""
    if not topic_ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = session.scalars(
        select(TopicMember).where(
            TopicMember.user_id == user.id, TopicMember.topic_id.in_(topic_ids)
        )
    )
    return {row.topic_id: row for row in rows}


def unread_posts(session: Session, user: Any, topic_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For these topics, the posts the member may see after their read marker, in the topics
    they track or watch: topic id -> (how many, the first one's number). One statement; a
    deleted post is neither counted nor linked to."""
    from forum import permissions

    if not topic_ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = session.execute(
        select(Post.topic_id, func.count(Post.id), func.min(Post.number))
        .join(
            TopicMember,
            and_(TopicMember.topic_id == Post.topic_id, TopicMember.user_id == user.id),
        )
        .where(
            Post.topic_id.in_(topic_ids),
            TopicMember.level >= TRACKING,
            Post.number > TopicMember.last_read_post_number,
            permissions.visible_posts(user),
        )
        .group_by(Post.topic_id)
    )
    return {topic_id: (count, first) for topic_id, count, first in rows}


def row_state(
    topic: Topic,
    member: TopicMember | None,
    cutoff: datetime | None,
    unread: tuple[int, int] | None = None,
) -> RowState:
    """Unread count, "new" and where to open, for one list row (``unread`` from
    :func:`unread_posts`)."""
    if member is None:
        is_new = cutoff is not None and topic.created_at > cutoff
        return RowState(is_new=is_new)
    if unread is None:
        return RowState()
    count, first = unread
    return RowState(unread=count, first_unread=first)


def record_read(
    app: Flask, user_id: int, topic_id: int, up_to: int, *, notifications: bool = False
) -> None:
    """Move a member's read marker in a topic forward to ``up_to``, in one small statement
    after a topic page's response (a page view writes nothing else); with ``notifications``
    (the member has unread ones), also mark those about the posts they have now seen."""
    from forum import notify

    def write(session: Session) -> None:
        _upsert(session, user_id, topic_id, last_read=up_to)
        if notifications:
            notify.mark_topic_read(session, user_id, topic_id, up_to)

    small_write(app, write, f"reading of topic {topic_id}")


def started(session: Session, user: User, topic: Topic) -> None:
    """The author watches a topic they started (or follows it as they chose under
    /indstillinger), and has read its first post."""
    session.add(
        TopicMember(
            user_id=user.id,
            topic_id=topic.id,
            last_read_post_number=1,
            level=user.started_topic_level,
            level_reason="created",
            first_visited_at=topic.created_at,
        )
    )
    session.flush()


def replied(session: Session, user: User, topic: Topic, post: Post) -> None:
    """A member who replies tracks the topic (or the level they chose under /indstillinger;
    never lowering a level they have), read to their post."""
    _upsert(session, user.id, topic.id, last_read=post.number, at_least=user.replied_topic_level)


def mark_all_read(session: Session, user: User) -> None:
    """Nothing is new or unread any more: the cut-off moves to now and every tracked topic is
    read to its last post."""
    now = utcnow()
    user.marked_read_at = now
    last = select(Topic.post_number_max).where(Topic.id == TopicMember.topic_id).scalar_subquery()
    session.execute(
        update(TopicMember)
        .where(TopicMember.user_id == user.id, TopicMember.last_read_post_number < last)
        .values(last_read_post_number=last)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def mark_read_in(
    session: Session, user: User, *, region_id: int | None = None, theme_id: int | None = None
) -> None:
    """Mark one region's and/or theme's topics read (the button on its page; Discourse's
    dismiss in a category): every followed topic there is read to its last post, and its
    new topics count as opened. The member's cut-off stays, so new topics elsewhere stay new.
    Two set-based statements, however many topics the place holds."""
    from forum import permissions

    if region_id is None and theme_id is None:
        raise ValueError("mark_read_in needs a region or a theme; mark_all_read is for all")
    place = [Topic.region_id == region_id] if region_id is not None else []
    if theme_id is not None:
        place.append(Topic.theme_id == theme_id)
    in_place = select(Topic.id).where(*place)
    last = select(Topic.post_number_max).where(Topic.id == TopicMember.topic_id).scalar_subquery()
    session.execute(
        update(TopicMember)
        .where(
            TopicMember.user_id == user.id,
            TopicMember.topic_id.in_(in_place),
            TopicMember.last_read_post_number < last,
        )
        .values(last_read_post_number=last)
        .execution_options(synchronize_session=False)
    )
    # The new topics there (created since the cut-off, never opened: no row) get a row read
    # to their last post, as if opened; bounded by the cut-off (at most NEW_DAYS of topics).
    insert = upsert_insert(session)
    new_there = select(
        literal(user.id),
        Topic.id,
        Topic.post_number_max,
        literal(NORMAL),
        literal(""),
    ).where(
        *place,
        permissions.visible_topics(user),
        Topic.created_at > new_cutoff(user),
        ~exists().where(TopicMember.topic_id == Topic.id, TopicMember.user_id == user.id),
    )
    columns = TopicMember.__table__.c
    session.execute(
        insert(TopicMember)
        .from_select(
            ["user_id", "topic_id", "last_read_post_number", "level", "level_reason"], new_there
        )
        .on_conflict_do_nothing(index_elements=[columns.user_id, columns.topic_id])
    )
    session.flush()


def unread_filter(user: User) -> Any:
    """Topics the member tracks or watches with posts they may see after their read marker.

    Driven by the member's own rows (an IN over their topic ids, the primary key's prefix),
    so the database looks only at topics the member follows, not at every topic."""
    from forum import permissions

    followed_with_news = (
        select(TopicMember.topic_id)
        .join(Post, Post.topic_id == TopicMember.topic_id)
        .where(
            TopicMember.user_id == user.id,
            TopicMember.level >= TRACKING,
            Post.number > TopicMember.last_read_post_number,
            permissions.visible_posts(user),
        )
    )
    return Topic.id.in_(followed_with_news)


def new_filter(user: User) -> Any:
    """Topics created since the member's cut-off that they have never opened (an IN over the
    topics created since, by their index, so that older topics are never looked at)."""
    created_since = select(Topic.id).where(Topic.created_at > new_cutoff(user))
    return and_(
        Topic.id.in_(created_since),
        ~exists().where(TopicMember.topic_id == Topic.id, TopicMember.user_id == user.id),
    )


def _upsert(
    session: Session, user_id: int, topic_id: int, *, last_read: int, at_least: int = NORMAL
) -> None:
    # One INSERT ... ON CONFLICT: the marker only moves forward (GREATEST / MAX, as Discourse's
    # update_last_read), and the level only rises to ``at_least``: from normal, or from a level
    # the member did not choose themselves (tracking by a region, to watching); never from muted.
    insert = upsert_insert(session)
    greatest = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    stmt = insert(TopicMember).values(
        user_id=user_id,
        topic_id=topic_id,
        last_read_post_number=last_read,
        level=at_least,
        level_reason="replied" if at_least > NORMAL else "",
        first_visited_at=utcnow(),
    )
    current = TopicMember.__table__.c
    rise = and_(
        current.level > MUTED,
        current.level < stmt.excluded.level,
        or_(current.level == NORMAL, current.level_reason != "chosen"),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[current.user_id, current.topic_id],
        set_={
            "last_read_post_number": greatest(
                current.last_read_post_number, stmt.excluded.last_read_post_number
            ),
            "level": case((rise, stmt.excluded.level), else_=current.level),
            "level_reason": case((rise, stmt.excluded.level_reason), else_=current.level_reason),
        },
    )
    session.execute(stmt)
