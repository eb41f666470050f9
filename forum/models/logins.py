"""Who is logged in where, and how many login attempts an account or an address has made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.users import User
from forum.timeutil import utcnow


class LoginSession(db.Model):
    """One logged-in browser. Its cookie holds the row id and a secret; only the secret's
    hash is stored. Deleting the row ends the session, whatever cookies were copied."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Remembered sessions last REMEMBER_COOKIE_DURATION from login; the others end after
    # PERMANENT_SESSION_LIFETIME without use.
    remember: Mapped[bool] = mapped_column(default=False)
    # Browser and system as the user-agent parser names them ("Firefox", "Windows"), for the
    # member's list of sessions; never shown to anyone else.
    browser: Mapped[str] = mapped_column(String(60), default="")
    system: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()

    @property
    def browser_name(self) -> str:
        """The browser's name, or "" where the parser knew none ("Other")."""
        return "" if self.browser == "Other" else self.browser

    @property
    def system_name(self) -> str:
        """The operating system's name, or "" where the parser knew none."""
        return "" if self.system == "Other" else self.system

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id}>"


class ThrottleHit(db.Model):
    """One counted attempt in a bucket ("login-account:<hash>", "login-ip:<address>"), kept
    while it can still count. The database holds the limit across every worker and node."""

    __tablename__ = "throttle_hits"
    __table_args__ = (Index("ix_throttle_hits_bucket_created_at", "bucket", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
