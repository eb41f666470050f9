"""Notifications: written by a worker step from an outbox, never by the request that caused them.

A new post (or an answer marked, or an edit that names new members) adds one ``notify_outbox``
row in the request's own transaction. The worker step (after the response, and ``flask --app
wsgi notify send`` from cron) claims rows, works out who is told (mentioned, quoted, replied to,
watching, following the region or theme), writes the notifications, and queues e-mail for the
members who want it when it is due. Two workers never notify twice: rows are claimed (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, the one-writer lock on SQLite), and a notification's
``(user, key)`` is unique.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select, union_all, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from forum import following, markup, permissions
from forum.extensions import upsert_insert
from forum.models import (
    LoginSession,
    Notification,
    NotificationKind,
    NotifyOutboxEntry,
    Post,
    Topic,
    User,
)
from forum.timeutil import utcnow

log = logging.getLogger(__name__)

# Kinds that may be e-mailed; thanks are not (a count on the site is enough).
EMAILED_KINDS = frozenset(
    {
        "replied",
        "replied_post",
        "quoted",
        "mentioned",
        "answer",
        "new_topic",
        "new_post",
        "reminder",
        "meeting",
        "seat",
        "meeting_cancelled",
    }
)


# Kinds the fan-out leaves out for a member who mutes the topic, its region or its theme
# (forum.following.muted_members): a mute made before their e-mail is due stops it too. The
# others are about the member's own doing (a reminder they set, their seat at a meeting).
MUTABLE_KINDS = EMAILED_KINDS - {"reminder", "seat", "meeting_cancelled"}


def email_due(user_email_level: str, kind: str, now: Any = None) -> Any:
    """When a notification of ``kind`` should be e-mailed to a member with this setting."""
    if kind not in EMAILED_KINDS or user_email_level == "never":
        return None
    now = now or utcnow()
    if user_email_level == "always":
        return now
    return now + timedelta(seconds=int(current_app.config["NOTIFY_EMAIL_DELAY_SECONDS"]))


def add(
    session: Session,
    *,
    user_id: int,
    kind: str,
    key: str,
    actor_id: int | None = None,
    topic_id: int | None = None,
    post_id: int | None = None,
    post_number: int | None = None,
    count: int = 1,
) -> bool:
    """Add one notification unless ``(user_id, key)`` already has one; True if added.

    The e-mail due time follows the recipient's setting. Flushes only."""
    level = session.scalar(select(User.email_level).where(User.id == user_id)) or "away"
    return bool(
        add_many(
            session,
            [
                {
                    "user_id": user_id,
                    "kind": kind,
                    "key": key,
                    "actor_id": actor_id,
                    "topic_id": topic_id,
                    "post_id": post_id,
                    "post_number": post_number,
                    "count": count,
                    "email_due_at": email_due(level, kind),
                }
            ],
        )
    )


def add_many(session: Session, rows: list[dict]) -> int:
    """Insert notification rows (dicts of Notification columns); a row whose ``(user_id,
    key)`` exists is skipped. Returns how many were added."""
    if not rows:
        return 0
    now = utcnow()
    values = [{"created_at": now, "count": 1, **row} for row in rows]
    # Rows as executemany parameters: one statement compiled once and cached, rather than a
    # 2,000-row VALUES clause compiled anew for every post (three quarters of the fan-out).
    result = session.execute(
        upsert_insert(session)(Notification)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Notification.id),
        values,
    )
    added = len(result.all())
    session.flush()
    return added


def enqueue(session: Session, event: str, post: Post, actor: User | None) -> None:
    """Record that ``post`` needs fan-out (``event``: "post", "answer", or "edit" for an edit
    that names members), in the caller's transaction; the worker step after the response does
    the rest."""
    session.add(
        NotifyOutboxEntry(event=event, post_id=post.id, actor_id=actor.id if actor else None)
    )
    session.flush()
    if has_request_context():
        g.notify_queued = True


def shown(stmt: Select, user: Any) -> Select:
    """``stmt`` over notifications narrowed to those the member is shown: what they point to
    is still there (permissions.listed_notifications), joined by primary key."""
    return (
        stmt.outerjoin(Topic, Topic.id == Notification.topic_id)
        .outerjoin(Post, Post.id == Notification.post_id)
        .where(permissions.listed_notifications(user))
    )


def unread_count(session: Session, user: Any) -> int:
    """How many notifications the member has not read (the bell)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    stmt = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return int(session.scalar(shown(stmt, user)) or 0)


def bell_count(session: Session, user: Any) -> int:
    """The header bell's count, computed once per request (templates and views share it)."""
    if not has_request_context():
        return unread_count(session, user)
    if "bell_count" not in g:
        g.bell_count = unread_count(session, user)
    return int(g.bell_count)


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or, with None, all) as read; a read one is never e-mailed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = session.execute(
        stmt.values(read_at=utcnow(), email_due_at=None).execution_options(
            synchronize_session=False
        )
    )
    session.flush()
    return int(result.rowcount or 0)


# -- the worker step -------------------------------------------------------------------------

MAX_ATTEMPTS = 5
# Longer than a batch can take, so a live worker's claim is never taken over.
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH_SIZE = 20


@dataclass
class RunSummary:
    """What one worker step did."""

    events: int = 0  # outbox rows done
    failed: int = 0  # rows that raised (set aside after MAX_ATTEMPTS)
    notifications: int = 0
    emails: int = 0
    reminders: int = 0


def _claimable(now: datetime) -> tuple:
    return (
        NotifyOutboxEntry.done_at.is_(None),
        NotifyOutboxEntry.attempts < MAX_ATTEMPTS,
        or_(
            NotifyOutboxEntry.claimed_at.is_(None),
            NotifyOutboxEntry.claimed_at < now - CLAIM_TIMEOUT,
        ),
    )


def claim(session: Session, claimant: str, limit: int) -> list[tuple[int, str, int, int | None]]:
    """Claim up to ``limit`` outbox rows and commit the claim: (id, event, post id, actor id).

    As forum.mail's claim: on PostgreSQL rows another worker is claiming are skipped (FOR
    UPDATE SKIP LOCKED in a MATERIALIZED pick); on SQLite the UPDATE holds the one write lock,
    and its conditions are checked again on each row, so a row is claimed once."""
    now = utcnow()
    picked = (
        select(NotifyOutboxEntry.id)
        .where(*_claimable(now))
        .order_by(NotifyOutboxEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = session.execute(
        update(NotifyOutboxEntry)
        .where(NotifyOutboxEntry.id.in_(select(picked.c.id)), *_claimable(now))
        .values(claimed_by=claimant, claimed_at=now, attempts=NotifyOutboxEntry.attempts + 1)
        .returning(
            NotifyOutboxEntry.id,
            NotifyOutboxEntry.event,
            NotifyOutboxEntry.post_id,
            NotifyOutboxEntry.actor_id,
        )
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(tuple(row) for row in rows)  # type: ignore[misc]


def _finish(session: Session, entry_id: int, claimant: str, **values: Any) -> None:
    session.execute(
        update(NotifyOutboxEntry)
        .where(NotifyOutboxEntry.id == entry_id, NotifyOutboxEntry.claimed_by == claimant)
        .values(claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def run(session: Session, limit: int = 1000) -> RunSummary:
    """One worker step: fan out pending events, write reminders, queue due e-mail. Commits
    (call it at the top level). A failing event is rolled back, logged and set aside; the
    ones behind it go on."""
    session.commit()  # the claim's write comes first in its transaction (SQLite)
    claimant = uuid.uuid4().hex
    summary = RunSummary()
    while summary.events + summary.failed < limit:
        batch = claim(session, claimant, min(BATCH_SIZE, limit - summary.events - summary.failed))
        if not batch:
            break
        for entry_id, event, post_id, actor_id in batch:
            try:
                added = fan_out(session, event, post_id, actor_id)
                session.flush()
            except Exception as exc:  # one bad event must not stop the others
                session.rollback()
                summary.failed += 1
                log.exception(
                    "Notification event %s (%s of post %s) failed", entry_id, event, post_id
                )
                _finish(
                    session, entry_id, claimant, last_error=f"{type(exc).__name__}: {exc}"[:500]
                )
            else:
                summary.events += 1
                summary.notifications += added
                _finish(session, entry_id, claimant, done_at=utcnow(), last_error=None)
    summary.reminders = _reminders(session)
    summary.emails = queue_due_emails(session)
    return summary


def _reminders(session: Session) -> int:
    try:
        from forum import reactions
    except ImportError:  # pragma: no cover - reactions land with bookmarks
        return 0
    count = reactions.send_due_reminders(session)
    session.commit()
    return count


def queue_due_emails(session: Session, limit: int = 500) -> int:
    """Queue the e-mail of every notification whose time has come and that is still unread
    (the mail outbox's unique key keeps a doubled run from mailing twice). One whose member
    muted its topic, region or theme meanwhile, or ("away") has been on the forum since it
    came, is not mailed: it stays in the bell, unread. Commits."""
    from forum import emails

    now = utcnow()
    due = session.scalars(
        select(Notification)
        .where(
            Notification.email_due_at.is_not(None),
            Notification.email_due_at <= now,
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
        )
        .options(joinedload(Notification.user))
        .order_by(Notification.email_due_at)
        .limit(limit)
    ).all()
    held = _held_back(session, due)
    due = [n for n in due if n.id not in held]  # before the commit expires them
    if held:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(sorted(held)))
            .values(email_due_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    queued = 0
    for notification in due:
        try:
            if emails.queue_notification_mail(session, notification) is not None:
                queued += 1
        except Exception:  # set aside: it stays on the site, and the others are mailed
            session.rollback()
            log.exception("Could not queue the e-mail of notification %s", notification.id)
            session.execute(
                update(Notification)
                .where(Notification.id == notification.id)
                .values(email_due_at=None)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            continue
        notification.email_due_at = None
        notification.emailed_at = notification.emailed_at or now
        session.commit()
    return queued


def _held_back(session: Session, due: list[Notification]) -> set[int]:
    """Which of these due notifications are no longer to be mailed: muted since (the fan-out's
    rule) or, for an "away" member, seen to. Two statements for the whole batch."""
    if not due:
        return set()
    held: set[int] = set()
    mutable = [n.id for n in due if n.kind in MUTABLE_KINDS and n.topic_id is not None]
    if mutable:
        held.update(
            session.scalars(
                select(Notification.id)
                .join(Topic, Topic.id == Notification.topic_id)
                .where(
                    Notification.id.in_(mutable),
                    following.muted_by(
                        Notification.user_id, Notification.topic_id, Topic.region_id, Topic.theme_id
                    ),
                )
            )
        )
    away = [n for n in due if n.id not in held and n.user.email_level == "away"]
    if away:
        seen = last_on_forum(session, [n.user for n in away], since=min(n.created_at for n in away))
        held.update(n.id for n in away if n.user_id in seen and seen[n.user_id] >= n.created_at)
    return held


def last_on_forum(session: Session, users: list[User], *, since: datetime) -> dict[int, datetime]:
    """When each member was last seen on the forum, if at or after ``since``, in one statement:
    their last login, the last use of one of their logins, their last post.

    A login's use is recorded at most every LOGIN_TOUCH_SECONDS (forum.logins), so a member
    who only read, for less than that, right after their last recorded use is not seen; a post
    is recorded to the second."""
    user_ids = sorted({user.id for user in users})
    rows = session.execute(
        union_all(
            select(LoginSession.user_id, func.max(LoginSession.last_seen_at))
            .where(LoginSession.user_id.in_(user_ids), LoginSession.last_seen_at >= since)
            .group_by(LoginSession.user_id),
            select(Post.author_id, func.max(Post.created_at))
            .where(Post.author_id.in_(user_ids), Post.created_at >= since)
            .group_by(Post.author_id),
        )
    ).all()
    seen = {user.id: user.last_seen_at for user in users if user.last_seen_at is not None}
    for user_id, moment in rows:
        if moment is not None and (user_id not in seen or moment > seen[user_id]):
            seen[user_id] = moment
    return {user_id: moment for user_id, moment in seen.items() if moment >= since}


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    given_up: list[NotifyOutboxEntry]
    emails_due: int


def outbox_status(session: Session) -> OutboxStatus:
    """Events waiting, events given up (with their errors), e-mails due now."""
    now = utcnow()
    pending = session.scalar(
        select(func.count(NotifyOutboxEntry.id)).where(
            NotifyOutboxEntry.done_at.is_(None), NotifyOutboxEntry.attempts < MAX_ATTEMPTS
        )
    )
    given_up = session.scalars(
        select(NotifyOutboxEntry)
        .where(NotifyOutboxEntry.done_at.is_(None), NotifyOutboxEntry.attempts >= MAX_ATTEMPTS)
        .order_by(NotifyOutboxEntry.id)
    ).all()
    due = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.email_due_at <= now,
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
        )
    )
    return OutboxStatus(int(pending or 0), list(given_up), int(due or 0))


def prune_done(session: Session, days: int = 7) -> int:
    """Delete outbox rows done more than ``days`` ago. Flushes only."""
    result = session.execute(
        delete(NotifyOutboxEntry)
        .where(NotifyOutboxEntry.done_at < utcnow() - timedelta(days=days))
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)


# -- who is told -----------------------------------------------------------------------------

# Higher first: a member who is both mentioned and watching is told once, of the mention.
_PRIORITY = (
    NotificationKind.MENTIONED,
    NotificationKind.QUOTED,
    NotificationKind.REPLIED_TO_POST,
    NotificationKind.REPLIED,
    NotificationKind.NEW_POST,
    NotificationKind.NEW_TOPIC,
)
_QUOTE_LINE = re.compile(r"^ {0,3}> \*\*.+ skrev:\*\*", re.MULTILINE)


def fan_out(session: Session, event: str, post_id: int, actor_id: int | None) -> int:
    """Write the notifications one event causes; returns how many were added."""
    post = session.scalar(select(Post).where(Post.id == post_id).options(joinedload(Post.topic)))
    if post is None or post.is_deleted or post.topic.is_deleted:
        return 0  # deleted before the worker came to it: nobody is told
    if event == "answer":
        return _answer(session, post, actor_id)
    if event == "edit":
        return _edit(session, post, actor_id)
    return _new_post(session, post)


def _answer(session: Session, post: Post, actor_id: int | None) -> int:
    if post.topic.answer_post_id != post.id or post.author_id == actor_id:
        return 0  # unmarked meanwhile, or the marker's own reply
    wanted = {post.author_id: NotificationKind.ANSWER}
    return _write(session, post, wanted, actor_id, key=f"answer:{post.id}")


def _new_post(session: Session, post: Post) -> int:
    topic = post.topic
    actor = post.author_id
    wanted: dict[int, str] = {}

    def want(user_ids: Any, kind: str) -> None:
        for user_id in user_ids:
            if user_id != actor:
                wanted.setdefault(user_id, kind)

    names = markup.mentions(post.body, quoted=False)  # a quoted name was told by its own post
    if names:
        want(
            session.scalars(select(User.id).where(func.lower(User.username).in_(names))),
            NotificationKind.MENTIONED,
        )
    if post.reply_to_number:
        target = session.scalar(
            select(Post.author_id).where(
                Post.topic_id == topic.id,
                Post.number == post.reply_to_number,
                Post.deleted_at.is_(None),
            )
        )
        if target is not None:
            quoted = bool(_QUOTE_LINE.search(post.body))
            want([target], NotificationKind.QUOTED if quoted else NotificationKind.REPLIED_TO_POST)
    if post.number > 1:
        want([topic.author_id], NotificationKind.REPLIED)
        want(following.topic_watchers(session, topic), NotificationKind.NEW_POST)
    else:
        watchers, trackers = following.place_followers(session, topic)
        # A meeting's discussion topic opens with the meeting: its followers hear of a meeting.
        is_meeting = topic.meeting is not None
        want(watchers, NotificationKind.MEETING if is_meeting else NotificationKind.NEW_TOPIC)
        following.start_following(session, topic, trackers, exclude=actor)
    return _write(session, post, wanted, actor, key=f"post:{post.id}")


def _edit(session: Session, post: Post, actor_id: int | None) -> int:
    """An edit (by ``actor_id``, the author or a moderator) told of the members the post now
    names, as Discourse: the key is the post's own, so whoever its fan-out told already
    (mentioned, replied to, watching) is not told again, and doubled or repeated edits tell
    each member once. Read from the post as it is when the worker comes, so a later edit
    that keeps the name loses nothing. However often it is edited, a post tells at most
    MAX_MENTIONS members of a mention (editing names in and out cannot page everyone)."""
    names = set(markup.mentions(post.body, quoted=False))
    if not names:
        return 0
    key = f"post:{post.id}"
    told = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.key == key, Notification.kind == NotificationKind.MENTIONED
            )
        )
    )
    room = markup.MAX_MENTIONS - len(told)
    if room <= 0:
        return 0
    candidates = [
        user_id
        for user_id in session.scalars(
            select(User.id).where(func.lower(User.username).in_(sorted(names))).order_by(User.id)
        )
        if user_id not in (post.author_id, actor_id) and user_id not in told
    ]
    wanted = dict.fromkeys(candidates[:room], NotificationKind.MENTIONED)
    return _write(session, post, wanted, actor_id, key=key)


def _write(
    session: Session, post: Post, wanted: dict[int, str], actor_id: int | None, *, key: str
) -> int:
    """Add the wanted notifications for the members who may see the post and did not mute it."""
    if not wanted:
        return 0
    topic = post.topic
    muted = following.muted_members(session, topic, list(wanted))
    rows = []
    now = utcnow()
    for user in session.scalars(
        select(User).where(User.id.in_([u for u in wanted if u not in muted]))
    ):
        if not permissions.can(user, permissions.VIEW, post):
            continue  # deactivated, or the post is not theirs to see
        kind = wanted[user.id]
        rows.append(
            {
                "user_id": user.id,
                "kind": kind,
                "key": key,
                "actor_id": actor_id,
                "topic_id": topic.id,
                "post_id": post.id,
                "post_number": post.number,
                "email_due_at": email_due(user.email_level, kind, now),
            }
        )
    return add_many(session, rows)


# -- the member's list -----------------------------------------------------------------------


def page_query(user: User) -> Any:
    """The member's notifications, newest first, with what a row shows loaded (a fixed number
    of statements for any page)."""
    return (
        shown(select(Notification).where(Notification.user_id == user.id), user)
        .options(
            joinedload(Notification.actor),
            contains_eager(Notification.topic),
            contains_eager(Notification.post),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def label(notification: Notification) -> str:
    """What happened, in a line: "Anne Hansen svarede på dit indlæg"."""
    from forum.reactions import thanks_label

    kind = notification.kind
    if kind == NotificationKind.THANKED:
        return thanks_label(notification)
    if kind == NotificationKind.REMINDER:
        return _("Påmindelse om et indlæg, du har gemt")
    if kind == NotificationKind.ANSWER:
        return _("Dit svar blev markeret som svaret der hjalp")
    if kind == NotificationKind.SEAT:
        return _("Du har fået en plads på mødet")
    if kind == NotificationKind.MEETING_CANCELLED:
        return _("Et møde, du er tilmeldt, er aflyst")
    name = notification.actor.display_name if notification.actor else _("Et medlem")
    # Only the one line asked for is translated (a list page asks thirty times).
    if kind == NotificationKind.REPLIED:
        return _("%(name)s svarede i dit emne", name=name)
    if kind == NotificationKind.REPLIED_TO_POST:
        return _("%(name)s svarede på dit indlæg", name=name)
    if kind == NotificationKind.QUOTED:
        return _("%(name)s citerede dig", name=name)
    if kind == NotificationKind.MENTIONED:
        return _("%(name)s nævnte dig", name=name)
    if kind == NotificationKind.NEW_TOPIC:
        return _("%(name)s startede et nyt emne", name=name)
    if kind == NotificationKind.NEW_POST:
        return _("%(name)s skrev et nyt indlæg", name=name)
    if kind == NotificationKind.MEETING:
        return _("%(name)s har planlagt et møde", name=name)
    return _("Nyt i forummet")


def mark_topic_read(session: Session, user_id: int, topic_id: int, up_to: int) -> None:
    """Mark the member's notifications about a topic's posts up to ``up_to`` as read (they
    have just seen them on the topic page). Flushes only."""
    session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.topic_id == topic_id,
            Notification.read_at.is_(None),
            or_(Notification.post_number.is_(None), Notification.post_number <= up_to),
        )
        .values(read_at=utcnow(), email_due_at=None)
        .execution_options(synchronize_session=False)
    )


def mark_meeting_read(session: Session, user_id: int, topic_id: int) -> None:
    """Mark the member's notifications about a meeting (NotificationKind.ABOUT_MEETING, kept
    on the meeting's topic) as read: they have just seen the meeting's page. Flushes only."""
    session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.topic_id == topic_id,
            Notification.kind.in_(sorted(NotificationKind.ABOUT_MEETING)),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow(), email_due_at=None)
        .execution_options(synchronize_session=False)
    )
