"""Members of the network and the invitations that bring them in."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.places import Municipality
from forum.timeutil import utcnow


class Role:
    """The three roles; stored as their string values."""

    MEMBER = "member"
    FACILITATOR = "facilitator"
    ADMIN = "admin"
    ALL = (MEMBER, FACILITATOR, ADMIN)


class User(UserMixin, db.Model):
    """A member of the network: a participant, a facilitator or an administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    # None for members created by an import, who have never chosen a password.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    # Facilitators usually come from an organisation (KL, the national authority) instead.
    organisation: Mapped[str] = mapped_column(String(120), default="")
    locale: Mapped[str] = mapped_column(String(5), default="da")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    first_login_at: Mapped[datetime | None]
    # "Markér alle som læst": topics created before this are not new to the member.
    marked_read_at: Mapped[datetime | None]
    # E-mail about notifications: "always" (straks), "away" (only if still unread after a
    # delay, the default) or "never"; the digest: "weekly" (default), "daily" or "never".
    email_level: Mapped[str] = mapped_column(String(10), default="away", server_default="away")
    digest_period: Mapped[str] = mapped_column(
        String(10), default="weekly", server_default="weekly"
    )
    last_digest_at: Mapped[datetime | None]
    # The topic level (forum.reading's: 3 watching, 2 tracking, 1 normal) the member gets in
    # a topic they start, and in one they reply to (never lowering a level they have).
    started_topic_level: Mapped[int] = mapped_column(default=3, server_default="3")
    replied_topic_level: Mapped[int] = mapped_column(default=2, server_default="2")
    # Bumped to renew the member's feed token (forum.feeds): every old feed URL stops working.
    feed_key_version: Mapped[int] = mapped_column(default=0, server_default="0")

    municipality: Mapped[Municipality | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_moderator(self) -> bool:
        """Facilitators and administrators moderate."""
        return self.role in (Role.FACILITATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def affiliation(self) -> str:
        """Municipality name, or the organisation for facilitators."""
        if self.municipality is not None:
            return self.municipality.name
        return self.organisation

    # The login this request came with ("<session id>:<secret>"), set by forum.logins: what
    # Flask-Login stores in the session and the remember cookie.
    login_id = None

    def get_id(self) -> str | None:
        return self.login_id

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Invitation(db.Model):
    """A single-use, expiring invitation to join; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality: Mapped[Municipality | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_open(self) -> bool:
        """Not yet used, not revoked, not expired."""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()
