"""Topics, their posts, and the earlier versions of edited posts."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.places import Region, Theme
from forum.models.users import User
from forum.timeutil import utcnow


class TopicKind:
    """Kinds of topic, stored as their slugs."""

    DISCUSSION = "discussion"
    SPARRING = "sparring"
    EXPERIENCE = "experience"
    MATERIAL = "material"
    ALL = (DISCUSSION, SPARRING, EXPERIENCE, MATERIAL)


class PinScope:
    """Where a pinned topic is shown first."""

    GLOBAL = "global"  # the front page (and every list)
    REGION = "region"  # its region's list
    THEME = "theme"  # its theme's list
    ALL = (GLOBAL, REGION, THEME)


class Topic(db.Model):
    """A thread in one region and one theme; its first post is the opening post."""

    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_last_posted_at", "last_posted_at"),
        Index("ix_topics_created_at", "created_at"),  # the member's new topics (/new)
        Index("ix_topics_region_last", "region_id", "last_posted_at"),
        Index("ix_topics_theme_last", "theme_id", "last_posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(90))
    kind: Mapped[str] = mapped_column(String(20), default=TopicKind.DISCUSSION)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Visible replies (posts after the first that are not deleted); kept in step by forum.topics.
    reply_count: Mapped[int] = mapped_column(default=0)
    # Highest post number ever given, so numbers (and permalinks) are never reused.
    post_number_max: Mapped[int] = mapped_column(default=0)
    pin_scope: Mapped[str | None] = mapped_column(String(10))
    pinned_until: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # For sparring topics: the reply the asker (or a facilitator) marked as the answer.
    answer_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )

    region: Mapped[Region] = relationship()
    theme: Mapped[Theme] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answer_post: Mapped[Post | None] = relationship(foreign_keys=[answer_post_id], post_update=True)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_answered(self) -> bool:
        return self.answer_post_id is not None

    def is_pinned(self, now: datetime | None = None) -> bool:
        """Pinned and the pin has not run out."""
        if self.pin_scope is None:
            return False
        return self.pinned_until is None or self.pinned_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.slug}>"


class Post(db.Model):
    """One post in a topic; ``number`` is its 1-based place, used in permalinks."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("topic_id", "number", name="uq_posts_topic_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # Sanitised HTML cached from body; re-rendered when html_version != RENDERER_VERSION.
    html: Mapped[str] = mapped_column(Text, default="")
    html_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Incremented by every edit; a form carries the revision it started from (stale edits).
    revision: Mapped[int] = mapped_column(default=1)
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)  # the deleted-content page
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The post this one answers (its "Svar" or "Citér" link), for "replied to your post".
    reply_to_number: Mapped[int | None]
    # Thanks ("tak") received, kept in step by forum.reactions so lists never count rows.
    thanks_count: Mapped[int] = mapped_column(default=0, server_default="0")

    topic: Mapped[Topic] = relationship(foreign_keys=[topic_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def rendered(self) -> Markup:
        """The cached HTML, which only forum.markup.render ever produces."""
        return Markup(self.html)

    @property
    def is_first(self) -> bool:
        return self.number == 1

    def __repr__(self) -> str:
        return f"<Post {self.topic_id}#{self.number}>"


class PostRevision(db.Model):
    """An earlier version of a post, kept when it was edited: nothing a member wrote is lost."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "revision", name="uq_post_revisions_post_rev"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    revision: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # The topic's title at the time, for opening posts (a title edit is part of the history).
    title: Mapped[str | None] = mapped_column(String(200))
    written_at: Mapped[datetime]
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    written_by: Mapped[User] = relationship()


class TopicMember(db.Model):
    """A member's relation to one topic (Discourse's ``topic_users``): how far they have read,
    and how closely they follow it. The read marker only moves forward."""

    __tablename__ = "topic_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_post_number: Mapped[int] = mapped_column(default=0)
    # forum.reading's levels (0 muted, 1 normal, 2 tracking, 3 watching) and why it was set.
    level: Mapped[int] = mapped_column(default=1)
    level_reason: Mapped[str] = mapped_column(String(20), default="")
    first_visited_at: Mapped[datetime | None]
