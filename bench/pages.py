"""Benchmark: the pages members read most, over HTTP, at 100,000 posts with the index built.

    python bench/pages.py [--topics 10000] [--posts-per-topic 10] [--requests 200]
                          [--workdir DIR]

Steps: generate the posts into a fresh SQLite database (or reuse the one in ``--workdir``),
rebuild the search index (related topics come from it), start gunicorn with one sync worker,
log in as a member, and then ask each kind of page ``--requests`` times, one request at a
time, page fully read: the front page, ``/latest``, a region, a theme, a region narrowed to a
theme, the member's ``/unread`` (300 tracked topics with unread posts) and ``/new``, and a
topic's first page with its related topics (and its read marker moved after the response),
``/moeder`` (all meetings, or a region's) and a meeting's page, over 240 meetings with their
sign-ups.
Region, theme and topic change from request to request (the topics are all different), so no
page is answered from a cache that only a repeated request would fill. Each kind is warmed
up first on other targets; then the kinds are asked in turn (a request of each per round), so
that the machine's drift in speed weighs on all of them alike. The result records the
machine's calibration (bench.generate.calibration_ms) before and after.

Writes bench/results/pages.json; the budget is p95 < 25 ms per page.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import delete, func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PASSWORD, Client, free_port, percentiles, serve
from bench.generate import calibration_ms, publish
from bench.generator import generate
from forum import accounts, create_app, meetings, reading
from forum.extensions import db
from forum.models import (
    Meeting,
    MeetingKind,
    MeetingSignup,
    NotifyOutboxEntry,
    Post,
    Region,
    Role,
    SignupStatus,
    Theme,
    Topic,
    TopicMember,
    User,
)
from forum.search import search_index
from forum.timeutil import utcnow

BUDGET_P95_MS = 25
# NodeBB 4.10 (one Node process, Redis) on the same volume and machine, for comparison.
NODEBB_MS = {
    "front_page": {"p50_ms": 7, "p95_ms": 9},
    "category": {"p50_ms": 7.5, "p95_ms": 10},
    "topic": {"p50_ms": 9, "p95_ms": 12.5},
}
# Which NodeBB page each of ours compares with.
COUNTERPART = {
    "front_page": "front_page",
    "latest": "front_page",
    "region": "category",
    "theme": "category",
    "region_and_theme": "category",
    "unread": "category",
    "new": "category",
    "topic": "topic",
    "meetings": "category",
    "meeting": "topic",
}


def prepare(work: Path, topics: int, posts_per_topic: int, reuse: bool) -> dict[str, object]:
    """Database and index in ``work``: generated and built once, reused when ``reuse``."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(work / "index"),
        "SEARCH_SYNC_AFTER_REQUEST": False,
    }
    app = create_app(settings)
    found: dict[str, object] = {"settings": settings}
    with app.app_context():
        upgrade()
        session = db.session
        if not session.scalar(select(func.count(Post.id))):
            started = time.perf_counter()
            generate(session, topics=topics, posts_per_topic=posts_per_topic)
            session.commit()
            print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        index = search_index()
        if reuse and index.is_usable():
            print("reusing the index in", index.directory, flush=True)
        else:
            shutil.rmtree(index.directory, ignore_errors=True)
            built = index.rebuild(session)
            print(f"index rebuilt: {built.posts} posts in {built.seconds:.0f} s", flush=True)
        member = session.scalars(
            select(User).where(User.role == Role.MEMBER).order_by(User.id).limit(1)
        ).one()
        accounts.set_password(session, member, PASSWORD)
        _track(session, member)
        _plan_meetings(session, member)
        session.commit()
        found["email"] = member.email
        found["posts"] = session.scalar(select(func.count(Post.id)))
        found["topics"] = session.scalar(select(func.count(Topic.id)))
        found["regions"] = list(session.scalars(select(Region.slug).order_by(Region.id)))
        found["themes"] = list(
            session.scalars(select(Theme.slug).where(Theme.is_active).order_by(Theme.id))
        )
        rng = random.Random(5)
        ids = list(session.execute(select(Topic.id, Topic.slug).where(Topic.deleted_at.is_(None))))
        found["topic_paths"] = [f"/t/{slug}/{topic_id}" for topic_id, slug in rng.sample(ids, 1200)]
        meetings = list(session.execute(select(Meeting.id, Meeting.slug)))
        found["meeting_paths"] = [f"/moeder/{meeting_id}-{slug}" for meeting_id, slug in meetings]
        db.engine.dispose()
    return found


def _track(session, member: User) -> None:  # type: ignore[no-untyped-def]
    """The member tracks 300 topics, each with two posts unread (what /unread lists)."""
    session.execute(delete(TopicMember).where(TopicMember.user_id == member.id))
    topics = session.execute(
        select(Topic.id, Topic.post_number_max).order_by(Topic.id).limit(3000)
    ).all()
    session.add_all(
        TopicMember(
            user_id=member.id,
            topic_id=topic_id,
            last_read_post_number=max(1, last - 2),
            level=reading.TRACKING,
            level_reason="replied",
        )
        for topic_id, last in topics[::10]
    )


MEETINGS = 240  # about the network's meetings over four years, half of them to come


def _plan_meetings(session, member: User) -> None:  # type: ignore[no-untyped-def]
    """Meetings every other week in each region, past and coming, each with 40 seats and
    sign-ups (the member among them on every third); planned once, reused after."""
    if session.scalar(select(func.count(Meeting.id))):
        return
    planner = session.scalars(
        select(User).where(User.role == Role.FACILITATOR).order_by(User.id).limit(1)
    ).one()
    members = list(
        session.scalars(select(User).where(User.role == Role.MEMBER).order_by(User.id).limit(60))
    )
    regions = list(session.scalars(select(Region).order_by(Region.id)))
    themes = list(session.scalars(select(Theme).where(Theme.is_active).order_by(Theme.id)))
    today = utcnow().date()
    for n in range(MEETINGS):
        meeting = meetings.create_meeting(
            session,
            planner,
            meetings.MeetingInput(
                title=f"Netværksmøde nr. {n + 1} om {themes[n % len(themes)].name.lower()}",
                kind=MeetingKind.ALL[n % len(MeetingKind.ALL)],
                region=regions[n % len(regions)],
                themes=[themes[n % len(themes)], themes[(n + 3) % len(themes)]],
                day=today + timedelta(days=7 * (n - MEETINGS // 2)),
                starts=dtime(9, 30),
                ends=dtime(15, 0),
                place="Rådhuset, Torvet 1",
                agenda="- 9.30 Velkomst\n- 10.00 Oplæg\n- 12.00 Frokost\n- 13.00 Sparring",
                capacity=40,
            ),
        )
        # Its thread opened when it was planned: months ahead, and not in the last weeks (a
        # bench full of brand-new topics would measure a "new" list nobody has).
        opened = min(utcnow() - timedelta(days=20), meeting.starts_at - timedelta(days=90))
        meeting.topic.created_at = meeting.topic.last_posted_at = opened
        attendees = members[n % 20 : n % 20 + 30]
        if n % 3 == 0:
            attendees = [member, *attendees]
        session.add_all(
            MeetingSignup(
                meeting=meeting,
                user_id=person.id,
                status=SignupStatus.CONFIRMED if i < 40 else SignupStatus.WAITING,
            )
            for i, person in enumerate(dict.fromkeys(attendees))
        )
    session.flush()
    session.execute(
        update(Post)
        .where(Post.topic_id.in_(select(Meeting.topic_id)))
        .values(
            created_at=select(Topic.created_at).where(Topic.id == Post.topic_id).scalar_subquery()
        )
    )
    # The region's followers were told long ago: no fan-out left for the measured requests.
    session.execute(update(NotifyOutboxEntry).values(done_at=utcnow()))


def paths(data: dict[str, object], requests: int, seed: int) -> dict[str, list[str]]:
    """``requests`` paths for each kind of page, the targets drawn at random."""
    rng = random.Random(seed)
    regions: list[str] = data["regions"]  # type: ignore[assignment]
    themes: list[str] = data["themes"]  # type: ignore[assignment]
    # Most people read page 1; some page on. Topic pages are all different topics.
    pages = [1] * 8 + [2, 3]
    return {
        "front_page": ["/" for _ in range(requests)],
        "latest": [f"/latest?page={rng.choice(pages)}" for _ in range(requests)],
        "region": [
            f"/region/{rng.choice(regions)}?page={rng.choice(pages)}" for _ in range(requests)
        ],
        "theme": [f"/tema/{rng.choice(themes)}" for _ in range(requests)],
        "region_and_theme": [
            f"/region/{rng.choice(regions)}?tema={rng.choice(themes)}" for _ in range(requests)
        ],
        "unread": [f"/unread?page={rng.choice([1, 1, 1, 2])}" for _ in range(requests)],
        "new": ["/new" for _ in range(requests)],
        "meetings": [
            rng.choice(["/moeder", f"/moeder?region={rng.choice(regions)}"])
            for _ in range(requests)
        ],
    }


def measure(get: Callable[[str], tuple[int, str]], asked: list[str]) -> tuple[list[float], int]:
    """Seconds per request, each page read to the end and checked to be a page; and how many
    pages showed related topics (a topic page without them would be fast for a bad reason)."""
    seconds = []
    with_related = 0
    for path in asked:
        started = time.perf_counter()
        status, page = get(path)
        seconds.append(time.perf_counter() - started)
        if status != 200 or "</html>" not in page:
            raise SystemExit(f"bench: {path} answered {status}")
        with_related += 'class="related-topics"' in page
    return seconds, with_related


def main() -> None:
    """Generate (or reuse), serve, measure, write bench/results/pages.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--workdir", help="keep (and reuse) the database and index here")
    parser.add_argument("--only", help="measure only these pages (comma-separated names)")
    args = parser.parse_args()
    if not 20 <= args.requests <= 500:
        raise SystemExit("bench: --requests must be between 20 and 500")
    only = set(args.only.split(",")) if args.only else set(COUNTERPART)
    if only - set(COUNTERPART):
        raise SystemExit(f"bench: --only takes {', '.join(COUNTERPART)}")

    scratch = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or scratch.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    data = prepare(work, args.topics, args.posts_per_topic, reuse=bool(args.workdir))
    settings: dict[str, object] = data["settings"]  # type: ignore[assignment]
    topic_paths: list[str] = data["topic_paths"]  # type: ignore[assignment]
    measured = paths(data, args.requests, seed=3)
    measured["topic"] = topic_paths[: args.requests]
    warm_up = paths(data, 20, seed=4)
    warm_up["topic"] = topic_paths[-20:]
    meeting_paths: list[str] = data["meeting_paths"]  # type: ignore[assignment]
    rng = random.Random(6)
    measured["meeting"] = [rng.choice(meeting_paths) for _ in range(args.requests)]
    warm_up["meeting"] = [rng.choice(meeting_paths) for _ in range(20)]

    env = {
        **os.environ,
        "FORUM_SQLALCHEMY_DATABASE_URI": str(settings["SQLALCHEMY_DATABASE_URI"]),
        "FORUM_SEARCH_INDEX_DIR": str(settings["SEARCH_INDEX_DIR"]),
        "FORUM_SEARCH_SYNC_AFTER_REQUEST": "false",
        "FORUM_RATELIMIT_ENABLED": "false",
    }
    calibrated_before = calibration_ms()
    port = free_port()
    server = serve(env, port, workers=args.workers)
    figures: dict[str, dict[str, object]] = {}
    kinds = [name for name in measured if name in only]
    try:
        client = Client(f"http://127.0.0.1:{port}")
        client.login(str(data["email"]), PASSWORD)
        for name in kinds:
            measure(client.get, warm_up[name])
        # The kinds in turn, one request of each per round: this machine's speed drifts over
        # minutes (shared cores), and a drift then weighs on every page alike instead of on
        # whichever page was being measured at the time.
        seconds: dict[str, list[float]] = {name: [] for name in kinds}
        related = 0
        started = time.perf_counter()
        for round_ in range(args.requests):
            for name in kinds:
                taken, with_related = measure(client.get, [measured[name][round_]])
                seconds[name] += taken
                related += with_related if name == "topic" else 0
        elapsed = time.perf_counter() - started
        for name in kinds:
            row: dict[str, object] = {**percentiles(seconds[name])}
            row["requests_per_second"] = round(len(seconds[name]) / sum(seconds[name]), 1)
            if name == "topic":
                row["pages_with_related_topics"] = related
                if related < args.requests * 0.9:
                    raise SystemExit(f"bench: only {related} topic pages had related topics")
            nodebb = NODEBB_MS[COUNTERPART[name]]
            row["nodebb_page"] = COUNTERPART[name]
            row["times_nodebb_p50"] = round(row["p50_ms"] / nodebb["p50_ms"], 2)  # type: ignore[operator]
            row["times_nodebb_p95"] = round(row["p95_ms"] / nodebb["p95_ms"], 2)  # type: ignore[operator]
            row["within_budget"] = row["p95_ms"] < BUDGET_P95_MS  # type: ignore[operator]
            figures[name] = row
            print(f"{name}:", row, flush=True)
        print(f"measured in {elapsed:.0f} s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = {
        "benchmark": "pages",
        "posts": data["posts"],
        "topics": data["topics"],
        "requests_per_page": args.requests,
        "pages": figures,
        "budget_p95_ms": BUDGET_P95_MS,
        "nodebb_ms": NODEBB_MS,
        "http_server": f"gunicorn, {args.workers} sync worker(s), SQLite; one client in turn",
        "calibration_ms_before_and_after": [calibrated_before, calibration_ms()],
    }
    publish(result, "pages")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
