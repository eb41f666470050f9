"""Files on posts over HTTP: attached in the editor of a new topic, a reply and an edit (and
what is refused, with the text kept and nothing stored), shown under the post, gone with a
deleted post, purged with it, listed among the materials; the topic page's statement count."""

from __future__ import annotations

import io
import re
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from forum import files
from forum import topics as domain
from forum.extensions import db
from forum.models import Attachment, Post, Topic, TopicKind
from forum.timeutil import utcnow
from tests import factories
from tests.test_extract import make_pdf, make_pptx

NEW = {
    "title": "Netværksråd i praksis",
    "body": "Her er vores skabelon til netværksrådet og et billede af tavlen.",
    "kind": "experience",
    "region": "syddanmark",
    "theme": "familiepleje",
}
EXECUTABLE = b"MZ\x90\x00" + b"\x00" * 200


def _png(width: int = 40, height: int = 30) -> bytes:
    raw = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(raw, "PNG")
    return raw.getvalue()


def _send(client, url: str, fields: dict, *uploads: tuple[bytes, str]):  # type: ignore[no-untyped-def]
    data = {**fields, "file": [(io.BytesIO(content), name) for content, name in uploads]}
    return client.post(url, data=data, content_type="multipart/form-data")


def _stored(app) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def _textarea(html: str, name: str = "body") -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {name}"
    return found.group(1)


def _file_errors(html: str) -> str:
    found = re.search(r'<ul class="field-errors" id="file-errors">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def _page(topic: Topic) -> str:
    return f"/t/{topic.slug}/{topic.id}"


def _reply_url(topic: Topic) -> str:
    return f"/t/{topic.id}/svar"


# -- attaching -------------------------------------------------------------------------------


def test_a_new_topic_carries_its_files_and_shows_them_under_the_post(
    app, client, auth, session, member, other_member
):
    auth.login(member)
    pdf = make_pdf(["Skabelon til netværksrådet", "Dagsorden"])
    response = _send(
        client,
        "/ny",
        {**NEW, "confirm": "y"},  # the photo's text cannot be read: the writer vouches for it
        (pdf, "skabelon.pdf"),
        (_png(800, 600), "tavle.png"),
    )
    assert response.status_code == 302, response.get_data(True)
    topic = session.scalars(select(Topic)).one()
    first = factories.post(session, topic, 1)
    found = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.filename, a.kind, a.post_id, a.meeting_id) for a in found] == [
        ("skabelon.pdf", "pdf", first.id, None),
        ("tavle.png", "png", first.id, None),
    ]
    assert found[0].is_searchable and not found[0].confirmed_no_personal_data
    assert found[1].confirmed_no_personal_data and (found[1].width, found[1].height) == (800, 600)
    auth.logout()

    auth.login(other_member)
    html = client.get(_page(topic)).get_data(True)
    article = html.split('id="p1"', 1)[1].split("</article>", 1)[0]
    assert f'href="/filer/{found[0].id}/skabelon.pdf"' in article
    assert "PDF · " in article and "2 sider" in article
    # The image inline: its preview, sized so the page does not jump while it loads.
    assert f'src="/filer/{found[1].id}/forhaandsvisning"' in article
    assert 'width="240" height="180"' in article
    assert client.get(f"/filer/{found[0].id}/skabelon.pdf").get_data() == pdf
    assert client.get(f"/filer/{found[1].id}/forhaandsvisning").status_code == 200


def test_a_reply_carries_a_file(client, auth, session, member, other_member):
    topic = factories.topic(session, member)
    auth.login(other_member)
    response = _send(
        client, _reply_url(topic), {"body": "Vores oplæg fra mødet."}, (make_pptx(2), "oplaeg.pptx")
    )
    assert response.status_code == 302
    attachment = session.scalars(select(Attachment)).one()
    assert attachment.post == factories.post(session, topic, 2)
    html = client.get(_page(topic)).get_data(True)
    reply = html.split('id="p2"', 1)[1].split("</article>", 1)[0]
    assert "oplaeg.pptx" in reply and "PPTX" in reply
    assert "oplaeg.pptx" not in html.split('id="p2"', 1)[0]  # not under the opening post


def test_no_file_chosen_is_no_file(client, auth, session, member):
    auth.login(member)
    response = client.post("/ny", data={**NEW, "file": (io.BytesIO(b""), "")})
    assert response.status_code == 302
    assert _count(Attachment) == 0 and _count(Topic) == 1


def test_the_editors_have_a_plain_multipart_file_field(client, auth, session, member):
    topic = factories.topic(session, member)
    auth.login(member)
    pages = {
        "/ny": client.get("/ny").get_data(True),
        "reply": client.get(_page(topic)).get_data(True),
        "edit": client.get(f"/p/{factories.post(session, topic, 1).id}/rediger").get_data(True),
    }
    for name, html in pages.items():
        form = html[html.index('enctype="multipart/form-data"') :]
        assert re.search(r'<input[^>]*type="file"', form), name
        assert 'name="file"' in form and "multiple" in form, name
        assert "js/attach.js" in html, name


# -- refused, with the text kept -------------------------------------------------------------


def test_a_refused_file_keeps_everything_typed_and_stores_nothing(app, client, auth, member):
    auth.login(member)
    response = _send(client, "/ny", NEW, (make_pdf(["Fint"]), "fint.pdf"), (EXECUTABLE, "x.pdf"))
    assert response.status_code == 200
    html = response.get_data(True)
    assert "x.pdf: " in _file_errors(html) and "program" in _file_errors(html)
    assert "fint.pdf" not in _file_errors(html)  # that one was fine
    # Everything the writer typed or chose is there again...
    assert f'value="{NEW["title"]}"' in html
    assert _textarea(html) == NEW["body"]
    assert '<option selected value="experience">' in html
    assert '<option selected value="syddanmark">' in html
    assert '<option selected value="familiepleje">' in html
    # ... and they are told the files must be chosen again (a page cannot fill a file field).
    assert "Vælg dem igen" in html and "fint.pdf, x.pdf" in html
    # Nothing stored: no topic without its files, no bytes without a row.
    assert _count(Topic) == 0 and _count(Post) == 0 and _count(Attachment) == 0
    assert _stored(app) == []


def test_a_cpr_number_in_a_replys_file_is_refused_naming_the_page(
    app, client, auth, session, member, other_member
):
    topic = factories.topic(session, member)
    auth.login(other_member)
    pdf = make_pdf(["Dagsorden", "Sagen om barnet, cpr 010203-1234"])
    body = "Referatet fra sidste møde."
    response = _send(client, _reply_url(topic), {"body": body}, (pdf, "referat.pdf"))
    assert response.status_code == 400
    html = response.get_data(True)
    errors = _file_errors(html)
    assert "CPR-nummer" in errors and "side 2" in errors and "010203-****" in errors
    assert "1234" not in html.split("010203-")[1][:10]
    assert _textarea(html) == body
    session.expire_all()
    assert session.get(Topic, topic.id).reply_count == 0
    assert _count(Attachment) == 0 and _stored(app) == []


def test_a_file_without_readable_text_needs_the_writers_word(
    client, auth, session, member, other_member
):
    topic = factories.topic(session, member)
    auth.login(other_member)
    body = "Billede af tavlen fra workshoppen."
    response = _send(client, _reply_url(topic), {"body": body}, (_png(), "tavle.png"))
    assert response.status_code == 400
    html = response.get_data(True)
    assert "personoplysninger" in html and 'name="confirm"' in html
    assert _textarea(html) == body
    assert _count(Attachment) == 0
    response = _send(client, _reply_url(topic), {"body": body, "confirm": "y"}, (_png(), "t.png"))
    assert response.status_code == 302
    assert session.scalars(select(Attachment)).one().confirmed_no_personal_data


def test_text_and_file_problems_are_shown_together(client, auth, member):
    auth.login(member)
    response = _send(client, "/ny", {**NEW, "title": "Hej"}, (EXECUTABLE, "program.pdf"))
    html = response.get_data(True)
    assert "Skriv en titel på mindst 5 tegn." in html
    assert "program" in _file_errors(html)
    assert _count(Topic) == 0


def test_at_most_ten_files_on_a_post(client, auth, member):
    auth.login(member)
    many = [
        (f"Fil nummer {n}".encode(), f"fil-{n}.txt") for n in range(files.MAX_FILES_PER_POST + 1)
    ]
    html = _send(client, "/ny", NEW, *many).get_data(True)
    assert "højst have 10 filer" in _file_errors(html)
    assert _count(Topic) == 0 and _count(Attachment) == 0


def test_a_preview_stores_nothing(client, auth, member):
    auth.login(member)
    response = _send(client, "/ny", {**NEW, "preview": "1"}, (make_pdf(["x"]), "bilag.pdf"))
    assert response.status_code == 200
    assert "Vælg dem igen" in response.get_data(True)
    assert _count(Topic) == 0 and _count(Attachment) == 0


# -- editing ---------------------------------------------------------------------------------


def test_the_writer_adds_and_removes_files_when_editing(client, auth, session, member):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    edit = f"/p/{post.id}/rediger"
    auth.login(member)
    fields = {"title": topic.title, "body": post.body, "revision": str(post.revision)}
    assert _send(client, edit, fields, (make_pdf(["Bilag"]), "bilag.pdf")).status_code == 302
    attachment = session.scalars(select(Attachment)).one()
    assert attachment.post_id == post.id and attachment.uploader_id == member.id
    html = client.get(edit).get_data(True)
    assert "bilag.pdf" in html and f'name="remove_file" value="{attachment.id}"' in html
    # Removing it (and a stray id) on save: gone from the post, restorable by a facilitator.
    fields["revision"] = str(session.get(Post, post.id).revision)
    response = client.post(edit, data={**fields, "remove_file": [str(attachment.id), "x", "99"]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Attachment, attachment.id).is_deleted
    assert "bilag.pdf" not in client.get(_page(topic)).get_data(True)


def test_a_refused_file_on_edit_keeps_the_new_text(client, auth, session, member):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    auth.login(member)
    fields = {"title": "En ny og bedre titel", "body": "Ny tekst", "revision": str(post.revision)}
    response = _send(client, f"/p/{post.id}/rediger", fields, (EXECUTABLE, "x.pdf"))
    html = response.get_data(True)
    assert "program" in _file_errors(html)
    assert 'value="En ny og bedre titel"' in html and _textarea(html) == "Ny tekst"
    session.expire_all()
    assert session.get(Post, post.id).body != "Ny tekst"  # the edit waits for the file too
    assert _count(Attachment) == 0


def test_another_member_cannot_attach_to_my_post(
    client, auth, session, member, other_member, facilitator
):
    topic = factories.topic(session, member)
    post = factories.post(session, topic, 1)
    fields = {"title": topic.title, "body": "Ændret", "revision": str(post.revision)}
    auth.login(other_member)
    response = _send(client, f"/p/{post.id}/rediger", fields, (make_pdf(["x"]), "x.pdf"))
    assert response.status_code == 403
    auth.logout()
    # A facilitator may edit it, but not put files in its writer's name.
    auth.login(facilitator)
    html = client.get(f"/p/{post.id}/rediger").get_data(True)
    assert 'type="file"' not in html
    response = _send(client, f"/p/{post.id}/rediger", fields, (make_pdf(["x"]), "x.pdf"))
    assert "Det har du ikke adgang til." in response.get_data(True)
    assert _count(Attachment) == 0
    session.expire_all()
    assert session.get(Post, post.id).body != "Ændret"  # all or nothing


# -- deleted posts ---------------------------------------------------------------------------


def _topic_with_files(client, auth, session, member, other_member):  # type: ignore[no-untyped-def]
    """A topic by member with a file, and other_member's reply with a file."""
    auth.login(member)
    assert (
        _send(client, "/ny", NEW, (make_pdf(["Indledning"]), "indledning.pdf")).status_code == 302
    )
    topic = session.scalars(select(Topic)).one()
    auth.logout()
    auth.login(other_member)
    reply = {"body": "Her er vores udgave."}
    assert (
        _send(client, _reply_url(topic), reply, (make_pdf(["Udgave"]), "udgave.pdf")).status_code
        == 302
    )
    auth.logout()
    opening, answer = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    return topic, opening, answer


def test_a_deleted_posts_files_are_gone_and_come_back_with_it(
    client, auth, session, member, other_member, facilitator
):
    topic, opening, answer = _topic_with_files(client, auth, session, member, other_member)
    url = f"/filer/{answer.id}/udgave.pdf"
    auth.login(other_member)
    reply = factories.post(session, topic, 2)
    assert client.post(f"/p/{reply.id}/slet").status_code == 302
    auth.logout()
    auth.login(member)
    assert client.get(url).status_code == 404
    assert client.get(f"/filer/{answer.id}/forhaandsvisning").status_code == 404
    assert "udgave.pdf" not in client.get(_page(topic)).get_data(True)
    assert client.get(f"/filer/{opening.id}/indledning.pdf").status_code == 200
    auth.logout()
    auth.login(facilitator)
    assert client.get(url).status_code == 200  # moderators see what is deleted
    assert client.post(f"/p/{reply.id}/gendan").status_code == 302
    auth.logout()
    auth.login(member)
    assert client.get(url).status_code == 200
    assert "udgave.pdf" in client.get(_page(topic)).get_data(True)


def test_a_deleted_topics_files_are_gone(client, auth, session, member, other_member, facilitator):
    topic, opening, answer = _topic_with_files(client, auth, session, member, other_member)
    auth.login(facilitator)
    assert client.post(f"/p/{factories.post(session, topic, 1).id}/slet").status_code == 302
    auth.logout()
    auth.login(other_member)
    assert client.get(f"/filer/{opening.id}/indledning.pdf").status_code == 404
    # The reply itself was not deleted, but the topic it is in was.
    assert client.get(f"/filer/{answer.id}/udgave.pdf").status_code == 404


def test_purge_takes_the_files_of_posts_deleted_long_ago(
    app, client, auth, session, member, other_member, facilitator, runner
):
    topic, opening, answer = _topic_with_files(client, auth, session, member, other_member)
    domain.delete_post(session, facilitator, factories.post(session, topic, 2))
    session.commit()
    result = runner.invoke(args=["files", "purge", "--days", "30"])
    assert "Purged 0 deleted file(s)" in result.output  # deleted today: still restorable
    reply = factories.post(session, topic, 2)
    reply.deleted_at = utcnow() - timedelta(days=40)
    session.commit()
    result = runner.invoke(args=["files", "purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 deleted file(s); removed 2 stored object(s)" in result.output  # + preview
    session.expire_all()
    assert session.get(Attachment, answer.id) is None
    assert session.get(Attachment, opening.id) is not None
    # A topic deleted long ago takes its opening post's files too.
    first = factories.post(session, topic, 1)
    domain.delete_post(session, facilitator, first)
    session.get(Topic, topic.id).deleted_at = utcnow() - timedelta(days=40)
    session.commit()
    runner.invoke(args=["files", "purge", "--days", "30"])
    session.expire_all()
    assert _count(Attachment) == 0


# -- materials -------------------------------------------------------------------------------


def test_files_of_material_topics_are_among_the_materials(
    app, client, auth, session, member, facilitator, count_queries
):
    auth.login(facilitator)
    material = {**NEW, "kind": TopicKind.MATERIAL, "title": "Materialer fra kick-off"}
    assert _send(client, "/ny", material, (make_pdf(["Slides"]), "kickoff.pdf")).status_code == 302
    auth.logout()
    auth.login(member)
    assert _send(client, "/ny", NEW, (make_pdf(["Egen"]), "egen-skabelon.pdf")).status_code == 302
    page = client.get("/materialer").get_data(True)
    assert "kickoff.pdf" in page and "Materialer fra kick-off" in page
    assert "egen-skabelon.pdf" not in page  # a discussion's file is the discussion's
    assert "kickoff.pdf" in client.get("/materialer?region=syddanmark").get_data(True)
    assert "kickoff.pdf" not in client.get("/materialer?region=nordjylland").get_data(True)
    assert "kickoff.pdf" in client.get("/materialer?tema=familiepleje").get_data(True)
    assert "kickoff.pdf" not in client.get("/materialer?tema=adoption").get_data(True)
    few = _statements(app, client, count_queries, "/materialer")
    for n in range(4):
        topic = factories.topic(session, facilitator, kind=TopicKind.MATERIAL, region="sjaelland")
        _attach_directly(session, factories.post(session, topic, 1), n + 1)
    many = _statements(app, client, count_queries, "/materialer")
    assert "Materialer fra kick-off" in client.get("/materialer").get_data(True)
    assert len(many) == len(few), "\n".join(many)


# -- the topic page's statements -------------------------------------------------------------


def _statements(app, client, count_queries, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Statements for one GET of url after a warm-up, in an app context of its own (as in
    production; see tests/blueprints/test_browse.py)."""
    db.session.commit()
    with app.app_context():
        assert client.get(url).status_code == 200
    with app.app_context(), count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.statements


def _attach_directly(session, post: Post, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` small text files on ``post``, through the real path (checked, stored)."""
    with ExitStack() as stack:
        incoming = [
            stack.enter_context(files.receive(io.BytesIO(f"Bilag {n} {i}".encode()), f"b{i}.txt"))
            for i in range(n)
        ]
        ready = files.check_all(stack, incoming, confirmed=False)
        files.store(session, post.author, ready, post=post)


@pytest.mark.parametrize("viewer", ["member", "facilitator"])
def test_the_topic_pages_statements_do_not_grow_with_files(
    app, client, auth, session, count_queries, member, other_member, facilitator, viewer
):
    topic = factories.topic(session, member, replies=3, repliers=[other_member])
    auth.login(member if viewer == "member" else facilitator)
    url = _page(topic)
    few = _statements(app, client, count_queries, url)
    for number in range(1, 5):
        _attach_directly(session, factories.post(session, topic, number), number)
    for i in range(12):
        domain.append_post(session, other_member, topic, f"Endnu et svar {i}")
    _attach_directly(session, factories.post(session, topic, 16), 2)
    domain.delete_post(session, facilitator, factories.post(session, topic, 3))
    many = _statements(app, client, count_queries, url)
    html = client.get(url).get_data(True)
    assert "b1.txt" in html
    files_statements = [s for s in many if "FROM attachments" in s]
    assert len(files_statements) == 1, files_statements  # every post's files in one statement
    assert len(many) == len(few), "\n".join(many)


def test_a_request_past_the_size_limit_says_why_in_danish(app, client, auth, session, member):
    """Past MAX_CONTENT_LENGTH nothing of the form is read: the page says what happened and
    how to get the text back (the browser's Back), never a bare 413."""
    topic = factories.topic(session, member)
    session.commit()
    auth.login(member)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post(
        f"/t/{topic.id}/svar",
        data={"body": "Min tekst", "file": (io.BytesIO(b"x" * 20_000), "stor.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    page = response.get_data(True)
    assert "intet blev gemt" in page and "tilbage-knap" in page and "25 MB" in page
    assert "Traceback" not in page


def test_the_reply_forms_file_field_is_drawn_once_per_language(client, auth, session, member):
    """The topic page reuses the pristine reply file field's markup (it is the same for every
    topic and member of a language): the reuse must follow the member's language."""
    first = factories.topic(session, member)
    second = factories.topic(session, member)
    session.commit()
    auth.login(member)

    def field(topic) -> str:  # type: ignore[no-untyped-def]
        page = client.get(f"/t/{topic.slug}/{topic.id}").get_data(True)
        return page[page.index('<div class="field attach') : page.index("js/attach.js")]

    danish = field(first)
    assert "Vedhæft fil" in danish and field(second) == danish
    member.locale = "en"
    session.commit()
    english = field(first)
    assert "Attach file" in english and "Vedhæft fil" not in english
