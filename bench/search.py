"""Benchmark: search over generated content, end to end over HTTP and the engine alone.

    python bench/search.py [--topics 10000] [--posts-per-topic 10] [--queries 240]
                           [--workdir DIR]

Steps: generate the posts (the core's ``generate``) into a fresh SQLite database, rebuild the
search index (posts/s, index size), then ask every query twice: as typed and with a region
filter. First the engine alone (``forum.search.query.search``: matching, counts, facets,
ranking, loading the page's posts and highlighting their snippets), then ``/search`` over HTTP
from a gunicorn worker, logged in as a member, page fully read. Sixty other queries warm up
the process first (searcher open, segment arrays read); each measured query is asked once.

With ``--workdir`` the database and index are kept there and reused by the next run (handy
while tuning; the published figures come from a fresh run). Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PASSWORD, Client, free_port, percentiles, serve
from bench.generate import publish
from bench.generator import generate
from bench.generator.vocabulary import THEME_WORDS
from forum import accounts, create_app
from forum.extensions import db
from forum.models import Post, Region, Role, User
from forum.search import search_index
from forum.search.analysis import fold
from forum.search.query import Places, search

# What members type besides the themes' own words: plain words, some rare, some misspelt,
# some not in the content at all (a search that finds nothing must be fast too).
EXTRA_WORDS = (
    "erfaringer",
    "samarbejde",
    "ledelse",
    "økonomi",
    "rekruttering",
    "sagsbehandler",
    "forældre",
    "netværk",
    "møde",
    "kommune",
    "evaluering",
    "handleplan",
    "barnets perspektiv",
    "efterværn",
    "ungdomsuddannelse",
    "sagsbehandlingstid",
    "tilsyn",
    "bisidder",
    "skabelon",
    "plejefamilie",
    "aflastning",
    "søskende",
    "psykiatri",
    "skolefravær",
    "frivillige",
    "anbringelsesgrundlag",
    "plejefamiliekonsulent",
    "kvalitetsstandard",
    "socialrådgiver",
    "budget",
    "visitation",
    "opfølgning",
    "dokumentation",
    "børnesyn",
    "tværfagligt",
    "netvaerk",
    "boernesamtale",
    "plejefamlie",
    "anbrigelse",
    "kommunikation",
    "digitalisering",
    "lønforhold",
    "weekendaflastning",
    "hjemgivelse",
    "familierådslagning",
    "kontaktperson",
)


def queries(count: int, seed: int = 7) -> list[str]:
    """``count`` one-to-three-word queries from the themes' vocabulary and the extra words:
    a third one word, a third two, a third three, a fifth of them typed without æ, ø, å."""
    rng = random.Random(seed)
    pool: list[str] = list(EXTRA_WORDS)
    for words in THEME_WORDS.values():
        for forms in words.terms:
            pool.extend(forms)
        for subject in words.subjects:
            pool.extend(w for w in re.findall(r"\w+", subject) if len(w) > 3)
    pool = sorted(set(pool))
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        wanted = 1 + len(found) % 3
        words: list[str] = []
        while len(words) < wanted:
            pick = rng.choice(pool)
            words.extend(pick.split()[: wanted - len(words)])
        text = " ".join(words)
        if rng.random() < 0.2:
            text = fold(text)
        if text not in seen:
            seen.add(text)
            found.append(text)
    return found


def measure(
    ask: Callable[[str], int], texts: list[str], warm_up: list[str]
) -> tuple[list[float], list[int]]:
    # Warm-up on other queries: the searcher is open and the segment arrays read, as in a
    # worker that has served for a while, but no measured query has been asked before.
    for text in warm_up:
        ask(text)
    seconds, totals = [], []
    for text in texts:
        started = time.perf_counter()
        totals.append(ask(text))
        seconds.append(time.perf_counter() - started)
    return seconds, totals


def report(texts: list[str], seconds: list[float], totals: list[int]) -> dict[str, object]:
    slowest = sorted(zip(seconds, texts, totals, strict=True), reverse=True)[:5]
    return {
        **percentiles(seconds),
        "median_topics_found": statistics.median(totals),
        "queries_finding_nothing": sum(1 for t in totals if t == 0),
        "slowest": [
            {"query": text, "ms": round(s * 1000, 1), "topics": total} for s, text, total in slowest
        ],
    }


def engine_figures(
    session, index, member, asked: dict[str, list[str]], warm_up: list[str]
) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Each named set of queries through the engine alone (as ``member``)."""
    places = Places.load(session)

    def engine(text: str) -> int:
        found = search(session, index, member, text, places=places)
        session.rollback()
        return found.total

    figures: dict[str, object] = {}
    for name, texts in asked.items():
        seconds, totals = measure(engine, texts, warm_up)
        figures[name] = report(texts, seconds, totals)
        print(f"engine {name}:", figures[name], flush=True)
    return figures


def http_figures(
    client: Client, asked: dict[str, list[str]], warm_up: list[str]
) -> dict[str, object]:
    """Each named set of queries as /search pages, read to the end, by a logged-in client."""

    def over_http(text: str) -> int:
        status, page = client.get("/search?" + urllib.parse.urlencode({"q": text}))
        if status != 200 or 'id="search-q"' not in page:
            raise SystemExit(f"bench: /search answered {status} for {text!r}")
        found = re.search(r'data-total="(\d+)"', page)
        return int(found.group(1)) if found else 0

    figures: dict[str, object] = {}
    for name, texts in asked.items():
        seconds, totals = measure(over_http, texts, warm_up)
        figures[name] = report(texts, seconds, totals)
        print(f"http {name}:", figures[name], flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--workdir", help="keep (and reuse) the database and index here")
    args = parser.parse_args()
    if args.queries < 1:
        raise SystemExit("bench: --queries must be at least 1")

    scratch = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or scratch.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
        "SEARCH_INDEX_DIR": str(work / "index"),
        "SEARCH_SYNC_AFTER_REQUEST": False,
    }
    app = create_app(settings)
    result: dict[str, object] = {"benchmark": "search"}
    with app.app_context():
        upgrade()
        session = db.session
        if not session.scalar(select(func.count(Post.id))):
            started = time.perf_counter()
            generate(session, topics=args.topics, posts_per_topic=args.posts_per_topic)
            session.commit()
            print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        posts = session.scalar(select(func.count(Post.id)))
        index = search_index()
        if args.workdir and index.is_usable():
            print("reusing the index in", index.directory, flush=True)
        else:
            shutil.rmtree(index.directory, ignore_errors=True)
            built = index.rebuild(session)
            rate = built.posts / built.seconds
            result["rebuild"] = {
                "posts": built.posts,
                "seconds": round(built.seconds, 1),
                "posts_per_second": round(rate),
                "index_mb": round(index.size_bytes() / 1e6, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
            print("rebuild:", result["rebuild"], flush=True)

        member = session.scalars(
            select(User).where(User.role == Role.MEMBER).order_by(User.id).limit(1)
        ).one()
        accounts.set_password(session, member, PASSWORD)
        session.commit()
        email = member.email
        regions = list(session.scalars(select(Region.slug).order_by(Region.id)))
        texts = queries(args.queries)
        rng = random.Random(11)
        filtered = [f"{text} region:{rng.choice(regions)}" for text in texts]
        warm_up = [text for text in queries(60, seed=99) if text not in texts]
        asked = {"words": texts, "words_and_region": filtered}
        engine = engine_figures(session, index, member, asked, warm_up)
        db.engine.dispose()

    env = {
        **os.environ,
        "FORUM_SQLALCHEMY_DATABASE_URI": str(settings["SQLALCHEMY_DATABASE_URI"]),
        "FORUM_SEARCH_INDEX_DIR": str(settings["SEARCH_INDEX_DIR"]),
        "FORUM_SEARCH_SYNC_AFTER_REQUEST": "false",
        "FORUM_RATELIMIT_ENABLED": "false",
    }
    port = free_port()
    server = serve(env, port)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        client.login(email, PASSWORD)
        http = http_figures(client, asked, warm_up)
    finally:
        server.terminate()
        server.wait(timeout=30)

    result.update(
        {
            "posts": posts,
            "queries": len(texts),
            "query_examples": texts[:12],
            "engine": engine,
            "http": http,
            "http_server": "gunicorn, 1 sync worker, SQLite; one client asking in turn",
            "target_p95_ms": 100,
        }
    )
    publish(result, "search")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
