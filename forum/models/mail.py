"""Outgoing e-mail, queued in the same transaction as the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.timeutil import utcnow


class MailMessage(db.Model):
    """One e-mail in the outbox; ``sent_at`` is set once it has left.

    ``key`` names what the e-mail is about (``reset:<user>:<token>``, ``invite:<invitation>``,
    later ``notify:<user>:<notification>``, ``digest:<user>:<period>``): queueing the same key
    twice keeps one row, so one event never mails twice. A sender claims a row
    (``claimed_by``/``claimed_at``) before it sends; a claim older than the timeout belongs to a
    sender that died and may be taken over.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # For the HTML part the notification mails will carry; plain text only until then.
    html_body: Mapped[str | None] = mapped_column(Text)
    # The body holds a working link (reset, invitation): it is blanked once sent or given up.
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The one-click unsubscribe URL (RFC 8058) for List-Unsubscribe; None for account mail.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Backoff: a failed message is not tried again before this.
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column()
