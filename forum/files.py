"""Attachments: an upload taken in (what it really is, its text read in the sandbox, checked
for CPR numbers, then stored), attached to a meeting or a post, served, deleted and restored.

Nothing is stored until every check has passed: a refused file leaves no row and no bytes. The
text is read while the uploader waits (forum.extract, in a separate process with time and
memory limits), because a file holding a likely CPR number must be refused at upload, naming
the page or slide. A file whose text cannot be read (a scanned PDF, an image) is taken only
when the uploader confirms it holds no personal data about children, families or cases; it
is marked for facilitators. Images are stored re-encoded, without EXIF (location) or other
metadata, and get their width and height; PDFs and images get a preview image.

One path for meetings and posts, in two steps: :func:`checked` (or :func:`check_all` for a
post's several files) does every check and stores nothing; :func:`store` then attaches what
passed, asking the permission policy. A post and its files are written in one transaction
(its writer checks the files, adds the post, stores them, and commits with :func:`commit`),
so there is never a post without the files it was sent with, nor stored bytes without a row.

Domain functions take the session first, check the permission policy, and flush; the request
commits.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from forum import extract, permissions, privacy, uploads
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import (
    Attachment,
    AttachmentPart,
    Meeting,
    MeetingTheme,
    Post,
    Region,
    TextStatus,
    Theme,
    Topic,
    TopicKind,
    User,
)
from forum.storage import StorageError, storage
from forum.timeutil import utcnow

CHUNK = 1024 * 1024
# Images larger than this are refused rather than decoded (Pillow's bomb guard, made strict).
MAX_IMAGE_PIXELS = 60_000_000
# What the sandbox may spend on one upload (the member is waiting).
EXTRACT_TIMEOUT_SECONDS = 30
EXTRACT_MEMORY_MB = 768
PREVIEW_PX = 640
THUMBNAIL_PX = 240  # an image under a post: its preview shown at most this wide or high
PREVIEW_KINDS = frozenset({"pdf", "png", "jpeg", "pptx", "docx", "xlsx", "odt", "odp", "ods"})
# A post is a message with a few files, not an archive; each one is read while its writer waits.
MAX_FILES_PER_POST = 10


def _require(user: User, action: str, obj: object) -> None:
    if not permissions.can(user, action, obj):
        raise NotAllowed(_l("Det har du ikke adgang til."))


class NeedsConfirmation(Invalid):
    """The file's text cannot be read: the uploader must confirm it holds no personal data."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message), field="confirm")


@dataclass(frozen=True)
class Incoming:
    """An upload written to a temporary file, with its SHA-256 and size."""

    path: Path
    filename: str
    size: int
    digest: str


@dataclass(frozen=True)
class Checked:
    """An upload that passed every check, ready to be stored: what it is, the bytes to keep
    (an image re-encoded, at ``path``), its text and its preview image."""

    filename: str
    kind: uploads.FileType
    path: Path
    digest: str
    size: int
    width: int | None
    height: int | None
    read: extract.Extracted
    preview: bytes | None


@contextmanager
def receive(stream: BinaryIO, filename: str) -> Iterator[Incoming]:
    """Copy an upload to a temporary file (hashing it on the way, stopping past the limit),
    and remove the file afterwards whatever happens."""
    limit = uploads.max_upload_bytes()
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=".part")
    path = Path(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    # Read no further: sniff says "too large" from the size alone.
                    out.write(chunk[: max(0, limit + 1 - (size - len(chunk)))])
                    size = limit + 1
                    break
                digest.update(chunk)
                out.write(chunk)
        yield Incoming(path, filename or "", size, digest.hexdigest())
    finally:
        path.unlink(missing_ok=True)


def receive_all(stack: ExitStack, given: Iterable[object]) -> list[Incoming]:
    """Each chosen file of a form (werkzeug FileStorage; empty choices are skipped) taken in
    with :func:`receive`, its temporary file removed when ``stack`` closes."""
    return [
        stack.enter_context(receive(f.stream, f.filename))  # type: ignore[attr-defined]
        for f in given
        if getattr(f, "filename", "")
    ]


@contextmanager
def checked(incoming: Incoming, *, confirmed: bool) -> Iterator[Checked]:
    """Every check on one upload: its type by content, an image re-encoded without metadata,
    its text read in the sandbox and searched for CPR numbers (or, when it cannot be read,
    the uploader's word that it holds no personal data), its preview image drawn. Stores
    nothing; ``Invalid`` (with ``field`` "file" or "confirm") says why not, in Danish."""
    kind = uploads.sniff(incoming.path, incoming.filename, max_bytes=uploads.max_upload_bytes())
    path, digest, size = incoming.path, incoming.digest, incoming.size
    width = height = None
    cleaned: Path | None = None
    try:
        if kind.kind in ("png", "jpeg"):
            cleaned, width, height = _clean_image(path, kind.kind)
            path, size = cleaned, cleaned.stat().st_size
            digest = _sha256(cleaned)
        read = extract.extract(
            path, kind.kind, timeout=EXTRACT_TIMEOUT_SECONDS, memory_mb=EXTRACT_MEMORY_MB
        )
        if read.ok:
            _refuse_personal_data(read)
        elif not confirmed:
            raise NeedsConfirmation(
                _l(
                    "%(why)s Derfor kan forummet ikke tjekke den for CPR-numre. Bekræft, at den "
                    "ikke indeholder personoplysninger om børn, familier eller sager, og send "
                    "den igen.",
                    why=extract.reason_text(read),
                )
            )
        preview = None
        if kind.kind in PREVIEW_KINDS:
            preview = extract.first_page_png(
                path, kind.kind, timeout=EXTRACT_TIMEOUT_SECONDS, max_px=PREVIEW_PX
            )
        yield Checked(incoming.filename, kind, path, digest, size, width, height, read, preview)
    finally:
        if cleaned is not None:
            cleaned.unlink(missing_ok=True)


def check_all(stack: ExitStack, incoming: Sequence[Incoming], *, confirmed: bool) -> list[Checked]:
    """:func:`checked` for each of a post's files (their cleaned copies kept until ``stack``
    closes). Every refused file is named at once, so the writer fixes them all in one go;
    then ``Invalid`` stands for them all and nothing is stored."""
    if len(incoming) > MAX_FILES_PER_POST:
        raise _too_many_files()
    ready: list[Checked] = []
    problems: list[Invalid] = []
    for upload in incoming:
        try:
            ready.append(stack.enter_context(checked(upload, confirmed=confirmed)))
        except Invalid as refused:
            problems.append(_naming(refused, upload.filename) if len(incoming) > 1 else refused)
    if problems:
        raise Invalid.combine(problems)
    return ready


def _naming(problem: Invalid, filename: str) -> Invalid:
    """The problem led by the file's name (which of several files it is about)."""
    message = f"{uploads.safe_filename(filename) or '?'}: {problem.message}"
    if isinstance(problem, NeedsConfirmation):
        return NeedsConfirmation(message)
    return Invalid(message, field=problem.field)


def _too_many_files() -> Invalid:
    return Invalid(
        _l("Et indlæg kan højst have %(count)d filer.", count=MAX_FILES_PER_POST), field="file"
    )


def store(
    session: Session,
    user: User,
    ready: Sequence[Checked],
    *,
    meeting: Meeting | None = None,
    post: Post | None = None,
) -> list[Attachment]:
    """Attach checked uploads to a meeting or a post, as the policy allows ``user``: their
    rows and text are added and flushed first, then their bytes are stored (the same bytes
    only once), so a failure on the way leaves no bytes for the rollback to forget."""
    target: Meeting | Post | None = meeting if meeting is not None else post
    if target is None or (meeting is not None and post is not None):
        raise TypeError("store() attaches to exactly one meeting or post")
    _require(user, permissions.UPLOAD, target)
    if post is not None and ready:
        _check_room(session, post, len(ready))
    attachments = [
        Attachment(
            digest=item.digest,
            size=item.size,
            kind=item.kind.kind,
            mime=_mime(item.kind),
            filename=uploads.safe_filename(item.filename),
            uploader=user,
            meeting=meeting,
            post=post,
            width=item.width,
            height=item.height,
            preview_digest=hashlib.sha256(item.preview).hexdigest() if item.preview else None,
            text_status=item.read.status
            if item.read.status in TextStatus.ALL
            else TextStatus.FAILED,
            text_reason=item.read.reason[:200],
            pages=item.read.pages,
            confirmed_no_personal_data=not item.read.ok,
        )
        for item in ready
    ]
    session.add_all(attachments)
    session.flush()
    session.add_all(
        AttachmentPart(attachment_id=attachment.id, number=p.number, unit=p.unit, text=p.text)
        for attachment, item in zip(attachments, ready, strict=True)
        for p in item.read.parts
    )
    session.flush()
    _put_all(ready, attachments)
    return attachments


def _put_all(ready: Sequence[Checked], attachments: Sequence[Attachment]) -> None:
    """Store the files' bytes and previews; should the storage fail midway, what this call
    stored anew is removed again and the member is asked to try again (the rows go with the
    rollback)."""
    files = storage()
    fresh: list[str] = []

    def put(source: BinaryIO | Path, digest: str, size: int) -> None:
        if not files.exists(digest):
            files.put(source, digest, size)
            fresh.append(digest)

    try:
        for attachment, item in zip(attachments, ready, strict=True):
            put(item.path, item.digest, item.size)
            if item.preview is not None and attachment.preview_digest is not None:
                put(io.BytesIO(item.preview), attachment.preview_digest, len(item.preview))
    except StorageError as error:
        current_app.logger.exception("Storing an upload failed")
        for digest in fresh:
            files.delete(digest)
        raise Invalid(
            _l("Filen kunne ikke gemmes lige nu. Prøv igen om lidt."), field="file"
        ) from error


def _check_room(session: Session, post: Post, adding: int) -> None:
    """A post keeps at most MAX_FILES_PER_POST files (those it has and those being added)."""
    has = 0
    if post.id is not None:
        has = session.scalar(
            select(func.count(Attachment.id)).where(
                Attachment.post_id == post.id, Attachment.deleted_at.is_(None)
            )
        )
    if (has or 0) + adding > MAX_FILES_PER_POST:
        raise _too_many_files()


def attach(
    session: Session,
    user: User,
    incoming: Incoming,
    *,
    meeting: Meeting | None = None,
    post: Post | None = None,
    confirmed: bool,
) -> Attachment:
    """Check one upload and attach it to a meeting or a post; ``Invalid`` (with ``field``
    "file" or "confirm") says why not, in Danish, and then nothing is stored."""
    # Asked before the file is read, too: a refused member does not wait for the sandbox.
    _require(user, permissions.UPLOAD, meeting if meeting is not None else post)
    with checked(incoming, confirmed=confirmed) as ready:
        return store(session, user, [ready], meeting=meeting, post=post)[0]


def attach_to_meeting(
    session: Session, user: User, meeting: Meeting, incoming: Incoming, *, confirmed: bool
) -> Attachment:
    """:func:`attach` to a meeting's materials."""
    return attach(session, user, incoming, meeting=meeting, confirmed=confirmed)


def commit(session: Session, attachments: Iterable[Attachment]) -> None:
    """Commit the request's work with the files it stored; should the commit fail, the
    bytes no saved file uses are removed again before the error goes on (a file's bytes
    are never kept without its row)."""
    digests = {d for a in attachments for d in (a.digest, a.preview_digest) if d is not None}
    try:
        session.commit()
    except Exception:
        session.rollback()
        if digests:
            _remove_unused(session, digests)
        raise


def _refuse_personal_data(read: extract.Extracted) -> None:
    """Refuse a file whose text holds a likely CPR number, naming the page or slide."""
    for part in read.parts:
        found = privacy.find_cpr(part.text)
        if found:
            raise Invalid(
                _l(
                    "Filen ser ud til at indeholde et CPR-nummer (%(number)s) på %(where)s. "
                    "Fjern det, gem filen igen, og prøv igen. Filen er ikke gemt.",
                    number=found[0].masked,
                    where=extract.part_label(part),
                ),
                field="file",
            )


def _mime(kind: uploads.FileType) -> str:
    if kind.charset:
        return f"{kind.mime}; charset={kind.charset}"
    return kind.mime


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _clean_image(path: Path, kind: str) -> tuple[Path, int, int]:
    """The image re-encoded without metadata (EXIF with its location, XMP, comments), turned
    upright as its EXIF said; a temporary file the caller removes, and width and height."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata it skips; the pixels are what is kept.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels()
                upright = ImageOps.exif_transpose(image)
                upright.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (OSError, ValueError, SyntaxError) as error:
        raise Invalid(
            _l("Billedet er beskadiget og kan ikke åbnes. Gem en ny kopi, og prøv igen."),
            field="file",
        ) from error
    handle, name = tempfile.mkstemp(prefix="image-", suffix=f".{kind}")
    os.close(handle)
    out = Path(name)
    if kind == "jpeg":
        upright.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return out, upright.width, upright.height


def _too_many_pixels() -> Invalid:
    return Invalid(
        _l("Billedet er for stort (for mange pixels). Gør det mindre, og prøv igen."),
        field="file",
    )


# -- reading, deleting -----------------------------------------------------------------------


def get_attachment(session: Session, user: object, attachment_id: int) -> Attachment:
    """The file if the member may see it; else NotFound (a file never says it exists)."""
    attachment = session.scalar(
        select(Attachment)
        .where(Attachment.id == attachment_id)
        .options(
            joinedload(Attachment.meeting),
            joinedload(Attachment.post).joinedload(Post.topic),
        )
    )
    if attachment is None or not permissions.can(user, permissions.VIEW, attachment):
        raise NotFound(_l("Filen findes ikke."))
    return attachment


def meeting_files(session: Session, user: object, meeting: Meeting) -> list[Attachment]:
    """A meeting's files, newest first; moderators also see deleted ones (to restore)."""
    query = (
        select(Attachment)
        .where(Attachment.meeting_id == meeting.id)
        .options(joinedload(Attachment.uploader))
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    if not getattr(user, "is_moderator", False):
        query = query.where(Attachment.deleted_at.is_(None))
    return list(session.scalars(query))


def post_files(session: Session, posts: Iterable[Post]) -> dict[int, list[Attachment]]:
    """The files shown under each of ``posts`` (by post id, oldest first), in one statement
    whatever the number of posts and files; deleted files are left out."""
    ids = [post.id for post in posts]
    found: dict[int, list[Attachment]] = {}
    if not ids:
        return found
    query = (
        select(Attachment)
        .where(Attachment.post_id.in_(ids), Attachment.deleted_at.is_(None))
        .order_by(Attachment.id)
    )
    for attachment in session.scalars(query):
        found.setdefault(attachment.post_id or 0, []).append(attachment)
    return found


def thumbnail_size(attachment: Attachment, box: int = THUMBNAIL_PX) -> tuple[int, int]:
    """An image's width and height shown inline, within ``box`` pixels (never enlarged), so
    the page keeps its layout while the image loads."""
    width, height = attachment.width or box, attachment.height or box
    scale = min(1.0, box / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def materials_query(*, region: Region | None = None, theme: Theme | None = None) -> Select:
    """Every file members may see, newest first: a meeting's materials, and the files on the
    posts of material topics (the meetings' threads and the facilitators' material topics),
    by region and theme (a meeting's themes, a topic's theme). Deleted files, and the files
    of deleted meetings, posts and topics, are left out."""
    of_meeting = Meeting.deleted_at.is_(None) & Attachment.meeting_id.is_not(None)
    of_material_post = (
        Attachment.post_id.is_not(None)
        & Post.deleted_at.is_(None)
        & Topic.deleted_at.is_(None)
        & (Topic.kind == TopicKind.MATERIAL)
    )
    query = (
        select(Attachment)
        .outerjoin(Meeting, Meeting.id == Attachment.meeting_id)
        .outerjoin(Post, Post.id == Attachment.post_id)
        .outerjoin(Topic, Topic.id == Post.topic_id)
        .where(Attachment.deleted_at.is_(None), of_meeting | of_material_post)
        .options(
            joinedload(Attachment.uploader),
            joinedload(Attachment.meeting).joinedload(Meeting.region),
            joinedload(Attachment.post).joinedload(Post.topic).joinedload(Topic.region),
        )
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    if region is not None:
        query = query.where(func.coalesce(Meeting.region_id, Topic.region_id) == region.id)
    if theme is not None:
        in_meeting = select(MeetingTheme.meeting_id).where(MeetingTheme.theme_id == theme.id)
        query = query.where(or_(Meeting.id.in_(in_meeting), Topic.theme_id == theme.id))
    return query


def delete_file(session: Session, user: User, attachment: Attachment) -> None:
    """Soft delete: gone for members, restorable by moderators (the bytes stay until purged)."""
    _require(user, permissions.DELETE_FILE, attachment)
    attachment.deleted_at = utcnow()
    attachment.deleted_by_id = user.id
    session.flush()


def restore_file(session: Session, user: User, attachment: Attachment) -> None:
    if not (user.is_moderator and attachment.is_deleted):
        raise NotAllowed(_l("Det har du ikke adgang til."))
    attachment.deleted_at = None
    attachment.deleted_by_id = None
    session.flush()


def purge_deleted(session: Session, *, days: int) -> tuple[int, int]:
    """Remove for good the files deleted more than ``days`` ago, and the files of posts,
    topics and meetings deleted that long ago (gone with them, until now restorable with
    them): their rows and text, and their bytes (and preview) where no other file shares
    them. Returns (files, stored objects)."""
    cutoff = utcnow() - timedelta(days=days)
    gone_posts = (
        select(Post.id)
        .join(Topic, Topic.id == Post.topic_id)
        .where(or_(Post.deleted_at < cutoff, Topic.deleted_at < cutoff))
    )
    gone_meetings = select(Meeting.id).where(Meeting.deleted_at < cutoff)
    doomed = list(
        session.scalars(
            select(Attachment)
            .where(
                or_(
                    Attachment.deleted_at < cutoff,
                    Attachment.post_id.in_(gone_posts),
                    Attachment.meeting_id.in_(gone_meetings),
                )
            )
            .limit(10_000)
        )
    )
    digests = {d for a in doomed for d in (a.digest, a.preview_digest) if d is not None}
    for attachment in doomed:
        session.delete(attachment)
    session.flush()
    return len(doomed), _remove_unused(session, digests)


def _remove_unused(session: Session, digests: set[str]) -> int:
    """Delete from storage the digests no file (nor preview) in the database uses; how many."""
    if not digests:
        return 0
    still_used = set(
        session.scalars(select(Attachment.digest).where(Attachment.digest.in_(digests)))
    ) | set(
        session.scalars(
            select(Attachment.preview_digest).where(Attachment.preview_digest.in_(digests))
        )
    )
    files = storage()
    removed = 0
    for digest in sorted(digests - still_used):
        files.delete(digest)
        removed += 1
    return removed


def open_stored(attachment: Attachment, *, preview: bool = False) -> BinaryIO:
    """The stored bytes of a file (or its preview image)."""
    digest = attachment.preview_digest if preview else attachment.digest
    if digest is None:
        raise NotFound(_l("Filen findes ikke."))
    return storage().open(digest)


def local_path(attachment: Attachment) -> Path | None:
    """The file's path on this node's disk (local storage), for sending it with ranges."""
    return storage().local_path(attachment.digest)


def reason_label(attachment: Attachment) -> str:
    """Why a file's text was not read, in a sentence for facilitators ("" when it was)."""
    if attachment.is_searchable:
        return ""
    return extract.reason_text(
        extract.Extracted(attachment.text_status, reason=attachment.text_reason)
    )


def upload_limit_mb() -> int:
    return int(current_app.config["UPLOAD_MAX_MB"])
