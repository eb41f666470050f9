"""forum.files without HTTP: one path for meetings and posts, and never bytes without a row
(a failed commit or a storage failing midway takes back what it stored)."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum import files
from forum.errors import Invalid, NotAllowed
from forum.models import Attachment
from forum.storage import LocalStorage, StorageError
from tests import factories


def _stored(app) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _checked(stack: ExitStack, *texts: str) -> list[files.Checked]:
    incoming = [
        stack.enter_context(files.receive(io.BytesIO(text.encode()), f"fil-{n}.txt"))
        for n, text in enumerate(texts)
    ]
    return files.check_all(stack, incoming, confirmed=False)


def test_a_post_gets_its_writers_files_only(app, session, member, other_member):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    with ExitStack() as stack:
        ready = _checked(stack, "Første bilag", "Andet bilag")
        with pytest.raises(NotAllowed):
            files.store(session, other_member, ready, post=post)
        stored = files.store(session, member, ready, post=post)
    assert [(a.filename, a.post_id, a.kind) for a in stored] == [
        ("fil-0.txt", post.id, "txt"),
        ("fil-1.txt", post.id, "txt"),
    ]
    assert files.post_files(session, [post]) == {post.id: stored}
    assert len(_stored(app)) == 2


def test_every_refused_file_is_named_at_once(app):
    with ExitStack() as stack, pytest.raises(Invalid) as refused:
        _checked(stack, "", "Fint nok", "Barnets cpr 010203-1234")
    problems = [refused.value, *refused.value.also]
    assert [str(p.message).split(":")[0] for p in problems] == ["fil-0.txt", "fil-2.txt"]
    assert "CPR-nummer" in str(problems[1].message)
    assert _stored(app) == []


def test_a_failed_commit_takes_back_the_bytes(app, session, member, monkeypatch):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    session.commit()
    with ExitStack() as stack:
        stored = files.store(session, member, _checked(stack, "Et bilag"), post=post)
    assert len(_stored(app)) == 1

    def fail() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(session, "commit", fail)
    with pytest.raises(RuntimeError):
        files.commit(session, stored)
    monkeypatch.undo()
    assert session.scalar(select(func.count(Attachment.id))) == 0
    assert _stored(app) == []


def test_a_storage_failing_midway_keeps_nothing(app, session, member, monkeypatch):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    real_put, calls = LocalStorage.put, []

    def flaky_put(self, source, digest, size):  # type: ignore[no-untyped-def]
        calls.append(digest)
        if len(calls) == 2:
            raise StorageError("disk full")
        real_put(self, source, digest, size)

    monkeypatch.setattr(LocalStorage, "put", flaky_put)
    with ExitStack() as stack, pytest.raises(Invalid) as refused:
        files.store(session, member, _checked(stack, "Første", "Andet"), post=post)
    assert refused.value.field == "file" and "Prøv igen" in str(refused.value.message)
    assert _stored(app) == []  # the first file's bytes went again


def test_thumbnails_fit_their_box_and_are_never_enlarged():
    assert files.thumbnail_size(Attachment(width=800, height=600)) == (240, 180)
    assert files.thumbnail_size(Attachment(width=300, height=1200)) == (60, 240)
    assert files.thumbnail_size(Attachment(width=40, height=30)) == (40, 30)
