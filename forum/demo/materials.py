"""The demo's meeting materials: the slides and the minutes that last autumn's material threads
say lie "som bilag på mødesiden", made from those threads' own text and uploaded the way a
facilitator uploads them (forum.files: type sniffed, text read in the sandbox, CPR guard), so
that the meeting pages, /materialer and search have real files to show."""

from __future__ import annotations

import io
import re
import textwrap
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum import files
from forum.demo import documents
from forum.models import Attachment, Meeting, Post, Topic, TopicKind, User
from forum.slugs import slugify
from forum.timeutil import utcnow

LINE = 90  # characters per line on a minutes page


def _plain(markdown: str) -> str:
    """Markdown as it reads on a slide or a printed page: no emphasis marks, bullets as •."""
    text = re.sub(r"\*\*?([^*]+)\*\*?", r"\1", markdown)
    text = re.sub(r"^\s*[-*] ", "• ", text, flags=re.MULTILINE)
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).strip()


_HEADING = re.compile(r"^(?:## (?P<hash>.+)|\*\*(?P<bold>[^*]+)\*\*)\s*$")


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) of each section (a ``## `` line, or a line all in bold, starts one);
    the opening text under the heading ""."""
    found: list[tuple[str, str]] = []
    heading, lines = "", []
    for line in body.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            found.append((heading, _plain("\n".join(lines))))
            heading, lines = (match["hash"] or match["bold"]).strip(), []
        else:
            lines.append(line)
    found.append((heading, _plain("\n".join(lines))))
    return [(h, t) for h, t in found if t]


def slides(meeting: Meeting, parts: list[tuple[str, str]]) -> bytes:
    """The day's deck: a title slide, then one slide per section, its text in the notes too."""
    deck = [(meeting.title, parts[0][1].split("\n\n")[0] if parts else "", "")]
    deck += [(heading or meeting.title, text, text) for heading, text in parts[1:]]
    return documents.pptx(deck)


def minutes(meeting: Meeting, parts: list[tuple[str, str]]) -> bytes:
    """The minutes: a page per section, wrapped to the page's width."""
    pages = []
    for heading, text in parts:
        lines = [f"Referat: {meeting.title}", "", heading or "Velkomst", ""]
        for paragraph in text.split("\n"):
            lines.extend(textwrap.wrap(paragraph, LINE) or [""])
        pages.append("\n".join(lines))
    return documents.pdf(pages)


def add_materials(session: Session, facilitator: User) -> int:
    """Upload slides and minutes to each held meeting whose thread holds the day's material
    (once: meetings that have files are left alone); returns the number of files."""
    added = 0
    held = session.scalars(
        select(Meeting)
        .join(Topic, Topic.id == Meeting.topic_id)
        .where(
            Topic.kind == TopicKind.MATERIAL,
            Meeting.ends_at < utcnow(),  # minutes only of meetings that were held
            ~Meeting.id.in_(_with_files()),
        )
        .order_by(Meeting.starts_at)
    )
    for meeting in list(held):
        body = session.scalar(
            select(Post.body).where(Post.topic_id == meeting.topic_id, Post.number == 1)
        )
        parts = sections(body or "")
        if len(parts) < 2:
            continue
        name = slugify(meeting.title, max_length=60)
        for filename, data in (
            (f"slides-{name}.pptx", slides(meeting, parts)),
            (f"referat-{name}.pdf", minutes(meeting, parts)),
        ):
            with files.receive(io.BytesIO(data), filename) as incoming:
                files.attach_to_meeting(session, facilitator, meeting, incoming, confirmed=False)
            added += 1
        # Put up on the day after the meeting, as they were: not "new" in anyone's digest.
        session.execute(
            update(Attachment)
            .where(Attachment.meeting_id == meeting.id)
            .values(created_at=meeting.ends_at + timedelta(days=1))
            .execution_options(synchronize_session=False)
        )
    return added


def _with_files() -> object:
    return select(Attachment.meeting_id).where(Attachment.meeting_id.is_not(None))
