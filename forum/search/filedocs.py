"""Files in the index: one document per page, slide or sheet with text, of every file members
may see whose text could be read.

A file's pages sit beside the posts as their own kind of document (``kind`` is
``schema.FILE``, so ``type:bilag`` and the Type facet select them). They are grouped under
the file (``topic`` is ``schema.FILE_GROUP``: a search shows a file once, at its best page),
and carry the place of what they are attached to: a meeting's region and first theme, or the
post's topic's. Their text comes from ``attachment_parts``, read when the file was uploaded;
the name is their title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from forum.models import (
    Attachment,
    AttachmentPart,
    Meeting,
    MeetingTheme,
    Municipality,
    Post,
    Region,
    SearchOutboxEntry,
    TextStatus,
    Theme,
    Topic,
    User,
)
from forum.search.schema import FILE, FILE_GROUP, FILE_ID

_FILE_ID = re.compile(r"f(\d+)-(\d+)\Z")


def doc_id(attachment_id: int, number: int) -> str:
    return FILE_ID.format(attachment=attachment_id, number=number)


def parse_doc_id(value: str) -> tuple[int, int] | None:
    """(attachment id, part number) of a file page's doc_id; None for a post's."""
    found = _FILE_ID.match(value)
    return (int(found[1]), int(found[2])) if found else None


def parent(post_id: int | None, meeting_id: int | None) -> str:
    """The ``parent`` term of a file's pages: what the file is attached to."""
    return f"p{post_id}" if post_id is not None else f"m{meeting_id}"


def title_of(filename: str) -> str:
    """The words of a file's name, for its title field: "referat-efteraar-2026.pdf" reads as
    "referat efteraar 2026" (the extension says nothing about what it is about)."""
    return re.sub(r"[-_.]+", " ", PurePosixPath(filename).stem)


def rows_query() -> Any:
    """Everything a file's documents need besides their text, one row per file."""
    topic = aliased(Topic)
    first_theme = (
        select(MeetingTheme.theme_id)
        .where(MeetingTheme.meeting_id == Meeting.id)
        .order_by(MeetingTheme.position, MeetingTheme.theme_id)
        .limit(1)
        .scalar_subquery()
    )
    region = aliased(Region)
    theme = aliased(Theme)
    return (
        select(
            Attachment.id,
            Attachment.filename,
            Attachment.created_at,
            func.coalesce(Post.topic_id, Meeting.topic_id).label("topic_id"),
            region.slug.label("region"),
            theme.slug.label("theme"),
            User.username,
            User.display_name,
            Municipality.slug.label("municipality"),
            Attachment.deleted_at,
            Attachment.text_status,
            Attachment.meeting_id,
            Meeting.deleted_at.label("meeting_deleted_at"),
            Attachment.post_id,
            Post.deleted_at.label("post_deleted_at"),
            topic.deleted_at.label("topic_deleted_at"),
        )
        .outerjoin(Meeting, Attachment.meeting_id == Meeting.id)
        .outerjoin(Post, Attachment.post_id == Post.id)
        .outerjoin(topic, topic.id == func.coalesce(Post.topic_id, Meeting.topic_id))
        .outerjoin(region, region.id == func.coalesce(Meeting.region_id, topic.region_id))
        .outerjoin(theme, theme.id == func.coalesce(first_theme, topic.theme_id))
        .join(User, Attachment.uploader_id == User.id)
        .outerjoin(Municipality, User.municipality_id == Municipality.id)
    )


def parts(session: Session, ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """The pages with text of these files: id -> [(number, text)], in order."""
    found: dict[int, list[tuple[int, str]]] = {}
    statement = (
        select(AttachmentPart.attachment_id, AttachmentPart.number, AttachmentPart.text)
        .where(AttachmentPart.attachment_id.in_(list(ids)))
        .order_by(AttachmentPart.attachment_id, AttachmentPart.number)
    )
    for attachment_id, number, text in session.execute(statement):
        if text.strip():
            found.setdefault(attachment_id, []).append((number, text))
    return found


def documents(row: Any, pages: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The index documents of a visible file's pages (the first one carries its name)."""
    docs = []
    for i, (number, text) in enumerate(pages):
        doc = {
            "doc_id": doc_id(row.id, number),
            "doctype": FILE,
            "topic": FILE_GROUP.format(attachment=row.id),
            "file": str(row.id),
            "in_topic": str(row.topic_id or ""),
            "parent": parent(row.post_id, row.meeting_id),
            "body": text,
            "body_phrase": text,
            "author": row.username,
            "author_name": row.display_name,
            "municipality": row.municipality or "",
            "region": row.region or "",
            "theme": row.theme or "",
            "kind": FILE,
            "answered": "",
            "year": str(row.created_at.year),
            "created": row.created_at,
        }
        if i == 0:
            doc["title"] = title_of(row.filename)
        docs.append(doc)
    return docs


def touched(session: Session, rows: list[SearchOutboxEntry], post_ids: set[int]) -> set[int]:
    """The files whose documents outbox ``rows`` touch: changed files, the files of changed
    posts (``post_ids``: the posts the rows touch, their topics' and writers' included), of
    changed meetings and of renamed uploaders. (A topic's change re-reads all its files'
    pages, as it does its posts: a topic holds a handful of files, and pages are bounded.)"""
    ids = {row.object_id for row in rows if row.kind == "attachment"}
    meetings = {row.object_id for row in rows if row.kind == "meeting"}
    users = {row.object_id for row in rows if row.kind == "user"}
    ordered = sorted(post_ids)
    for start in range(0, len(ordered), 5000):  # under any database's parameter limit
        chunk = ordered[start : start + 5000]
        ids.update(session.scalars(select(Attachment.id).where(Attachment.post_id.in_(chunk))))
    if meetings:
        ids.update(
            session.scalars(select(Attachment.id).where(Attachment.meeting_id.in_(meetings)))
        )
    if users:
        ids.update(session.scalars(select(Attachment.id).where(Attachment.uploader_id.in_(users))))
    return ids


def is_live(row: Any) -> bool:
    """Whether the index holds a file (a ``rows_query`` row): its text was read, and every
    member may see it. That is the policy's rule for files (forum.permissions: a file is seen
    where what it is attached to is) for an ordinary member, with posts as the index holds
    them (``permissions.searchable_posts``); tests/search/test_files.py checks the two agree."""
    if row.deleted_at is not None or row.text_status != TextStatus.OK:
        return False
    if row.meeting_id is not None:
        return row.meeting_deleted_at is None
    if row.post_id is not None:
        return row.post_deleted_at is None and row.topic_deleted_at is None
    return False
