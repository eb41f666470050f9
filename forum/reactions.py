"""Thanks ("tak") on posts and bookmarks ("gem") with reminders.

Thanks: one per member per post, never on one's own post; ``posts.thanks_count`` is kept by
atomic UPDATEs so lists and pages read it without counting. The post's author gets one
notification per post (key ``thanks:<post id>``), never if she muted the topic, its region or
its theme. Its ``count`` is a high-water mark, the most thanks it has told about: a thanks
beyond it turns the notification unread and new again, while thanks taken back and given again
do not (nobody can keep lighting someone's bell). Its text takes the post's current count and
names the latest thanker; with no thanks left it is not shown. Thanks are never e-mailed.

Bookmarks: any post a member may see, with an optional note and reminder; a worker step
(``send_due_reminders``) turns due reminders into notifications, each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, case, delete, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import following, notify, permissions, privacy
from forum.errors import Invalid, NotAllowed
from forum.extensions import upsert_insert
from forum.models import Notification, NotificationKind, Post, User
from forum.models.reactions import Bookmark, PostThanks
from forum.timeutil import utcnow

LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
NOTE_MAX = 200
REMINDER_HOUR = 9  # "kl. 9": reminders that name a day arrive at the start of a working day

# The reminder choices a bookmark form offers, in order ("" is none).
REMINDER_CHOICES = {
    "": _l("Ingen påmindelse"),
    "tomorrow": _l("I morgen kl. 9"),
    "monday": _l("På mandag kl. 9"),
    "week": _l("Om en uge"),
    "date": _l("Vælg dato (kl. 9)"),
}


# -- thanks ----------------------------------------------------------------------------------


def thank(session: Session, user: User, post: Post) -> bool:
    """Thank ``post`` for ``user``; True if this was new (a double click counts once).

    Raises NotAllowed for one's own post, a deleted post or one the member may not see."""
    if not permissions.can(user, permissions.THANK, post):
        if permissions.can(user, permissions.VIEW, post) and post.author_id == user.id:
            raise NotAllowed(_("Du kan ikke sige tak for dit eget indlæg."))
        raise NotAllowed(_("Du kan ikke sige tak for dette indlæg."))
    # RETURNING rather than rowcount, which the PostgreSQL driver leaves at -1 here.
    inserted = session.execute(
        upsert_insert(session)(PostThanks)
        .values(post_id=post.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["post_id", "user_id"])
        .returning(PostThanks.post_id)
    ).first()
    if inserted is None:
        return False
    count = session.scalar(
        update(Post)
        .where(Post.id == post.id)
        .values(thanks_count=Post.thanks_count + 1)
        .returning(Post.thanks_count)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(post, "thanks_count", int(count or 0))
    # Muted (the topic, its region or its theme) means never notified, as in forum.notify.
    if not following.muted_members(session, post.topic, [post.author_id]):
        _notify_thanks(session, post, user, int(count or 0))
    session.flush()
    return True


def unthank(session: Session, user: User, post: Post) -> bool:
    """Take ``user``'s thanks for ``post`` back; True if there was one."""
    removed = session.execute(
        delete(PostThanks)
        .where(PostThanks.post_id == post.id, PostThanks.user_id == user.id)
        .returning(PostThanks.post_id)
        .execution_options(synchronize_session=False)
    ).first()
    if removed is None:
        return False
    count = int(
        session.scalar(
            update(Post)
            .where(Post.id == post.id)
            .values(thanks_count=case((Post.thanks_count > 0, Post.thanks_count - 1), else_=0))
            .returning(Post.thanks_count)
            .execution_options(synchronize_session=False)
        )
        or 0
    )
    set_committed_value(post, "thanks_count", count)
    _withdraw_thanks(session, post, user)
    session.flush()
    return True


def toggle_thanks(session: Session, user: User, post: Post) -> bool:
    """Thank the post, or take the thanks back if already given; True if now thanked."""
    if unthank(session, user, post):
        return False
    thank(session, user, post)
    return True


def has_thanked(session: Session, user: User, post: Post) -> bool:
    """Has ``user`` thanked ``post``?"""
    return (
        session.scalar(
            select(PostThanks.post_id).where(
                PostThanks.post_id == post.id, PostThanks.user_id == user.id
            )
        )
        is not None
    )


def thankers(session: Session, post: Post) -> list[User]:
    """The members who thanked ``post``, latest first; deactivated members are not named (as
    mentions and the member lists leave them out), though their thanks still count."""
    return list(
        session.scalars(
            select(User)
            .join(PostThanks, PostThanks.user_id == User.id)
            .where(PostThanks.post_id == post.id, User.active)
            .order_by(PostThanks.created_at.desc(), User.id.desc())
        )
    )


def _thanks_key(post: Post) -> str:
    return f"thanks:{post.id}"


def _notify_thanks(session: Session, post: Post, actor: User, count: int) -> None:
    """One notification per post for its author, upserted, naming the latest thanker. Only a
    count beyond the high-water mark (``count``, never lowered) makes it unread and new again,
    in the one statement, so two thanks at once still move it once each. Never e-mailed
    (``email_due_at`` stays NULL)."""
    now = utcnow()
    stmt = upsert_insert(session)(Notification).values(
        user_id=post.author_id,
        kind=NotificationKind.THANKED,
        key=_thanks_key(post),
        actor_id=actor.id,
        topic_id=post.topic_id,
        post_id=post.id,
        post_number=post.number,
        count=count,
        created_at=now,
        read_at=None,
        email_due_at=None,
    )
    # CASE rather than GREATEST/max(a, b): the one spelling SQLite and PostgreSQL share. The
    # SET expressions all read the row as it was, so ``higher`` means the same in each.
    higher = stmt.excluded.count > Notification.count
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "key"],
            set_={
                "count": case((higher, stmt.excluded.count), else_=Notification.count),
                "actor_id": stmt.excluded.actor_id,
                "created_at": case(
                    (higher, stmt.excluded.created_at), else_=Notification.created_at
                ),
                "read_at": case((higher, None), else_=Notification.read_at),
            },
        )
    )


def _withdraw_thanks(session: Session, post: Post, actor: User) -> None:
    """Thanks taken back: quietly (it does not turn unread), and the count it told about
    stays, so thanking again does not notify again; if it named the member who took it back,
    it names the latest other. At no thanks the row stays, hidden (listed_notifications)."""
    where = (Notification.user_id == post.author_id, Notification.key == _thanks_key(post))
    latest = (
        select(PostThanks.user_id)
        .join(User, User.id == PostThanks.user_id)
        .where(PostThanks.post_id == post.id, User.active)
        .order_by(PostThanks.created_at.desc(), PostThanks.user_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        update(Notification)
        .where(*where)
        .values(
            actor_id=case((Notification.actor_id == actor.id, latest), else_=Notification.actor_id),
        )
        .execution_options(synchronize_session=False)
    )


def thanks_label(notification: Notification) -> str:
    """'Anne sagde tak' / 'Anne og 3 andre sagde tak' for a thanks notification: the post's
    thanks now (the notification's own count is what it told about, which may be more)."""
    actor = notification.actor
    # A deactivated member is not named (as the who-thanked list leaves them out).
    name = actor.display_name if actor is not None and actor.active else _("Et medlem")
    post = notification.post
    total = post.thanks_count if post is not None else notification.count
    others = max(int(total or 1) - 1, 0)
    if others == 0:
        return _("%(name)s sagde tak", name=name)
    return ngettext(
        "%(name)s og %(num)d anden sagde tak",
        "%(name)s og %(num)d andre sagde tak",
        others,
        name=name,
    )


# -- what a topic page needs -----------------------------------------------------------------


def page_state(
    session: Session, user: Any, post_ids: list[int]
) -> tuple[set[int], dict[int, Bookmark]]:
    """Which of these posts the member thanked, and their bookmarks of them: one statement
    each for the whole page (none when there is nothing to ask)."""
    if not post_ids or not getattr(user, "is_authenticated", False):
        return set(), {}
    ids = list(set(post_ids))
    thanked = set(
        session.scalars(
            select(PostThanks.post_id).where(
                PostThanks.user_id == user.id, PostThanks.post_id.in_(ids)
            )
        )
    )
    bookmarks = {
        b.post_id: b
        for b in session.scalars(
            select(Bookmark).where(Bookmark.user_id == user.id, Bookmark.post_id.in_(ids))
        )
    }
    return thanked, bookmarks


# -- bookmarks -------------------------------------------------------------------------------


def _at_nine(day: date) -> datetime:
    local = datetime.combine(day, time(REMINDER_HOUR), tzinfo=LOCAL_TIME)
    return local.astimezone(UTC).replace(tzinfo=None)


def reminder_time(
    choice: str | None, day: date | None = None, now: datetime | None = None
) -> datetime | None:
    """The naive UTC time a reminder choice means, worked out in Danish time.

    "tomorrow"/"monday" (the next Monday, never today) and "date" are at 9:00 Danish time;
    "week" is this time next week. Raises Invalid for an unknown choice, a missing day, or a
    time that has passed."""
    now = now or utcnow()
    local_now = now.replace(tzinfo=UTC).astimezone(LOCAL_TIME)
    today = local_now.date()
    if not choice:
        return None
    if choice == "tomorrow":
        return _at_nine(today + timedelta(days=1))
    if choice == "monday":
        return _at_nine(today + timedelta(days=7 - today.weekday()))
    if choice == "week":
        # A week of wall-clock time: the same hour next week across a change to summer time.
        later = (local_now.replace(tzinfo=None) + timedelta(days=7)).replace(tzinfo=LOCAL_TIME)
        return later.astimezone(UTC).replace(tzinfo=None)
    if choice == "date":
        if day is None:
            raise Invalid(_("Vælg den dag, du vil mindes om indlægget."), field="day")
        at = _at_nine(day)
        if at <= now:
            raise Invalid(_("Vælg en dag i fremtiden til påmindelsen."), field="day")
        if day > today + timedelta(days=3 * 366):
            raise Invalid(_("Vælg en dag inden for de næste tre år."), field="day")
        return at
    raise Invalid(_("Vælg en af påmindelserne på listen."), field="reminder")


def save_bookmark(
    session: Session,
    user: User,
    post: Post,
    *,
    note: str = "",
    remind_at: datetime | None = None,
    keep_existing: bool = False,
) -> Bookmark:
    """Bookmark ``post`` for ``user`` (or change the bookmark's note and reminder).

    ``keep_existing`` leaves an existing bookmark as it is (the post's quick "Gem" button).
    A new reminder time notifies again, even if an earlier one was sent."""
    if not permissions.can(user, permissions.BOOKMARK, post):
        raise NotAllowed(_("Du kan ikke gemme dette indlæg."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(_("Skriv højst %(max)d tegn.", max=NOTE_MAX), field="note")
    privacy.check_personal_data(note, "note")
    bookmark = session.scalar(
        select(Bookmark).where(Bookmark.user_id == user.id, Bookmark.post_id == post.id)
    )
    if bookmark is None:
        session.execute(
            upsert_insert(session)(Bookmark)
            .values(
                user_id=user.id,
                post_id=post.id,
                note=note,
                remind_at=remind_at,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "post_id"])
        )
        bookmark = session.scalar(
            select(Bookmark).where(Bookmark.user_id == user.id, Bookmark.post_id == post.id)
        )
        assert bookmark is not None
        if keep_existing:
            return bookmark
    elif keep_existing:
        return bookmark
    bookmark.note = note
    if bookmark.remind_at != remind_at:
        bookmark.remind_at = remind_at
        bookmark.reminded_at = None
    session.flush()
    return bookmark


def remove_bookmark(session: Session, user: User, post_id: int) -> bool:
    """Remove the member's bookmark of a post (whatever became of it); True if there was one."""
    result = session.execute(
        delete(Bookmark)
        .where(Bookmark.user_id == user.id, Bookmark.post_id == post_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(result.rowcount and result.rowcount > 0)


def get_bookmark(session: Session, user: User, post_id: int) -> Bookmark | None:
    """The member's bookmark of a post, if any."""
    return session.scalar(
        select(Bookmark).where(Bookmark.user_id == user.id, Bookmark.post_id == post_id)
    )


def bookmarks_query(user: User) -> Select:
    """The member's bookmarks, newest first, with their posts and topics (for paginating)."""
    return (
        select(Bookmark)
        .join(Bookmark.post)
        .join(Post.topic)
        .where(Bookmark.user_id == user.id)
        .options(contains_eager(Bookmark.post).contains_eager(Post.topic))
        .order_by(Bookmark.created_at.desc(), Bookmark.id.desc())
    )


def is_gone(post: Post) -> bool:
    """Was the bookmarked post (or its topic) deleted? Then its list row shows no text."""
    return post.is_deleted or post.topic.is_deleted


# -- reminders (worker step) -----------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    id: int
    user_id: int
    post_id: int
    remind_at: datetime


def _claim_due(session: Session, now: datetime, limit: int) -> list[_Due]:
    """Mark up to ``limit`` due reminders as sent and return them: the UPDATE only takes rows
    still unsent, so of two workers each reminder goes to one (PostgreSQL also skips rows
    another worker has locked; on SQLite the UPDATE holds the one write lock)."""
    due = (
        Bookmark.remind_at.is_not(None),
        Bookmark.remind_at <= now,
        Bookmark.reminded_at.is_(None),
    )
    picked = (
        select(Bookmark.id)
        .where(*due)
        .order_by(Bookmark.remind_at, Bookmark.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = session.execute(
        update(Bookmark)
        .where(Bookmark.id.in_(select(picked.c.id)), *due)
        .values(reminded_at=now)
        .returning(Bookmark.id, Bookmark.user_id, Bookmark.post_id, Bookmark.remind_at)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((_Due(*row) for row in rows), key=lambda d: d.id)


def send_due_reminders(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Turn due bookmark reminders into notifications, each once; returns how many were added.

    A reminder of a post that was deleted (or that the member may no longer see) is claimed
    but tells nobody. Flushes only (the worker commits)."""
    now = now or utcnow()
    due = _claim_due(session, now, limit)
    if not due:
        return 0
    posts = {
        p.id: p
        for p in session.scalars(
            select(Post)
            .where(Post.id.in_({d.post_id for d in due}))
            .options(joinedload(Post.topic))
        )
    }
    users = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_({d.user_id for d in due})))
    }
    added = 0
    for reminder in due:
        post, user = posts.get(reminder.post_id), users.get(reminder.user_id)
        if post is None or user is None or is_gone(post):
            continue
        if not permissions.can(user, permissions.VIEW, post):
            continue
        # Counted as handed on: notify.add's own answer rests on a rowcount that PostgreSQL's
        # driver leaves at -1, and the key (bookmark, time) is new for every claimed reminder.
        notify.add(
            session,
            user_id=user.id,
            kind=NotificationKind.REMINDER,
            key=f"reminder:{reminder.id}:{reminder.remind_at.isoformat()}",
            topic_id=post.topic_id,
            post_id=post.id,
            post_number=post.number,
        )
        added += 1
    session.flush()
    return added
