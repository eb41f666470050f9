"""The one writer: applies the outbox to the Whoosh index, in order, under the index's lock.

Every process may call :meth:`SearchIndex.sync`; whoever gets the lock applies what is
pending, the others return (the holder looks again after releasing it, so a change committed
meanwhile is never left behind; a request's sync also keeps looking for a moment, in case the
holder lets go without syncing). The cursor, the last outbox id applied, is a stored field of
the index's meta document: it commits together with the documents, so a process killed
mid-batch leaves the old cursor and the next sync applies the batch again. Applying a row reads
the object's current state, so doing it twice is harmless. The cursor waits at a missing id
(PostgreSQL hands out ids before commit); the rows after it are applied meanwhile and listed in
the meta document too (``ahead``), so that searches do not hide them as pending.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from whoosh import index
from whoosh.fields import STORED
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.writing import CLEAR

from forum import permissions
from forum.markup import text_of_html
from forum.models import (
    Attachment,
    Municipality,
    Post,
    Region,
    SearchFailure,
    SearchOutboxEntry,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.search import analysis, filedocs
from forum.search.engine.scoring import BM25F
from forum.search.schema import META_ID, POST, SCHEMA_VERSION, make_schema
from forum.timeutil import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

INDEX_NAME = "forum"
VOCABULARY_FILE = "vocabulary.txt"
BATCH = 500  # outbox rows (and posts) per commit
# Files read at a time: their text is bounded per file (forum.extract's max_chars), not small.
FILE_BATCH = 20
# An id missing from the outbox may belong to a transaction that has not committed yet
# (PostgreSQL hands out ids before commit). The cursor waits this long for it, then moves on
# (it was rolled back).
GAP_WAIT = timedelta(seconds=60)
# Rows applied past such a gap are recorded in the index (so searches need not hide them) up
# to this many; more stay hidden as pending until the cursor gets past the gap.
AHEAD_LIMIT = 1000
# When another process holds the lock, a request's sync keeps looking this long, every
# RETRY_STEP: done as soon as its rows are applied (the holder looks again after releasing),
# or it applies them itself once the lock is free (a holder that let go without syncing: a
# killed process, a rebuild's writer).
AFTER_REQUEST_RETRY = 2.0
RETRY_STEP = 0.05
OPEN_RETRIES = 20  # opening the index, each RETRY_STEP apart (see _retrying)


class IndexUnavailable(Exception):
    """No index yet, or one of another schema version: ``flask search rebuild`` makes one."""


@dataclass
class SyncResult:
    rows: int  # outbox rows read
    indexed: int  # documents added or replaced
    removed: int  # documents removed
    cursor: int
    failed: dict[int, str] = field(default_factory=dict)  # post id -> error, set aside
    done: set[int] = field(default_factory=set)  # posts indexed or removed
    failed_files: dict[int, str] = field(default_factory=dict)  # attachment id -> error
    done_files: set[int] = field(default_factory=set)  # files indexed or removed
    applied: set[int] = field(default_factory=set)  # outbox row ids read and applied
    ahead: frozenset[int] = frozenset()  # ids applied past the cursor (it waits at a gap)


@dataclass
class RebuildResult:
    posts: int
    files: int  # files with pages in the index
    seconds: float
    size_bytes: int
    cursor: int


class SearchIndex:
    """The index in one directory, with the vocabulary its compound splitting uses."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._ix: index.FileIndex | None = None
        self._vocabulary: analysis.Vocabulary | None = None
        self._vocabulary_mark: tuple[int, int] = (0, 0)  # (inode, bytes read)
        self._open_lock = threading.Lock()
        self._local = threading.local()

    # --- Opening -----------------------------------------------------------------------------

    def exists(self) -> bool:
        return _retrying(partial(index.exists_in, str(self.directory), indexname=INDEX_NAME))

    def open(self) -> index.FileIndex:
        """The index, if it exists and has this code's schema version."""
        with self._open_lock:
            if self._ix is None:
                if not self.exists():
                    raise IndexUnavailable("no search index")
                ix = _retrying(partial(index.open_dir, str(self.directory), indexname=INDEX_NAME))
                with ix.searcher() as searcher:
                    meta = searcher.document(doc_id=META_ID) or {}
                if meta.get("version") != SCHEMA_VERSION:
                    raise IndexUnavailable(
                        f"search index has schema version {meta.get('version')}, "
                        f"this code needs {SCHEMA_VERSION}"
                    )
                self._ix = ix
            return self._ix

    def is_usable(self) -> bool:
        try:
            self.open()
        except IndexUnavailable:
            return False
        return True

    def searcher(self) -> Any:
        """This thread's searcher on the latest committed index (one per thread, reused)."""
        ix = self.open()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and not searcher.up_to_date():
            # Not searcher.refresh(): it reuses the readers of segments it already had, with
            # the deletions they had then, so a deleted post would still be found. A search
            # still reading the old one (see ``reading``) keeps it open until it ends.
            if getattr(self._local, "readers", 0):
                self._local.retired = [*getattr(self._local, "retired", []), searcher]
            else:
                searcher.close()
            searcher = None
        if searcher is None:
            searcher = ix.searcher(weighting=BM25F())
        self._local.searcher = searcher
        return searcher

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """One searcher for a whole search: never closed while the search uses it, whatever
        other processes (or this thread, syncing) commit meanwhile."""
        searcher = self.searcher()
        self._local.readers = getattr(self._local, "readers", 0) + 1
        try:
            yield searcher
        finally:
            self._local.readers -= 1
            if not self._local.readers:
                for old in getattr(self._local, "retired", []):
                    if old is not getattr(self._local, "searcher", None):
                        old.close()
                self._local.retired = []

    def close(self) -> None:
        """Close this thread's searcher and forget the open index (a rebuild replaces it)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._ix = None

    def cursor(self, searcher: Any = None) -> int:
        """The id of the last outbox row this index has applied (as ``searcher`` sees it: a
        search passes its own, so that a fresh one never closes it mid-search)."""
        return self._meta(searcher if searcher is not None else self.searcher()).get("cursor", 0)

    def ahead(self, searcher: Any = None) -> frozenset[int]:
        """Outbox ids past the cursor that this index has applied all the same (the cursor
        waits at an id that may still commit; the rows after it are applied meanwhile)."""
        meta = self._meta(searcher if searcher is not None else self.searcher())
        return frozenset(meta.get("ahead") or ())

    @staticmethod
    def _meta(searcher: Any) -> dict[str, Any]:
        return searcher.document(doc_id=META_ID) or {}

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.iterdir() if path.is_file())

    # --- Vocabulary --------------------------------------------------------------------------

    def vocabulary(self) -> analysis.Vocabulary:
        """The words compounds split into, reading what other processes have added since."""
        path = self.directory / VOCABULARY_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            if self._vocabulary is None:
                self._vocabulary = analysis.Vocabulary()
            return self._vocabulary
        inode, read = self._vocabulary_mark
        if self._vocabulary is None or stat.st_ino != inode or stat.st_size < read:
            self._vocabulary, read = analysis.Vocabulary(), 0  # new or rewritten file
        if stat.st_size > read:
            with path.open("rb") as file:
                file.seek(read)
                chunk = file.read()
            end = chunk.rfind(b"\n") + 1  # a line still being written waits for next time
            self._vocabulary.add(chunk[:end].decode("utf-8").split())
            read += end
        self._vocabulary_mark = (stat.st_ino, read)
        return self._vocabulary

    def _learn(self, texts: Iterable[str]) -> None:
        """Add the words of texts to the vocabulary and its file (the caller holds the lock)."""
        vocabulary = self.vocabulary()
        found: set[str] = set()
        for text in texts:
            found.update(analysis.words(text))
        new = vocabulary.add(found)
        if new:
            with (self.directory / VOCABULARY_FILE).open("a", encoding="utf-8") as file:
                file.write("".join(f"{word}\n" for word in new))
            inode, read = self._vocabulary_mark
            self._vocabulary_mark = (inode, read + sum(len(w.encode()) + 1 for w in new))

    # --- Writing -----------------------------------------------------------------------------

    def sync(self, session: Session, *, wait: float = 0.0, retry: float = 0.0) -> SyncResult | None:
        """Apply pending outbox rows. Returns None when another process holds the lock (it
        will do the work) or there is no usable index; ``wait`` seconds for the lock.
        ``retry``: seconds to keep looking, while the lock is taken, until the pending rows
        are applied (by the holder) or the lock is free (then by this call).

        Ends ``session``'s transaction (it reads the outbox afresh): commit before calling."""
        total = SyncResult(rows=0, indexed=0, removed=0, cursor=0)
        give_up = time.monotonic() + retry
        while True:
            try:
                ix = self.open()
            except IndexUnavailable:
                return None
            searcher = self.searcher()
            cursor, ahead = self.cursor(searcher), self.ahead(searcher)
            # Done only when every committed row past the cursor has been applied. Not "the
            # largest id has been seen": on PostgreSQL a row below it (a gap the cursor waits
            # at) may commit while we hold the lock, and its writer, finding the lock taken,
            # leaves it to us; we look after releasing the lock, so we see it. The rows
            # applied past the gap are all committed rows past the cursor: no IN list needed.
            waiting = session.scalar(
                select(func.count(SearchOutboxEntry.id)).where(SearchOutboxEntry.id > cursor)
            )
            session.rollback()  # end the read; the next sees rows committed meanwhile
            if not waiting or waiting <= len(ahead):
                total.cursor, total.ahead = cursor, ahead
                return total
            try:
                writer = ix.writer(timeout=wait)
            except LockError:
                if time.monotonic() >= give_up:
                    return None
                time.sleep(RETRY_STEP)
                continue
            try:
                result = self._apply(session, writer)
            except BaseException:
                writer.cancel()
                raise
            finally:
                session.rollback()
            total.rows += result.rows
            total.indexed += result.indexed
            total.removed += result.removed
            total.failed.update(result.failed)
            total.failed_files.update(result.failed_files)
            total.applied.update(result.applied)
            _record_failures(session, result)
            if result.cursor == cursor and result.ahead == ahead:
                # Stuck at a gap with more rows behind it than are recorded as applied.
                total.cursor, total.ahead = result.cursor, result.ahead
                return total
            # Loop: look again now the lock is free, for rows committed while we held it.

    def _apply(self, session: Session, writer: Any) -> SyncResult:
        if "ahead" not in writer.schema:  # an index made before the field existed
            writer.add_field("ahead", STORED())
        with writer.searcher() as searcher:
            meta = self._meta(searcher)
        cursor, ahead = meta.get("cursor", 0), frozenset(meta.get("ahead") or ())
        result = SyncResult(rows=0, indexed=0, removed=0, cursor=cursor)
        applied: set[int] = set(ahead)  # past the cursor: already in the index
        last, at_gap, now = cursor, False, utcnow()
        # What the rows touch, gathered over every batch and written once at the end: the
        # writer commits once, and Whoosh cannot delete what this writer added itself, so an
        # object written in two batches would have two documents (and a deletion between
        # them would leave the first).
        post_ids: set[int] = set()
        files: set[int] = set()
        while True:
            rows = session.execute(
                select(SearchOutboxEntry)
                .where(SearchOutboxEntry.id > last)
                .order_by(SearchOutboxEntry.id)
                .limit(BATCH)
            ).scalars()
            rows = list(rows)
            if not rows:
                break
            fresh = [row for row in rows if row.id not in ahead]
            result.rows += len(fresh)
            result.applied.update(row.id for row in fresh)
            touched = _post_ids(session, fresh)
            post_ids |= touched
            files |= filedocs.touched(session, fresh, touched)
            if not at_gap:
                result.cursor = _safe_cursor(result.cursor, rows, now)
                # Waiting for a gap to fill: the rows after it are applied all the same.
                at_gap = result.cursor != rows[-1].id
            applied.update(row.id for row in rows)
            last = rows[-1].id
            if len(rows) < BATCH:
                break
        for reindex, ids in ((self._reindex, post_ids), (self._reindex_files, files)):
            indexed, removed = reindex(session, writer, ids, result)
            result.indexed += indexed
            result.removed += removed
        result.ahead = frozenset(sorted(i for i in applied if i > result.cursor)[:AHEAD_LIMIT])
        writer.update_document(
            doc_id=META_ID,
            doctype=META_ID,
            cursor=result.cursor,
            ahead=sorted(result.ahead),
            version=SCHEMA_VERSION,
        )
        writer.commit()
        self._drop_files(result.failed_files)
        return result

    def _drop_files(self, ids: Iterable[int]) -> None:
        """Remove every page of these files: one that failed partway has its first pages in
        the segment just committed, which the writer that added them could not delete."""
        ids = sorted(ids)
        if not ids:
            return
        try:
            writer = self.open().writer(timeout=10.0)
        except LockError:  # recorded as failed: the next change to the file tries again
            log.warning("Could not remove the pages of failed files %s: index locked", ids)
            return
        try:
            for attachment_id in ids:
                writer.delete_by_term("file", str(attachment_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def _reindex(
        self, session: Session, writer: Any, post_ids: set[int], result: SyncResult
    ) -> tuple[int, int]:
        indexed = removed = 0
        ids = sorted(post_ids)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = session.execute(_post_rows().where(Post.id.in_(chunk))).all()
            found = {row.id for row in rows}
            texts = {}
            for row in rows:
                if _is_live(row):
                    with _set_aside(result, row.id):
                        texts[row.id] = text_of_html(row.html)
            self._learn(texts.values())
            with analysis.using(self.vocabulary()):
                for row in rows:
                    if row.id in texts:
                        with _set_aside(result, row.id):
                            writer.update_document(**document(row, texts[row.id]))
                            indexed += 1
                    else:
                        writer.delete_by_term("doc_id", str(row.id))
                        removed += 1
                    if row.id in result.failed:
                        writer.delete_by_term("doc_id", str(row.id))  # no stale text shows
                    else:
                        result.done.add(row.id)
            for missing in set(chunk) - found:  # gone from the database altogether
                writer.delete_by_term("doc_id", str(missing))
                removed += 1
        return indexed, removed

    def _reindex_files(
        self, session: Session, writer: Any, ids: set[int], result: SyncResult
    ) -> tuple[int, int]:
        """Replace the documents of these files' pages (none for a file no longer visible)."""
        indexed = removed = 0
        ordered = sorted(ids)
        for start in range(0, len(ordered), FILE_BATCH):
            chunk = ordered[start : start + FILE_BATCH]
            rows = session.execute(filedocs.rows_query().where(Attachment.id.in_(chunk))).all()
            live = [row for row in rows if filedocs.is_live(row)]
            pages = filedocs.parts(session, (row.id for row in live))
            self._learn(text for found in pages.values() for _, text in found)
            with analysis.using(self.vocabulary()):
                for attachment_id in chunk:
                    writer.delete_by_term("file", str(attachment_id))
                for row in live:
                    with _set_aside(result, row.id, files=True):
                        for doc in filedocs.documents(row, pages.get(row.id, [])):
                            writer.add_document(**doc)
                            indexed += 1
            removed += len(chunk) - len(live)
            result.done_files.update(i for i in chunk if i not in result.failed_files)
        return indexed, removed

    def _live_file_pages(self, session: Session) -> Iterator[list[tuple[int, str]]]:
        """The pages of every file the index holds, a file at a time (the vocabulary's)."""
        last = 0
        while True:
            rows = session.execute(
                filedocs.rows_query()
                .where(Attachment.id > last)
                .order_by(Attachment.id)
                .limit(FILE_BATCH)
            ).all()
            pages = filedocs.parts(session, (row.id for row in rows if filedocs.is_live(row)))
            yield from pages.values()
            if len(rows) < FILE_BATCH:
                return
            last = rows[-1].id

    def _add_all_files(self, session: Session, writer: Any, failures: SyncResult) -> int:
        """Every visible file's pages (a rebuild); returns the number of files."""
        count, last = 0, 0
        while True:
            rows = session.execute(
                filedocs.rows_query()
                .where(Attachment.id > last)
                .order_by(Attachment.id)
                .limit(FILE_BATCH)
            ).all()
            live = [row for row in rows if filedocs.is_live(row)]
            pages = filedocs.parts(session, (row.id for row in live))
            for row in live:
                with _set_aside(failures, row.id, files=True):
                    docs = filedocs.documents(row, pages.get(row.id, []))
                    for doc in docs:
                        writer.add_document(**doc)
                    count += bool(docs)
            if len(rows) < FILE_BATCH:
                return count
            last = rows[-1].id

    def rebuild(
        self, session: Session, *, progress: Callable[[int], None] | None = None
    ) -> RebuildResult:
        """Recreate the index from the database, then apply what changed meanwhile.

        Searches keep using the old index until the new one commits (unless there was none,
        or it had another schema version).
        """
        started = time.perf_counter()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.close()
        storage = FileStorage(str(self.directory))
        try:
            ix = self.open()
            writer = ix.writer(timeout=600.0, limitmb=256)
            clear = True
        except IndexUnavailable:
            ix = storage.create_index(make_schema(), indexname=INDEX_NAME)
            writer = ix.writer(timeout=600.0, limitmb=256)
            clear = False
        count = 0
        failures = SyncResult(rows=0, indexed=0, removed=0, cursor=0)
        try:
            # Everything up to here is in the snapshot we read; later rows are synced after.
            cursor = session.scalar(select(func.max(SearchOutboxEntry.id))) or 0
            self._write_vocabulary(session)
            with analysis.using(self.vocabulary()):
                for row in _stream(session, _post_rows().where(_live())):
                    with _set_aside(failures, row.id):
                        writer.add_document(**document(row, text_of_html(row.html)))
                        count += 1
                    if progress is not None and count % 1000 == 0:
                        progress(1000)
                if progress is not None:
                    progress(count % 1000)
                files = self._add_all_files(session, writer, failures)
            writer.add_document(
                doc_id=META_ID, doctype=META_ID, cursor=cursor, version=SCHEMA_VERSION
            )
            writer.commit(mergetype=CLEAR if clear else None, optimize=True)
        except BaseException:
            writer.cancel()
            raise
        finally:
            session.rollback()
        self.close()
        self._drop_files(failures.failed_files)
        _record_failures(session, failures, everything=True)
        self.sync(session, wait=30.0)
        return RebuildResult(
            posts=count,
            files=files,
            seconds=time.perf_counter() - started,
            size_bytes=self.size_bytes(),
            cursor=self.cursor(),
        )

    def _write_vocabulary(self, session: Session) -> None:
        """The forum's words, from every visible post, as a new vocabulary file."""
        found: set[str] = set()
        statement = select(Post.id, Topic.title, Post.body).join(Topic, Post.topic_id == Topic.id)
        for _, title, body in _stream(session, statement.where(_live())):
            found.update(analysis.words(title), analysis.words(body))
        for pages in self._live_file_pages(session):
            for _, text in pages:
                found.update(analysis.words(text))
        vocabulary = analysis.Vocabulary(found)
        path = self.directory / VOCABULARY_FILE
        temporary = path.with_suffix(".new")
        temporary.write_text(
            "".join(f"{w}\n" for w in sorted(vocabulary.surface.values())), "utf-8"
        )
        os.replace(temporary, path)
        self._vocabulary = None


def _retrying(open_it: Callable[[], T]) -> T:
    """Open the index (or look whether there is one), retrying for a moment when the table
    of contents Whoosh found is gone: a writer in another process committed and removed the
    old one between Whoosh's listing of the directory and its reading the file. (Whoosh's
    own reader retries the same way; its opening does not.)"""
    for attempt in range(OPEN_RETRIES):
        try:
            return open_it()
        except FileNotFoundError:
            if attempt == OPEN_RETRIES - 1:
                raise
            time.sleep(RETRY_STEP)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _set_aside(result: SyncResult, object_id: int, *, files: bool = False) -> Iterator[None]:
    """One post (or file) that cannot be indexed is logged and left out; the batch goes on."""
    try:
        yield
    except Exception as error:  # any bug or bad input in one post: never block the others
        what = "file" if files else "post"
        log.exception("Indexing %s %s failed; it is set aside", what, object_id)
        failed, done = (
            (result.failed_files, result.done_files) if files else (result.failed, result.done)
        )
        failed[object_id] = f"{type(error).__name__}: {error}"[:1000]
        # Its old document, if any, must not stay searchable with outdated content.
        done.discard(object_id)


def _record_failures(session: Session, result: SyncResult, *, everything: bool = False) -> None:
    """Store the posts set aside (``flask search status`` counts them); forget those that
    indexed now (all earlier ones after a rebuild, ``everything``). Its own short transaction,
    after the index has committed."""
    kinds = (
        ("post", result.failed, result.done),
        ("attachment", result.failed_files, result.done_files),
    )
    if not (everything or any(failed or done for _, failed, done in kinds)):
        return
    if everything:
        session.execute(delete(SearchFailure))
    for kind, failed, done in kinds:
        if done and not everything:
            session.execute(
                delete(SearchFailure).where(
                    SearchFailure.kind == kind, SearchFailure.object_id.in_(done)
                )
            )
        for object_id, error in failed.items():
            known = session.scalar(
                select(SearchFailure).where(
                    SearchFailure.kind == kind, SearchFailure.object_id == object_id
                )
            )
            if known is None:
                session.add(SearchFailure(kind=kind, object_id=object_id, error=error))
            else:
                known.error, known.attempts = error, known.attempts + 1
                known.failed_at = utcnow()
    session.commit()


def _post_ids(session: Session, rows: list[SearchOutboxEntry]) -> set[int]:
    """The posts whose documents the outbox rows touch."""
    ids = {row.object_id for row in rows if row.kind == "post"}
    topics = {row.object_id for row in rows if row.kind == "topic"}
    users = {row.object_id for row in rows if row.kind == "user"}
    if topics:
        ids.update(session.scalars(select(Post.id).where(Post.topic_id.in_(topics))))
    if users:
        ids.update(session.scalars(select(Post.id).where(Post.author_id.in_(users))))
    return ids


def _safe_cursor(cursor: int, rows: list[SearchOutboxEntry], now: Any) -> int:
    """How far the cursor may move: up to the first missing id that may still appear."""
    for row in rows:
        if row.id != cursor + 1 and now - row.created_at < GAP_WAIT:
            break
        cursor = row.id
    return cursor


def _post_rows() -> Any:
    """Everything a post's document needs, in one row per post."""
    return (
        select(
            Post.id,
            Post.topic_id,
            Post.number,
            Post.html,
            Post.created_at,
            Post.deleted_at,
            Topic.title,
            Topic.kind,
            Topic.deleted_at.label("topic_deleted_at"),
            Topic.answer_post_id,
            Region.slug.label("region"),
            Theme.slug.label("theme"),
            User.username,
            User.display_name,
            Municipality.slug.label("municipality"),
        )
        .join(Topic, Post.topic_id == Topic.id)
        .join(Region, Topic.region_id == Region.id)
        .join(Theme, Topic.theme_id == Theme.id)
        .join(User, Post.author_id == User.id)
        .outerjoin(Municipality, User.municipality_id == Municipality.id)
    )


def _live() -> Any:
    return permissions.searchable_posts()


def _is_live(row: Any) -> bool:  # searchable_posts(), for a row already loaded
    return row.deleted_at is None and row.topic_deleted_at is None


def _stream(session: Session, statement: Any, size: int = 2000) -> Iterator[Any]:
    """Rows of a large query (its first column Post.id) in batches, without holding them all."""
    last = 0
    while True:
        rows = session.execute(statement.where(Post.id > last).order_by(Post.id).limit(size)).all()
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1][0]


def document(row: Any, text: str) -> dict[str, Any]:
    """The index document of a visible post."""
    answered = ""
    if row.kind == TopicKind.SPARRING:
        answered = "ja" if row.answer_post_id is not None else "nej"
    doc = {
        "doc_id": str(row.id),
        "doctype": POST,
        "topic": str(row.topic_id),
        "body": text,
        "body_phrase": text,
        "author": row.username,
        "author_name": row.display_name,
        "municipality": row.municipality or "",
        "region": row.region,
        "theme": row.theme,
        "kind": row.kind,
        "answered": answered,
        "year": str(row.created_at.year),
        "created": row.created_at,
    }
    if row.number == 1:
        doc["title"] = row.title
    return doc
