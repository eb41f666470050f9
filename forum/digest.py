"""The digest e-mail: what happened in what a member follows since their last digest.

``flask --app wsgi digest --period weekly`` (and ``daily``) runs from cron. For each active
member with that period who has not been on the forum since the period began, it queues one
e-mail: new topics and the most active ones in what they follow, open sparring questions in
their own region, new materials and meetings, and how many notifications wait for them.
Nothing muted, nothing deleted, and no e-mail at all when there is nothing new to tell.

Idempotent: the mail key is ``digest:<member>:<period>:<label>`` (``2026-W49``, ``2026-12-03``
on Danish clocks), and the member's ``last_digest_at`` moves in the same transaction by a claim
that only takes members without a digest since the label began. A rerun, or a second node at
the same moment, queues at most one digest per member and period. Members are worked through
in batches, each committed, so a crash loses at most one batch's work and a rerun goes on.

What a run reads: the period's topics, replies and files once (bounded below), then per batch of
members their mail keys, last visits, region, theme and topic levels, unread counts, the
claim and a savepoint (ten statements per batch). Per member who gets a digest: the outbox insert
(forum.mail.queue_mail's two statements). Nothing per member depends on the amount of
content.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from forum import emails, notify, permissions
from forum.following import WATCHING_FIRST_POST, PlaceLevels, home_region_id
from forum.mail import queue_mail
from forum.models import (
    Attachment,
    LoginSession,
    MailMessage,
    Meeting,
    Notification,
    Post,
    Region,
    RegionMember,
    Theme,
    ThemeMember,
    Topic,
    TopicKind,
    TopicMember,
    User,
)
from forum.reading import MUTED, NORMAL, TRACKING, WATCHING
from forum.timeutil import utcnow
from forum.topics import OPEN_QUESTION_DAYS
from forum.unsubscribe import DIGEST, unsubscribe_url
from forum.urls import external_url

log = logging.getLogger(__name__)

WEEKLY, DAILY, NEVER = "weekly", "daily", "never"
PERIODS = {WEEKLY: timedelta(days=7), DAILY: timedelta(days=1)}
LOCAL_TIME = ZoneInfo("Europe/Copenhagen")

MAX_ITEMS = 10  # per section
BATCH_SIZE = 100  # members per transaction
# Bounds on what one run reads: far above a real week (the network writes a few hundred
# topics a month), so they only matter for pathological data.
MAX_TOPICS = 2000
MAX_REPLIES = 50_000
MAX_FILES = 2000
# A member follows a topic's news through its region or theme at these levels...
FOLLOWING_PLACE = (WATCHING, WATCHING_FIRST_POST, TRACKING)
# ...and through the topic itself at these (forum.reading's rows).
FOLLOWING_TOPIC = (WATCHING, TRACKING)

# Why a member got no digest (the command's summary says these words).
ACTIVE = "active since their last digest"
EMPTY = "empty"
ALREADY_SENT = "already sent"
UNSUBSCRIBED = "unsubscribed"
SKIP_REASONS = (ACTIVE, EMPTY, ALREADY_SENT, UNSUBSCRIBED)


def period_label(period: str, now: datetime) -> str:
    """The period ``now`` (naive UTC) falls in, on Danish clocks: ``2026-W49`` or ``2026-12-03``."""
    local = now.replace(tzinfo=UTC).astimezone(LOCAL_TIME)
    if period == WEEKLY:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.date().isoformat()


def label_start(period: str, now: datetime) -> datetime:
    """When the label ``now`` falls in began, as naive UTC: Monday 00:00 or midnight in
    Copenhagen."""
    day = now.replace(tzinfo=UTC).astimezone(LOCAL_TIME).date()
    if period == WEEKLY:
        day -= timedelta(days=day.weekday())
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIME).astimezone(UTC).replace(tzinfo=None)


def mail_key(user_id: int, period: str, label: str) -> str:
    """The outbox key of one member's digest for one period: it is queued at most once."""
    return f"digest:{user_id}:{period}:{label}"


def since(user: User, period: str, now: datetime) -> datetime:
    """Where the member's digest starts: their last digest, but never more than a period ago."""
    start = now - PERIODS[period]
    if user.last_digest_at is not None and user.last_digest_at > start:
        return user.last_digest_at
    return start


# -- what the period holds, read once per run --------------------------------------------------


@dataclass(frozen=True)
class DigestTopic:
    """What a digest shows of a topic: plain values read once per run and shared by every
    member's digest (committing a batch cannot expire them)."""

    id: int
    title: str
    kind: str
    region_id: int
    region_name: str
    region_national: bool
    theme_id: int
    theme_name: str
    author_id: int
    author_name: str
    created_at: datetime
    last_posted_at: datetime
    answered: bool
    url: str
    reply_times: tuple[datetime, ...] = ()  # visible replies in the period, oldest first
    meeting: DigestMeeting | None = None  # the meeting the topic is the discussion of

    @property
    def is_upcoming_meeting(self) -> bool:
        return self.meeting is not None and self.meeting.is_upcoming

    def replies_since(self, moment: datetime) -> int:
        """How many of the period's visible replies came at or after ``moment``."""
        return len(self.reply_times) - bisect.bisect_left(self.reply_times, moment)


@dataclass(frozen=True)
class DigestMeeting:
    """When and where a meeting is, for a digest (forum.meetings.when_label reads it)."""

    starts_at: datetime
    ends_at: datetime
    place: str
    url: str
    is_upcoming: bool


@dataclass(frozen=True)
class DigestFile:
    """A file uploaded in the period, to a meeting or to a post, with the topic it belongs to
    (the meeting's discussion topic, or the post's), whose region, theme and levels decide
    who is told, as for the topic itself."""

    id: int
    filename: str
    kind: str
    size: int
    created_at: datetime
    uploader_id: int
    topic_id: int
    region_id: int
    region_name: str
    region_national: bool
    theme_id: int
    where: str  # the meeting's title, or the topic's
    url: str  # the meeting page's materials, or the post


@dataclass(frozen=True)
class Period:
    """What a run's digests are made from: the period's topics, newest activity first, and
    the links every digest carries (built once, not once per member)."""

    name: str
    label: str
    now: datetime
    topics: tuple[DigestTopic, ...] = ()
    links: dict[str, str] = field(default_factory=dict)
    files: tuple[DigestFile, ...] = ()  # newest first

    @property
    def start(self) -> datetime:
        return self.now - PERIODS[self.name]

    @property
    def question_start(self) -> datetime:
        """Sparring questions asked since then may still be waiting for an answer."""
        return self.now - timedelta(days=OPEN_QUESTION_DAYS)

    def window(self) -> tuple[Any, ...]:
        """SQL filter for the topics a digest of the period may show: active in it, or an
        open question still recent; never a deleted one (the permission policy's list
        filter: moderators' digests leave deleted topics out as their lists do)."""
        return (
            permissions.visible_topics(permissions.ANY_MEMBER),
            or_(
                Topic.last_posted_at >= self.start,
                (Topic.kind == TopicKind.SPARRING)
                & Topic.answer_post_id.is_(None)
                & (Topic.created_at >= self.question_start),
            ),
        )


def load_period(session: Session, period: str, now: datetime) -> Period:
    """The period's topics with their visible replies: two statements, whatever the members."""
    empty = Period(period, period_label(period, now), now)
    rows = session.execute(
        select(
            Topic.id,
            Topic.title,
            Topic.slug,
            Topic.kind,
            Topic.region_id,
            Region.name.label("region_name"),
            Region.is_national,
            Topic.theme_id,
            Theme.name.label("theme_name"),
            Topic.author_id,
            User.display_name,
            Topic.created_at,
            Topic.last_posted_at,
            Topic.answer_post_id,
        )
        .join(Region, Region.id == Topic.region_id)
        .join(Theme, Theme.id == Topic.theme_id)
        .join(User, User.id == Topic.author_id)
        .where(*empty.window())
        .order_by(Topic.last_posted_at.desc(), Topic.id.desc())
        .limit(MAX_TOPICS)
    ).all()
    replies: dict[int, list[datetime]] = {}
    if rows:
        # Replies only (the opening post is the topic itself), and only what every member
        # may see: a deleted reply is no activity.
        for topic_id, created_at in session.execute(
            select(Post.topic_id, Post.created_at)
            .join(Topic, Topic.id == Post.topic_id)
            .where(Post.created_at >= empty.start, Post.number > 1)
            .where(permissions.searchable_posts(), *empty.window())
            .order_by(Post.created_at)
            .limit(MAX_REPLIES)
        ):
            replies.setdefault(topic_id, []).append(created_at)
    meetings = _meetings(session, [row.id for row in rows if row.kind == TopicKind.MATERIAL], now)
    topics = tuple(
        DigestTopic(
            id=row.id,
            title=row.title,
            kind=row.kind,
            region_id=row.region_id,
            region_name=row.region_name,
            region_national=bool(row.is_national),
            theme_id=row.theme_id,
            theme_name=row.theme_name,
            author_id=row.author_id,
            author_name=row.display_name,
            created_at=row.created_at,
            last_posted_at=row.last_posted_at,
            answered=row.answer_post_id is not None,
            url=external_url("topics.show", slug=row.slug, topic_id=row.id),
            reply_times=tuple(replies.get(row.id, ())),
            meeting=meetings.get(row.id),
        )
        for row in rows
    )
    links = {
        "forum_url": external_url("browse.index"),
        "notifications_url": external_url("following.notifications"),
        "settings_url": external_url("users.preferences"),
        "materials_url": external_url("files.materials"),
    }
    return Period(period, empty.label, now, topics, links, _files(session, empty.start))


def _new_files(start: datetime, *columns: Any) -> Select:
    """The files uploaded since ``start`` that every member may see, joined to the topic they
    belong to: a meeting's (not deleted; its discussion topic has its region and first theme)
    or a post's (the post and its topic not deleted). Deleted files never."""
    topic_id = func.coalesce(Meeting.topic_id, Post.topic_id)
    return (
        select(*columns)
        .select_from(Attachment)
        .outerjoin(Meeting, Meeting.id == Attachment.meeting_id)
        .outerjoin(Post, Post.id == Attachment.post_id)
        .join(Topic, Topic.id == topic_id)
        .where(
            Attachment.created_at >= start,
            Attachment.deleted_at.is_(None),
            or_(
                and_(Attachment.meeting_id.is_not(None), Meeting.deleted_at.is_(None)),
                and_(
                    Attachment.meeting_id.is_(None),
                    Post.deleted_at.is_(None),
                    permissions.visible_topics(permissions.ANY_MEMBER),
                ),
            ),
        )
    )


def _files(session: Session, start: datetime) -> tuple[DigestFile, ...]:
    """The period's files, newest first: one statement, whatever the members."""
    rows = session.execute(
        _new_files(
            start,
            Attachment.id,
            Attachment.filename,
            Attachment.kind,
            Attachment.size,
            Attachment.created_at,
            Attachment.uploader_id,
            Attachment.meeting_id,
            Meeting.slug.label("meeting_slug"),
            Meeting.title.label("meeting_title"),
            Post.number.label("post_number"),
            Topic.id.label("topic_id"),
            Topic.slug.label("topic_slug"),
            Topic.title.label("topic_title"),
            Topic.region_id,
            Region.name.label("region_name"),
            Region.is_national,
            Topic.theme_id,
        )
        .join(Region, Region.id == Topic.region_id)
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
        .limit(MAX_FILES)
    ).all()
    return tuple(
        DigestFile(
            id=row.id,
            filename=row.filename,
            kind=row.kind,
            size=row.size,
            created_at=row.created_at,
            uploader_id=row.uploader_id,
            topic_id=row.topic_id,
            region_id=row.region_id,
            region_name=row.region_name,
            region_national=bool(row.is_national),
            theme_id=row.theme_id,
            where=row.meeting_title if row.meeting_id is not None else row.topic_title,
            url=_file_place_url(row),
        )
        for row in rows
    )


def _file_place_url(row: Any) -> str:
    """Where a file is seen in its place: the meeting page's materials, or its post."""
    if row.meeting_id is not None:
        page = external_url("meetings.show", meeting_id=row.meeting_id, slug=row.meeting_slug)
        return f"{page}#materialer"
    post = external_url(
        "topics.permalink", slug=row.topic_slug, topic_id=row.topic_id, number=row.post_number
    )
    return f"{post}#p{row.post_number}"


def _meetings(session: Session, topic_ids: list[int], now: datetime) -> dict[int, DigestMeeting]:
    """The meetings behind these (material) topics, by topic id: one statement, or none."""
    if not topic_ids:
        return {}
    rows = session.execute(
        select(
            Meeting.topic_id,
            Meeting.id,
            Meeting.slug,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.cancelled_at,
        ).where(Meeting.topic_id.in_(topic_ids), Meeting.deleted_at.is_(None))
    )
    return {
        row.topic_id: DigestMeeting(
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            place=row.place,
            url=external_url("meetings.show", meeting_id=row.id, slug=row.slug),
            is_upcoming=row.cancelled_at is None and row.ends_at > now,
        )
        for row in rows
    }


# -- one member's digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveTopic:
    """A topic in the "most active" section, with its new replies."""

    topic: DigestTopic
    replies: int


@dataclass
class Digest:
    """One member's digest: four sections (at most MAX_ITEMS each) and the unread count."""

    since: datetime
    new_topics: list[DigestTopic] = field(default_factory=list)
    active_topics: list[ActiveTopic] = field(default_factory=list)
    open_questions: list[DigestTopic] = field(default_factory=list)
    materials: list[DigestTopic] = field(default_factory=list)
    meetings: list[DigestTopic] = field(default_factory=list)  # new meetings, soonest first
    files: list[DigestFile] = field(default_factory=list)  # new files, newest first
    more_files: int = 0  # new files beyond those shown (the digest links to /materialer)
    unread: int = 0

    @property
    def is_empty(self) -> bool:
        """Nothing new since the last digest. A question that was waiting already then does
        not make a digest on its own: that would mail the same question every day."""
        return not (
            self.new_topics
            or self.active_topics
            or self.materials
            or self.meetings
            or self.files
            or any(q.created_at >= self.since for q in self.open_questions)
        )


@dataclass(frozen=True)
class MemberLevels:
    """A member's level for each region and theme of the period (chosen, or forum.following's
    default) and their topic rows, resolved once: a digest is then dictionary lookups."""

    regions: dict[int, int]
    themes: dict[int, int]
    topics: dict[int, int] = field(default_factory=dict)  # rows other than normal

    @classmethod
    def resolve(cls, places: PlaceLevels, period: Period, topics: dict[int, int]) -> MemberLevels:
        """Every level the period's topics ask about, by PlaceLevels' rules."""
        places_of = (*period.topics, *period.files)
        region_ids = {item.region_id for item in places_of}
        theme_ids = {item.theme_id for item in places_of}
        return cls(
            {region_id: places.region(region_id) for region_id in region_ids},
            {theme_id: places.theme(theme_id) for theme_id in theme_ids},
            topics,
        )

    def muted(self, topic: DigestTopic | DigestFile) -> bool:
        """The topic (a file's: the topic it belongs to), its region or its theme is muted
        (as forum.following.mute_filter)."""
        return MUTED in (
            self.topics.get(_topic_id(topic)),
            self.regions[topic.region_id],
            self.themes[topic.theme_id],
        )

    def follows(self, topic: DigestTopic | DigestFile) -> bool:
        """The member watches or tracks the topic, or follows its region or theme."""
        return (
            self.topics.get(_topic_id(topic), NORMAL) in FOLLOWING_TOPIC
            or self.regions[topic.region_id] in FOLLOWING_PLACE
            or self.themes[topic.theme_id] in FOLLOWING_PLACE
        )


def _topic_id(item: DigestTopic | DigestFile) -> int:
    return item.topic_id if isinstance(item, DigestFile) else item.id


def compose(user: User, levels: MemberLevels, period: Period) -> Digest:
    """The member's digest from the period's topics (no SQL). Each topic shows once, in the
    first section it belongs to: open questions, materials, new topics, most active."""
    start = since(user, period.name, period.now)
    home = home_region_id(user)
    question_start = period.question_start
    digest = Digest(since=start)
    active: list[ActiveTopic] = []
    for topic in period.topics:
        if levels.muted(topic):
            continue
        own = topic.author_id == user.id
        if (
            topic.kind == TopicKind.SPARRING
            and not topic.answered
            and topic.region_id == home
            and not own
            and topic.created_at >= question_start
        ):
            digest.open_questions.append(topic)
            continue
        new = topic.created_at >= start and not own
        if new and topic.is_upcoming_meeting:
            # A new meeting where the member follows, in their own region, or national.
            if topic.region_national or topic.region_id == home or levels.follows(topic):
                digest.meetings.append(topic)
            continue
        if new and topic.kind == TopicKind.MATERIAL:
            if topic.region_national or levels.follows(topic):
                digest.materials.append(topic)
            continue
        if not levels.follows(topic):
            continue
        if new:
            digest.new_topics.append(topic)
            continue
        replies = topic.replies_since(start)
        if replies:
            active.append(ActiveTopic(topic, replies))
    # The period's topics come newest activity first; a stable sort keeps that among equals.
    active.sort(key=lambda item: item.replies, reverse=True)
    for section in (digest.new_topics, digest.materials, digest.open_questions):
        section.sort(key=lambda topic: topic.created_at, reverse=True)
        del section[MAX_ITEMS:]
    digest.active_topics.extend(active[:MAX_ITEMS])
    digest.meetings.sort(key=lambda topic: topic.meeting.starts_at)  # type: ignore[union-attr]
    del digest.meetings[MAX_ITEMS:]
    _add_files(digest, user, levels, period)
    return digest


def _add_files(digest: Digest, user: User, levels: MemberLevels, period: Period) -> None:
    """The files new since the member's last digest, where they follow (a national meeting's
    or topic's for everyone), as for material topics: not their own, nothing muted."""
    found = [
        item
        for item in period.files
        if item.created_at >= digest.since
        and item.uploader_id != user.id
        and not levels.muted(item)
        and (item.region_national or levels.follows(item))
    ]
    digest.files = found[:MAX_ITEMS]
    digest.more_files = len(found) - len(digest.files)


def _member_levels(session: Session, users: list[User], period: Period) -> dict[int, MemberLevels]:
    """Every member's region, theme and topic levels for a batch: three statements."""
    ids = [user.id for user in users]
    regions: dict[int, dict[int, int]] = {user_id: {} for user_id in ids}
    themes: dict[int, dict[int, int]] = {user_id: {} for user_id in ids}
    topics: dict[int, dict[int, int]] = {user_id: {} for user_id in ids}
    for user_id, region_id, level in session.execute(
        select(RegionMember.user_id, RegionMember.region_id, RegionMember.level).where(
            RegionMember.user_id.in_(ids)
        )
    ):
        regions[user_id][region_id] = level
    for user_id, theme_id, level in session.execute(
        select(ThemeMember.user_id, ThemeMember.theme_id, ThemeMember.level).where(
            ThemeMember.user_id.in_(ids)
        )
    ):
        themes[user_id][theme_id] = level
    if period.topics or period.files:
        # The period's topics, and those its files belong to, by the same filters as
        # load_period (no long IN list).
        asked = TopicMember.topic_id.in_(select(Topic.id).where(*period.window()))
        if period.files:
            asked = asked | TopicMember.topic_id.in_(_new_files(period.start, Topic.id))
        for user_id, topic_id, level in session.execute(
            select(TopicMember.user_id, TopicMember.topic_id, TopicMember.level).where(
                TopicMember.user_id.in_(ids), TopicMember.level != NORMAL, asked
            )
        ):
            topics[user_id][topic_id] = level
    return {
        user.id: MemberLevels.resolve(
            PlaceLevels(user, regions[user.id], themes[user.id]), period, topics[user.id]
        )
        for user in users
    }


def _unread_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Unread notifications per member in one statement (forum.notify.unread_count's rule, for
    a batch: unread until ``read_at`` is set)."""
    if not user_ids:
        return {}
    stmt = select(Notification.user_id, func.count(Notification.id)).where(
        Notification.user_id.in_(user_ids), Notification.read_at.is_(None)
    )
    # The members are all alike to the policy here (deleted content is left out for anyone).
    return dict(session.execute(notify.shown(stmt, None).group_by(Notification.user_id)).all())


def digest_for(session: Session, user: User, period: str, *, now: datetime | None = None) -> Digest:
    """One member's digest as a run would compose it (to show or to test; queues nothing)."""
    content = load_period(session, period, now or utcnow())
    digest = compose(user, _member_levels(session, [user], content)[user.id], content)
    digest.unread = _unread_counts(session, [user.id]).get(user.id, 0)
    return digest


# -- writing and queueing -----------------------------------------------------------------------


def subject(period: str) -> str:
    """The digest's subject, in the current locale."""
    if period == DAILY:
        return _("Nyt i Ledernetværket i dag")
    return _("Nyt i Ledernetværket denne uge")


@dataclass(frozen=True)
class Rendered:
    """A digest written out in the member's language, ready for the outbox."""

    subject: str
    text: str
    html: str
    unsubscribe_url: str


def render(user: User, digest: Digest, period: Period) -> Rendered:
    """The digest's subject, plain text and HTML (CSS inlined), in the member's language."""
    unsubscribe = unsubscribe_url(user, DIGEST)
    context = {
        "user": user,
        "digest": digest,
        "period": period.name,
        "unsubscribe_url": unsubscribe,
        **period.links,
    }
    with force_locale(user.locale):
        title = subject(period.name)
        text = render_template("email/digest.txt", subject=title, **context)
        html = emails.render_html("email/digest.html", subject=title, **context)
    return Rendered(title, text, html, unsubscribe)


def _claim(session: Session, user_ids: list[int], period: Period) -> set[int]:
    """Move ``last_digest_at`` to now for the members with no digest since the period's label
    began; returns whom this run may send to. On PostgreSQL a second run's UPDATE waits for
    the first's row locks and then finds the members taken; SQLite has one writer."""
    users = User.__table__
    result = session.execute(
        update(users)
        .where(
            users.c.id.in_(user_ids),
            or_(
                users.c.last_digest_at.is_(None),
                users.c.last_digest_at < label_start(period.name, period.now),
            ),
        )
        .values(last_digest_at=period.now)
        .returning(users.c.id)
    )
    return set(result.scalars())


@dataclass
class DigestSummary:
    """What one run did: members considered, digests queued, skipped (by reason), failed."""

    considered: int = 0
    sent: int = 0
    failed: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _members(period: str) -> tuple[Any, ...]:
    return (User.active.is_(True), User.digest_period == period)


def count_members(session: Session, period: str) -> int:
    """How many active members chose ``period`` (what a run looks at: a progress bar's
    length)."""
    return int(session.scalar(select(func.count(User.id)).where(*_members(period))) or 0)


def send_digests(
    session: Session,
    period: str,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> DigestSummary:
    """Queue the period's digests for every member who should have one. Commits per batch
    (call it at the top level); a member whose digest fails is logged and counted, and the
    others go on. ``progress`` is told how many members each batch handled."""
    if period not in PERIODS:
        raise ValueError(f"unknown digest period: {period!r}")
    session.commit()
    summary = DigestSummary()
    # Members who switched the digest off are counted, not read.
    summary.skipped[UNSUBSCRIBED] = summary.considered = count_members(session, NEVER)
    content = load_period(session, period, now or utcnow())
    after = 0
    while True:
        users = list(
            session.scalars(
                select(User)
                .where(*_members(period), User.id > after)
                .options(joinedload(User.municipality))
                .order_by(User.id)
                .limit(batch_size)
            )
        )
        if not users:
            break
        after = users[-1].id
        summary.considered += len(users)
        _send_batch(session, users, content, summary)
        session.commit()
        if progress is not None:
            progress(len(users))
    return summary


def _send_batch(
    session: Session, users: list[User], content: Period, summary: DigestSummary
) -> None:
    """Compose, write, claim and queue one batch's digests (the caller commits)."""
    waiting = _waiting(session, users, content, summary)
    digests = _compose_all(session, waiting, content, summary) if waiting else []
    ready = _render_all(digests, content, summary)
    if ready:
        _queue_all(session, ready, content, summary)


def _waiting(
    session: Session, users: list[User], content: Period, summary: DigestSummary
) -> list[User]:
    """The members of a batch still due a digest: not queued yet, not on the forum since."""
    keys = [mail_key(user.id, content.name, content.label) for user in users]
    used = set(session.scalars(select(MailMessage.key).where(MailMessage.key.in_(keys))))
    visits = _last_visits(session, users)
    waiting = []
    for user, key in zip(users, keys, strict=True):
        seen = visits.get(user.id)
        if key in used:
            summary.skip(ALREADY_SENT)
        elif seen is not None and seen >= since(user, content.name, content.now):
            summary.skip(ACTIVE)
        else:
            waiting.append(user)
    return waiting


def _last_visits(session: Session, users: list[User]) -> dict[int, datetime]:
    """When each member was last on the forum: their last login, or the last use of one of
    their logins (kept up to date every few minutes as they use it), in one statement."""
    used = dict(
        session.execute(
            select(LoginSession.user_id, func.max(LoginSession.last_seen_at))
            .where(LoginSession.user_id.in_([user.id for user in users]))
            .group_by(LoginSession.user_id)
        ).all()
    )
    visits = {}
    for user in users:
        times = [t for t in (user.last_seen_at, used.get(user.id)) if t is not None]
        if times:
            visits[user.id] = max(times)
    return visits


def _compose_all(
    session: Session, users: list[User], content: Period, summary: DigestSummary
) -> list[tuple[User, Digest]]:
    """The members' digests that have something in them, with their unread counts."""
    levels = _member_levels(session, users, content)
    digests = []
    for user in users:
        try:
            digest = compose(user, levels[user.id], content)
        except Exception:  # one member's bad data must not stop the others
            summary.failed += 1
            log.exception("The digest of member %s could not be composed", user.id)
            continue
        if digest.is_empty:
            summary.skip(EMPTY)
        else:
            digests.append((user, digest))
    unread = _unread_counts(session, [user.id for user, _digest in digests])
    for user, digest in digests:
        digest.unread = unread.get(user.id, 0)
    return digests


def _render_all(
    digests: list[tuple[User, Digest]], content: Period, summary: DigestSummary
) -> list[tuple[User, Rendered]]:
    ready = []
    for user, digest in digests:
        try:
            ready.append((user, render(user, digest, content)))
        except Exception:
            summary.failed += 1
            log.exception("The digest of member %s could not be written", user.id)
    return ready


def _queue_all(
    session: Session, ready: list[tuple[User, Rendered]], content: Period, summary: DigestSummary
) -> None:
    """Claim the members, then queue their digests: in one savepoint, or (if one of them
    fails) in one savepoint each, giving a failed member's claim back."""
    claimed = _claim(session, [user.id for user, _rendered in ready], content)
    summary.skip(ALREADY_SENT, len(ready) - len(claimed))  # another run (node) was first
    ready = [(user, rendered) for user, rendered in ready if user.id in claimed]
    try:
        with session.begin_nested():
            for user, rendered in ready:
                _queue(session, user, rendered, content)
    except Exception:
        for user, rendered in ready:
            try:
                with session.begin_nested():
                    _queue(session, user, rendered, content)
            except Exception:
                summary.failed += 1
                log.exception("The digest of member %s could not be queued", user.id)
                _unclaim(session, user)
            else:
                summary.sent += 1
    else:
        summary.sent += len(ready)


def _queue(session: Session, user: User, rendered: Rendered, content: Period) -> None:
    queue_mail(
        session,
        user.email,
        rendered.subject,
        rendered.text,
        key=mail_key(user.id, content.name, content.label),
        html_body=rendered.html,
        unsubscribe_url=rendered.unsubscribe_url,
    )


def _unclaim(session: Session, user: User) -> None:
    """Give a claim back (its digest was not queued): the next run tries the member again."""
    users = User.__table__
    session.execute(
        update(users).where(users.c.id == user.id).values(last_digest_at=user.last_digest_at)
    )
