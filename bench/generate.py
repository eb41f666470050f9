"""Benchmark: how long `generate` takes to write N posts, on a fresh database.

    python bench/generate.py [--topics 10000] [--posts-per-topic 10] [--database URL]

Writes bench/results/generate.json with the figures and a description of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, text

# Run as a script from the source checkout: the generator lives in bench/, beside the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generator import generate
from forum import create_app
from forum.extensions import db
from forum.models import Post

RESULTS = Path(__file__).parent / "results"


def _fixed_work() -> int:
    # Interpreter work of the kind a request does: formatting, dict look-ups, calls, a sort.
    counts: dict[str, int] = {}
    for i in range(60_000):
        key = f"k{i % 1000}"
        counts[key] = counts.get(key, 0) + len(key)
    return len(sorted(counts.items(), key=lambda item: (item[1], item[0])))


def calibration_ms(repeat: int = 7) -> float:
    """The same fixed pure-Python work timed on this machine (best of ``repeat``): the
    machine's speed when the figures were measured. This machine's speed varies by up to
    twice from day to day (shared cores), so figures from two days compare only in
    proportion to their calibration."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _fixed_work()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine() -> dict[str, object]:
    """What the figures were measured on, and how fast it was then (calibration_ms)."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = meminfo.read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory": memory,
        "calibration_ms": calibration_ms(),
    }


def publish(result: dict[str, object], name: str) -> Path:
    """Write ``result``, stamped with the machine and the time, to bench/results/<name>.json,
    and print it."""
    stamped = {
        **result,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(stamped, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(stamped, indent=2, ensure_ascii=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            if args.database:
                db.drop_all()
                with db.engine.begin() as connection:
                    connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            started = time.perf_counter()
            result = generate(db.session, topics=args.topics, posts_per_topic=args.posts_per_topic)
            db.session.commit()
            seconds = time.perf_counter() - started
            posts = db.session.scalar(select(func.count(Post.id)))
            backend = db.engine.dialect.name
            db.engine.dispose()

    report = {
        "benchmark": "generate",
        "backend": backend,
        "topics": result.topics,
        "posts": posts,
        "members": result.users,
        "seconds": round(seconds, 1),
        "posts_per_second": round(posts / seconds),
    }
    publish(report, f"generate-{backend}")


if __name__ == "__main__":
    main()
