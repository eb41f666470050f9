"""Files members attach to meetings (and posts): the stored file, and the text read from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.meetings import Meeting
from forum.models.topics import Post
from forum.models.users import User
from forum.timeutil import utcnow


class TextStatus:
    """Whether a file's text could be read (forum.extract's statuses, stored as these)."""

    OK = "ok"
    EMPTY = "empty"  # no text in it: a scanned PDF, an image
    FAILED = "failed"  # broken, or a format the reader could not open
    TOO_BIG = "too_big"  # over the page, text or unpacked-size limits
    TIMEOUT = "timeout"
    MEMORY = "memory"
    ALL = (OK, EMPTY, FAILED, TOO_BIG, TIMEOUT, MEMORY)


class Attachment(db.Model):
    """One uploaded file, on a meeting or a post. The bytes live in forum.storage under
    ``digest``; the same bytes uploaded twice are stored once. It is visible exactly when
    what it is attached to is (and it is not deleted itself)."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_meeting", "meeting_id"),
        Index("ix_attachments_post", "post_id"),
        Index("ix_attachments_digest", "digest"),
        Index("ix_attachments_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # forum.uploads kinds: pdf, pptx, png, ...
    mime: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(160))  # forum.uploads.safe_filename
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # Images: their size; PDFs and images: a preview image (PNG) in storage.
    width: Mapped[int | None]
    height: Mapped[int | None]
    preview_digest: Mapped[str | None] = mapped_column(String(64))
    text_status: Mapped[str] = mapped_column(String(10), default=TextStatus.OK)
    text_reason: Mapped[str] = mapped_column(String(200), default="")
    pages: Mapped[int] = mapped_column(default=0)
    # Its text could not be read, so the uploader confirmed it holds no personal data about
    # children, families or cases; facilitators see such files marked.
    confirmed_no_personal_data: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    uploader: Mapped[User] = relationship(foreign_keys=[uploader_id])
    meeting: Mapped[Meeting | None] = relationship()
    post: Mapped[Post | None] = relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_image(self) -> bool:
        return self.kind in ("png", "jpeg")

    @property
    def is_searchable(self) -> bool:
        return self.text_status == TextStatus.OK

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.filename}>"


class AttachmentPart(db.Model):
    """The text of one page, slide or sheet of a file (``unit``: page, slide, sheet,
    document), kept for search and for rebuilding the index."""

    __tablename__ = "attachment_parts"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
