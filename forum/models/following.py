"""Following regions and themes, notifications, and the outbox their fan-out runs from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.topics import Post, Topic
from forum.models.users import User
from forum.timeutil import utcnow


class RegionMember(db.Model):
    """A member's chosen level for a region (Discourse's ``category_users``). No row: the
    default (forum.following: first posts in the member's own region, normal elsewhere)."""

    __tablename__ = "region_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # forum.following's levels: 0 muted, 1 normal, 2 tracking, 3 watching, 4 first posts.
    level: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThemeMember(db.Model):
    """A member's chosen level for a theme (no row: normal)."""

    __tablename__ = "theme_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationKind:
    """What a notification is about, stored as these strings."""

    REPLIED = "replied"  # a reply to your topic
    REPLIED_TO_POST = "replied_post"  # a reply to your post
    QUOTED = "quoted"
    MENTIONED = "mentioned"
    ANSWER = "answer"  # your reply was marked as the answer
    NEW_TOPIC = "new_topic"  # a new topic in a region or theme you follow
    NEW_POST = "new_post"  # a new post in a topic you watch
    THANKED = "thanked"  # consolidated: one row per post, counting the thanks
    REMINDER = "reminder"  # a bookmark's reminder
    MEETING = "meeting"  # a new meeting in a region or theme you follow (its topic's opening)
    SEAT = "seat"  # you moved up from a meeting's waiting list
    MEETING_CANCELLED = "meeting_cancelled"  # a meeting you signed up for was cancelled
    ALL = (
        REPLIED,
        REPLIED_TO_POST,
        QUOTED,
        MENTIONED,
        ANSWER,
        NEW_TOPIC,
        NEW_POST,
        THANKED,
        REMINDER,
        MEETING,
        SEAT,
        MEETING_CANCELLED,
    )
    # About a meeting: they lead to the meeting's page rather than its discussion topic.
    ABOUT_MEETING = frozenset({MEETING, SEAT, MEETING_CANCELLED})


class Notification(db.Model):
    """One thing a member is told about. ``key`` names the event for this recipient (e.g.
    ``post:<post id>``, ``thanks:<post id>``): the same event never notifies twice, however
    many workers run it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # The worker's due e-mails (only when the member has not read it meanwhile).
        Index("ix_notifications_email_due", "email_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    post_number: Mapped[int | None]
    # How many acted (thanks: "Anne og 3 andre"); 1 for everything else.
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # When an e-mail about it should go (None: none); cleared once queued, or when read first.
    email_due_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    topic: Mapped[Topic | None] = relationship()
    post: Mapped[Post | None] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotifyOutboxEntry(db.Model):
    """An event whose fan-out is worker work: written in the same transaction as the post (or
    answer, thanks, new meeting), claimed by one worker, done once.

    ``event`` is ``post`` (a new topic or reply), ``answer`` (a reply marked as the answer),
    ``edit`` (an edit that names members the post did not name before: they are told once).
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_done_at", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
