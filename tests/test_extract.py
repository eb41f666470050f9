"""Text extraction in its sandbox: real files of every kind, hostile files, misbehaving children.

Every file is made here: PDFs written by hand (a content stream with Helvetica text), office
files by their libraries, OpenDocument files as a ZIP with a hand-written content.xml.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import time
import zipfile
import zlib
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Inches

from forum import extract as extract_module
from forum.demo import documents
from forum.extract import Extracted, Part, extract, first_page_png, part_label, reason_text
from forum.extract_worker import normalise

# -- files ------------------------------------------------------------------------------------


def make_pdf(texts: list[str], *, repeat: int = 1) -> bytes:
    """A PDF with one page per text (Helvetica, WinAnsi); ``repeat`` lists every page again."""
    return documents.pdf(texts, repeat=repeat)


def make_pptx(slides: int = 3) -> bytes:
    """A deck: a title slide, a slide with a table, and the word only in slide 3's notes."""
    deck = Presentation()
    for number in range(1, slides + 1):
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = f"Dias nummer {number}: Børn og unge"
        if number == 2:
            table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
            table.cell(0, 0).text = "Kommune"
            table.cell(0, 1).text = "Udgift"
            table.cell(1, 0).text = "Århus"
            table.cell(1, 1).text = "1.200"
        if number == 3:
            slide.notes_slide.notes_text_frame.text = "Husk nøgletalskatalog til mødet"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Handleplan for anbragte børn", level=1)
    document.add_paragraph("Første afsnit om sagsbehandling.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Område"
    table.cell(0, 1).text = "Frist"
    table.cell(1, 0).text = "Underretning"
    table.cell(1, 1).text = "24 timer"
    document.add_paragraph("Sidste afsnit efter tabellen.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    budget = workbook.active
    budget.title = "Budget"
    budget.append(["Post", "Beløb"])
    budget.append(["Plejefamilier", 1250000])
    budget.append(["Døgninstitution", 2.5])
    notes = workbook.create_sheet("Noter")
    notes["B3"] = "Særlige foranstaltninger"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_ODF_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)


def make_odf(kind: str, body: str, *, prolog: str = "", raw: bytes | None = None) -> bytes:
    """An OpenDocument file: ``mimetype`` first and stored, then a content.xml with ``body``."""
    mimetypes = {"odt": "text", "odp": "presentation", "ods": "spreadsheet"}
    element = mimetypes[kind]
    content = (
        raw
        or (
            f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
            f"<office:document-content {_ODF_NAMESPACES}><office:body><office:{element}>"
            f"{body}</office:{element}></office:body></office:document-content>"
        ).encode()
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            f"application/vnd.oasis.opendocument.{element}",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels (and holds almost none)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The ZIP ``data`` with member ``name`` claiming to unpack to ``size`` bytes."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            if out[at + name_at : at + name_at + len(encoded)] == encoded:
                out[at + size_at : at + size_at + 4] = struct.pack("<I", size)
            start = at + 4
    return bytes(out)


@pytest.fixture
def write(tmp_path: Path):
    """Writes bytes to a file in the test's directory and returns its path."""

    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def _texts(result: Extracted) -> dict[int, str]:
    return {part.number: part.text for part in result.parts}


# -- every kind -------------------------------------------------------------------------------


def test_pdf_gives_a_part_per_page_with_danish_letters(write) -> None:
    path = write(
        "a.pdf", make_pdf(["Første side om børn", "Anden side: æøå ÆØÅ", "Tredje (og sidste)"])
    )
    result = extract(path, "pdf")
    assert result.status == "ok" and result.pages == 3
    assert [part.unit for part in result.parts] == ["page"] * 3
    texts = _texts(result)
    assert texts[1] == "Første side om børn"
    assert texts[2] == "Anden side: æøå ÆØÅ"
    assert texts[3] == "Tredje (og sidste)"


def test_pdf_pages_without_text_are_left_out_and_all_empty_is_empty(write) -> None:
    result = extract(write("b.pdf", make_pdf(["", "Kun side to"])), "pdf")
    assert result.status == "ok" and result.pages == 2 and _texts(result) == {2: "Kun side to"}
    scanned = extract(write("c.pdf", make_pdf(["", ""])), "pdf")
    assert scanned.status == "empty" and scanned.reason == "no_text" and scanned.pages == 2


def test_pptx_gives_a_part_per_slide_with_tables_and_speaker_notes(write) -> None:
    result = extract(write("d.pptx", make_pptx()), "pptx")
    assert result.status == "ok" and result.pages == 3
    texts = _texts(result)
    assert texts[1] == "Dias nummer 1: Børn og unge"
    assert "Kommune\tUdgift\nÅrhus\t1.200" in texts[2]
    assert "nøgletalskatalog" in texts[3]
    assert all("nøgletalskatalog" not in texts[n] for n in (1, 2))
    assert {part.unit for part in result.parts} == {"slide"}


def test_docx_is_one_part_with_paragraphs_and_table_rows_in_order(write) -> None:
    result = extract(write("e.docx", make_docx()), "docx")
    assert result.status == "ok" and result.pages == 1
    (part,) = result.parts
    assert part.unit == "document" and part.number == 1
    assert part.text == (
        "Handleplan for anbragte børn\nFørste afsnit om sagsbehandling.\n"
        "Område\tFrist\nUnderretning\t24 timer\nSidste afsnit efter tabellen."
    )


def test_xlsx_gives_a_part_per_sheet_with_its_name(write) -> None:
    result = extract(write("f.xlsx", make_xlsx()), "xlsx")
    assert result.status == "ok" and result.pages == 2
    budget, notes = result.parts
    assert (budget.number, budget.unit, budget.name) == (1, "sheet", "Budget")
    assert budget.text == "Post\tBeløb\nPlejefamilier\t1250000\nDøgninstitution\t2.5"
    assert (notes.number, notes.name) == (2, "Noter")
    assert notes.text == "Særlige foranstaltninger"


def test_odt_odp_and_ods(write) -> None:
    odt = make_odf(
        "odt",
        '<text:h>Overskrift</text:h><text:p>Første<text:s text:c="3"/>linje'
        "<text:line-break/>anden linje med æøå</text:p>",
    )
    result = extract(write("g.odt", odt), "odt")
    assert result.status == "ok"
    assert _texts(result) == {1: "Overskrift\nFørste linje\nanden linje med æøå"}

    odp = make_odf(
        "odp",
        "<draw:page><draw:frame><draw:text-box><text:p>Dias et</text:p></draw:text-box>"
        "</draw:frame></draw:page><draw:page/><draw:page><presentation:notes><draw:frame>"
        "<draw:text-box><text:p>Noter: nøgletalskatalog</text:p></draw:text-box></draw:frame>"
        "</presentation:notes></draw:page>",
    )
    result = extract(write("h.odp", odp), "odp")
    assert result.status == "ok" and result.pages == 3
    assert _texts(result) == {1: "Dias et", 3: "Noter: nøgletalskatalog"}

    ods = make_odf(
        "ods",
        '<table:table table:name="Tal"><table:table-row><table:table-cell><text:p>Å</text:p>'
        "</table:table-cell><table:table-cell><text:p>42</text:p></table:table-cell>"
        '</table:table-row></table:table><table:table table:name="Tom"/>',
    )
    result = extract(write("i.ods", ods), "ods")
    assert result.pages == 2
    assert [(p.number, p.name, p.text) for p in result.parts] == [(1, "Tal", "Å\t42")]


def test_text_in_utf8_with_bom_and_in_cp1252(write) -> None:
    utf8 = extract(write("j.txt", "\ufeffBørn  og\t unge\r\nÆble\x07".encode()), "txt")
    assert _texts(utf8) == {1: "Børn og\tunge\nÆble"}
    cp1252 = extract(write("k.csv", "navn;by\nSøren;Århus\n".encode("cp1252")), "csv")
    assert _texts(cp1252) == {1: "navn;by\nSøren;Århus"}


def test_images_have_no_text(write) -> None:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, "PNG")
    result = extract(write("l.png", out.getvalue()), "png")
    assert (result.status, result.reason, result.parts) == ("empty", "image", ())


# -- labels and reasons -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "label"),
    [
        (Part(3, "page", "x"), "side 3"),
        (Part(14, "slide", "x"), "dias 14"),
        (Part(2, "sheet", "x", name="Budget"), "ark \u201dBudget\u201d"),
        (Part(2, "sheet", "x"), "ark 2"),
        (Part(1, "document", "x"), "hele dokumentet"),
    ],
)
def test_part_label(part: Part, label: str) -> None:
    assert part_label(part) == label


def test_reason_text() -> None:
    assert reason_text(Extracted("ok", (Part(1, "page", "x"),), pages=1)) == ""
    assert "adgangskode" in reason_text(Extracted("failed", reason="encrypted"))
    assert reason_text(Extracted("failed", reason="something new")) == (
        "Læsningen af filen mislykkedes."
    )


# -- hostile files ----------------------------------------------------------------------------


def test_truncated_pdf_fails(write) -> None:
    data = make_pdf(["Side et", "Side to"])
    result = extract(write("m.pdf", data[: len(data) // 3]), "pdf")
    assert result.status in ("failed", "empty", "ok")  # PDFium repairs what it can
    assert extract(write("n.pdf", data[:40]), "pdf").status == "failed"


@pytest.mark.parametrize("kind", ["pdf", "docx", "pptx", "xlsx", "odt", "odp", "ods"])
def test_random_bytes_fail_under_any_kind(write, kind: str) -> None:
    result = extract(write(f"random.{kind}", os.urandom(5000)), kind)
    assert result.status == "failed" and result.reason == "broken" and result.parts == ()


def test_a_file_of_another_kind_fails(write) -> None:
    assert extract(write("o.docx", make_pptx(1)), "docx").status == "failed"
    assert extract(write("p.xlsx", make_docx()), "xlsx").status == "failed"
    assert extract(write("q.pdf", make_docx()), "pdf").status == "failed"


def test_zip_bomb_is_too_big(write) -> None:
    buffer = io.BytesIO(make_docx())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/media/bomb.bin", b"\0" * 1000)
    bomb = declare_size(buffer.getvalue(), "word/media/bomb.bin", 0xF0000000)
    result = extract(write("bomb.docx", bomb), "docx")
    assert (result.status, result.reason) == ("too_big", "zip_bomb")

    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(6000):
            archive.writestr(f"m{number}", b"")
    assert extract(write("many.xlsx", many.getvalue()), "xlsx").reason == "zip_bomb"


def test_pdf_with_too_many_pages_is_too_big(write) -> None:
    path = write("r.pdf", make_pdf(["Samme side"], repeat=3000))
    started = time.monotonic()
    result = extract(path, "pdf", max_pages=2000)
    assert (result.status, result.reason, result.pages) == ("too_big", "too_many_pages", 0)
    assert time.monotonic() - started < 10
    assert extract(path, "pdf", max_pages=5000).pages == 3000


def test_more_text_than_allowed_is_too_big(write) -> None:
    path = write("s.pdf", make_pdf(["ord ord ord ord\n" * 30] * 5))
    assert extract(path, "pdf", max_chars=1000).status == "too_big"
    assert extract(write("t.txt", b"a" * 5000), "txt", max_chars=1000).reason == "too_much_text"


def test_billion_laughs_in_content_xml_is_not_expanded(write) -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    prolog = f"<!DOCTYPE office:document-content [{entities}]>"
    path = write("laughs.odt", make_odf("odt", "<text:p>&lol9;</text:p>", prolog=prolog))
    started = time.monotonic()
    result = extract(path, "odt")
    assert result.status == "failed" and "lol" not in "".join(p.text for p in result.parts)
    assert time.monotonic() - started < 10


def test_external_entity_is_not_read(write) -> None:
    prolog = '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    path = write("xxe.odt", make_odf("odt", "<text:p>&secret;</text:p>", prolog=prolog))
    result = extract(path, "odt")
    assert result.status == "failed" and "root:" not in result.detail


def test_deeply_nested_xml_fails_quickly(write) -> None:
    body = "<text:span>" * 100_000 + "dybt" + "</text:span>" * 100_000
    result = extract(write("deep.odt", make_odf("odt", f"<text:p>{body}</text:p>")), "odt")
    assert result.status == "failed"


def test_repeated_rows_cells_and_spaces_are_read_once(write) -> None:
    body = (
        '<table:table table:name="Ark1"><table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell table:number-columns-repeated="16384"><text:p>x'
        '<text:s text:c="999999999"/>y</text:p></table:table-cell></table:table-row>'
        "</table:table>"
    )
    result = extract(write("rep.ods", make_odf("ods", body)), "ods")
    assert _texts(result) == {1: "x y"}


def test_xlsx_claiming_the_whole_grid_is_read_by_its_cells(write) -> None:
    data = make_xlsx()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<dimension ref="A1:B3"/>', b'<dimension ref="A1:XFD1048576"/>'
                )
                assert b"XFD1048576" in content
            target.writestr(item, content)
    result = extract(write("grid.xlsx", buffer.getvalue()), "xlsx", timeout=20)
    assert result.status == "ok" and "Plejefamilier" in _texts(result)[1]


def test_xlsx_with_too_many_cells_is_too_big(write) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Stort")
    for row in range(110):
        sheet.append([f"c{row}-{column}" for column in range(10)])
    out = io.BytesIO()
    workbook.save(out)
    path = write("big.xlsx", out.getvalue())
    assert extract(path, "xlsx", max_cells=1100).status == "ok"
    result = extract(path, "xlsx", max_cells=1000)
    assert (result.status, result.reason) == ("too_big", "too_many_cells")


@pytest.mark.parametrize(
    "text",
    [
        "ø" * 30_000,
        "ord " * 3_000,
        "(" * 400 + "[" * 400,
        "\t \u00a0" * 10_000,
        "\n" * 10_000 + "x",
        "\ud800\udfff\x00\x1f\u00ad\ue000",
    ],
)
def test_normalise_is_bounded_and_keeps_text(text: str) -> None:
    started = time.monotonic()
    out = normalise(text)
    assert time.monotonic() - started < 1
    out.encode("utf-8")  # no lone surrogates left
    assert "\x00" not in out and "\u00ad" not in out and "\n\n\n" not in out


def test_normalise_composes_and_collapses() -> None:
    assert normalise("A\u030arhus\u00a0\u00a0by \t x\r\n\n\n\nnæste") == "Århus by\tx\n\nnæste"


# -- misbehaving children ---------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent to collect it has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _play(monkeypatch, code: str) -> None:
    monkeypatch.setattr(extract_module, "WORKER_COMMAND", (sys.executable, "-c", code))


def test_a_child_past_its_time_is_killed_with_what_it_started(write, tmp_path, monkeypatch) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    # An empty file named by each pid: the child may write no bytes (RLIMIT_FSIZE is 0).
    _play(
        monkeypatch,
        "import os, subprocess, time\n"
        "sleeper = subprocess.Popen(['sleep', '30'])\n"
        f"open('{pids}/' + str(os.getpid()), 'w').close()\n"
        f"open('{pids}/' + str(sleeper.pid), 'w').close()\n"
        "time.sleep(30)\n",
    )
    started = time.monotonic()
    result = extract(write("u.txt", b"x"), "txt", timeout=1.5)
    assert result.status == "timeout" and time.monotonic() - started < 5
    found = [int(path.name) for path in pids.iterdir()]
    assert len(found) == 2
    deadline = time.monotonic() + 2
    while any(_alive(pid) for pid in found) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in found)


def test_a_tiny_timeout_on_a_real_file(write) -> None:
    result = extract(write("v.pptx", make_pptx()), "pptx", timeout=0.01)
    assert result.status == "timeout"


def test_a_child_past_its_memory(write, monkeypatch) -> None:
    _play(monkeypatch, "block = bytearray(2 * 1024 ** 3)")
    result = extract(write("w.txt", b"x"), "txt", memory_mb=256)
    assert result.status == "memory"


def test_a_child_spinning_the_cpu_is_stopped(write, monkeypatch) -> None:
    _play(monkeypatch, "while True: pass")
    started = time.monotonic()
    result = extract(write("x.txt", b"x"), "txt", timeout=1)
    assert result.status == "timeout" and time.monotonic() - started < 5


def test_an_output_flood_is_cut_off(write, monkeypatch) -> None:
    _play(
        monkeypatch,
        "import sys\nchunk = b'x' * 1048576\nfor _ in range(100): sys.stdout.buffer.write(chunk)",
    )
    started = time.monotonic()
    result = extract(write("y.txt", b"x"), "txt", max_chars=1000)
    assert (result.status, result.reason) == ("failed", "output_too_large")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import os; os.abort()", "crashed"),
        ("raise SystemExit(3)", "crashed"),
        ("print('ikke json')", "bad_output"),
        ("print('[1, 2]')", "bad_output"),
        (
            'print(\'{"status": "ok", "pages": 1, "parts": [{"number": 5, '
            '"unit": "page", "text": "x"}]}\')',
            "bad_output",
        ),
        ('print(\'{"status": "splendid"}\')', "bad_output"),
    ],
)
def test_a_child_that_crashes_or_talks_nonsense_fails(write, monkeypatch, code, reason) -> None:
    _play(monkeypatch, code)
    result = extract(write("z.txt", b"x"), "txt")
    assert (result.status, result.reason) == ("failed", reason)


def test_the_child_has_no_stdin_an_empty_cwd_and_a_small_environment(write, monkeypatch) -> None:
    _play(
        monkeypatch,
        "import json, os, sys\n"
        "assert sys.stdin.read() == ''\n"
        "assert os.listdir('.') == []\n"
        "assert set(os.environ) <= {'PATH', 'LC_ALL', 'HOME', 'TMPDIR'}, os.environ\n"
        "try:\n    with open('f', 'w') as f:\n        f.write('x')\n"
        "except OSError:\n    pass\nelse:\n    raise SystemExit(9)\n"
        "print(json.dumps({'status': 'empty', 'reason': 'no_text', 'pages': 0}))\n",
    )
    monkeypatch.setenv("FORUM_SECRET", "hemmelig")
    result = extract(write("env.txt", b"x"), "txt")
    assert result.status == "empty", result.detail


# -- previews ---------------------------------------------------------------------------------


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def test_pdf_first_page_preview(write) -> None:
    png = first_page_png(write("a.pdf", make_pdf(["Forside", "Bagside"])), "pdf", max_px=300)
    assert png is not None
    image = _image(png)
    assert max(image.size) == 300 and image.size[1] > image.size[0]


def test_photo_preview_is_small_upright_and_without_exif(write) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x010F] = "Kameraproducent"
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), "blue").save(out, "JPEG", exif=exif)
    png = first_page_png(write("photo.jpg", out.getvalue()), "jpeg", max_px=256)
    assert png is not None
    image = _image(png)
    assert image.size == (128, 256)  # turned upright, then fitted
    assert not image.getexif() and b"Kameraproducent" not in png and b"eXIf" not in png


def test_no_preview_for_bombs_lies_and_decks_without_one(write) -> None:
    assert first_page_png(write("bomb.png", png_claiming(100_000, 100_000)), "png") is None
    assert first_page_png(write("lie.png", make_pdf(["x"])), "png") is None
    assert first_page_png(write("broken.pdf", os.urandom(3000)), "pdf") is None
    assert first_page_png(write("deck.odp", make_odf("odp", "<draw:page/>")), "odp") is None
    assert first_page_png(write("notes.txt", b"tekst"), "txt") is None


def test_an_office_files_own_preview_is_used(write) -> None:
    # python-pptx's template carries docProps/thumbnail.jpeg, as PowerPoint's files do.
    png = first_page_png(write("deck.pptx", make_pptx(1)), "pptx", max_px=64)
    assert png is not None and max(_image(png).size) <= 64
    thumbnail = io.BytesIO()
    Image.new("RGB", (256, 192), "green").save(thumbnail, "PNG")
    buffer = io.BytesIO(make_odf("odp", "<draw:page/>"))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("Thumbnails/thumbnail.png", thumbnail.getvalue())
    png = first_page_png(write("with.odp", buffer.getvalue()), "odp", max_px=128)
    assert png is not None and _image(png).size == (128, 96)


@pytest.mark.parametrize("name", ["upload-x1y2.part", "regneark"])
def test_any_name_of_a_file_the_sniffer_called_xlsx_is_read(write, name: str) -> None:
    # The upload path reads its temporary file (".part"): openpyxl refuses a name that does
    # not end in .xlsx, so every Excel upload was once "unreadable" (found by tests/corpus).
    result = extract(write(name, make_xlsx()), "xlsx")
    assert result.status == "ok" and result.pages == 2
