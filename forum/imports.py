"""Import earlier discussions from JSON Lines, one topic per line (`flask import-jsonl`).

A bad line is reported with its number and skipped; the good lines are imported. Each
line runs in its own savepoint, so a half-imported topic never remains.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import accounts, places, privacy
from forum.errors import ForumError
from forum.models import PinScope, Post, Topic, TopicKind, User
from forum.timeutil import to_naive_utc, utcnow
from forum.topics import append_post, build_topic


@dataclass
class ImportReport:
    """What an import did: topics and posts added, members created, lines skipped."""

    topics: int = 0
    posts: int = 0
    users_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class LineError(Exception):
    """A problem with one line, reported with the line number."""


def _text(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LineError(f"{where}: '{key}' mangler eller er tom")
    return value


def _time(record: dict[str, Any], where: str, default: datetime | None = None) -> datetime:
    raw = record.get("created_at")
    if raw is None and default is not None:
        return default
    try:
        return to_naive_utc(datetime.fromisoformat(str(raw)))
    except ValueError:
        raise LineError(f"{where}: 'created_at' er ikke et ISO 8601-tidspunkt: {raw!r}") from None


def _author(session: Session, record: dict[str, Any], where: str, report: ImportReport) -> User:
    """The member with this e-mail, or a new inactive member of the named municipality."""
    email = accounts.normalise_email(_text(record, "author", where))
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user
    municipality = None
    organisation = str(record.get("organisation") or "").strip()
    if record.get("municipality"):
        municipality = places.municipality_by_name(session, str(record["municipality"]))
        if municipality is None:
            raise LineError(f"{where}: ukendt kommune {record['municipality']!r}")
    elif not organisation:
        raise LineError(f"{where}: 'municipality' (eller 'organisation') mangler")
    name = str(record.get("author_name") or email.split("@")[0]).strip()
    title = str(record.get("author_title") or "").strip()
    for key, value in (("author_name", name), ("author_title", title)):
        if privacy.find_cpr(value):
            raise LineError(f"{where}: {key!r} ser ud til at indeholde et CPR-nummer")
    user = User(
        email=email,
        username=accounts.unique_username(session, name),
        display_name=name,
        job_title=title,
        municipality=municipality,
        organisation=organisation,
        active=False,  # imported people become members only when invited
        password_hash=None,
    )
    session.add(user)
    session.flush()
    report.users_created += 1
    return user


def _import_topic(session: Session, record: Any, report: ImportReport) -> Topic:
    if not isinstance(record, dict):
        raise LineError("linjen er ikke et JSON-objekt")
    kind = record.get("kind", TopicKind.DISCUSSION)
    if kind not in TopicKind.ALL:
        raise LineError(f"ukendt type {kind!r} (brug {', '.join(TopicKind.ALL)})")
    try:
        region = places.region_by_slug(session, str(record.get("region", "")), field="region")
        theme = places.theme_by_slug(session, str(record.get("theme", "")), field="theme")
    except ForumError:
        raise LineError(
            f"ukendt region {record.get('region')!r} eller tema {record.get('theme')!r}"
        ) from None
    posts = record.get("posts")
    if not isinstance(posts, list) or not posts:
        raise LineError("'posts' mangler eller er tom")
    title = _text(record, "title", "emnet")
    opened_at = _time(record, "emnet", default=utcnow())
    topic = None
    for index, post_record in enumerate(posts, start=1):
        where = f"indlæg {index}"
        if not isinstance(post_record, dict):
            raise LineError(f"{where}: er ikke et JSON-objekt")
        author = _author(session, post_record, where, report)
        body = _text(post_record, "body", where)
        at = _time(post_record, where, default=opened_at)
        try:
            if topic is None:
                topic = build_topic(
                    session,
                    author,
                    title=title,
                    body=body,
                    kind=kind,
                    region=region,
                    theme=theme,
                    created_at=min(at, opened_at),
                )
            else:
                append_post(session, author, topic, body, created_at=at)
        except ForumError as exc:
            raise LineError(f"{where}: {exc.message}") from None
    assert topic is not None
    _optional_fields(session, topic, record)
    report.topics += 1
    report.posts += len(posts)
    return topic


def _optional_fields(session: Session, topic: Topic, record: dict[str, Any]) -> None:
    """``answer`` (post number of a sparring topic's answer) and ``pinned`` (a pin scope)."""
    answer = record.get("answer")
    if answer is not None:
        if topic.kind != TopicKind.SPARRING:
            raise LineError(f"'answer' gælder kun sparring (type er {topic.kind!r})")
        if not isinstance(answer, int) or not 2 <= answer <= topic.post_number_max:
            raise LineError(f"'answer' skal være nummeret på et svar (2-{topic.post_number_max})")
        session.flush()
        topic.answer_post_id = session.scalar(
            select(Post.id).where(Post.topic_id == topic.id, Post.number == answer)
        )
    pinned = record.get("pinned")
    if pinned is not None:
        if pinned not in PinScope.ALL:
            raise LineError(f"'pinned' skal være en af {', '.join(PinScope.ALL)}")
        topic.pin_scope = pinned
    session.flush()


def import_lines(session: Session, lines: Iterable[str]) -> ImportReport:
    """Import topics from JSON Lines; blank lines are ignored, bad lines reported and skipped."""
    report = ImportReport()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.errors.append((number, f"ugyldig JSON: {exc.msg} (kolonne {exc.colno})"))
            continue
        savepoint = session.begin_nested()
        line_report = ImportReport()
        try:
            _import_topic(session, record, line_report)
        except LineError as exc:
            savepoint.rollback()
            report.errors.append((number, str(exc)))
        else:
            savepoint.commit()
            report.topics += line_report.topics
            report.posts += line_report.posts
            report.users_created += line_report.users_created
    return report
