"""forum.uploads: real files of every accepted kind, and the hostile ones the forum refuses."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from PIL import Image
from pypdf import PdfWriter

from forum.uploads import (
    HEAD_BYTES,
    MB,
    TEXT_CHUNK_BYTES,
    FileType,
    Refused,
    safe_filename,
    sniff,
    sniff_stream,
)

LIMIT = 25 * MB


# -- building real files -------------------------------------------------------------------


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Referat fra netværksmødet om anbringelser.")
    document.save(str(path))


def write_pptx(path: Path) -> None:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    slide.shapes.title.text = "Tidlig indsats"
    presentation.save(str(path))


def write_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Kommune", "Sager"])
    workbook.active.append(["Aarhus", 120])
    workbook.save(str(path))


def write_png(path: Path) -> None:
    Image.new("RGB", (4, 4), "red").save(path, format="PNG")


def write_jpeg(path: Path) -> None:
    Image.new("RGB", (4, 4), "blue").save(path, format="JPEG")


def pdf_bytes(password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def odf_bytes(
    media_type: str = "application/vnd.oasis.opendocument.text",
    manifest_extra: str = "",
    extra_members: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal valid OpenDocument package, written as LibreOffice writes one."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.3">\n'
        f' <manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>\n'
        ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"'
        f">{manifest_extra}</manifest:file-entry>\n"
        "</manifest:manifest>\n"
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        "<office:body><office:text><text:p>Hej</text:p></office:text></office:body>"
        "</office:document-content>\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        # The mimetype comes first and uncompressed, so that its bytes sit at offset 38.
        package.writestr("mimetype", media_type, compress_type=zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        package.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra_members or {}).items():
            package.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def rewrite_zip(
    data: bytes,
    change: Callable[[str, bytes], bytes] = lambda name, body: body,
    add: dict[str, bytes] | None = None,
) -> bytes:
    """A copy of the ZIP ``data`` with each member passed through ``change`` and ``add`` added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
        for name, body in (add or {}).items():
            target.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docm_bytes(tmp_path: Path) -> bytes:
    """A Word file with a VBA project: the part and the macro-enabled main content type."""
    write_docx(tmp_path / "base.docx")

    def macro_enabled(name: str, body: bytes) -> bytes:
        if name != "[Content_Types].xml":
            return body
        body = body.replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        )
        return body.replace(
            b"</Types>",
            b'<Override PartName="/word/vbaProject.bin" '
            b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )

    return rewrite_zip(
        (tmp_path / "base.docx").read_bytes(),
        macro_enabled,
        add={"word/vbaProject.bin": _OLE_SIGNATURE + b"\0" * 1024},
    )


_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A valid Compound File (version 3) holding ``streams``, as Office writes its containers.

    Each stream is padded to 4,096 bytes so that it lives in the ordinary FAT and no mini
    stream is needed. Sector 0 is the FAT, sector 1 the directory, then the streams.
    """
    names = list(streams)
    assert len(names) <= 3  # one directory sector: the root and three streams
    fat = [_FAT, _END]
    entries = [_directory_entry("Root Entry", 5, child=1 if names else _NONE, start=_END, size=0)]
    data = b""
    for index, name in enumerate(names):
        body = streams[name].ljust(4096, b"\0")
        first = len(fat)
        count = len(body) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
        right = index + 2 if index + 1 < len(names) else _NONE
        entries.append(_directory_entry(name, 2, right=right, start=first, size=len(body)))
        data += body
    while len(entries) < 4:
        entries.append(
            b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NONE, _NONE, _NONE) + bytes(52)
        )
    fat += [_FREE] * (128 - len(fat))
    header = (
        _OLE_SIGNATURE
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *[_FREE] * 108)
    )
    return header + struct.pack("<128I", *fat) + b"".join(entries) + data


def _directory_entry(
    name: str, kind: int, *, child: int = _NONE, right: int = _NONE, start: int, size: int
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(encoded), kind, 1, _NONE, right, child)
        + bytes(16 + 4 + 8 + 8)
        + struct.pack("<II", start, size)
        + bytes(4)
    )


def crafted_zip(members: int, file_size: int = 0) -> bytes:
    """A ZIP whose directory lists ``members`` entries (all pointing at one local header).

    Built from bytes, not zipfile, so that 100,000 entries take milliseconds; past 65,534
    entries the counts go in a ZIP64 end record, as real tools write them.
    """
    name = b"a.txt"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            0,
            1,
            file_size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + name
    )
    directory = entry * members
    directory_at = len(local)
    end_of_directory = directory_at + len(directory)
    if members > 0xFFFE:
        zip64_end = struct.pack(
            "<IQHHIIQQQQ",
            0x06064B50,
            44,
            45,
            45,
            0,
            0,
            members,
            members,
            len(directory),
            directory_at,
        )
        locator = struct.pack("<IIQI", 0x07064B50, 0, end_of_directory, 1)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
        return local + directory + zip64_end + locator + end
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(directory), directory_at, 0
    )
    return local + directory + end


class CountingFile(io.FileIO):
    """A file that counts what is read from it, and the largest single read."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.bytes_read = 0
        self.largest_read = 0

    def _count(self, n: int) -> None:
        self.bytes_read += n
        self.largest_read = max(self.largest_read, n)

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self._count(len(data))
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        n = super().readinto(buffer) or 0
        self._count(n)
        return n


@pytest.fixture
def upload(tmp_path: Path) -> Callable[[bytes], Path]:
    """Writes bytes to a fresh temporary file, as the upload view does."""
    counter = iter(range(1000))

    def write(data: bytes) -> Path:
        path = tmp_path / f"upload-{next(counter)}"
        path.write_bytes(data)
        return path

    return write


def refused(path: Path, filename: str, *, max_bytes: int = LIMIT) -> Refused:
    with pytest.raises(Refused) as caught:
        sniff(path, filename, max_bytes=max_bytes)
    assert caught.value.field == "file"
    return caught.value


def assert_refused(
    path: Path, filename: str, reason: str, *words: str, max_bytes: int = LIMIT
) -> str:
    """Refused for ``reason``, with a Danish message that contains each of ``words``."""
    refusal = refused(path, filename, max_bytes=max_bytes)
    message = str(refusal.message)
    assert refusal.reason == reason, message
    assert "Filen" in message or "Filnavnet" in message or "Tekstfilen" in message, message
    for word in words:
        assert word in message, message
    return message


# -- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "filename", "kind", "label"),
    [
        (write_docx, "Referat.docx", "docx", "Word"),
        (write_pptx, "Oplæg.PPTX", "pptx", "PowerPoint"),
        (write_xlsx, "tal.xlsx", "xlsx", "Excel"),
        (write_png, "diagram.png", "png", "Billede"),
        (write_jpeg, "foto.jpg", "jpeg", "Billede"),
        (write_jpeg, "foto.jpeg", "jpeg", "Billede"),
    ],
)
def test_real_files_are_recognised(tmp_path: Path, writer, filename, kind, label) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "file"
    writer(path)
    found = sniff(path, filename, max_bytes=LIMIT)
    assert isinstance(found, FileType)
    assert (found.kind, str(found.label)) == (kind, label)
    assert found.extension == filename.rsplit(".", 1)[1].lower()


def test_a_pdf_is_recognised(upload) -> None:  # type: ignore[no-untyped-def]
    found = sniff(upload(pdf_bytes()), "dagsorden.pdf", max_bytes=LIMIT)
    assert (found.kind, found.mime, str(found.label)) == ("pdf", "application/pdf", "PDF")


@pytest.mark.parametrize(
    ("media_type", "filename", "kind"),
    [
        ("application/vnd.oasis.opendocument.text", "notat.odt", "odt"),
        ("application/vnd.oasis.opendocument.presentation", "oplæg.odp", "odp"),
        ("application/vnd.oasis.opendocument.spreadsheet", "tal.ods", "ods"),
    ],
)
def test_opendocument_files_are_recognised(upload, media_type, filename, kind) -> None:  # type: ignore[no-untyped-def]
    found = sniff(upload(odf_bytes(media_type)), filename, max_bytes=LIMIT)
    assert (found.kind, found.mime) == (kind, media_type)


@pytest.mark.parametrize(
    ("data", "filename", "kind", "charset"),
    [
        ("Dagsorden\r\n1. Velkommen\n\tNæste møde".encode(), "dagsorden.txt", "txt", "utf-8"),
        (b"\xef\xbb\xbfKommune;Sager\nAarhus;12\n", "tal.csv", "csv", "utf-8"),
        ("Kommune;Børn\nTårnby;7\n".encode("cp1252"), "tal.csv", "csv", "windows-1252"),
        (
            "Citat: \u201dgode\u201d r\u00e5d \u2013 \u20ac".encode("cp1252"),
            "r.txt",
            "txt",
            "windows-1252",
        ),
    ],
)
def test_text_in_utf8_or_windows_1252_is_text(upload, data, filename, kind, charset) -> None:  # type: ignore[no-untyped-def]
    found = sniff(upload(data), filename, max_bytes=LIMIT)
    assert (found.kind, found.charset) == (kind, charset)


def test_a_text_file_split_in_a_multibyte_letter_between_chunks_is_still_utf8(upload) -> None:  # type: ignore[no-untyped-def]
    data = b"a" * (HEAD_BYTES - 1) + "ø".encode() + b"b" * (TEXT_CHUNK_BYTES * 2)
    assert sniff(upload(data), "lang.txt", max_bytes=LIMIT).charset == "utf-8"


def test_sniff_stream_takes_an_open_upload(tmp_path: Path) -> None:
    write_docx(tmp_path / "a.docx")
    stream = io.BytesIO((tmp_path / "a.docx").read_bytes())
    assert sniff_stream(stream, "a.docx", max_bytes=LIMIT).kind == "docx"


def test_a_broken_inner_document_in_a_valid_container_is_accepted(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    # Extraction later marks it unreadable; sniffing only answers what the file is.
    write_docx(tmp_path / "a.docx")
    broken = rewrite_zip(
        (tmp_path / "a.docx").read_bytes(),
        lambda name, body: b"<not xml" if name == "word/document.xml" else body,
    )
    assert sniff(upload(broken), "a.docx", max_bytes=LIMIT).kind == "docx"


# -- refused: the name ---------------------------------------------------------------------


def test_a_pdf_named_docx_says_what_it_really_is(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(pdf_bytes()), "notat.docx", "mismatch", ".docx", "en PDF", ".pdf")


def test_a_docx_named_pdf_says_it_is_a_word_document(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    write_docx(tmp_path / "a.docx")
    path = upload((tmp_path / "a.docx").read_bytes())
    assert_refused(path, "notat.pdf", "mismatch", "et Word-dokument", ".docx")


def test_text_named_like_something_else_is_a_mismatch(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(b"# Noter\n"), "noter.md", "mismatch", ".md", "en tekstfil", ".txt")


def test_a_name_without_an_extension_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(pdf_bytes()), "dagsorden", "no_extension", "endelse", ".pdf")


# -- refused: macros -----------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["makro.docm", "forklædt.docx"])
def test_a_word_file_with_a_vba_project_is_refused(tmp_path, upload, filename) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(docm_bytes(tmp_path)), filename, "macro", "makroer")


def test_a_vba_project_alone_is_enough(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    write_xlsx(tmp_path / "a.xlsx")
    data = rewrite_zip((tmp_path / "a.xlsx").read_bytes(), add={"xl/vbaProject.bin": b"\0" * 64})
    assert_refused(upload(data), "tal.xlsx", "macro", "makroer")


def test_an_opendocument_file_with_basic_macros_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    data = odf_bytes(
        extra_members={"Basic/Standard/Module1.xml": b"<script:module/>"},
    )
    assert_refused(upload(data), "notat.odt", "macro", "makroer")


# -- refused: encrypted --------------------------------------------------------------------


def test_a_password_protected_pdf_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(pdf_bytes(password="pw")), "hemmelig.pdf", "encrypted", "adgangskode")


def test_a_password_protected_pdf_that_pypdf_cannot_open_strictly_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    data = pdf_bytes(password="pw")
    at = data.rindex(b"startxref")
    damaged = data[:at] + b"startxref\n12\n%%EOF\n"
    assert_refused(upload(damaged), "hemmelig.pdf", "encrypted", "adgangskode")


def test_a_password_protected_office_file_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    # What Office writes for a .docx with a password: an OLE container with the package inside.
    data = cfb_bytes({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x99" * 64})
    assert_refused(upload(data), "hemmelig.docx", "encrypted", "adgangskode")


def test_a_password_protected_opendocument_file_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    data = odf_bytes(manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>')
    assert_refused(upload(data), "hemmelig.odt", "encrypted", "adgangskode")


# -- refused: legacy Office, OLE -----------------------------------------------------------


def test_a_legacy_word_file_is_asked_for_in_the_new_format(upload) -> None:  # type: ignore[no-untyped-def]
    data = cfb_bytes({"WordDocument": b"\xec\xa5" + b"\0" * 100, "1Table": b"\0" * 10})
    assert_refused(upload(data), "gammel.doc", "legacy_office", "Word", ".doc", ".docx")


def test_an_ole_container_that_cannot_be_read_is_refused_as_old_office(upload) -> None:  # type: ignore[no-untyped-def]
    # Only the signature and padding: could be an old .doc or a password-protected .docx.
    data = _OLE_SIGNATURE + b"\0" * 2000
    assert_refused(upload(data), "fil.docx", "legacy_office", ".docx", "adgangskode")


def test_an_rtf_document_is_asked_for_as_docx(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(rb"{\rtf1\ansi Hej}"), "brev.txt", "legacy_office", "RTF", ".docx")


# -- refused: markup, programs, archives ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "reason", "word"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "billede.png",
            "svg",
            "SVG",
        ),
        (b'<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg/>', "billede.svg", "svg", "SVG"),
        (b"<!DOCTYPE html><html><body>Hej</body></html>", "side.txt", "html", "webside"),
        (b"\xef\xbb\xbf\n  <html lang=da>", "side.txt", "html", "HTML"),
        (b"<script>alert(1)</script>", "noter.txt", "html", "webside"),
        (
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>',
            "x.txt",
            "html",
            "XHTML",
        ),
        (b"#!/bin/sh\nrm -rf ~\n", "script.txt", "executable", "program"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 100, "fil.pdf", "executable", "program"),
        (b"Rar!\x1a\x07\x01\x00" + b"\0" * 50, "arkiv.pdf", "archive", "arkiv"),
        (b"7z\xbc\xaf\x27\x1c" + b"\0" * 50, "arkiv.docx", "archive", "arkiv"),
        (b"\x1f\x8b\x08\x00" + b"\0" * 50, "arkiv.txt", "archive", "arkiv"),
        (
            b"a.txt".ljust(257, b"\0") + b"ustar\x0000" + b"\0" * 300,
            "arkiv.txt",
            "archive",
            "arkiv",
        ),
    ],
)
def test_hostile_kinds_are_refused_whatever_their_name(
    upload, data, filename, reason, word
) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(data), filename, reason, word)


def test_an_exe_named_pdf_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    header = bytearray(512)
    header[:2] = b"MZ"
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    header[0x80:0x84] = b"PE\0\0"
    assert_refused(upload(bytes(header)), "faktura.pdf", "executable", "program")


def test_a_zip_named_docx_is_an_archive(upload) -> None:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("rapport.pdf", pdf_bytes())
    assert_refused(upload(out.getvalue()), "rapport.docx", "archive", "arkiv", "Pak")


def test_an_epub_is_an_archive_not_opendocument(upload) -> None:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", "<container/>")
    assert_refused(upload(out.getvalue()), "bog.odt", "archive", "arkiv")


# -- refused: zip bombs --------------------------------------------------------------------


def test_a_zip_with_too_many_members_is_a_zip_bomb(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    write_docx(tmp_path / "a.docx")
    many = {f"word/media/x{i}.xml": b"" for i in range(5001)}
    data = rewrite_zip((tmp_path / "a.docx").read_bytes(), add=many)
    assert_refused(upload(data), "a.docx", "zip_bomb", "pakkes ud")


def test_a_zip_declaring_huge_sizes_is_a_zip_bomb(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(crafted_zip(60, file_size=4_000_000)), "a.docx", "zip_bomb", "pakkes ud")


def test_a_member_that_compresses_too_well_is_a_zip_bomb(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    write_docx(tmp_path / "a.docx")
    zeros = {"word/media/zeros.bin": bytes(11 * MB)}
    data = rewrite_zip((tmp_path / "a.docx").read_bytes(), add=zeros)
    assert len(data) < MB
    assert_refused(upload(data), "a.docx", "zip_bomb", "pakkes ud")


# -- refused: size, damage, noise ----------------------------------------------------------


def test_an_empty_file_is_refused(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(b""), "tom.pdf", "empty", "tom")


def test_a_text_file_of_only_whitespace_is_empty(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(b"\xef\xbb\xbf \r\n"), "tom.txt", "empty", "tom")


def test_one_byte_over_the_limit_is_too_large(upload) -> None:  # type: ignore[no-untyped-def]
    data = pdf_bytes()
    assert sniff(upload(data), "a.pdf", max_bytes=len(data)).kind == "pdf"
    message = assert_refused(
        upload(data + b"\n"), "a.pdf", "too_large", "for stor", max_bytes=len(data)
    )
    assert "MB" in message


def test_a_truncated_pdf_is_damaged(upload) -> None:  # type: ignore[no-untyped-def]
    data = pdf_bytes()
    assert_refused(upload(data[: len(data) // 3]), "a.pdf", "damaged", "PDF", "beskadiget")


def test_a_truncated_docx_is_damaged(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    write_docx(tmp_path / "a.docx")
    data = (tmp_path / "a.docx").read_bytes()
    assert_refused(upload(data[: len(data) // 2]), "a.docx", "damaged", "beskadiget")


def test_random_bytes_are_unknown(upload) -> None:  # type: ignore[no-untyped-def]
    data = bytes((i * 7919 + 13) % 251 for i in range(5000))
    assert_refused(upload(data), "data.pdf", "unknown", "PDF, Word")


def test_a_gif_is_named_in_the_refusal(upload) -> None:  # type: ignore[no-untyped-def]
    assert_refused(upload(b"GIF89a" + b"\x01\0\x01\0" + b"\0" * 100), "a.png", "unknown", ".gif")


@pytest.mark.parametrize(
    "data",
    [
        b"Hej\x00med NUL",
        b"Hej \x1b[31m farve",
        b"Hej\x0c",
        b"\xff\xfeH\x00e\x00j\x00",
        b"ikke windows-1252: " + b"\x81\x8d\xc3",
    ],
)
def test_bytes_that_are_not_text_in_utf8_or_windows_1252_are_refused(upload, data) -> None:  # type: ignore[no-untyped-def]
    refusal = refused(upload(data), "noter.txt")
    assert refusal.reason == "unknown"
    assert "Filen" in str(refusal.message) or "Tekstfilen" in str(refusal.message)


def test_a_missing_file_is_refused_not_raised(tmp_path: Path) -> None:
    assert refused(tmp_path / "gone", "a.pdf").reason == "unknown"


# -- pathological input: bounded ----------------------------------------------------------


def test_thirty_megabytes_of_zeros_is_refused_after_reading_the_head(tmp_path: Path) -> None:
    path = tmp_path / "zeros"
    with path.open("wb") as out:
        out.truncate(30 * MB)
    assert refused(path, "nuller.txt").reason == "too_large"
    with CountingFile(path) as stream, pytest.raises(Refused) as caught:
        sniff_stream(stream, "nuller.txt", max_bytes=64 * MB)
    assert caught.value.reason == "unknown"
    assert stream.bytes_read <= MB


def test_a_long_text_file_is_read_a_chunk_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "lang.txt"
    path.write_bytes(b"Et ord gentaget. " * (20 * MB // 17))
    with CountingFile(path) as stream:
        assert sniff_stream(stream, "lang.txt", max_bytes=LIMIT).kind == "txt"
    assert stream.largest_read <= max(HEAD_BYTES, TEXT_CHUNK_BYTES)


def test_a_zip_with_100000_entries_is_refused_without_parsing_them(tmp_path: Path) -> None:
    path = tmp_path / "mange.docx"
    path.write_bytes(crafted_zip(100_000))
    with CountingFile(path) as stream, pytest.raises(Refused) as caught:
        sniff_stream(stream, "mange.docx", max_bytes=LIMIT)
    assert caught.value.reason == "zip_bomb"
    # The head and the end records, never the 4.7 MB directory.
    assert stream.bytes_read <= HEAD_BYTES + 70_000


def test_a_zip_that_lies_about_its_count_is_still_bounded(tmp_path: Path) -> None:
    data = bytearray(crafted_zip(100_000))
    # The ZIP64 end record claims 10 entries; the size of its directory gives it away.
    record_at = len(data) - 22 - 20 - 56
    struct.pack_into("<QQ", data, record_at + 24, 10, 10)
    path = tmp_path / "a.docx"
    path.write_bytes(bytes(data))
    with CountingFile(path) as stream, pytest.raises(Refused) as caught:
        sniff_stream(stream, "a.docx", max_bytes=LIMIT)
    assert caught.value.reason == "zip_bomb"
    assert stream.bytes_read <= HEAD_BYTES + 70_000


@pytest.mark.parametrize(
    ("body", "end", "reason"),
    [
        (b"\0", b"", "damaged"),
        (b"1 0 obj\n", b"", "damaged"),
        (b"\n", b"startxref\n9\n%%EOF\n", None),
        (b"<<", b"\nendobj\nstartxref\n9\n%%EOF\n", None),
        (b"[", b"\nendobj\ntrailer\n<</Root 1 0 R>>\nstartxref\n9\n%%EOF\n", None),
    ],
)
def test_ten_megabytes_of_pdf_syntax_finishes(tmp_path: Path, body, end, reason) -> None:  # type: ignore[no-untyped-def]
    # pypdf's repairing mode spends seconds per megabyte on these; sniff must not.
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n" + body * (10 * MB // len(body)) + end)
    if reason:
        assert refused(path, "a.pdf").reason == reason
    else:
        # Junk with a proper end: a PDF as far as sniffing goes; extraction marks it unreadable.
        assert sniff(path, "a.pdf", max_bytes=LIMIT).kind == "pdf"


# -- safe_filename -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Referat.pdf", "Referat.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/etc/x", "x"),
        ("C:\\Users\\Mette\\Dokumenter\\Møde.docx", "Møde.docx"),
        ("Mo\u0308de.pdf", "M\u00f6de.pdf"),
        ('rap"port\x00\x1f\n.pdf', "rapport.pdf"),
        ("rapport\u202efdp.exe", "rapportfdp.exe"),
        ("  Børn   og  unge .pdf ", "Børn og unge.pdf"),
        ("..", "fil"),
        ("", "fil"),
        (".pdf", "fil.pdf"),
        ("referat.", "referat"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_keeps_the_extension_when_shortening() -> None:
    shortened = safe_filename("å" * 400 + ".xlsx")
    assert len(shortened) == 150
    assert shortened.endswith("å.xlsx")


def test_safe_filename_of_thirty_thousand_letters_is_bounded() -> None:
    assert len(safe_filename("x" * 30_000)) == 150
    assert safe_filename("/" * 30_000) == "fil"


# -- found by the corpus (tests/corpus) -----------------------------------------------------


def test_a_pdf_with_encrypt_metadata_but_no_encrypt_in_its_trailer_is_not_encrypted(
    upload,
) -> None:  # type: ignore[no-untyped-def]
    # pdf.js's poppler-742-0-fuzzed.pdf: a broken file whose last bytes hold the key of an
    # encryption dictionary (/EncryptMetadata), with a trailer that has no /Encrypt.
    data = pdf_bytes()
    at = data.rindex(b"trailer")
    junk = b"9 0 obj\n<< /Filter /Standard /EncryptMetadata true >>\nendobj\n"
    assert sniff(upload(data[:at] + junk + data[at:]), "a.pdf", max_bytes=LIMIT).kind == "pdf"


def test_an_encrypted_pdf_with_its_trailer_in_a_cross_reference_stream_is_refused(
    upload,
) -> None:  # type: ignore[no-untyped-def]
    # Neither in the first nor in the last 64 KiB: found where startxref points.
    head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%" + b"x" * (70 * 1024) + b"\n"
    padding = b" " * (70 * 1024)
    stream = b"2 0 obj\n<< /Type /XRef /Size 3 /Root 1 0 R /Encrypt 5 0 R /Length 0 >>\nstream\n"
    end = b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % len(head)
    assert_refused(upload(head + stream + padding + end), "a.pdf", "encrypted", "adgangskode")


def test_a_huge_well_formed_cross_reference_table_is_sniffed_without_parsing_it(
    tmp_path: Path,
) -> None:
    # 1,000,000 entries (19 MB): pypdf, even strict, read them all in a second and more.
    count = 1_000_000
    body = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    table = b"xref\n0 %d\n0000000000 65535 f \n" % count + b"0000000009 00000 n \n" * (count - 1)
    end = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, len(body))
    path = tmp_path / "stor.pdf"
    path.write_bytes(body + table + end)
    with CountingFile(path) as stream:
        assert sniff_stream(stream, "stor.pdf", max_bytes=LIMIT).kind == "pdf"
    # The head, the tail and 64 KiB where startxref points.
    assert stream.bytes_read <= 3 * HEAD_BYTES


def test_an_excel_binary_workbook_is_not_blamed_for_macros(tmp_path, upload) -> None:  # type: ignore[no-untyped-def]
    # Apache POI's Simple.xlsb: its type says "macroEnabled" whether it has macros or not.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Default Extension="bin" ContentType="application/'
            'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert_refused(upload(out.getvalue()), "tal.xlsb", "unknown", "genkendes")
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    assert_refused(upload(out.getvalue()), "tal.xlsb", "macro", "makroer")


def test_an_opendocument_drawing_is_not_called_an_archive(upload) -> None:  # type: ignore[no-untyped-def]
    data = odf_bytes("application/vnd.oasis.opendocument.graphics")
    assert_refused(upload(data), "tegning.odg", "unknown", "genkendes")


def test_an_empty_zip_named_like_a_document_is_damaged(upload) -> None:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    zipfile.ZipFile(out, "w").close()
    assert_refused(upload(out.getvalue()), "tom.xlsx", "damaged", "beskadiget")
