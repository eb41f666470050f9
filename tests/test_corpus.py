"""Real-world files not written for this project, through the whole upload path.

Every file under ``tests/corpus/<source>/`` (malformed, encrypted, fuzzed and ordinary PDFs,
Office and OpenDocument files, images and more, from the test suites of pdf.js, pypdf, qpdf,
Apache POI, Apache Tika, python-docx, python-pptx and Pillow; see tests/corpus/README.md) is
uploaded to a meeting by a facilitator with ``forum.files.attach_to_meeting``, as the upload
view does, and read on its own with ``forum.uploads.sniff`` and ``forum.extract``. For each:

- nothing raises but the forum's own refusals (``Invalid`` with a Danish message);
- sniffing is quick and extraction ends within its time limit;
- the file is stored completely (its row, its bytes under their SHA-256, read back the same)
  or not at all (no row, no bytes, no temporary file anywhere);
- the outcome is the one recorded in ``OUTCOMES`` below: "searchable", "unreadable:<why>"
  (accepted once the uploader confirms it holds no personal data) or "refused:<why>".

A new library version may move a file between "searchable" and "unreadable" (PDFium learns
to read a broken file): then the table is updated, which is the measurement this is for.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from forum import extract, files, uploads
from forum.errors import Invalid
from forum.models import Attachment, AttachmentPart, TextStatus
from forum.storage import storage
from tests.blueprints.test_files import _meeting

CORPUS = Path(__file__).with_name("corpus")
NOT_SAMPLES = {"LICENSE", "NOTICE", "README.md"}
SAMPLES = sorted(
    path for path in CORPUS.glob("*/*") if path.is_file() and path.name not in NOT_SAMPLES
)
# Sniffing reads a few bounded pieces of a file: on a slow, shared machine well under this.
SNIFF_SECONDS = 2.0
# The sandbox's wall-clock limit in these tests (uploads get 30 s).
EXTRACT_TIMEOUT = 10
MARGIN_SECONDS = 5.0
# The kind a refused file would have had by its name, to read it in the sandbox all the same
# (the worker must stand any file, not only those that passed the upload checks).
KIND_BY_EXTENSION = {ext: kind for kind, names in uploads.EXTENSIONS.items() for ext in names}

# What each file comes to. "unreadable:<reason>" is forum.extract's reason; "refused:<reason>"
# is forum.uploads.Refused's reason, or "cpr" / "image" for the checks in forum.files.
OUTCOMES = {
    # pdf.js
    "pdfjs/ContentStreamCycleType3insideType3.pdf": "searchable",
    "pdfjs/GHOSTSCRIPT-698804-1-fuzzed.pdf": "unreadable:no_text",
    "pdfjs/PDFBOX-4352-0.pdf": "refused:encrypted",
    "pdfjs/Pages-tree-refs.pdf": "unreadable:broken",
    "pdfjs/REDHAT-1531897-0.pdf": "unreadable:broken",
    "pdfjs/TrueType_without_cmap.pdf": "searchable",
    "pdfjs/bomb_giant.pdf": "searchable",
    "pdfjs/bug1020226.pdf": "refused:damaged",
    "pdfjs/empty_protected.pdf": "refused:encrypted",
    "pdfjs/evaljs.pdf": "unreadable:no_text",
    "pdfjs/french_diacritics.pdf": "searchable",
    "pdfjs/helloworld-bad.pdf": "searchable",
    "pdfjs/noembed-sjis.pdf": "searchable",
    "pdfjs/operator_list_cycle.pdf": "unreadable:no_text",
    "pdfjs/poppler-395-0-fuzzed.pdf": "unreadable:broken",
    "pdfjs/poppler-742-0-fuzzed.pdf": "unreadable:broken",
    "pdfjs/poppler-85140-0.pdf": "refused:damaged",
    "pdfjs/poppler-91414-0-53.pdf": "searchable",
    "pdfjs/print_protection.pdf": "refused:encrypted",
    "pdfjs/recursiveCompositGlyf.pdf": "searchable",
    "pdfjs/saslprep-r6.pdf": "refused:encrypted",
    "pdfjs/scan-bad.pdf": "refused:damaged",
    "pdfjs/secHandler.pdf": "refused:encrypted",
    "pdfjs/xfa_issue14315.pdf": "searchable",
    "pdfjs/xref_command_missing.pdf": "searchable",
    # pypdf
    "pypdf/crazyones.pdf": "searchable",
    "pypdf/imagemagick-CCITTFaxDecode.pdf": "unreadable:no_text",
    "pypdf/issue-297.pdf": "searchable",
    "pypdf/libreoffice-writer-password.pdf": "refused:encrypted",
    "pypdf/lzw_decoder_table_overflow.bin": "refused:unknown",
    "pypdf/outlines-with-invalid-destinations.pdf": "searchable",
    "pypdf/r2-owner-password.pdf": "refused:encrypted",
    "pypdf/r4-aes-user-password.pdf": "refused:encrypted",
    "pypdf/r6-user-password.pdf": "refused:encrypted",
    # qpdf
    "qpdf/append-xref-loop.pdf": "searchable",
    "qpdf/bad-direct-root.pdf": "refused:unknown",
    "qpdf/bad-encryption-length.pdf": "refused:encrypted",
    "qpdf/bad-token-startxref.pdf": "searchable",
    "qpdf/bad-xref-entry.pdf": "searchable",
    "qpdf/bad1.pdf": "refused:mismatch",
    "qpdf/broken-lzw.pdf": "unreadable:no_text",
    "qpdf/damaged-stream.pdf": "searchable",
    "qpdf/encrypted-40-bit-R3.pdf": "refused:encrypted",
    "qpdf/fuzz-16214.pdf": "refused:unknown",
    "qpdf/hybrid-xref.pdf": "searchable",
    "qpdf/issue-141a.pdf": "refused:mismatch",
    "qpdf/issue-335b.pdf": "refused:mismatch",
    "qpdf/outlines-with-loop.pdf": "searchable",
    "qpdf/pages-loop.pdf": "searchable",
    "qpdf/xref-errors.pdf": "searchable",
    "qpdf/zero-offset.pdf": "searchable",
    # python-docx
    "python-docx/doc-no-coreprops.docx": "unreadable:no_text",
    "python-docx/set-no-settings-part.docx": "unreadable:no_text",
    "python-docx/sty-having-no-styles-part.docx": "unreadable:no_text",
    "python-docx/tbl-having-tables.docx": "unreadable:no_text",
    # python-pptx
    "python-pptx/ext-rels.pptx": "searchable",
    "python-pptx/missing_rels_item.pptx": "searchable",
    "python-pptx/no-slides.pptx": "unreadable:no_text",
    "python-pptx/prs-notes.pptx": "searchable",
    "python-pptx/shp-embedded-xlsx.xlsx": "searchable",
    # Apache POI
    "poi/51921-Word-Crash067.docx": "unreadable:no_text",
    "poi/60316b.dotx": "refused:mismatch",
    "poi/MalformedSSTCount.xlsx": "searchable",
    "poi/PasswordProtected.doc": "refused:legacy_office",
    "poi/Simple.xlsb": "refused:unknown",
    "poi/SimpleMacro.docm": "refused:macro",
    "poi/SimpleMacro.pptm": "refused:macro",
    "poi/SimpleMacro.xlsm": "refused:macro",
    "poi/SimpleStrict.xlsx": "unreadable:no_text",
    "poi/bug53475-password-is-pass.docx": "refused:encrypted",
    "poi/clusterfuzz-testcase-minimized-POIFuzzer-6709287337197568.docx": "refused:damaged",
    "poi/clusterfuzz-testcase-minimized-POIXSLFFuzzer-6254434927378432.pptx": "refused:damaged",
    "poi/clusterfuzz-testcase-minimized-POIXSSFFuzzer-5089447305609216.xlsx": "refused:damaged",
    "poi/clusterfuzz-testcase-minimized-POIXWPFFuzzer-5313273089884160.docx": "refused:damaged",
    "poi/clusterfuzz-testcase-minimized-XLSX2CSVFuzzer-5636439151607808.xlsx": "refused:damaged",
    "poi/dcterms_bug_56479.zip": "refused:unknown",
    "poi/documentProtection_readonly_no_password.docx": "searchable",
    "poi/empty.doc": "refused:legacy_office",
    "poi/invalid.xlsx": "refused:damaged",
    "poi/poc-shared-strings.xlsx": "unreadable:too_much_text",
    "poi/poc-xmlbomb.xlsx": "unreadable:broken",
    "poi/protected_passtika.xlsx": "refused:encrypted",
    "poi/testPPT.ppsx": "refused:mismatch",
    "poi/test_recursive_embedded.docx": "searchable",
    "poi/truncated62886.docx": "refused:damaged",
    "poi/xlmmacro.xlsm": "refused:macro",
    "poi/xlsx-corrupted.xlsx": "searchable",
    # Apache Tika
    "tika/LibreOfficeCalc_ods_1.3.ods": "searchable",
    "tika/LibreOfficeDraw_odg_1.3.odg": "refused:unknown",
    "tika/LibreOfficeImpress_odp_1.3.odp": "searchable",
    "tika/testCSV.csv": "searchable",
    "tika/testEXCEL_big_numbers.xlsx": "searchable",
    "tika/testGIF.gif": "refused:unknown",
    "tika/testHTML.html": "refused:html",
    "tika/testHTML_charset_utf16le.html": "refused:unknown",
    "tika/testJPEG_EXIF.jpg": "unreadable:image",
    "tika/testNPEOpenDocument.odt": "searchable",
    "tika/testODPMacro.odp": "refused:macro",
    "tika/testODSMacro.ods": "refused:macro",
    "tika/testODTEncrypted.odt": "refused:encrypted",
    "tika/testODTMacro.fodt": "refused:html",
    "tika/testODTMacro.odt": "refused:macro",
    "tika/testODTNoMeta.odt": "searchable",
    "tika/testODTnotaZipFile.odt": "refused:mismatch",
    "tika/testPDF_JBIG2.pdf": "searchable",
    "tika/testPNG.png": "unreadable:image",
    "tika/testPPT_protected_passtika.pptx": "refused:encrypted",
    "tika/testRTF.rtf": "refused:legacy_office",
    "tika/testSVG.svg": "refused:svg",
    "tika/testTXTNonASCIIUTF8.txt": "searchable",
    "tika/testTinyPE.exe": "refused:executable",
    "tika/testWORD_truncated.docx": "refused:damaged",
    "tika/testXPSWithDataDescriptor.xps": "refused:unknown",
    "tika/testZIP_corrupted_oom.zip": "refused:damaged",
    # Pillow
    "pillow/broken.png": "refused:damaged",
    "pillow/broken_data_stream.png": "refused:image",
    "pillow/broken_exif_dpi.jpg": "unreadable:image",
    "pillow/crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif": "refused:unknown",
    "pillow/exif-dpi-zerodivision.jpg": "unreadable:image",
    "pillow/exif_gps.jpg": "unreadable:image",
    "pillow/hopper_bad_exif.jpg": "unreadable:image",
    "pillow/hopper_orientation_6.jpg": "unreadable:image",
    "pillow/pil_sample_cmyk.jpg": "unreadable:image",
    "pillow/png_decompression_dos.png": "refused:image",
    "pillow/sugarshack_bad_mpo_header.jpg": "unreadable:image",
    "pillow/syntax_num_frames_zero.png": "refused:image",
}


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _everything_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory the upload path and the sandbox use, empty, and only ours."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def _upload(session, facilitator, meeting, path: Path, *, confirmed: bool):  # type: ignore[no-untyped-def]
    """attach_to_meeting as the view calls it: commit on success, roll back on a refusal."""
    try:
        with path.open("rb") as stream, files.receive(stream, path.name) as incoming:
            attachment = files.attach_to_meeting(
                session, facilitator, meeting, incoming, confirmed=confirmed
            )
    except Invalid:
        session.rollback()
        raise
    files.commit(session, [attachment])
    return attachment


def _refusal(error: Invalid) -> str:
    """The outcome code for a refusal: the sniffer's reason, or which check in forum.files."""
    if isinstance(error, uploads.Refused):
        return f"refused:{error.reason}"
    message = str(error.message)
    if "CPR-nummer" in message:
        return "refused:cpr"
    if "Billedet" in message:
        return "refused:image"
    return "refused:other"


def _assert_nothing_kept(session, app, scratch: Path) -> None:  # type: ignore[no-untyped-def]
    assert session.query(Attachment).count() == 0
    assert session.query(AttachmentPart).count() == 0
    assert _everything_under(Path(app.config["UPLOAD_DIR"])) == []
    assert _everything_under(scratch) == []


def _assert_stored_whole(app, attachment: Attachment, original: bytes, scratch: Path) -> None:  # type: ignore[no-untyped-def]
    with files.open_stored(attachment) as stored:
        data = stored.read()
    assert len(data) == attachment.size
    assert _sha256(data) == attachment.digest
    if attachment.kind not in ("png", "jpeg"):  # images are stored re-encoded, without EXIF
        assert data == original
    kept = {attachment.digest} | ({attachment.preview_digest} - {None})
    names = {p.name for p in _everything_under(Path(app.config["UPLOAD_DIR"]))}
    assert names == kept  # the file and its preview, no half-written temporary beside them
    for digest in kept:
        assert storage().exists(digest)
    assert _everything_under(scratch) == []


@pytest.mark.parametrize("path", SAMPLES, ids=_key)
def test_a_corpus_file_is_stored_whole_or_not_at_all(
    app, session, facilitator, scratch, monkeypatch, path: Path
) -> None:
    # The sandbox's limit, shorter here than for members: a file that hangs shows in time.
    monkeypatch.setattr(files, "EXTRACT_TIMEOUT_SECONDS", EXTRACT_TIMEOUT)
    meeting = _meeting(session, facilitator)
    original = path.read_bytes()
    started = time.monotonic()
    outcome = None
    try:
        attachment = _upload(session, facilitator, meeting, path, confirmed=False)
    except files.NeedsConfirmation as error:
        assert "personoplysninger" in str(error.message)
        _assert_nothing_kept(session, app, scratch)
        attachment = _upload(session, facilitator, meeting, path, confirmed=True)
        assert not attachment.is_searchable
        assert attachment.confirmed_no_personal_data
        assert files.reason_label(attachment)  # facilitators are told why, in Danish
        outcome = f"unreadable:{attachment.text_reason}"
    except Invalid as error:
        assert str(error.message).strip() and error.field in ("file", "confirm")
        _assert_nothing_kept(session, app, scratch)
        outcome = _refusal(error)
    else:
        assert attachment.text_status == TextStatus.OK
        assert session.query(AttachmentPart).filter_by(attachment_id=attachment.id).count() > 0
        outcome = "searchable"
    # Text and preview each get EXTRACT_TIMEOUT, and the unreadable go round twice.
    assert time.monotonic() - started < 3 * EXTRACT_TIMEOUT + MARGIN_SECONDS
    if not outcome.startswith("refused:"):
        _assert_stored_whole(app, attachment, original, scratch)
    assert outcome == OUTCOMES.get(_key(path)), f"{_key(path)}: {outcome}"


@pytest.mark.parametrize("path", SAMPLES, ids=_key)
def test_a_corpus_file_is_sniffed_quickly_and_read_within_the_limit(scratch, path: Path) -> None:
    """Sniffing is quick; a file it refuses is read in the sandbox all the same, as what its
    name says, since the worker must stand any file (what sniffing lets through is read on
    the upload path above)."""
    # No app and no database: sniffing and the sandbox stand on their own.
    started = time.monotonic()
    try:
        uploads.sniff(path, path.name, max_bytes=uploads.DEFAULT_MAX_MB * uploads.MB)
    except uploads.Refused as refused:
        assert str(refused.message).strip()
        kind = KIND_BY_EXTENSION.get(path.suffix.lower().lstrip("."))
    else:
        kind = None
    assert time.monotonic() - started < SNIFF_SECONDS
    if kind is None:
        return
    started = time.monotonic()
    read = extract.extract(path, kind, timeout=EXTRACT_TIMEOUT)
    assert time.monotonic() - started < EXTRACT_TIMEOUT + MARGIN_SECONDS
    assert read.status in extract.STATUSES
    assert read.ok == bool(read.parts)
    assert extract.reason_text(read) or read.ok
    started = time.monotonic()
    preview = extract.first_page_png(path, kind, timeout=EXTRACT_TIMEOUT, max_px=64)
    assert time.monotonic() - started < EXTRACT_TIMEOUT + MARGIN_SECONDS
    assert preview is None or preview.startswith(b"\x89PNG\r\n\x1a\n")
    assert _everything_under(scratch) == []


def test_every_corpus_file_has_a_recorded_outcome() -> None:
    assert sorted(OUTCOMES) == sorted(_key(path) for path in SAMPLES)


def test_the_corpus_outcomes_are_a_sane_mix() -> None:
    counts = Counter(outcome.split(":")[0] for outcome in OUTCOMES.values())
    reasons = Counter(outcome for outcome in OUTCOMES.values() if ":" in outcome)
    print("\ncorpus:", len(OUTCOMES), "files,", dict(counts))
    for reason, count in sorted(reasons.items()):
        print(f"  {reason}: {count}")
    assert len(SAMPLES) >= 40
    assert counts["searchable"] >= 20 and counts["unreadable"] >= 10 and counts["refused"] >= 20
    for reason in ("encrypted", "macro", "damaged", "legacy_office", "executable", "html"):
        assert reasons[f"refused:{reason}"] >= 1, reason
    # Most of a corpus of test files is ordinary enough to take; the forum is not a wall.
    assert counts["searchable"] + counts["unreadable"] >= counts["refused"] // 2
