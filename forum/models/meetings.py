"""The network's meetings, their themes and who signed up."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.places import Region, Theme
from forum.models.topics import Topic
from forum.models.users import User
from forum.timeutil import utcnow


class MeetingKind:
    """Kinds of meeting, stored as these slugs."""

    NETWORK = "netvaerksmoede"
    WORKSHOP = "workshop"
    EXPERIENCE = "erfaringsnetvaerk"
    CONFERENCE = "konference"
    KICK_OFF = "kick-off"
    WEBINAR = "webinar"
    ALL = (NETWORK, WORKSHOP, EXPERIENCE, CONFERENCE, KICK_OFF, WEBINAR)


class SignupStatus:
    """A sign-up has a seat, or waits for one (moved up in order when a seat frees)."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    ALL = (CONFIRMED, WAITING)


class MeetingTheme(db.Model):
    """A theme a meeting is about; the first (position 0) is its discussion topic's theme."""

    __tablename__ = "meeting_themes"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    theme: Mapped[Theme] = relationship()


class Meeting(db.Model):
    """A meeting in a region (or national), with its agenda and its discussion topic.

    Times are stored as naive UTC and entered and shown in Europe/Copenhagen. ``sequence``
    counts the changes a calendar must pick up (iCalendar's SEQUENCE).
    """

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_starts_at", "starts_at"),
        Index("ix_meetings_region_starts", "region_id", "starts_at"),
        # The region page asks for its pinned meetings on every view: a look-up of just those
        # (region_id IN (...) AND materials_pinned_at IS NOT NULL), not a scan of its meetings.
        Index("ix_meetings_region_pinned", "region_id", "materials_pinned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(90))
    kind: Mapped[str] = mapped_column(String(20), default=MeetingKind.NETWORK)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    # Sanitised HTML cached from agenda (forum.markup); re-rendered when the renderer changes.
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    agenda_html_version: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int | None]
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The materials are pinned to the region's page (a national meeting's to every region's
    # page) since ``materials_pinned_at``, until ``materials_pinned_until`` if that is set.
    materials_pinned_at: Mapped[datetime | None]
    materials_pinned_until: Mapped[datetime | None]

    region: Mapped[Region] = relationship()
    topic: Mapped[Topic] = relationship(backref=db.backref("meeting", uselist=False, viewonly=True))
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    theme_links: Mapped[list[MeetingTheme]] = relationship(
        order_by=MeetingTheme.position, cascade="all, delete-orphan"
    )

    @property
    def themes(self) -> list[Theme]:
        return [link.theme for link in self.theme_links]

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def materials_pinned(self, now: datetime | None = None) -> bool:
        """The materials are pinned and the pin has not run out."""
        if self.materials_pinned_at is None:
            return False
        until = self.materials_pinned_until
        return until is None or until > (now or utcnow())

    @property
    def agenda_rendered(self) -> Markup:
        return Markup(self.agenda_html)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.slug}>"


class MeetingSignup(db.Model):
    """A member's sign-up for a meeting: a seat, or a place on the waiting list."""

    __tablename__ = "meeting_signups"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_signups_meeting_user"),
        Index("ix_meeting_signups_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=SignupStatus.CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a waiting member got a seat (None for those who had one from the start).
    promoted_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    meeting: Mapped[Meeting] = relationship()

    @property
    def is_waiting(self) -> bool:
        return self.status == SignupStatus.WAITING
