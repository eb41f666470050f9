"""Benchmark: notifications at 100,000 posts with 2,000 members following one region.

    python bench/notify.py [--topics 10000] [--posts-per-topic 10] [--followers 2000]
                           [--replies 200] [--new-topics 20] [--workers 1] [--workdir DIR]

What the issue asks: a reply's request must not grow with the number of followers (the
fan-out is worker work), the fan-out rate (notifications/s), and the digest run time.

Steps: generate the posts into ``bench.db`` (the file bench/pages.py makes: with the same
``--workdir`` the one database serves both, generated once), copy it to ``notify.db`` (so
every run starts from the same data and pages.py's database stays as generated), add
``--followers`` members in one region's municipalities, all watching that region, and log in
as a member who follows nothing. Then, over HTTP from gunicorn (one sync worker), post replies
in turn to topics of the followed region and of a quiet one (no member chose a level for it),
interleaved so both cases see the same database and machine, each in a different topic:

1. with ``NOTIFY_AFTER_REQUEST`` off: the request only adds its outbox row. Then the worker
   step (``forum.notify.run``) is timed in this process on the replies' events, and on the
   events of ``--new-topics`` new topics in the followed region (posted over HTTP too);
2. with the default (the fan-out runs after the response): the reply's response still comes
   before the fan-out, but one sync worker answers nothing else until it is done, so the next
   request (the redirect to the topic page, which a browser follows at once) waits for it.

Each reply is timed to its response (the redirect) and, separately, its topic page after it.
Last, the weekly digest (``forum.digest.send_digests``) is timed for every member whose
period it is; with ``MAIL_SERVER`` empty it only queues the mail (no SMTP is timed).

Writes bench/results/notify.json. The budget: a reply's p95 < 25 ms, and its p50 and p95 with
2,000 followers within 1.25 times the quiet region's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PASSWORD, RESULTS, Client, free_port, percentiles, serve
from bench.generate import machine
from bench.generator import generate
from forum import accounts, create_app, notify
from forum.extensions import db
from forum.models import (
    MailMessage,
    Municipality,
    Notification,
    NotifyOutboxEntry,
    Post,
    Region,
    RegionMember,
    Role,
    Theme,
    Topic,
    User,
)
from forum.reading import WATCHING

BUDGET_P95_MS = 25
# "Does not grow with the followers": the followed region's reply p50 and p95 are within this
# factor of the quiet region's.
RATIO_LIMIT = 1.25
WARM_UP = 20  # replies per case before the measured ones
CASES = ("quiet", "followed")
FOLLOWER_DOMAIN = "followers.bench.invalid"  # RFC 2606: never a real address
NOTES = {
    "reply": "POST of the reply form until its response (the redirect) is read; the page it "
    "redirects to is not included",
    "page_after": "the topic page the browser asks for right after the redirect. With the "
    "fan-out after the response, the one sync worker first finishes the reply's fan-out, so "
    "this is how long the member waits to see their reply",
    "fan_out": "forum.notify.run in this process on the pending outbox (SQLite), the server "
    "idle; notifications_per_second counts the rows written",
    "digest": "forum.digest.send_digests for the weekly period over every active weekly "
    "member (the followers and the generated members), mail only queued",
}


def base_database(work: Path, topics: int, posts_per_topic: int) -> Path:
    """``work/bench.db`` with the generated posts: made once, then reused (pages.py's file)."""
    path = work / "bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(Post.id))):
            print("reusing the posts in", path, flush=True)
        else:
            started = time.perf_counter()
            generate(db.session, topics=topics, posts_per_topic=posts_per_topic)
            db.session.commit()
            print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        db.engine.dispose()
    return path


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included), replacing ``target``."""
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def add_followers(session, region: Region, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` members from the region's municipalities, all watching the region. Bulk
    inserts: this is data for the benchmark, not a member signing up."""
    municipalities = list(
        session.scalars(select(Municipality.id).where(Municipality.region_id == region.id))
    )
    first = (session.scalar(select(func.max(User.id))) or 0) + 1
    ids = list(range(first, first + count))
    session.execute(
        insert(User),
        [
            {
                "id": user_id,
                "email": f"follower-{n:05d}@{FOLLOWER_DOMAIN}",
                "username": f"folger{n:05d}",
                "display_name": f"Følger {n}",
                "job_title": "Afdelingsleder",
                "password_hash": None,
                "role": Role.MEMBER,
                "municipality_id": municipalities[n % len(municipalities)],
            }
            for n, user_id in enumerate(ids)
        ],
    )
    session.execute(
        insert(RegionMember),
        [{"user_id": user_id, "region_id": region.id, "level": WATCHING} for user_id in ids],
    )
    return ids


def prepare(work: Path, args: argparse.Namespace) -> dict[str, object]:
    """The run's own copy of the database, with the followers and the replying member."""
    base = base_database(work, args.topics, args.posts_per_topic)
    path = work / "notify.db"
    copy_database(base, path)
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        # No index: related topics are left out of the topic pages (pages.py measures them).
        "SEARCH_INDEX_DIR": str(work / "notify-index"),
        "SEARCH_SYNC_AFTER_REQUEST": False,
    }
    app = create_app(settings)
    found: dict[str, object] = {"settings": settings}
    with app.app_context():
        session = db.session
        # The two regular regions with the most topics: followed and quiet.
        followed, quiet = session.execute(
            select(Region)
            .join(Topic, Topic.region_id == Region.id)
            .where(Region.is_national.is_(False))
            .group_by(Region.id)
            .order_by(func.count(Topic.id).desc(), Region.id)
            .limit(2)
        ).scalars()
        if session.scalar(select(func.count()).where(RegionMember.region_id == quiet.id)):
            raise SystemExit(f"bench: members already chose a level for {quiet.slug}")
        followers = add_followers(session, followed, args.followers)
        member = session.scalars(
            select(User).where(User.role == Role.MEMBER).order_by(User.id).limit(1)
        ).one()
        accounts.set_password(session, member, PASSWORD)
        session.commit()
        rng = random.Random(7)
        wanted = 2 * (args.replies + WARM_UP)
        for case, region in (("quiet", quiet), ("followed", followed)):
            ids = list(
                session.scalars(
                    select(Topic.id).where(
                        Topic.region_id == region.id,
                        Topic.deleted_at.is_(None),
                        Topic.locked_at.is_(None),
                        Topic.author_id != member.id,
                    )
                )
            )
            if len(ids) < wanted:
                raise SystemExit(f"bench: {region.slug} has only {len(ids)} open topics")
            found[f"{case}_topics"] = rng.sample(ids, wanted)
            found[f"{case}_region"] = region.slug
            found[f"{case}_region_watchers"] = session.scalar(
                select(func.count()).where(
                    RegionMember.region_id == region.id, RegionMember.level == WATCHING
                )
            )
        found["theme"] = session.scalar(
            select(Theme.slug).where(Theme.is_active).order_by(Theme.id).limit(1)
        )
        found["email"] = member.email
        found["followers"] = len(followers)
        found["members"] = session.scalar(select(func.count(User.id)))
        found["posts"] = session.scalar(select(func.count(Post.id)))
        found["topics"] = session.scalar(select(func.count(Topic.id)))
        db.engine.dispose()
    return found


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    """Hand a redirect back instead of following it: the POST is timed on its own."""

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        return fp

    http_error_301 = http_error_303 = http_error_307 = http_error_302


class Member(Client):
    """A logged-in member who also posts forms (replies, new topics)."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        cookies = next(
            handler
            for handler in self.opener.handlers
            if isinstance(handler, urllib.request.HTTPCookieProcessor)
        )
        self.poster = urllib.request.build_opener(_KeepRedirect, cookies)
        self.csrf_token = ""

    def fetch_token(self, path: str) -> None:
        """The session's CSRF token, from a page with a form (every form takes it)."""
        _, page = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit(f"bench: no CSRF token on {path}")
        self.csrf_token = token.group(1)

    def post_form(self, path: str, fields: dict[str, str]) -> str:
        """POST a form, read the answer to the end; the path it redirects to (a saved post)."""
        data = urllib.parse.urlencode({"csrf_token": self.csrf_token, **fields}).encode()
        with self.poster.open(self.base + path, data=data, timeout=60) as response:
            response.read()
            location = response.headers.get("Location")
            if response.status not in (302, 303) or not location:
                raise SystemExit(f"bench: POST {path} answered {response.status}, not a redirect")
        return urllib.parse.urlsplit(urllib.parse.urljoin(self.base, location)).path


def reply_rounds(
    member: Member, plan: list[tuple[str, int]], label: str
) -> dict[str, dict[str, list[float]]]:
    """Post one reply per (case, topic id) in turn, each followed by its topic page (as
    a browser follows the redirect); seconds for each, per case."""
    times: dict[str, dict[str, list[float]]] = {case: {"reply": [], "page": []} for case in CASES}
    for n, (case, topic_id) in enumerate(plan):
        body = (
            f"Tak for at dele. Hos os har vi prøvet noget lignende ({label}, svar {n + 1}): "
            "vi holder et kort møde hver uge, og det har hjulpet på samarbejdet."
        )
        started = time.perf_counter()
        landed = member.post_form(f"/t/{topic_id}/svar", {"body": body})
        replied = time.perf_counter()
        status, page = member.get(landed)
        shown = time.perf_counter()
        if status != 200 or "</html>" not in page:
            raise SystemExit(f"bench: {landed} answered {status}")
        times[case]["reply"].append(replied - started)
        times[case]["page"].append(shown - replied)
    return times


def interleaved(data: dict[str, object], start: int, count: int) -> list[tuple[str, int]]:
    """``count`` topics of each case from ``start`` on, quiet and followed taking turns."""
    return [
        (case, data[f"{case}_topics"][n])  # type: ignore[index]
        for n in range(start, start + count)
        for case in CASES
    ]


def comparison(times: dict[str, dict[str, list[float]]]) -> dict[str, object]:
    """Per case, the reply's and the page's percentiles; the followed/quiet ratios."""
    row: dict[str, object] = {
        case: {
            "reply": percentiles(times[case]["reply"]),
            "page_after": percentiles(times[case]["page"]),
        }
        for case in CASES
    }
    quiet, followed = (row[case]["reply"] for case in CASES)  # type: ignore[index]
    row["reply_ratio_p50"] = round(followed["p50_ms"] / quiet["p50_ms"], 2)
    row["reply_ratio_p95"] = round(followed["p95_ms"] / quiet["p95_ms"], 2)
    quiet_page, followed_page = (row[case]["page_after"] for case in CASES)  # type: ignore[index]
    row["page_after_ratio_p50"] = round(followed_page["p50_ms"] / quiet_page["p50_ms"], 2)
    return row


def env_for(settings: dict[str, object], notify_after_request: bool) -> dict[str, str]:
    """The gunicorn worker's environment: this run's database, no rate limit."""
    return {
        **os.environ,
        "FORUM_SQLALCHEMY_DATABASE_URI": str(settings["SQLALCHEMY_DATABASE_URI"]),
        "FORUM_SEARCH_INDEX_DIR": str(settings["SEARCH_INDEX_DIR"]),
        "FORUM_SEARCH_SYNC_AFTER_REQUEST": "false",
        "FORUM_RATELIMIT_ENABLED": "false",
        "FORUM_NOTIFY_AFTER_REQUEST": "true" if notify_after_request else "false",
        "FORUM_MAIL_SERVER": "",
    }


def run_worker(app, what: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Time the worker step on every pending outbox event, in this process."""
    with app.app_context():
        pending = notify.outbox_status(db.session).pending
        started = time.perf_counter()
        summary = notify.RunSummary()
        while True:
            step = notify.run(db.session)
            summary.events += step.events
            summary.failed += step.failed
            summary.notifications += step.notifications
            summary.emails += step.emails
            if not step.events and not step.failed:
                break
        seconds = time.perf_counter() - started
        db.session.remove()
    if summary.failed or summary.events != pending:
        raise SystemExit(f"bench: the worker step did {summary} of {pending} events")
    row = {
        "events": summary.events,
        "notifications": summary.notifications,
        "emails_queued": summary.emails,
        "seconds": round(seconds, 2),
        "notifications_per_second": round(summary.notifications / seconds),
        "ms_per_event": round(seconds / summary.events * 1000, 1),
    }
    print(f"fan-out of {what}:", row, flush=True)
    return row


def expect_notified(app, at_least: int, what: str) -> int:  # type: ignore[no-untyped-def]
    """Check the fan-out really happened (a fast reply must not be fast for a bad reason)."""
    with app.app_context():
        count = db.session.scalar(select(func.count(Notification.id))) or 0
        pending = notify.outbox_status(db.session).pending
        db.session.remove()
    if count < at_least or pending:
        raise SystemExit(f"bench: {what}: {count} notifications, {pending} events pending")
    return count


def run_digest(app) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Time the weekly digest for every member whose period it is (mail queued, not sent)."""
    try:
        from forum.digest import send_digests
    except ImportError as exc:  # the digest landed after this benchmark
        return {"digest": None, "why": f"forum.digest cannot be imported: {exc}"}
    with app.app_context():
        queued_before = db.session.scalar(select(func.count(MailMessage.id))) or 0
        started = time.perf_counter()
        summary = send_digests(db.session, "weekly")
        seconds = time.perf_counter() - started
        queued = (db.session.scalar(select(func.count(MailMessage.id))) or 0) - queued_before
        db.session.remove()
    if queued != summary.sent:
        raise SystemExit(f"bench: the digest says {summary.sent} sent, the outbox has {queued}")
    row = {
        "period": "weekly",
        "members_considered": summary.considered,
        "sent": summary.sent,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "seconds": round(seconds, 2),
        "ms_per_member": round(seconds / max(1, summary.considered) * 1000, 2),
        "mail": "queued in mail_outbox only (MAIL_SERVER empty): no SMTP timed",
    }
    print("digest:", row, flush=True)
    return {"digest": row}


def new_topics(member: Member, data: dict[str, object], count: int) -> list[float]:
    """Post ``count`` new topics in the followed region; seconds per request."""
    seconds = []
    for n in range(count):
        fields = {
            "title": f"Erfaringer med netværksmøder i vores område, runde {n + 1}",
            "kind": "discussion",
            "region": str(data["followed_region"]),
            "theme": str(data["theme"]),
            "body": "Hvordan holder I netværksmøderne kørende? Vi vil gerne høre om jeres "
            "erfaringer med faste dagsordener og opfølgning.",
        }
        started = time.perf_counter()
        member.post_form("/ny", fields)
        seconds.append(time.perf_counter() - started)
    return seconds


def print_summary(report: dict) -> None:
    """The figures that answer the issue, in a few lines."""
    for mode in ("reply_fan_out_by_worker", "reply_fan_out_after_response"):
        row = report[mode]
        cases = ", ".join(
            f"{case} reply p50/p95 {row[case]['reply']['p50_ms']}/{row[case]['reply']['p95_ms']} "
            f"ms, page after p50 {row[case]['page_after']['p50_ms']} ms"
            for case in CASES
        )
        print(f"{mode}: {cases}; followed/quiet p50 x{row['reply_ratio_p50']}")
    for what, row in report["fan_out"].items():
        print(f"fan-out of {what}: {row['notifications_per_second']} notifications/s")
    digest = report["digest"]
    if digest is None:
        print("digest: not measured:", report["why"])
    else:
        print(
            f"digest: {digest['sent']} of {digest['members_considered']} in {digest['seconds']} s"
        )
    print("budget:", report["budget"])


def main() -> None:
    """Generate (or reuse), add followers, measure, write bench/results/notify.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--replies", type=int, default=200, help="measured replies per case")
    parser.add_argument("--new-topics", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--workdir", help="keep (and reuse) the generated database here")
    args = parser.parse_args()
    if not 20 <= args.replies <= 500:
        raise SystemExit("bench: --replies must be between 20 and 500")
    if not 2 <= args.new_topics <= 200:
        raise SystemExit("bench: --new-topics must be between 2 and 200")

    load_before = os.getloadavg()
    scratch = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or scratch.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    data = prepare(work, args)
    settings: dict[str, object] = data["settings"]  # type: ignore[assignment]
    app = create_app(settings)
    result: dict[str, object] = {}

    # 1. The request only: the fan-out is left in the outbox, then timed in this process.
    port = free_port()
    server = serve(env_for(settings, notify_after_request=False), port, workers=args.workers)
    try:
        member = Member(f"http://127.0.0.1:{port}")
        member.login(str(data["email"]), PASSWORD)
        member.fetch_token("/ny")
        reply_rounds(member, interleaved(data, 0, WARM_UP), "opvarmning")
        run_worker(app, "the warm-up replies")
        times = reply_rounds(member, interleaved(data, WARM_UP, args.replies), "uden fan-out")
        result["reply_fan_out_by_worker"] = comparison(times)
        print("replies, fan-out left to the worker:", result["reply_fan_out_by_worker"], flush=True)
        replies_fan_out = run_worker(app, f"{2 * args.replies} replies")
        topic_seconds = new_topics(member, data, args.new_topics)
        topics_fan_out = run_worker(app, f"{args.new_topics} new topics")
    finally:
        server.terminate()
        server.wait(timeout=60)
    notified = expect_notified(
        app, args.followers * (args.replies + args.new_topics), "fan-out by the worker step"
    )

    # 2. The default: the fan-out runs in the worker process after the response has gone.
    port = free_port()
    server = serve(env_for(settings, notify_after_request=True), port, workers=args.workers)
    try:
        member = Member(f"http://127.0.0.1:{port}")
        member.login(str(data["email"]), PASSWORD)
        member.fetch_token("/ny")
        reply_rounds(member, interleaved(data, args.replies + WARM_UP, WARM_UP), "opvarmning")
        times = reply_rounds(
            member, interleaved(data, args.replies + 2 * WARM_UP, args.replies), "med fan-out"
        )
        result["reply_fan_out_after_response"] = comparison(times)
        print("replies, fan-out after the response:", result["reply_fan_out_after_response"])
    finally:
        server.terminate()
        server.wait(timeout=60)
    expect_notified(
        app, notified + args.followers * (args.replies + WARM_UP), "fan-out after the response"
    )

    digest = run_digest(app)
    with app.app_context():
        notifications = db.session.scalar(select(func.count(Notification.id)))
        events = db.session.scalar(select(func.count(NotifyOutboxEntry.id)))
        db.engine.dispose()

    by_worker = result["reply_fan_out_by_worker"]
    quiet_p95 = by_worker["quiet"]["reply"]["p95_ms"]  # type: ignore[index]
    followed_p95 = by_worker["followed"]["reply"]["p95_ms"]  # type: ignore[index]
    report = {
        "benchmark": "notify",
        "posts": data["posts"],
        "topics": data["topics"],
        "members": data["members"],
        "followers": data["followers"],
        "followed_region": {
            "slug": data["followed_region"],
            "watching": data["followed_region_watchers"],
        },
        "quiet_region": {"slug": data["quiet_region"], "watching": data["quiet_region_watchers"]},
        "replies_per_case": args.replies,
        **result,
        "fan_out": {"replies": replies_fan_out, "new_topics": topics_fan_out},
        "new_topic_request": percentiles(topic_seconds),
        **digest,
        "notifications_written": notifications,
        "outbox_events": events,
        "budget": {
            "reply_p95_ms": BUDGET_P95_MS,
            "ratio_limit": RATIO_LIMIT,
            "reply_within_budget": max(quiet_p95, followed_p95) < BUDGET_P95_MS,
            "does_not_grow_with_followers": by_worker["reply_ratio_p50"] <= RATIO_LIMIT  # type: ignore[index,operator]
            and by_worker["reply_ratio_p95"] <= RATIO_LIMIT,  # type: ignore[index,operator]
        },
        "notes": NOTES,
        "http_server": f"gunicorn, {args.workers} sync worker(s), SQLite; one client in turn",
        # Other work on the machine inflates every figure: the 1, 5, 15 minute load averages.
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "notify.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_summary(report)
    print("written to", out)
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
