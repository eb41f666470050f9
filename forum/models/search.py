"""The search outbox: what changed, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.timeutil import utcnow


class SearchOutboxEntry(db.Model):
    """One change for the search index to apply: ``kind`` post/topic/user, ``object_id``, ``op``.

    The indexer reads the object's current state when it applies a row, so rows are hints of
    *what* to look at again, and applying one twice does no harm.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int]
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchOutboxEntry {self.id} {self.op} {self.kind} {self.object_id}>"


class SearchFailure(db.Model):
    """A document the indexer could not index: set aside with its latest error, so the rows
    behind it are applied. Removed when the document indexes again (a later change)."""

    __tablename__ = "search_failure"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    object_id: Mapped[int]
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchFailure {self.kind} {self.object_id}>"
