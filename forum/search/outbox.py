"""Changes to posts, topics, writers, files and meetings append rows to ``search_outbox`` in
their transaction.

A session event (``after_flush``) sees every ORM change, so no view or command has to
remember search: a reply, an edit, a soft delete, a move or a renamed member each leave a row,
committed or rolled back together with the change. Bulk inserts through SQLAlchemy Core
(``flask generate``) bypass it; ``flask search rebuild`` indexes those.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from forum.models import Attachment, Meeting, MeetingTheme, Post, SearchOutboxEntry, Topic, User
from forum.timeutil import utcnow

# The attributes whose change alters what the index holds for the object.
_WATCHED = {
    Post: ("body", "deleted_at", "topic_id", "author_id"),
    Topic: ("title", "kind", "region_id", "theme_id", "deleted_at", "answer_post_id"),
    User: ("username", "display_name", "municipality_id"),
    # A file's pages carry its name, its parent's place and visibility (a meeting's region).
    Attachment: ("filename", "deleted_at", "post_id", "meeting_id", "text_status"),
    Meeting: ("region_id", "deleted_at", "topic_id"),
}
_KINDS = {Post: "post", Topic: "topic", User: "user", Attachment: "attachment", Meeting: "meeting"}


def _changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED[type(obj)])


def _record_changes(session: Session, flush_context: Any) -> None:
    rows: dict[tuple[str, int], str] = {}
    for obj in session.new:
        if type(obj) in (Post, Topic, Attachment):
            rows[(_KINDS[type(obj)], obj.id)] = "insert"
        elif type(obj) is MeetingTheme:  # a file's theme is its meeting's first
            rows.setdefault(("meeting", obj.meeting_id), "update")
    for obj in session.dirty:
        if type(obj) in _WATCHED and _changed(obj):
            rows.setdefault((_KINDS[type(obj)], obj.id), "update")
    for obj in session.deleted:
        if type(obj) in _KINDS:
            rows[(_KINDS[type(obj)], obj.id)] = "delete"
        elif type(obj) is MeetingTheme:
            rows.setdefault(("meeting", obj.meeting_id), "update")
    if not rows:
        return
    now = utcnow()
    session.connection().execute(
        insert(SearchOutboxEntry),
        [
            {"kind": kind, "object_id": object_id, "op": op, "created_at": now}
            for (kind, object_id), op in rows.items()
        ],
    )
    if has_request_context():
        g.search_changed = True  # the request syncs the index after its response


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_flush", _record_changes):
        event.listen(Session, "after_flush", _record_changes)
