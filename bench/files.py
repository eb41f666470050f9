"""Benchmark: files. How fast text comes out of them, how soon an upload is found, and whether
search keeps its target with files in the index.

    python bench/files.py [--topics 10000] [--posts-per-topic 10] [--attachments 2000]
                          [--queries 240] [--uploads 20] [--workdir DIR]

1. Extraction (forum.extract, in its sandbox, as an upload runs it): a 300-page PDF and a
   150-slide deck with speaker notes, each read three times (median): pages/s and slides/s;
   and a one-page PDF five times: what a file costs whatever its size (the sandbox's start).
2. The forum: 100,000 generated posts (bench.generator), the page benchmark's 240 meetings,
   and ``--attachments`` files on them, as uploads leave them: an ``attachments`` row and the
   text of each page, slide or document in ``attachment_parts`` (PDFs of 1-30 pages, decks of
   10-40 slides, Word documents as one part), their text made from the themes' sentences. The
   bytes are not stored: search reads only the text (step 1 measures reading it). Then the
   index is rebuilt (posts and files/s, size).
3. Search with the files in it: the search benchmark's queries, as typed and with
   ``type:bilag``, first through the engine (``forum.search.query.search``), then ``/search``
   over HTTP from a gunicorn worker (target p95 < 100 ms end to end).
4. Upload to searchable: a facilitator uploads ``--uploads`` PDFs of ten pages through the
   meeting page's form (gunicorn, the index synced after the response as in production), each
   with a word of its own on page 7; the clock runs from sending the upload until ``/search``
   finds that word. p50/p95.

With ``--workdir`` the database and index are kept there and reused by the next run. Writes
bench/results/files.json.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PASSWORD, Client, free_port, percentiles, serve
from bench.generate import publish
from bench.generator import generate
from bench.generator.vocabulary import THEME_WORDS
from bench.pages import _plan_meetings
from bench.search import engine_figures, http_figures, queries
from forum import accounts, create_app, extract
from forum.demo import documents
from forum.extensions import db
from forum.models import (
    Attachment,
    AttachmentPart,
    Meeting,
    MeetingTheme,
    Post,
    Role,
    TextStatus,
    Theme,
    User,
)
from forum.search import search_index
from forum.timeutil import utcnow

# -- 1. extraction ----------------------------------------------------------------------------


def page_text(rng: random.Random, theme: str) -> str:
    """A page as facilitators write them: a heading and a few sentences about one theme."""
    words = THEME_WORDS[theme]
    heading = rng.choice(words.subjects)
    facts = rng.sample(words.facts, min(len(words.facts), rng.randint(3, 7)))
    return heading[:1].upper() + heading[1:] + "\n" + "\n".join(facts)


def extraction(work: Path, rng: random.Random) -> dict[str, object]:
    themes = sorted(THEME_WORDS)
    pdf_path, deck_path, small_path = work / "laerebog.pdf", work / "oplaeg.pptx", work / "en.pdf"
    pdf_pages = [page_text(rng, themes[n % len(themes)]) for n in range(300)]
    pdf_path.write_bytes(documents.pdf(pdf_pages))
    slides = []
    for n in range(150):
        text = page_text(rng, themes[n % len(themes)])
        heading, _, body = text.partition("\n")
        slides.append((heading, body, rng.choice(THEME_WORDS[themes[n % len(themes)]].facts)))
    deck_path.write_bytes(documents.pptx(slides))
    small_path.write_bytes(documents.pdf([pdf_pages[0]]))

    def timed(path: Path, kind: str, runs: int) -> tuple[float, int]:
        seconds, parts = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            found = extract.extract(path, kind, timeout=120)
            seconds.append(time.perf_counter() - started)
            if found.status != "ok":
                raise SystemExit(f"bench: reading {path.name} failed: {found.status}")
            parts = len(found.parts)
        return statistics.median(seconds), parts

    pdf_seconds, pdf_parts = timed(pdf_path, "pdf", 3)
    deck_seconds, deck_parts = timed(deck_path, "pptx", 3)
    small_seconds, _ = timed(small_path, "pdf", 5)
    figures = {
        "pdf": {
            "pages": pdf_parts,
            "bytes": pdf_path.stat().st_size,
            "seconds": round(pdf_seconds, 2),
            "pages_per_second": round(pdf_parts / pdf_seconds),
        },
        "pptx": {
            "slides": deck_parts,
            "bytes": deck_path.stat().st_size,
            "seconds": round(deck_seconds, 2),
            "slides_per_second": round(deck_parts / deck_seconds),
        },
        "one_page_pdf_ms": round(small_seconds * 1000, 1),
    }
    print("extraction:", figures, flush=True)
    return figures


# -- 2. the forum with its files --------------------------------------------------------------

# (kind, extension, unit, fewest and most parts, share of the files)
FILE_KINDS = (
    ("pdf", "pdf", "page", 1, 30, 0.45),
    ("pptx", "pptx", "slide", 10, 40, 0.35),
    ("docx", "docx", "document", 1, 1, 0.20),
)
NAMES = ("referat", "oplaeg", "dagsorden", "haandbog", "skabelon", "noegletal", "evaluering")


def add_files(session, count: int, rng: random.Random) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """``count`` files on the meetings, as uploads leave them (rows and text, no bytes)."""
    found = session.scalar(select(func.count(Attachment.id))) or 0
    if found >= count:
        return {
            "files": found,
            "parts": session.scalar(select(func.count()).select_from(AttachmentPart)),
        }
    meetings = list(session.execute(select(Meeting.id, Meeting.created_by_id, Meeting.starts_at)))
    meeting_themes = dict(
        session.execute(
            select(MeetingTheme.meeting_id, Theme.slug)
            .join(Theme, Theme.id == MeetingTheme.theme_id)
            .where(MeetingTheme.position == 0)
        ).all()
    )
    themes = sorted(THEME_WORDS)
    next_id = (session.scalar(select(func.max(Attachment.id))) or 0) + 1
    attachments, parts = [], []
    for n in range(count - found):
        meeting_id, uploader_id, starts_at = rng.choice(meetings)
        kind, extension, unit, fewest, most, _ = rng.choices(
            FILE_KINDS, weights=[k[5] for k in FILE_KINDS]
        )[0]
        pages = rng.randint(fewest, most)
        theme = meeting_themes.get(meeting_id, "")
        if theme not in THEME_WORDS:
            theme = themes[n % len(themes)]
        created = min(utcnow(), starts_at + timedelta(days=rng.randint(0, 3)))
        attachment_id = next_id + n
        attachments.append(
            {
                "id": attachment_id,
                "digest": uuid.UUID(int=attachment_id).hex * 2,
                "size": 40_000 * pages,
                "kind": kind,
                "mime": "application/octet-stream",
                "filename": f"{rng.choice(NAMES)}-{attachment_id}.{extension}",
                "uploader_id": uploader_id,
                "created_at": created,
                "meeting_id": meeting_id,
                "text_status": TextStatus.OK,
                "text_reason": "",
                "pages": pages,
                "confirmed_no_personal_data": False,
            }
        )
        for number in range(1, pages + 1):
            if unit == "document":
                text = "\n\n".join(page_text(rng, theme) for _ in range(rng.randint(3, 12)))
            else:
                text = page_text(rng, theme if rng.random() < 0.7 else rng.choice(themes))
            parts.append(
                {"attachment_id": attachment_id, "number": number, "unit": unit, "text": text}
            )
    for start in range(0, len(attachments), 500):
        session.execute(insert(Attachment), attachments[start : start + 500])
    for start in range(0, len(parts), 2000):
        session.execute(insert(AttachmentPart), parts[start : start + 2000])
    session.commit()
    return {
        "files": count,
        "parts": session.scalar(select(func.count()).select_from(AttachmentPart)),
    }


# -- 4. upload to searchable ------------------------------------------------------------------


def _multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for key, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
        out += f"{value}\r\n".encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _word(n: int) -> str:
    """A made-up word no generated text holds, different for each upload."""
    letters = "bdfghklmnprstv"
    tail = "".join(letters[int(d)] for d in f"{n:03d}")
    return f"zyxbilag{tail}"


def upload_to_searchable(
    client: Client, meeting_path: str, uploads: int, rng: random.Random
) -> dict[str, object]:
    themes = sorted(THEME_WORDS)
    seconds = []
    for n in range(uploads):
        word = _word(n)
        pages = [page_text(rng, themes[(n + i) % len(themes)]) for i in range(10)]
        pages[6] += f"\nSe også {word} i bilaget."
        _, page = client.get(meeting_path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        action = re.search(r'<form[^>]+action="([^"#]*/filer)[#"]', page)
        if token is None or action is None:
            raise SystemExit("bench: no upload form on the meeting page")
        body, content_type = _multipart(
            {"csrf_token": token.group(1)}, f"bilag-{n}.pdf", documents.pdf(pages)
        )
        request = urllib.request.Request(
            client.base + action.group(1), data=body, headers={"Content-Type": content_type}
        )
        started = time.perf_counter()
        with client.opener.open(request, timeout=120) as response:
            response.read()
            if "/filer" in response.geturl() and response.status != 200:
                raise SystemExit(f"bench: the upload answered {response.status}")
        while True:
            _, found = client.get("/search?" + urllib.parse.urlencode({"q": word}))
            total = re.search(r'data-total="(\d+)"', found)
            if total and int(total.group(1)) > 0:
                break
            if time.perf_counter() - started > 60:
                raise SystemExit(f"bench: upload {n} not searchable after 60 s")
            time.sleep(0.02)
        seconds.append(time.perf_counter() - started)
    figures = percentiles(seconds)
    print("upload to searchable:", figures, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--attachments", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--workdir", help="keep (and reuse) the database and index here")
    args = parser.parse_args()
    if args.queries < 1 or args.uploads < 2 or args.attachments < 0:
        raise SystemExit("bench: --queries must be at least 1, --uploads at least 2")

    scratch = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or scratch.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    result: dict[str, object] = {"benchmark": "files", "extraction": extraction(work, rng)}

    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'files.db'}",
        "SEARCH_INDEX_DIR": str(work / "files-index"),
        "SEARCH_SYNC_AFTER_REQUEST": False,
        "UPLOAD_DIR": str(work / "uploads"),
    }
    app = create_app(settings)
    with app.app_context():
        upgrade()
        session = db.session
        if not session.scalar(select(func.count(Post.id))):
            started = time.perf_counter()
            generate(session, topics=args.topics, posts_per_topic=args.posts_per_topic)
            session.commit()
            print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
        member = session.scalars(
            select(User).where(User.role == Role.MEMBER).order_by(User.id).limit(1)
        ).one()
        _plan_meetings(session, member)
        session.commit()
        result["content"] = {
            "posts": session.scalar(select(func.count(Post.id))),
            "meetings": session.scalar(select(func.count(Meeting.id))),
            **add_files(session, args.attachments, rng),
        }
        print("content:", result["content"], flush=True)
        index = search_index()
        if args.workdir and index.is_usable():
            print("reusing the index in", index.directory, flush=True)
        else:
            shutil.rmtree(index.directory, ignore_errors=True)
            built = index.rebuild(session)
            result["rebuild"] = {
                "posts": built.posts,
                "files": built.files,
                "seconds": round(built.seconds, 1),
                "index_mb": round(index.size_bytes() / 1e6, 1),
            }
            print("rebuild:", result["rebuild"], flush=True)

        facilitator = session.scalars(
            select(User).where(User.role == Role.FACILITATOR).order_by(User.id).limit(1)
        ).one()
        for person in (member, facilitator):
            accounts.set_password(session, person, PASSWORD)
        session.commit()
        member_email, facilitator_email = member.email, facilitator.email
        coming = session.scalars(
            select(Meeting).where(Meeting.starts_at > utcnow()).order_by(Meeting.id).limit(1)
        ).one()
        meeting_path = f"/moeder/{coming.id}-{coming.slug}"

        texts = queries(args.queries)
        with_files = [f"{text} type:bilag" for text in texts]
        warm_up = [text for text in queries(60, seed=99) if text not in texts]
        asked = {"words": texts, "words_type_bilag": with_files}
        engine = engine_figures(session, index, member, asked, warm_up)
        db.engine.dispose()

    env = {
        **os.environ,
        "FORUM_SQLALCHEMY_DATABASE_URI": str(settings["SQLALCHEMY_DATABASE_URI"]),
        "FORUM_SEARCH_INDEX_DIR": str(settings["SEARCH_INDEX_DIR"]),
        "FORUM_UPLOAD_DIR": str(settings["UPLOAD_DIR"]),
        "FORUM_RATELIMIT_ENABLED": "false",
    }
    port = free_port()
    server = serve({**env, "FORUM_SEARCH_SYNC_AFTER_REQUEST": "false"}, port)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        client.login(member_email, PASSWORD)
        http = http_figures(client, asked, warm_up)
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Uploads as in production: the request syncs the index after its response.
    port = free_port()
    server = serve({**env, "FORUM_SEARCH_SYNC_AFTER_REQUEST": "true"}, port)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        client.login(facilitator_email, PASSWORD)
        uploaded = upload_to_searchable(client, meeting_path, args.uploads, rng)
    finally:
        server.terminate()
        server.wait(timeout=30)

    result.update(
        {
            "queries": len(texts),
            "engine": engine,
            "http": http,
            "upload_to_searchable": uploaded,
            "http_server": "gunicorn, 1 sync worker, SQLite; one client asking in turn",
            "target_search_p95_ms": 100,
        }
    )
    publish(result, "files")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
