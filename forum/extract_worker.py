"""The sandboxed half of text extraction: run as a script, one file per process, no app.

``forum.extract`` starts this file as ``python -I -B extract_worker.py <job JSON>`` in a fresh
interpreter under memory, CPU and file limits, in an empty directory, with stdin closed. It
prints one JSON object on its stdout and exits 0, whatever the file does: a broken file is a
``failed`` result, not a crash. Anything the libraries print goes to stderr, so stdout carries
only the answer.

It imports nothing from ``forum`` (``-I`` keeps the package off ``sys.path``, and importing it
would start Flask) and only the one library a file's kind needs, so it starts fast. Labels and
reasons are codes; the parent translates them.

Every reader is bounded for any input: pages, slides and sheets are counted before they are
read, text is counted as it grows, spreadsheets by cells visited, ZIP containers are measured
before any library opens them, and XML is parsed without DTDs, entities or huge trees.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

# ZIP containers (OOXML, OpenDocument): refused before parsing when they unpack to more than
# a real document does. The same numbers as the upload check in forum/uploads.py (which this
# script cannot import); repeated here because the file may not have come through it.
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_EXPANDED_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM_BYTES = 10 * 1024 * 1024
# An OpenDocument content.xml, or an embedded thumbnail, is read whole up to this.
ODF_MAX_CONTENT_BYTES = 100 * 1024 * 1024
THUMBNAIL_MEMBER_MAX_BYTES = 5 * 1024 * 1024
# Spreadsheets: cells looked at, empty ones too (a row can be padded to 16,384 columns), as a
# multiple of the cells with text allowed.
CELLS_VISITED_PER_CELL = 10
# Shapes nest in groups; no real deck goes deeper than this.
MAX_SHAPE_DEPTH = 32
# OpenDocument <text:s text:c="N"/> is N spaces; one is enough once whitespace collapses.
MAX_REPEATED_SPACES = 8
# Images: Pillow refuses more pixels than this as a decompression bomb (a 50-megapixel photo
# passes). Rendering a PDF page is bounded by the requested size instead.
MAX_IMAGE_PIXELS = 64_000_000
MAX_THUMBNAIL_PX = 4096

TEXT_KINDS = ("txt", "csv")
IMAGE_KINDS = ("png", "jpeg")
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG"}

# What the parent reads when memory ran out: built now, while there is memory to build it.
_MEMORY = json.dumps({"status": "memory", "reason": "memory", "detail": "MemoryError"}).encode()


class Refusal(Exception):
    """The file cannot be read within the limits, or at all: a result, not a crash."""

    def __init__(self, status: str, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.status = status
        self.reason = reason
        self.detail = detail


def _too_big(reason: str, detail: str) -> Refusal:
    return Refusal("too_big", reason, detail)


# -- text normalisation -----------------------------------------------------------------------

# Control, surrogate, private-use and format characters (soft hyphens, PDFium's unmapped
# glyphs, lone surrogates that would not even encode), but never a newline or a tab.
_DROPPED_CATEGORIES = {"Cc", "Cs", "Co", "Cf"}
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


# Most text is in this range, where nothing is dropped but C1 controls and the soft hyphen;
# only what falls outside it is looked up character by character.
_UNUSUAL = re.compile("[^\n\t\x20-\x7e\xa0-\xac\xae-\u05ff]")


def _drop_unusual(match: re.Match[str]) -> str:
    character = match.group()
    return "" if unicodedata.category(character) in _DROPPED_CATEGORIES else character


def _collapse(match: re.Match[str]) -> str:
    # A run that holds a tab is a cell boundary and stays one tab; any other run is a space.
    return "\t" if "\t" in match.group() else " "


def normalise(text: str) -> str:
    """NFC, no control characters but newline and tab, whitespace collapsed on each line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNUSUAL.sub(_drop_unusual, unicodedata.normalize("NFC", text))
    lines = (_HORIZONTAL_SPACE.sub(_collapse, line).strip(" \t") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


class Budget:
    """Counts the characters a file yields; past the limit the file is ``too_big``."""

    def __init__(self, max_chars: int, max_cells: int) -> None:
        self.left = max_chars
        self.cells = max_cells  # the spreadsheet readers' limit

    def take(self, text: str) -> str:
        self.left -= len(text)
        if self.left < 0:
            raise _too_big("too_much_text", "more text than max_chars")
        return text


def _part(number: int, unit: str, text: str, name: str = "") -> dict[str, Any]:
    return {"number": number, "unit": unit, "name": normalise(name)[:200], "text": text}


# -- ZIP containers ---------------------------------------------------------------------------


def open_zip(path: str) -> zipfile.ZipFile:
    """The ZIP at ``path`` once its directory promises a document-sized unpacking."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise Refusal("failed", "broken", f"not a ZIP: {error}") from None
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise _too_big("zip_bomb", f"{len(members)} members")
    expanded = 0
    for member in members:
        expanded += member.file_size
        if member.file_size > ZIP_RATIO_FROM_BYTES and (
            member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1)
        ):
            raise _too_big("zip_bomb", f"{member.filename!r} expands {member.file_size} bytes")
    if expanded > ZIP_MAX_EXPANDED_BYTES:
        raise _too_big("zip_bomb", f"expands to {expanded} bytes")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member, refused past ``limit`` bytes (zipfile stops at the declared size)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Refusal("failed", "broken", f"no {name}") from None
    if info.file_size > limit:
        raise _too_big("zip_bomb", f"{name} is {info.file_size} bytes")
    with archive.open(info) as member:
        return member.read(limit + 1)[:limit]


# -- PDF --------------------------------------------------------------------------------------


def _open_pdf(path: str) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if error.err_code == 4:  # FPDF_ERR_PASSWORD
            raise Refusal("failed", "encrypted", str(error)) from None
        raise Refusal("failed", "broken", str(error)) from None


def pdf_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """One part per page, from PDFium's text layer (none on a scanned page)."""
    pdf = _open_pdf(path)
    try:
        pages = len(pdf)
        if pages > max_pages:
            raise _too_big("too_many_pages", f"{pages} pages")
        parts = []
        for index in range(pages):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
            finally:
                page.close()
            parts.append(_part(index + 1, "page", budget.take(normalise(text))))
        return pages, parts
    finally:
        pdf.close()


# -- PowerPoint -------------------------------------------------------------------------------


def _shape_texts(shapes: Iterable[Any], depth: int = 0) -> Iterator[str]:
    if depth > MAX_SHAPE_DEPTH:
        raise Refusal("failed", "broken", "shapes nested too deep")
    for shape in shapes:
        if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shape_texts(shape.shapes, depth + 1)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                yield "\t".join(cell.text for cell in row.cells)


def pptx_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """One part per slide: its text boxes, placeholders, tables, and its speaker notes."""
    from pptx import Presentation

    open_zip(path).close()
    presentation = Presentation(path)
    slides = presentation.slides
    if len(slides) > max_pages:
        raise _too_big("too_many_pages", f"{len(slides)} slides")
    parts = []
    for number, slide in enumerate(slides, start=1):
        texts = [budget.take(text) for text in _shape_texts(slide.shapes)]
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                texts.append(budget.take(notes.text))
        parts.append(_part(number, "slide", normalise("\n".join(texts))))
    return len(slides), parts


# -- Word -------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_lines(body: Any, budget: Budget) -> Iterator[str]:
    """Paragraphs and table rows in document order; a row's cells joined by tabs."""
    # Iterative over the lxml tree: nesting (tables in cells) costs no recursion.
    line: list[str] = []
    row_cells: list[list[str]] = []
    for event, element in _iterwalk(body):
        tag = element.tag
        if event == "start":
            if tag == f"{_W}tr":
                row_cells.append([])
            elif tag == f"{_W}t" and element.text:
                line.append(budget.take(element.text))
            elif tag == f"{_W}tab":
                line.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                line.append("\n")
        elif tag == f"{_W}p":
            text = "".join(line)
            line.clear()
            if row_cells:
                row_cells[-1].append(text)
            else:
                yield text
        elif tag == f"{_W}tr":
            cells = row_cells.pop()
            text = "\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells)
            if row_cells:
                row_cells[-1].append(text)
            else:
                yield text


def _iterwalk(root: Any) -> Iterator[tuple[str, Any]]:
    from lxml import etree

    return etree.iterwalk(root, events=("start", "end"))


def docx_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """The body as one part: paragraphs and tables in order (Word has no stable pages)."""
    import docx

    open_zip(path).close()
    document = docx.Document(path)
    text = normalise("\n".join(_docx_lines(document.element.body, budget)))
    return 1, [_part(1, "document", text)]


# -- Excel ------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def xlsx_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """One part per sheet: the cached values (not formulas), a row's cells joined by tabs."""
    open_zip(path).close()
    # Given a name, openpyxl refuses any that does not end in .xlsx (an upload's temporary
    # file ends in .part); given the open file, it reads what is there.
    with open(path, "rb") as file:
        return _xlsx_sheets(file, max_pages, budget)


def _xlsx_sheets(
    file: BinaryIO, max_pages: int, budget: Budget
) -> tuple[int, list[dict[str, Any]]]:
    import openpyxl

    workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        if len(sheets) > max_pages:
            raise _too_big("too_many_pages", f"{len(sheets)} sheets")
        visited = with_text = 0
        parts = []
        for number, sheet in enumerate(sheets, start=1):
            if hasattr(sheet, "reset_dimensions"):
                # The declared dimension may claim A1:XFD1048576; read only the rows there are.
                sheet.reset_dimensions()
            lines = []
            for row in sheet.iter_rows(values_only=True):
                visited += len(row) or 1
                cells = [_cell_text(value) for value in row]
                with_text += sum(1 for cell in cells if cell)
                if with_text > budget.cells or visited > CELLS_VISITED_PER_CELL * budget.cells:
                    raise _too_big("too_many_cells", f"over {budget.cells} cells")
                line = "\t".join(cells).rstrip("\t")
                if line:
                    lines.append(budget.take(line))
            parts.append(_part(number, "sheet", normalise("\n".join(lines)), sheet.title))
        return len(sheets), parts
    finally:
        workbook.close()


# -- OpenDocument -----------------------------------------------------------------------------

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_DRAW_NS = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT, _TABLE, _DRAW, _OFFICE = (f"{{{ns}}}" for ns in (_TEXT_NS, _TABLE_NS, _DRAW_NS, _OFFICE_NS))
_ODF_LINES = {f"{_TEXT}p", f"{_TEXT}h"}


def odf_root(path: str) -> Any:
    """content.xml's root, parsed with no DTD, no entities, no network, no huge trees."""
    from lxml import etree

    with open_zip(path) as archive:
        content = read_member(archive, "content.xml", ODF_MAX_CONTENT_BYTES)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise Refusal("failed", "broken", f"content.xml: {error}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        # content.xml never has a DTD; one that does is built to attack the parser.
        raise Refusal("failed", "broken", "content.xml declares a DTD")
    return root


def _odf_text(root: Any, budget: Budget) -> str:
    """The text under ``root``: paragraphs and headings as lines, table rows joined by tabs."""
    out: list[str] = []
    in_cells = 0  # inside a table cell, paragraphs end in a space: the row stays one line
    for event, element in _iterwalk(root):
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions, entity references
            if event == "end" and element.tail:
                out.append(budget.take(element.tail))
            continue
        if event == "start":
            if tag == f"{_TABLE}table-cell":
                in_cells += 1
            elif tag == f"{_TEXT}s":
                count = element.get(f"{_TEXT}c", "1")
                out.append(" " * min(int(count) if count.isdigit() else 1, MAX_REPEATED_SPACES))
            elif tag == f"{_TEXT}tab":
                out.append("\t")
            elif tag == f"{_TEXT}line-break":
                out.append(" " if in_cells else "\n")
            if element.text and tag not in (f"{_TEXT}s", f"{_TEXT}tab"):
                out.append(budget.take(element.text))
        else:
            if tag in _ODF_LINES:
                out.append(" " if in_cells else "\n")
            elif tag == f"{_TABLE}table-cell":
                in_cells -= 1
                out.append("\t")
            elif tag == f"{_TABLE}table-row":
                out.append("\n")
            if element.tail and element is not root:
                out.append(budget.take(element.tail))
    return normalise("".join(out))


def _odf_body(root: Any, kind: str) -> Any:
    body = root.find(f"{_OFFICE}body/{_OFFICE}{kind}")
    if body is None:
        raise Refusal("failed", "broken", f"content.xml has no office:{kind}")
    return body


def odt_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """The text body as one part."""
    body = _odf_body(odf_root(path), "text")
    return 1, [_part(1, "document", _odf_text(body, budget))]


def odp_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """One part per ``draw:page`` (slide), its notes included."""
    slides = _odf_body(odf_root(path), "presentation").findall(f"{_DRAW}page")
    if len(slides) > max_pages:
        raise _too_big("too_many_pages", f"{len(slides)} slides")
    parts = [_part(n, "slide", _odf_text(slide, budget)) for n, slide in enumerate(slides, 1)]
    return len(slides), parts


def ods_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """One part per ``table:table`` (sheet). Repeated rows and cells are read once."""
    tables = _odf_body(odf_root(path), "spreadsheet").findall(f"{_TABLE}table")
    if len(tables) > max_pages:
        raise _too_big("too_many_pages", f"{len(tables)} sheets")
    parts = [
        _part(n, "sheet", _odf_text(table, budget), table.get(f"{_TABLE}name", ""))
        for n, table in enumerate(tables, 1)
    ]
    return len(tables), parts


# -- plain text and images --------------------------------------------------------------------


def text_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """UTF-8 (a BOM is fine), else Windows-1252, as one part."""
    # Four bytes per character is the most UTF-8 needs: more is more text than allowed.
    with open(path, "rb") as file:
        data = file.read(4 * budget.left + 4)
    if len(data) > 4 * budget.left:
        raise _too_big("too_much_text", "file larger than 4 * max_chars bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return 1, [_part(1, "document", budget.take(normalise(text)))]


def image_parts(path: str, max_pages: int, budget: Budget) -> tuple[int, list[dict[str, Any]]]:
    """Images have no text to search (there is no OCR)."""
    raise Refusal("empty", "image")


READERS: dict[str, Callable[[str, int, Budget], tuple[int, list[dict[str, Any]]]]] = {
    "pdf": pdf_parts,
    "pptx": pptx_parts,
    "docx": docx_parts,
    "xlsx": xlsx_parts,
    "odt": odt_parts,
    "odp": odp_parts,
    "ods": ods_parts,
    "txt": text_parts,
    "csv": text_parts,
    "png": image_parts,
    "jpeg": image_parts,
}


def extract_text(
    path: str, kind: str, max_pages: int, max_chars: int, max_cells: int
) -> dict[str, Any]:
    """The result for one file: status, reason, pages, and the parts that have text."""
    reader = READERS.get(kind)
    if reader is None:
        raise Refusal("failed", "unknown_kind", kind)
    pages, parts = reader(path, max_pages, Budget(max_chars, max_cells))
    parts = [part for part in parts if part["text"]]
    status = "ok" if parts else "empty"
    return {"status": status, "reason": "" if parts else "no_text", "pages": pages, "parts": parts}


# -- thumbnails -------------------------------------------------------------------------------


def _png(image: Any, max_px: int) -> str:
    """``image`` fitted into max_px × max_px as PNG (base64), with no metadata kept."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_px, max_px))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert(
            "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
        )
    # A fresh image carries pixels only: no EXIF, ICC, text chunks, or comments.
    clean = image.copy()
    clean.info = {}
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=False)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _open_image(data: io.BytesIO | str, formats: list[str] | None, max_px: int) -> Any:
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(data, formats=formats)
            image.draft("RGB", (max_px, max_px))  # JPEG decodes at a fraction of its size
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_big("too_many_pixels", str(error)) from None
        except (OSError, SyntaxError, ValueError) as error:
            raise Refusal("failed", "broken", f"image: {error}") from None
    return image


def _pdf_thumbnail(path: str, max_px: int) -> str:
    pdf = _open_pdf(path)
    try:
        if len(pdf) == 0:
            raise Refusal("empty", "no_pages")
        page = pdf[0]
        try:
            width, height = page.get_size()
            # The scale that fits the page into max_px; a page claiming to be a mile wide, or
            # a dot, is rendered at max_px all the same.
            scale = max_px / max(width, height, 1)
            bitmap = page.render(scale=scale, may_draw_forms=False)
            image = bitmap.to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    return _png(image, max_px)


# The embedded preview some office files carry (PowerPoint and LibreOffice write one).
_OOXML_THUMBNAIL_TYPE = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
)


def _embedded_thumbnail(path: str, kind: str, max_px: int) -> str:
    from lxml import etree

    with open_zip(path) as archive:
        if kind.startswith("od"):
            name = "Thumbnails/thumbnail.png"
        else:
            rels = etree.fromstring(
                read_member(archive, "_rels/.rels", 1024 * 1024),
                etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
            )
            targets = [
                rel.get("Target", "") for rel in rels if rel.get("Type") == _OOXML_THUMBNAIL_TYPE
            ]
            if not targets:
                raise Refusal("empty", "no_preview")
            name = targets[0].lstrip("/")
        if name not in archive.namelist():
            raise Refusal("empty", "no_preview")
        data = read_member(archive, name, THUMBNAIL_MEMBER_MAX_BYTES)
    return _png(_open_image(io.BytesIO(data), ["PNG", "JPEG"], max_px), max_px)


def thumbnail(path: str, kind: str, max_px: int) -> dict[str, Any]:
    """A PNG preview: a PDF's first page, an image, or an office file's own preview."""
    max_px = max(16, min(max_px, MAX_THUMBNAIL_PX))
    if kind == "pdf":
        png = _pdf_thumbnail(path, max_px)
    elif kind in IMAGE_KINDS:
        png = _png(_open_image(path, [_PIL_FORMATS[kind]], max_px), max_px)
    elif kind in ("pptx", "docx", "xlsx", "odt", "odp", "ods"):
        png = _embedded_thumbnail(path, kind, max_px)
    else:
        raise Refusal("empty", "no_preview")
    return {"status": "ok", "reason": "", "png": png}


# -- the process ------------------------------------------------------------------------------


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Do one job; every failure the file can cause becomes a result."""
    try:
        if job["op"] == "thumbnail":
            return thumbnail(job["path"], job["kind"], int(job["max_px"]))
        return extract_text(
            job["path"],
            job["kind"],
            int(job["max_pages"]),
            int(job["max_chars"]),
            int(job["max_cells"]),
        )
    except Refusal as refusal:
        return {"status": refusal.status, "reason": refusal.reason, "detail": refusal.detail}
    except MemoryError:
        raise
    except RecursionError:
        return {"status": "failed", "reason": "broken", "detail": "nested too deep"}
    except Exception as error:  # a library's error on a bad file is a result, not a crash
        detail = f"{type(error).__name__}: {error}"[:500]
        return {"status": "failed", "reason": "broken", "detail": detail}


def main(argv: list[str]) -> int:
    """Read the job from argv, write one JSON result on the real stdout."""
    # Whatever a library prints (to sys.stdout or straight to fd 1) lands on stderr.
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        result = json.dumps(run(json.loads(argv[1])), ensure_ascii=False).encode("utf-8")
    except MemoryError:
        result = _MEMORY
    with os.fdopen(out, "wb") as stream:
        stream.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
