"""Attachments: an upload taken in (what it really is, its text read in the sandbox, checked
for CPR numbers, then stored), served, deleted and restored.

Nothing is stored until every check has passed: a refused file leaves no row and no bytes. The
text is read while the uploader waits (forum.extract, in a separate process with time and
memory limits), because a file holding a likely CPR number must be refused at upload, naming
the page or slide. A file whose text cannot be read (a scanned PDF, an image) is taken only
when the uploader confirms it holds no personal data about children, families or cases; it
is marked for facilitators. Images are stored re-encoded, without EXIF (location) or other
metadata, and get their width and height; PDFs and images get a preview image.

Domain functions take the session first, check the permission policy, and flush; the request
commits.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from forum import extract, permissions, privacy, uploads
from forum.errors import Invalid, NotAllowed, NotFound
from forum.models import (
    Attachment,
    AttachmentPart,
    Meeting,
    MeetingTheme,
    Region,
    TextStatus,
    Theme,
    User,
)
from forum.storage import storage
from forum.timeutil import utcnow

CHUNK = 1024 * 1024
# Images larger than this are refused rather than decoded (Pillow's bomb guard, made strict).
MAX_IMAGE_PIXELS = 60_000_000
# What the sandbox may spend on one upload (the member is waiting).
EXTRACT_TIMEOUT_SECONDS = 30
EXTRACT_MEMORY_MB = 768
PREVIEW_PX = 640
PREVIEW_KINDS = frozenset({"pdf", "png", "jpeg", "pptx", "docx", "xlsx", "odt", "odp", "ods"})


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


def attach_to_meeting(
    session: Session, user: User, meeting: Meeting, incoming: Incoming, *, confirmed: bool
) -> Attachment:
    """Check an upload and attach it to a meeting; ``Invalid`` (with ``field`` "file" or
    "confirm") says why not, in Danish, and then nothing is stored."""
    _require(user, permissions.UPLOAD, meeting)
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
        store = storage()
        store.put(path, digest, size)
        preview_digest = None
        if preview is not None:
            preview_digest = hashlib.sha256(preview).hexdigest()
            store.put(io.BytesIO(preview), preview_digest, len(preview))
    finally:
        if cleaned is not None:
            cleaned.unlink(missing_ok=True)
    attachment = Attachment(
        digest=digest,
        size=size,
        kind=kind.kind,
        mime=_mime(kind),
        filename=uploads.safe_filename(incoming.filename),
        uploader=user,
        meeting=meeting,
        width=width,
        height=height,
        preview_digest=preview_digest,
        text_status=read.status if read.status in TextStatus.ALL else TextStatus.FAILED,
        text_reason=read.reason[:200],
        pages=read.pages,
        confirmed_no_personal_data=not read.ok,
    )
    session.add(attachment)
    session.flush()
    session.add_all(
        AttachmentPart(attachment_id=attachment.id, number=p.number, unit=p.unit, text=p.text)
        for p in read.parts
    )
    session.flush()
    return attachment


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
        .options(joinedload(Attachment.meeting), joinedload(Attachment.post))
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


def materials_query(*, region: Region | None = None, theme: Theme | None = None) -> Select:
    """Every file members may see, newest first, with its meeting: by region and theme (a
    meeting's themes). Deleted files and the files of deleted meetings are left out."""
    query = (
        select(Attachment)
        .join(Meeting, Meeting.id == Attachment.meeting_id)
        .where(Attachment.deleted_at.is_(None), Meeting.deleted_at.is_(None))
        .options(
            joinedload(Attachment.uploader),
            joinedload(Attachment.meeting).joinedload(Meeting.region),
        )
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    if region is not None:
        query = query.where(Meeting.region_id == region.id)
    if theme is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingTheme.meeting_id).where(MeetingTheme.theme_id == theme.id))
        )
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
    """Remove files deleted more than ``days`` ago for good: their rows and text, and their
    bytes (and preview) where no other file shares them. Returns (files, stored objects)."""
    cutoff = utcnow() - timedelta(days=days)
    doomed = list(
        session.scalars(select(Attachment).where(Attachment.deleted_at < cutoff).limit(10_000))
    )
    digests = {d for a in doomed for d in (a.digest, a.preview_digest) if d is not None}
    for attachment in doomed:
        session.delete(attachment)
    session.flush()
    still_used = set(
        session.scalars(select(Attachment.digest).where(Attachment.digest.in_(digests)))
    ) | set(
        session.scalars(
            select(Attachment.preview_digest).where(Attachment.preview_digest.in_(digests))
        )
    )
    store = storage()
    removed = 0
    for digest in sorted(digests - still_used):
        store.delete(digest)
        removed += 1
    return len(doomed), removed


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
