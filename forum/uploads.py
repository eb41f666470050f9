"""What an uploaded file really is, decided from its content, and what the forum refuses.

``sniff`` looks at the bytes (signatures through our own checks and ``puremagic``, then inside
ZIP, OLE and PDF containers) and returns a :class:`FileType` or raises :class:`Refused` with a
Danish message for the file field. The name only has to agree with the content.

Every check is bounded for any input: the size is known before anything is read, a ZIP's
directory is measured before ``zipfile`` parses it, members are read only up to a limit, and
text is checked in chunks. Nothing is executed, rendered or unpacked to disk.
"""

from __future__ import annotations

import codecs
import os
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import olefile
import puremagic
from flask import current_app
from flask_babel import lazy_gettext as _l

from forum.errors import Invalid

MB = 1024 * 1024
DEFAULT_MAX_MB = 25

# The first bytes every check looks at: enough for tar (257), ISO 9660 (32769) and markup.
HEAD_BYTES = 64 * 1024
TEXT_CHUNK_BYTES = 64 * 1024
# A ZIP-based file refused as a zip bomb: more members, or more bytes once unpacked, than any
# real document has. A 500-slide deck with notes and pictures stays under 5,000 parts.
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_EXPANDED_BYTES = 200 * MB
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM_BYTES = 10 * MB
# The central directory is read whole by zipfile: 5,000 entries with long names fit in this.
ZIP_MAX_DIRECTORY_BYTES = 2 * MB
# [Content_Types].xml, manifest.xml and mimetype are read up to this much when unpacked.
ZIP_MEMBER_READ_BYTES = 1 * MB
# A PDF's trailer, where /Encrypt is, sits in its last bytes or where startxref points.
PDF_TAIL_BYTES = 64 * 1024
FILENAME_MAX_LENGTH = 150
EXTENSION_MAX_LENGTH = 16


@dataclass(frozen=True)
class FileType:
    """An accepted file: ``kind`` is stable (stored), ``label`` is shown to members."""

    kind: str
    mime: str
    extension: str
    label: str
    # For txt and csv: "utf-8" or "windows-1252", to serve as ``{mime}; charset={charset}``.
    charset: str | None = None


TYPES: dict[str, FileType] = {
    t.kind: t
    for t in (
        FileType("pdf", "application/pdf", "pdf", _l("PDF")),
        FileType(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            _l("Word"),
        ),
        FileType(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
            _l("PowerPoint"),
        ),
        FileType(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            _l("Excel"),
        ),
        FileType("odt", "application/vnd.oasis.opendocument.text", "odt", _l("OpenDocument-tekst")),
        FileType(
            "odp",
            "application/vnd.oasis.opendocument.presentation",
            "odp",
            _l("OpenDocument-præsentation"),
        ),
        FileType(
            "ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            "ods",
            _l("OpenDocument-regneark"),
        ),
        FileType("png", "image/png", "png", _l("Billede")),
        FileType("jpeg", "image/jpeg", "jpg", _l("Billede")),
        FileType("txt", "text/plain", "txt", _l("Tekst")),
        FileType("csv", "text/csv", "csv", _l("CSV")),
    )
}

# The names each kind may have; the first is the one to suggest.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "docx": ("docx",),
    "pptx": ("pptx",),
    "xlsx": ("xlsx",),
    "odt": ("odt",),
    "odp": ("odp",),
    "ods": ("ods",),
    "png": ("png",),
    "jpeg": ("jpg", "jpeg"),
    "txt": ("txt",),
    "csv": ("csv",),
}
# For the file field's accept="" attribute.
ACCEPT = ",".join(f".{ext}" for names in EXTENSIONS.values() for ext in names)

# What the content is, in a sentence ("... men filen er et Word-dokument").
_DESCRIPTIONS = {
    "pdf": _l("en PDF"),
    "docx": _l("et Word-dokument"),
    "pptx": _l("en PowerPoint-præsentation"),
    "xlsx": _l("et Excel-regneark"),
    "odt": _l("et OpenDocument-tekstdokument"),
    "odp": _l("en OpenDocument-præsentation"),
    "ods": _l("et OpenDocument-regneark"),
    "png": _l("et PNG-billede"),
    "jpeg": _l("et JPEG-billede"),
    "text": _l("en tekstfil"),
}

_ALLOWED = _l(
    "Forummet tager imod PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx), OpenDocument "
    "(.odt, .odp, .ods), billeder (PNG og JPEG), tekst (.txt) og CSV."
)


class Refused(Invalid):
    """The upload is refused; ``reason`` is a stable code, ``message`` is for the member.

    An :class:`Invalid` on the field "file", so a form shows it with its other problems.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, field="file")
        self.reason = reason


def max_upload_bytes() -> int:
    """The upload limit of the current app (``UPLOAD_MAX_MB``), in bytes."""
    return int(current_app.config.get("UPLOAD_MAX_MB", DEFAULT_MAX_MB)) * MB


def sniff(path: Path, filename: str, *, max_bytes: int) -> FileType:
    """The type of the file at ``path`` uploaded as ``filename``; raises only :class:`Refused`."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below; open errors are a refusal too
    except OSError:
        raise Refused("unknown", _l("Filen kunne ikke læses. Prøv at vælge den igen.")) from None
    with stream:
        return sniff_stream(stream, filename, max_bytes=max_bytes)


def sniff_stream(stream: BinaryIO, filename: str, *, max_bytes: int) -> FileType:
    """As :func:`sniff`, for a seekable binary stream (e.g. a spooled upload)."""
    try:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(0)
        if size == 0:
            raise Refused("empty", _l("Filen er tom."))
        if size > max_bytes:
            raise Refused(
                "too_large",
                _l(
                    "Filen er for stor (%(size)s). Den må højst fylde %(limit)s.",
                    size=_megabytes(size),
                    limit=_megabytes(max_bytes),
                ),
            )
        head = stream.read(HEAD_BYTES)
        content = _identify(stream, head, size)
    except Refused:
        raise
    except Exception:  # a library tripping over hostile bytes is a file we cannot identify
        raise _unknown() from None
    return _agree_with_name(content, filename)


def safe_filename(name: str) -> str:
    """The name the forum stores and shows: no path, no control characters, at most 150 long."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: format characters such as U+202E, which reverses the text
    # so that "rapport<U+202E>fdp.exe" reads as "rapportexe.pdf"; Zl/Zp: line breaks.
    name = "".join(
        char
        for char in name
        if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") and char not in "\"'`<>:*?|"
    )
    stem, extension = _split_extension(" ".join(name.split()))
    stem = stem.strip(" .") or "fil"
    room = FILENAME_MAX_LENGTH - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip(" .") or "fil"
    return f"{stem}.{extension}" if extension else stem


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not extension.isalnum() or len(extension) > EXTENSION_MAX_LENGTH:
        return name, ""
    return stem, extension


# -- what the name says -------------------------------------------------------------------


def _agree_with_name(content: FileType, filename: str) -> FileType:
    """``content`` if the name's extension fits it (txt or csv for text); else refused."""
    extension = _split_extension(safe_filename(filename))[1].lower()
    is_text = content.kind == "txt"
    what = _DESCRIPTIONS["text" if is_text else content.kind]
    right = EXTENSIONS[content.kind][0]
    if not extension:
        raise Refused(
            "no_extension",
            _l(
                "Filnavnet mangler en endelse. Filen er %(what)s, så navnet skal ende på "
                ".%(right)s.",
                what=what,
                right=right,
            ),
        )
    if is_text and extension == "csv":
        return replace(TYPES["csv"], charset=content.charset)
    if extension not in EXTENSIONS[content.kind]:
        raise Refused(
            "mismatch",
            _l(
                "Filnavnet ender på .%(extension)s, men filen er %(what)s. Giv den endelsen "
                ".%(right)s, eller vælg den rigtige fil.",
                extension=extension,
                what=what,
                right=right,
            ),
        )
    return replace(content, extension=extension)


# -- what the content is ------------------------------------------------------------------

_PDF = b"%PDF-"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLES = (
    b"MZ",  # Windows (PE) and DOS programs
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O, 32 and 64 bit, both byte orders
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, and Java classes
    b"#!",  # scripts
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcuts
)
_ARCHIVES = (
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"MSCF",  # cab
    b"LZIP",
    b"!<arch>\n",  # ar, .deb
    b"xar!",
)
# What puremagic calls a file we did not recognise ourselves, when it names a refused kind.
_GUESSED_REASONS = {
    **dict.fromkeys((".exe", ".dll", ".msi", ".com", ".sys", ".class", ".elf"), "executable"),
    **dict.fromkeys(
        (".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab", ".iso", ".dmg")
        + (".lz", ".lzma", ".z", ".arj", ".lzh", ".zst", ".cpio", ".rpm", ".deb", ".jar"),
        "archive",
    ),
    **dict.fromkeys((".doc", ".xls", ".ppt"), "legacy_office"),
}
# Byte values that are no character in Windows-1252.
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = b"\t\n\x0c\r "
# The tags by which a browser decides that a file is HTML (WHATWG MIME Sniffing, 7.1),
# each followed by a space or ">".
_HTML_TAGS = tuple(
    tag.encode()
    for tag in (
        "<!doctype html",
        "<html",
        "<head",
        "<script",
        "<iframe",
        "<h1",
        "<div",
        "<font",
        "<table",
        "<a",
        "<style",
        "<title",
        "<b",
        "<body",
        "<br",
        "<p",
    )
)


def _identify(stream: BinaryIO, head: bytes, size: int) -> FileType:
    """The accepted type the content is, or a refusal saying what it is instead."""
    if head.startswith(_PDF):
        return _pdf(stream, head, size)
    if head.startswith(_PNG):
        if head[12:16] != b"IHDR":
            raise _damaged("png")
        return TYPES["png"]
    if head.startswith(_JPEG):
        return TYPES["jpeg"]
    if head.startswith(_ZIP):
        return _zip(stream, size)
    if head.startswith(_OLE):
        return _ole(stream)
    if head.startswith(_EXECUTABLES):
        raise _executable()
    if head.startswith(_ARCHIVES) or head[257:262] == b"ustar" or head[32769:32774] == b"CD001":
        raise _archive()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Refused(
            "unknown",
            _l("Tekstfilen er gemt som UTF-16. Gem den som UTF-8, og prøv igen."),
        )
    _refuse_markup(head)
    charset = _text_charset(stream, head)
    if charset is None:
        raise _guessed(stream)
    if size <= len(head) and not head.removeprefix(codecs.BOM_UTF8).strip(_WHITESPACE):
        raise Refused("empty", _l("Filen er tom."))
    return replace(TYPES["txt"], charset=charset)


def _refuse_markup(head: bytes) -> None:
    """Refuse text a browser would render: HTML, XHTML, XML, SVG, and RTF, which Word opens."""
    start = head[:1024].removeprefix(codecs.BOM_UTF8).lstrip(_WHITESPACE).lower()
    if start.startswith(b"{\\rtf"):
        raise Refused(
            "legacy_office",
            _l("Filen er et RTF-dokument. Gem den som Word (.docx) eller PDF, og prøv igen."),
        )
    if start.startswith(b"<svg"):
        raise _svg()
    if start.startswith((b"<?xml", b"<!doctype", b"<!--")):
        if b"<svg" in head[:8192].lower():
            raise _svg()
        raise _html()
    for tag in _HTML_TAGS:
        if start.startswith(tag) and start[len(tag) : len(tag) + 1] in (b" ", b">"):
            raise _html()


def _text_charset(stream: BinaryIO, head: bytes) -> str | None:
    """ "utf-8" or "windows-1252" if the whole file is text in it, else None; read in chunks.

    Text is the one kind whose validity is a property of every byte, so all of it is read,
    but never more than a chunk at a time.
    """
    if b"\x00" in head:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = cp1252 = True
    chunk = head
    while chunk:
        if _CONTROL.search(chunk):
            return None
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        cp1252 = cp1252 and not _NOT_CP1252.search(chunk)
        if not (utf8 or cp1252):
            return None
        chunk = stream.read(TEXT_CHUNK_BYTES)
    if utf8:
        try:
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return "windows-1252" if cp1252 else None


def _guessed(stream: BinaryIO) -> Refused:
    """A refusal for content we do not take, named after what puremagic thinks it is."""
    stream.seek(0)
    try:
        matches = puremagic.magic_stream(stream)
    except (puremagic.PureError, ValueError, OSError):
        return _unknown()
    best = next((m for m in matches if m.confidence >= 0.4 and m.extension), None)
    if best is None:
        return _unknown()
    reason = _GUESSED_REASONS.get(best.extension.lower())
    if reason == "executable":
        return _executable()
    if reason == "archive":
        return _archive()
    if reason == "legacy_office":
        return _legacy_office()
    return Refused(
        "unknown",
        _l(
            "Filen ligner en %(extension)s-fil, og den type kan forummet ikke tage imod. "
            "%(allowed)s",
            extension=best.extension.lower(),
            allowed=_ALLOWED,
        ),
    )


# -- PDF -----------------------------------------------------------------------------------


def _pdf(stream: BinaryIO, head: bytes, size: int) -> FileType:
    """A PDF with an end marker and no /Encrypt in its trailer, judged by a few bounded reads.

    No PDF library parses the file here: pypdf, even in strict mode, spent over a second on
    a well-formed 19 MB cross-reference table, and this runs while the member waits. The
    trailer (or the cross-reference stream's dictionary, which is the trailer of newer
    files) is where /Encrypt has to be, and it is in one of three places: just before the
    final ``startxref`` (the file's last 64 KiB), where that ``startxref`` points, or, in a
    linearised file, near the start. A broken file that only a repairing reader could open
    is left to extraction, which marks it unreadable (or encrypted) in the sandbox.
    """
    tail_size = min(size, PDF_TAIL_BYTES)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    # Readers look for %%EOF in the last 1,024 bytes: without one the file is cut off.
    startxref = _PDF_STARTXREF.search(tail[-1024:])
    if startxref is None:
        raise _damaged("pdf")
    regions = [head, tail]
    xref_at = int(startxref.group(1))
    if xref_at < size:
        stream.seek(xref_at)
        regions.append(stream.read(PDF_TAIL_BYTES))
    if any(_PDF_ENCRYPT.search(region) for region in regions):
        raise _encrypted()
    return TYPES["pdf"]


# -- ZIP containers: OOXML, ODF, or an archive ---------------------------------------------

_OOXML_MAIN_TYPES = {
    "docx": (
        b"wordprocessingml.document.main+xml",
        b"wordprocessingml.template.main+xml",
    ),
    "pptx": (
        b"presentationml.presentation.main+xml",
        b"presentationml.slideshow.main+xml",
        b"presentationml.template.main+xml",
    ),
    "xlsx": (
        b"spreadsheetml.sheet.main+xml",
        b"spreadsheetml.template.main+xml",
    ),
}
_OOXML_BINARY_WORKBOOK = b"ms-excel.sheet.binary.macroenabled.main"
_PDF_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF")
# The trailer's key with its value, a reference or a dictionary: not /EncryptMetadata (a key
# of the encryption dictionary itself), nor the word in a page's text.
_PDF_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d{1,10}\s+\d{1,5}\s+R|<<)")
_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.text-template": "odt",
    b"application/vnd.oasis.opendocument.presentation": "odp",
    b"application/vnd.oasis.opendocument.presentation-template": "odp",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
_ODF_ROOT_TYPE = re.compile(
    rb"""full-path=["']/["'][^>]*?media-type=["']([^"']+)["']"""
    rb"""|media-type=["']([^"']+)["'][^>]*?full-path=["']/["']"""
)
_ODF_MACROS = re.compile(rb"""full-path=["'](?:basic|scripts)/""")


def _zip(stream: BinaryIO, size: int) -> FileType:
    """An OOXML or ODF document without macros or encryption; anything else is refused."""
    _measure_zip_directory(stream, size)
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except Exception:  # BadZipFile, and struct or value errors from a mangled directory
        raise _damaged("zip") from None
    with archive:
        members = archive.infolist()
        if not members:
            # Nothing inside: not an archive to unpack, most likely a document cut short.
            raise _damaged("zip")
        _refuse_zip_bomb(members)
        names = {info.filename.lower(): info for info in members}
        if "[content_types].xml" in names:
            return _ooxml(archive, names)
        if "mimetype" in names or "meta-inf/manifest.xml" in names:
            return _odf(archive, names)
    raise _archive()


def _measure_zip_directory(stream: BinaryIO, size: int) -> None:
    """Refuse a ZIP whose directory is too big before zipfile reads all of it into objects.

    zipfile turns every directory entry into an object: a 25 MB file of 46-byte entries would
    be half a million of them. The end record says how many there are and how many bytes.
    """
    tail_size = min(size, 22 + 65535 + 20)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        raise _damaged("zip")
    count, directory_bytes = struct.unpack("<xxxxxxxxxxHI", tail[end : end + 16])
    zip64 = count == 0xFFFF or directory_bytes == 0xFFFFFFFF
    if zip64 and end >= 20 and tail[end - 20 : end - 16] == b"PK\x06\x07":
        (record_at,) = struct.unpack("<Q", tail[end - 12 : end - 4])
        if record_at + 56 <= size:
            stream.seek(record_at)
            record = stream.read(56)
            if record.startswith(b"PK\x06\x06"):
                count, directory_bytes = struct.unpack("<QQ", record[32:48])
    if count > ZIP_MAX_MEMBERS or directory_bytes > ZIP_MAX_DIRECTORY_BYTES:
        raise _zip_bomb()


def _refuse_zip_bomb(members: list[zipfile.ZipInfo]) -> None:
    """Refuse what would unpack to too much: zipfile never yields more than declared sizes."""
    if len(members) > ZIP_MAX_MEMBERS:
        raise _zip_bomb()
    if sum(info.file_size for info in members) > ZIP_MAX_EXPANDED_BYTES:
        raise _zip_bomb()
    for info in members:
        if info.file_size > ZIP_RATIO_FROM_BYTES and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _zip_bomb()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The start of one member, unpacked (at most ZIP_MEMBER_READ_BYTES)."""
    if info.flag_bits & 0x1:
        raise _encrypted()
    try:
        with archive.open(info) as member:
            return member.read(ZIP_MEMBER_READ_BYTES)
    except Exception:  # bad CRC, unsupported compression, truncated data
        raise _damaged("zip") from None


def _ooxml(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> FileType:
    """A Word, PowerPoint or Excel file, refused when it carries macros."""
    content_types = _read_member(archive, names["[content_types].xml"]).lower()
    has_vba = b"vbaproject" in content_types or any(
        name.endswith(("vbaproject.bin", "vbadata.xml")) for name in names
    )
    if not has_vba and _OOXML_BINARY_WORKBOOK in content_types:
        # An .xlsb's type is "macroEnabled" whether it holds macros or not: refused as a
        # kind the forum does not take, not blamed for macros it may not have.
        raise _unknown()
    if has_vba or b"macroenabled" in content_types:
        raise _macro()
    if any(info.flag_bits & 0x1 for info in names.values()):
        raise _encrypted()
    kinds = [
        kind
        for kind, main_types in _OOXML_MAIN_TYPES.items()
        if any(main_type in content_types for main_type in main_types)
    ]
    if len(kinds) != 1:
        # Visio, XPS and other Open XML packages, or one claiming to be two things at once.
        raise _unknown()
    return TYPES[kinds[0]]


def _odf(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> FileType:
    """An OpenDocument text, presentation or spreadsheet without macros or a password."""
    if "mimetype" in names:
        media_type = _read_member(archive, names["mimetype"])[:200].strip()
    else:
        media_type = b""
    manifest = b""
    if "meta-inf/manifest.xml" in names:
        manifest = _read_member(archive, names["meta-inf/manifest.xml"]).lower()
        if not media_type and (found := _ODF_ROOT_TYPE.search(manifest)):
            media_type = found.group(1) or found.group(2)
    kind = _ODF_TYPES.get(media_type.lower())
    if kind is None:
        if media_type.lower().startswith(b"application/vnd.oasis.opendocument."):
            # A drawing, chart or formula: a document, but not one the forum takes.
            raise _unknown()
        # EPUB and other ZIP formats with a mimetype member are archives to us.
        raise _archive()
    if _ODF_MACROS.search(manifest) or any(
        name.startswith(("basic/", "scripts/")) for name in names
    ):
        raise _macro()
    if b"encryption-data" in manifest or any(info.flag_bits & 0x1 for info in names.values()):
        raise _encrypted()
    return TYPES[kind]


# -- OLE (Compound File Binary) ------------------------------------------------------------

_MSI_CLSIDS = {"000C1084-0000-0000-C000-000000000046", "000C1086-0000-0000-C000-000000000046"}
_LEGACY_STREAMS = {
    "worddocument": ("Word", "doc", "docx"),
    "workbook": ("Excel", "xls", "xlsx"),
    "book": ("Excel", "xls", "xlsx"),
    "powerpoint document": ("PowerPoint", "ppt", "pptx"),
}


def _ole(stream: BinaryIO) -> FileType:
    """Always refused: a password-protected OOXML, old binary Office, or something else.

    Password-protected .docx/.xlsx/.pptx files are OLE containers with the encrypted package
    inside; old .doc/.xls/.ppt are refused because they are where Office macros hide without
    a trace in the name, and the forum cannot read their text for search.
    """
    stream.seek(0)
    try:
        with olefile.OleFileIO(stream) as ole:
            streams = {"/".join(parts).lower() for parts in ole.listdir(streams=True)}
            clsid = ole.root.clsid if ole.root is not None else ""
    except Exception:  # olefile raises OSError and friends on damaged containers
        raise _legacy_office() from None
    if {"encryptioninfo", "encryptedpackage"} <= streams:
        raise _encrypted()
    if clsid.upper() in _MSI_CLSIDS:
        raise _executable()
    for name, (program, old, new) in _LEGACY_STREAMS.items():
        if name in streams:
            raise Refused(
                "legacy_office",
                _l(
                    "Filen er i det gamle %(program)s-format (.%(old)s). Åbn den i "
                    "%(program)s, gem den som .%(new)s, og prøv igen.",
                    program=program,
                    old=old,
                    new=new,
                ),
            )
    raise _legacy_office()


# -- refusals used in several places -------------------------------------------------------


def _megabytes(size: int) -> str:
    if size % MB == 0:
        return f"{size // MB} MB"
    return f"{size / MB:.1f} MB".replace(".", ",")


def _unknown() -> Refused:
    return Refused(
        "unknown",
        _l(
            "Filen kan ikke genkendes, eller forummet tager ikke imod den type. %(allowed)s",
            allowed=_ALLOWED,
        ),
    )


def _damaged(kind: str) -> Refused:
    what = _DESCRIPTIONS.get(kind) or _l("en ZIP-baseret fil (fx Word, Excel eller PowerPoint)")
    return Refused(
        "damaged",
        _l(
            "Filen ser ud til at være %(what)s, men den er beskadiget og kan ikke åbnes. Gem en "
            "ny kopi, og prøv igen.",
            what=what,
        ),
    )


def _executable() -> Refused:
    return Refused(
        "executable",
        _l("Filen er et program eller et script, og det kan ikke deles i forummet."),
    )


def _archive() -> Refused:
    return Refused(
        "archive",
        _l(
            "Filen er et komprimeret arkiv (fx ZIP eller RAR). Pak det ud, og vedhæft filerne "
            "hver for sig."
        ),
    )


def _html() -> Refused:
    return Refused(
        "html",
        _l(
            "Filen er en webside eller XML-fil (HTML, XHTML eller XML), og den slags kan ikke "
            "deles i forummet. Gem den som PDF, eller sæt linket ind i indlægget."
        ),
    )


def _svg() -> Refused:
    return Refused(
        "svg",
        _l(
            "Filen er en SVG-tegning, og SVG kan ikke deles i forummet. Gem billedet som PNG "
            "eller JPEG, og prøv igen."
        ),
    )


def _macro() -> Refused:
    return Refused(
        "macro",
        _l(
            "Filen indeholder makroer, og filer med makroer kan forummet ikke tage imod. Gem en "
            "kopi uden makroer (fx som .docx, .xlsx eller .pptx), og prøv igen."
        ),
    )


def _encrypted() -> Refused:
    return Refused(
        "encrypted",
        _l(
            "Filen er krypteret eller beskyttet med adgangskode, så andre medlemmer kan ikke "
            "åbne den. Fjern beskyttelsen, gem en ny kopi, og prøv igen."
        ),
    )


def _legacy_office() -> Refused:
    return Refused(
        "legacy_office",
        _l(
            "Filen er i et gammelt Office-format (.doc, .xls eller .ppt) eller beskyttet med "
            "adgangskode. Gem den som .docx, .xlsx eller .pptx uden adgangskode, og prøv igen."
        ),
    )


def _zip_bomb() -> Refused:
    return Refused(
        "zip_bomb",
        _l(
            "Filen fylder langt mere, når den pakkes ud, end forummet kan tage imod. Del den op "
            "i mindre filer, og prøv igen."
        ),
    )
