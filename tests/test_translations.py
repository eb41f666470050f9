"""The English catalogue: complete, faithful to the placeholders, and used by the app.

Danish is the source language: every message id is Danish, and the Danish catalogue stays empty
on purpose. English must translate every message id found in the source.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from forum import create_app

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

# What `make extract-messages` passes: pybabel's default keywords plus -k _l -k lazy_gettext.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# babel.cfg says [jinja2: ...]; that name is Jinja2's entry point for its own extractor.
EXTRACTORS = {"jinja2": "jinja2.ext:babel_extract"}
# A named printf placeholder with its conversion, e.g. %(name)s or %(num)d.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _searched(path: str) -> bool:
    """Look in every directory but hidden ones and byte-code caches.

    Babel's own default also skips directories starting with "_", which would silently leave
    out templates/_macros (pagination, the Markdown hint, the topic list).
    """
    name = os.path.basename(path)
    return not name.startswith(".") and name != "__pycache__"


def _source_message_ids() -> dict[str | tuple[str, ...], str]:
    """Every message id in the source, with the first file it was found in."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    method_map = [(pattern, EXTRACTORS.get(method, method)) for pattern, method in method_map]
    found = extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_searched,
    )
    ids: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in found:
        if isinstance(message, tuple):
            parts = tuple(part for part in message if part)
            message = parts if len(parts) > 1 else parts[0] if parts else ""
        if message:
            ids.setdefault(message, f"{filename}:{lineno}")
    return ids


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


@pytest.fixture(scope="module")
def english() -> Catalog:
    return _read(EN_PO)


@pytest.fixture(scope="session")
def compiled_catalogues() -> None:
    """Compile every messages.po to its .mo in place (gitignored; `make install` does the same)."""
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        catalog = _read(po_path)
        target = po_path.with_suffix(".mo")
        # Write beside the target and swap it in, so a running app never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(handle, "wb") as mo:
                write_mo(mo, catalog, use_fuzzy=False)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


@pytest.fixture
def app(tmp_path: Path, compiled_catalogues: None) -> Iterator[Flask]:
    yield create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}", "TESTING": True})


def test_every_source_message_has_an_english_translation(english: Catalog) -> None:
    source_ids = _source_message_ids()
    assert len(source_ids) > 100, "extraction found suspiciously few messages"
    assert not english.fuzzy, "the English catalogue header is marked fuzzy"
    by_key = {_key(message): message for message in english if message.id}

    problems = []
    for message_id, where in sorted(source_ids.items(), key=lambda item: item[1]):
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = by_key.get(key)
        if entry is None:
            problems.append(f"missing from messages.po: {message_id!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message_id!r} ({where})")
        elif not all(s.strip() for s in _strings(entry)):
            problems.append(f"untranslated: {message_id!r} ({where})")
        elif isinstance(message_id, tuple) != isinstance(entry.id, tuple):
            problems.append(f"plural form mismatch: {message_id!r} ({where})")
    assert not problems, (
        "run `make extract-messages` and translate translations/en/LC_MESSAGES/messages.po "
        "(an id missing altogether lies where `pybabel extract` does not look):\n"
        + "\n".join(problems)
    )


def test_translations_keep_the_placeholders(english: Catalog) -> None:
    problems = []
    for message in english:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for index, string in enumerate(_strings(message)):
            if not string:
                continue
            expected = _placeholders(ids[min(index, len(ids) - 1)])
            if _placeholders(string) != expected:
                problems.append(f"{message.id!r} -> {string!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_plural_forms_header_is_right_for_both_languages() -> None:
    for language in ("da", "en"):
        catalog = _read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
        assert catalog.plural_forms == "nplurals=2; plural=(n != 1);", language


def test_the_app_speaks_english_when_asked(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):
        assert flask_babel.gettext("Log ind") == "Log in"
        assert flask_babel.gettext("Sparring") == "Peer advice"
        assert (
            flask_babel.gettext("Velkommen til netværket, %(name)s.", name="Mette")
            == "Welcome to the network, Mette."
        )


def test_the_app_speaks_danish_by_default(app: Flask) -> None:
    with app.test_request_context("/"):
        assert flask_babel.gettext("Log ind") == "Log ind"
        assert flask_babel.gettext("Sparring") == "Sparring"
