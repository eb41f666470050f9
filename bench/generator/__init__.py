"""Benchmark content: members, topics and posts that read like the network's own.

``generate`` fills a database that already holds the reference data (regions, municipalities,
themes) with generated members and Danish-looking topics, so that list pages, search and
digests can be measured at realistic sizes. The text is built from phrase lists about the
network's real themes, with the word forms search has to cope with (*anbringelse,
anbringelsen, anbringelser, anbringelserne*), Markdown lists and bold, and the fixed
headings of experience posts.

Speed matters more than in the rest of the code: 100,000 posts must take well under five
minutes on SQLite and PostgreSQL. So rows go in through Core ``executemany`` inserts with
primary keys assigned here (no ORM objects, no RETURNING), and posts are assembled from
Markdown blocks whose HTML is rendered once and reused (see ``bench.generator.writer``).

Generated members have no password (they cannot log in) and an e-mail address under the
reserved ``.invalid`` domain, so no mail can ever reach a real person. No text ever holds a
CPR-shaped number: the phrases contain no long digit runs, and every body is checked.

This module writes the rows; the words are in ``vocabulary``, the composing of titles and
bodies in ``writer``, and the random shares and post times in ``draws``. It lives in bench/, not
in the ``forum`` package: the wheel serves members and ships none of it, and ``flask generate``
imports it from a source checkout.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from bench.generator.draws import Deck, new_region_deck, spread
from bench.generator.vocabulary import (
    FACILITATOR_TITLES,
    FEMALE_NAMES,
    LAST_NAMES,
    MALE_NAMES,
    MEMBER_TITLES,
    NATIONAL_MEETINGS,
    ORGANISATIONS,
    REGIONAL_MEETINGS,
    THEME_WORDS,
)
from bench.generator.writer import Voice, Writer, generic_words, lower_first
from forum.markup import RENDERER_VERSION
from forum.models import Municipality, PinScope, Post, Region, Role, Theme, Topic, TopicKind, User
from forum.slugs import slugify
from forum.timeutil import utcnow

__all__ = ["GenerateResult", "generate"]

# The forum's history starts here; generated activity is spread from then until now.
HISTORY_START = datetime(2023, 1, 1)
EMAIL_DOMAIN = "bench.invalid"  # RFC 2606: guaranteed never to resolve
# Rows per INSERT batch: big enough to amortise round trips, small enough to stay in memory.
ROWS_PER_BATCH = 2000
MEMBERS_PER_TOPIC = 1 / 20
MIN_MEMBERS = 50
MAX_MEMBERS = 2000
# Shares from the brief: sparring 35 %, experience 25 %, discussion 35 %, material 5 %.
KIND_DECK = (
    (TopicKind.SPARRING, 7),
    (TopicKind.EXPERIENCE, 5),
    (TopicKind.DISCUSSION, 7),
    (TopicKind.MATERIAL, 1),
)
ANSWERED_SHARE = 0.6  # of sparring topics that have a reply by someone else
PINNED_MATERIAL_SHARE = 0.1  # material is 5 % of topics, so about 1 topic in 200 is pinned
LOCKED_SHARE = 0.01


@dataclass(frozen=True)
class GenerateResult:
    """What one ``generate`` call added, and how long it took."""

    users: int
    topics: int
    posts: int
    seconds: float

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class _Person:
    id: int
    muni: str  # municipality name, or the organisation for facilitators
    role: str


# -- database ---------------------------------------------------------------------------------


def _next_id(session: Session, column: Any) -> int:
    return (session.scalar(select(func.max(column))) or 0) + 1


def _taken(session: Session, column: Any, values: list[str]) -> set[str]:
    """Which of values already exist in a unique column (chunked: parameter limits)."""
    found: set[str] = set()
    for i in range(0, len(values), 500):
        found.update(session.scalars(select(column).where(column.in_(values[i : i + 500]))))
    return found


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), ROWS_PER_BATCH):
        session.execute(insert(table), rows[i : i + ROWS_PER_BATCH])


def _make_people(
    session: Session,
    rng: random.Random,
    municipalities: Sequence[Municipality],
    topics: int,
) -> tuple[list[dict[str, Any]], list[_Person], list[_Person]]:
    """Rows for new members and facilitators, and the same people as authors."""
    # Enough members that every municipality has at least one.
    members = min(
        MAX_MEMBERS, max(MIN_MEMBERS, len(municipalities), round(topics * MEMBERS_PER_TOPIC))
    )
    facilitators = min(20, max(2, members // 100))
    order = list(municipalities)
    rng.shuffle(order)
    first_id = _next_id(session, User.id)
    created = HISTORY_START - timedelta(days=180)
    rows: list[dict[str, Any]] = []
    for n in range(members + facilitators):
        female = rng.random() < 0.7  # the field's leaders are mostly women
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        last = rng.choice(LAST_NAMES)
        if rng.random() < 0.2:
            last = f"{rng.choice(LAST_NAMES)} {last}"
        is_member = n < members
        muni = (order[n] if n < len(order) else rng.choice(order)) if is_member else None
        user_id = first_id + n
        name = f"{first} {last}"
        slug = slugify(name, max_length=40)
        rows.append(
            {
                "id": user_id,
                "email": f"gen-{user_id}-{slug}@{EMAIL_DOMAIN}",
                "username": f"{slug}-g{user_id}",
                "display_name": name,
                "job_title": rng.choice(MEMBER_TITLES if is_member else FACILITATOR_TITLES),
                "password_hash": None,  # cannot log in
                "role": Role.MEMBER if is_member else Role.FACILITATOR,
                "municipality_id": muni.id if muni else None,
                "organisation": "" if is_member else rng.choice(ORGANISATIONS),
                "locale": "da",
                "active": True,
                "created_at": created + timedelta(minutes=n),
            }
        )
    # The ids are new, so these names are too, unless someone chose such a name by hand.
    for key, column in (("username", User.username), ("email", User.email)):
        taken = _taken(session, column, [row[key] for row in rows])
        for row in rows:
            if row[key] in taken:
                local, at, domain = row[key].partition("@")
                row[key] = f"{local}-{rng.randrange(10**4)}{at}{domain}"
    names = {m.id: m.name for m in municipalities}
    people = [
        _Person(row["id"], names.get(row["municipality_id"], row["organisation"]), row["job_title"])
        for row in rows
    ]
    return rows, people[:members], people[members:]


def _sync_sequences(session: Session) -> None:
    """PostgreSQL: move the id sequences past the ids assigned here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("users", "topics", "posts"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


# -- the generator ----------------------------------------------------------------------------


def generate(
    session: Session,
    *,
    topics: int,
    posts_per_topic: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Fill the database with realistic Danish-looking benchmark content.

    Adds a pool of members (about one per 20 topics, 98..2000, spread over every
    municipality) and a few facilitators, then ``topics`` topics of ``posts_per_topic`` posts
    each, from 2023-01-01 until now. Flushes but never commits. Calls ``progress`` with the
    number of topics written after every batch. The same seed gives the same text.
    """
    if topics < 0 or posts_per_topic < 1:
        raise ValueError("topics must be >= 0 and posts_per_topic >= 1")
    began = time.perf_counter()
    if topics == 0:
        return GenerateResult(users=0, topics=0, posts=0, seconds=0.0)
    regions = list(session.scalars(select(Region).order_by(Region.id)))
    municipalities = list(session.scalars(select(Municipality).order_by(Municipality.id)))
    themes = list(session.scalars(select(Theme).where(Theme.is_active).order_by(Theme.id)))
    if not regions or not municipalities or not themes:
        raise ValueError("reference data missing: regions, municipalities and themes first")

    rng = random.Random(seed)
    user_rows, members, facilitators = _make_people(session, rng, municipalities, topics)
    _insert(session, User.__table__, user_rows)

    # Authors come mostly from the topic's region.
    region_of = {m.id: m.region_id for m in municipalities}
    member_region = {row["id"]: region_of.get(row["municipality_id"]) for row in user_rows}
    by_region: dict[int, list[_Person]] = {}
    for person in members:
        by_region.setdefault(member_region[person.id] or 0, []).append(person)

    region_deck = new_region_deck(rng, regions)
    theme_deck: Deck[Theme] = Deck(rng, lambda: list(themes))
    kind_deck: Deck[str] = Deck(rng, lambda: [k for k, n in KIND_DECK for _ in range(n)])
    writer = Writer.new(rng)
    words = {t.id: THEME_WORDS.get(t.slug) or generic_words(t) for t in themes}

    now = utcnow().replace(microsecond=0)
    latest_start = now - timedelta(hours=1)
    history = max((latest_start - HISTORY_START).total_seconds(), 0.0)
    # Sorted start times, so topic ids follow creation order as they would in real use.
    starts = sorted(rng.random() for _ in range(topics))

    topic_id = _next_id(session, Topic.id)
    post_id = _next_id(session, Post.id)
    topics_table, posts_table = Topic.__table__, Post.__table__
    set_answer = (
        update(topics_table)
        .where(topics_table.c.id == bindparam("topic"))
        .values(answer_post_id=bindparam("answer"))
    )
    per_batch = max(1, ROWS_PER_BATCH // posts_per_topic)
    posts_written = 0

    for batch_start in range(0, topics, per_batch):
        topic_rows: list[dict[str, Any]] = []
        post_rows: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        for fraction in starts[batch_start : batch_start + per_batch]:
            region = region_deck.draw()
            theme = theme_deck.draw()
            kind = kind_deck.draw()
            local = by_region.get(region.id) or members
            if kind == TopicKind.MATERIAL:
                author = rng.choice(facilitators)
            else:
                author = rng.choice(local if rng.random() < 0.85 else members)
            meeting = (
                rng.choice(NATIONAL_MEETINGS)
                if region.is_national
                else rng.choice(REGIONAL_MEETINGS).format(region=region.name)
            )
            theme_words = words[theme.id]
            subject = rng.choice(theme_words.subjects)
            voice = Voice(theme_words, subject, author.muni, lower_first(author.role), meeting)
            title = writer.title(kind, voice)
            created = HISTORY_START + timedelta(seconds=int(fraction * history))
            times = spread(rng, created, now, posts_per_topic)

            body, html = writer.opening(kind, theme.slug, voice)
            post_rows.append(_post_row(post_id, topic_id, 1, author.id, body, html, created))
            repliers: list[tuple[int, int]] = []  # (post id, author id)
            previous = author
            for number in range(2, posts_per_topic + 1):
                draw = rng.random()
                if draw < 0.12 and previous is not author:
                    replier, role = author, "author"
                elif draw < 0.17:
                    replier, role = rng.choice(facilitators), "facilitator"
                else:
                    replier = rng.choice(local if rng.random() < 0.7 else members)
                    if replier is previous or replier is author:  # one more try, no echo
                        replier = rng.choice(members)
                    role = "member"
                reply_voice = Voice(
                    theme_words, voice.subject, replier.muni, lower_first(replier.role), meeting
                )
                body, html = writer.reply(theme.slug, reply_voice, role)
                pid = post_id + number - 1
                post_rows.append(
                    _post_row(pid, topic_id, number, replier.id, body, html, times[number - 1])
                )
                if replier.id != author.id:
                    repliers.append((pid, replier.id))
                previous = replier

            if kind == TopicKind.SPARRING and repliers and rng.random() < ANSWERED_SHARE:
                answers.append({"topic": topic_id, "answer": rng.choice(repliers)[0]})
            pinned = kind == TopicKind.MATERIAL and rng.random() < PINNED_MATERIAL_SHARE
            locked_at = None
            if rng.random() < LOCKED_SHARE:
                locked_at = min(now, times[-1] + timedelta(hours=rng.randint(1, 72)))
            topic_rows.append(
                {
                    "id": topic_id,
                    "title": title,
                    "slug": slugify(title),
                    "kind": kind,
                    "region_id": region.id,
                    "theme_id": theme.id,
                    "author_id": author.id,
                    "created_at": created,
                    "last_posted_at": times[-1],
                    "reply_count": posts_per_topic - 1,
                    "post_number_max": posts_per_topic,
                    "pin_scope": PinScope.REGION if pinned else None,
                    "pinned_until": None,
                    "locked_at": locked_at,
                }
            )
            topic_id += 1
            post_id += posts_per_topic

        # Topics before posts (posts.topic_id), answers after both (topics.answer_post_id).
        session.execute(insert(topics_table), topic_rows)
        session.execute(insert(posts_table), post_rows)
        if answers:
            session.execute(set_answer, answers)
        posts_written += len(post_rows)
        if progress is not None:
            progress(len(topic_rows))

    _sync_sequences(session)
    session.flush()
    return GenerateResult(
        users=len(user_rows),
        topics=topics,
        posts=posts_written,
        seconds=time.perf_counter() - began,
    )


def _post_row(
    post_id: int,
    topic_id: int,
    number: int,
    author_id: int,
    body: str,
    html: str,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "id": post_id,
        "topic_id": topic_id,
        "number": number,
        "author_id": author_id,
        "body": body,
        "html": html,
        "html_version": RENDERER_VERSION,
        "created_at": created_at,
        "revision": 1,
    }
