"""Text out of uploaded files, per page, slide or sheet, read in a sandboxed process.

``extract(path, kind)`` returns an :class:`Extracted`; ``first_page_png(path, kind)`` returns a
preview image or ``None``. Neither parses the file here: both start
``forum/extract_worker.py`` in a fresh interpreter (``python -I``, never a fork of an app that
holds database connections) under limits set before it runs:

- memory (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``), no files written (``RLIMIT_FSIZE``), no
  core dumps, few open files; a small launcher sets them and then ``exec``s the worker, so no
  Python runs between ``fork`` and ``exec`` in this (possibly threaded) process;
- a wall-clock timeout, after which its whole process group is killed;
- stdin closed, an empty temporary directory as its cwd, an environment of three variables;
- its output read up to a bound, stderr only as a short tail for the log.

Whatever the child does (crashes, hangs, floods its output, runs out of memory, prints
nonsense), the caller gets a result and the child is gone. Statuses, units and reasons are codes;
:func:`part_label` and :func:`reason_text` put them into words for members and facilitators.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

log = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("extract_worker.py")
# The sandboxed program. Tests replace it to play a child that hangs, floods or eats memory.
WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-I", "-B", str(WORKER))

# Sets the limits, then becomes the worker. `-S` skips site-packages: it needs only `resource`.
_LAUNCHER = """\
import os, resource, sys
memory, cpu = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
os.execv(sys.argv[3], sys.argv[3:])
"""
LAUNCHER_COMMAND: tuple[str, ...] = (sys.executable, "-I", "-S", "-c", _LAUNCHER)

STATUSES = ("ok", "empty", "failed", "too_big", "timeout", "memory")
UNITS = ("page", "slide", "sheet", "document")
STDERR_TAIL_BYTES = 4096
READ_CHUNK = 64 * 1024
# A thumbnail is at most 4096 × 4096 RGBA, base64: its JSON stays under this.
THUMBNAIL_OUTPUT_BYTES = 96 * 1024 * 1024
# Signals that mean the kernel or the limits stopped the child.
_CPU_SIGNALS = {signal.SIGXCPU}
_KILLED_SIGNALS = {signal.SIGKILL}
_MEMORY_WORDS = (b"MemoryError", b"std::bad_alloc", b"Cannot allocate memory", b"out of memory")


@dataclass(frozen=True)
class Part:
    """One page, slide or sheet with text: ``number`` counts from 1, ``unit`` is its kind."""

    number: int
    unit: str  # "page", "slide", "sheet" or "document" (the whole file)
    text: str
    name: str = ""  # a sheet's name; empty for the rest


@dataclass(frozen=True)
class Extracted:
    """What reading a file gave: a status, the parts with text, and why there were none.

    ``status`` is "ok", "empty" (no text: a scanned PDF, an image), "failed" (broken, or the
    worker broke), "too_big" (over a limit: pages, text, cells, a zip bomb), "timeout" or
    "memory". ``reason`` is a code for :func:`reason_text`, ``detail`` English for the log.
    ``pages`` counts every page, slide or sheet, with text or without.
    """

    status: str
    parts: tuple[Part, ...] = ()
    reason: str = ""
    pages: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when there is text to index."""
        return self.status == "ok"


@dataclass(frozen=True)
class _Run:
    """How the child ended: its stdout, or why there is none to trust."""

    stdout: bytes
    stderr_tail: bytes
    returncode: int | None
    problem: str = ""  # "timeout", "output_too_large", "start_failed"


def extract(
    path: Path,
    kind: str,
    *,
    timeout: float = 30,
    memory_mb: int = 512,
    max_pages: int = 2000,
    max_chars: int = 5_000_000,
    max_cells: int = 200_000,
) -> Extracted:
    """The text of the file at ``path`` (of the sniffed ``kind``), read in the sandbox.

    ``max_pages`` bounds pages, slides and sheets; ``max_chars`` the text of them all;
    ``max_cells`` the cells with text in a spreadsheet (ten times as many are looked at).
    """
    job = {
        "op": "text",
        "path": str(Path(path).resolve()),
        "kind": kind,
        "max_pages": max_pages,
        "max_chars": max_chars,
        "max_cells": max_cells,
    }
    # UTF-8 is at most 4 bytes a character; JSON escapes and part headers fit in the rest.
    run = _run(job, timeout=timeout, memory_mb=memory_mb, max_output=4 * max_chars + 1024 * 1024)
    failure = _failure(run)
    if failure is not None:
        return failure
    try:
        return _parse(json.loads(run.stdout), max_chars)
    except (ValueError, TypeError, KeyError) as error:
        return Extracted("failed", reason="bad_output", detail=f"{type(error).__name__}: {error}")


def first_page_png(
    path: Path, kind: str, *, timeout: float = 30, memory_mb: int = 512, max_px: int = 1024
) -> bytes | None:
    """A PNG preview no wider or taller than ``max_px``, or None when there is none.

    A PDF's first page, rendered by PDFium; an image, decoded and re-encoded by Pillow (no EXIF
    or other metadata survives); an office file's own embedded preview if it has one (there is
    no renderer for slides without LibreOffice). Read in the same sandbox as the text.
    """
    job = {"op": "thumbnail", "path": str(Path(path).resolve()), "kind": kind, "max_px": max_px}
    run = _run(job, timeout=timeout, memory_mb=memory_mb, max_output=THUMBNAIL_OUTPUT_BYTES)
    failure = _failure(run)
    if failure is not None:
        log.info("no preview for %s (%s): %s %s", path, kind, failure.reason, failure.detail)
        return None
    try:
        result = json.loads(run.stdout)
        if result["status"] != "ok":
            return None
        png = base64.b64decode(result["png"], validate=True)
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None
    return png if png.startswith(b"\x89PNG\r\n\x1a\n") else None


def part_label(part: Part) -> str:
    """Where in the file a part is, for members: "side 3", "dias 14", "ark "Budget""."""
    if part.unit == "page":
        return _("side %(number)d", number=part.number)
    if part.unit == "slide":
        return _("dias %(number)d", number=part.number)
    if part.unit == "sheet":
        if part.name:
            return _("ark \u201d%(name)s\u201d", name=part.name)
        return _("ark %(number)d", number=part.number)
    return _("hele dokumentet")


def reason_text(extracted: Extracted) -> str:
    """Why a file gave no text, in a sentence for facilitators ("" when it did)."""
    reasons = {
        "broken": _("Filen er beskadiget eller er ikke det format, den er angivet som."),
        "encrypted": _("Filen er beskyttet med adgangskode, så teksten kan ikke læses."),
        "unknown_kind": _("Forummet kan ikke læse tekst i denne filtype."),
        "too_many_pages": _("Filen har flere sider, dias eller ark, end forummet læser."),
        "too_much_text": _("Filen indeholder mere tekst, end forummet læser."),
        "too_many_cells": _("Regnearket har flere celler, end forummet læser."),
        "too_many_pixels": _("Billedet har flere pixels, end forummet læser."),
        "zip_bomb": _("Filen pakker sig ud til langt mere, end et almindeligt dokument gør."),
        "timeout": _("Det tog for lang tid at læse filen."),
        "memory": _("Det krævede for meget hukommelse at læse filen."),
        "no_text": _("Filen indeholder ingen tekst, der kan søges i (fx en skannet PDF)."),
        "image": _("Der søges ikke i tekst i billeder."),
    }
    if extracted.ok:
        return ""
    return reasons.get(extracted.reason) or _("Læsningen af filen mislykkedes.")


def _parse(result: Any, max_chars: int) -> Extracted:
    """The worker's JSON as an Extracted, refused as bad output unless it is well-formed."""
    status = result["status"]
    if status not in STATUSES:
        raise ValueError(f"status {status!r}")
    pages = int(result.get("pages", 0))
    parts = tuple(
        Part(number=int(p["number"]), unit=p["unit"], text=p["text"], name=p.get("name", ""))
        for p in result.get("parts", ())
    )
    for part in parts:
        if part.unit not in UNITS or not isinstance(part.text, str):
            raise ValueError(f"part {part.number}: unit {part.unit!r}")
        if not 1 <= part.number <= pages or not isinstance(part.name, str):
            raise ValueError(f"part {part.number} of {pages}")
    if sum(len(part.text) for part in parts) > max_chars:
        raise ValueError("more text than max_chars")
    if status != "ok":
        parts = ()
    return Extracted(
        status,
        parts,
        reason=str(result.get("reason", "")),
        pages=pages,
        detail=str(result.get("detail", ""))[:500],
    )


def _failure(run: _Run) -> Extracted | None:
    """The result of a child that did not end well, or None when its output can be read."""
    if run.problem == "timeout":
        return Extracted("timeout", reason="timeout", detail="wall-clock timeout")
    if run.problem:
        return Extracted("failed", reason=run.problem, detail=_tail(run))
    code = run.returncode
    if code is not None and code < 0:
        if -code in _CPU_SIGNALS:
            return Extracted("timeout", reason="timeout", detail="CPU time limit")
        if -code in _KILLED_SIGNALS or any(word in run.stderr_tail for word in _MEMORY_WORDS):
            # Nothing here sends SIGKILL to a child still running on time: the OOM killer did.
            return Extracted("memory", reason="memory", detail=f"signal {-code}")
        return Extracted("failed", reason="crashed", detail=f"signal {-code}: {_tail(run)}")
    if code != 0 or not run.stdout:
        if any(word in run.stderr_tail for word in _MEMORY_WORDS):
            return Extracted("memory", reason="memory", detail=_tail(run))
        return Extracted("failed", reason="crashed", detail=f"exit {code}: {_tail(run)}")
    return None


def _tail(run: _Run) -> str:
    return run.stderr_tail.decode("utf-8", "replace").strip()[-500:]


def _run(job: dict[str, Any], *, timeout: float, memory_mb: int, max_output: int) -> _Run:
    """Run the worker on ``job`` under the limits; its stdout up to ``max_output`` bytes."""
    command = [
        *LAUNCHER_COMMAND,
        str(memory_mb * 1024 * 1024),
        str(math.ceil(timeout) + 1),
        *WORKER_COMMAND,
        json.dumps(job),
    ]
    with tempfile.TemporaryDirectory(prefix="forum-extract-") as workdir:
        env = {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir}
        try:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=workdir,
                env=env,
                close_fds=True,
                start_new_session=True,  # its own process group, killed as one
            )
        except OSError as error:
            return _Run(b"", str(error).encode(), None, problem="start_failed")
        try:
            return _communicate(child, time.monotonic() + timeout, max_output)
        finally:
            _reap(child)


def _communicate(child: subprocess.Popen[bytes], deadline: float, max_output: int) -> _Run:
    """Read both pipes until they close, the output grows too large, or time is up."""
    assert child.stdout is not None and child.stderr is not None
    stdout = bytearray()
    stderr = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ, stdout)
        selector.register(child.stderr, selectors.EVENT_READ, stderr)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return _Run(b"", bytes(stderr[-STDERR_TAIL_BYTES:]), None, problem="timeout")
            for key, _events in selector.select(left):
                chunk = os.read(key.fd, READ_CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if len(stdout) > max_output:
                    return _Run(b"", bytes(stderr[-STDERR_TAIL_BYTES:]), None, "output_too_large")
                if len(stderr) > 2 * STDERR_TAIL_BYTES:
                    del stderr[:-STDERR_TAIL_BYTES]
    # Both pipes closed: the child is exiting. Wait for it, not past the deadline.
    status = _wait_unreaped(child.pid, deadline)
    if status is None:
        return _Run(b"", bytes(stderr[-STDERR_TAIL_BYTES:]), None, problem="timeout")
    return _Run(bytes(stdout), bytes(stderr[-STDERR_TAIL_BYTES:]), status)


def _wait_unreaped(pid: int, deadline: float) -> int | None:
    """The child's exit code (negative: killed by that signal), leaving it to be reaped."""
    # WNOWAIT keeps the child a zombie, so its process group (and its pid) cannot be reused
    # before _reap kills whatever it left behind.
    delay = 0.001
    while True:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            if info.si_code == os.CLD_EXITED:
                return info.si_status
            return -info.si_status
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _reap(child: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (whatever it started too) and collect the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    for pipe in (child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()
