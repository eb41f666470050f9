"""A meeting's materials over HTTP: uploading (and what is refused, with nothing stored),
downloading through the permission policy with safe headers, deleting and restoring."""

from __future__ import annotations

import io
from datetime import time, timedelta
from pathlib import Path

from PIL import Image

from forum import meetings as domain
from forum import places
from forum.models import Attachment, AttachmentPart, TextStatus
from forum.timeutil import utcnow
from tests import factories
from tests.test_extract import make_pdf, make_pptx


def _meeting(session, facilitator):  # type: ignore[no-untyped-def]
    meeting = domain.create_meeting(
        session,
        facilitator,
        domain.MeetingInput(
            title="Netværksmøde i Region Syddanmark",
            kind="netvaerksmoede",
            region=places.region_by_slug(session, "syddanmark"),
            themes=[places.theme_by_slug(session, "netvaerksanbringelser")],
            day=(utcnow() + timedelta(days=30)).date(),
            starts=time(9, 30),
            ends=time(15, 0),
            place="Fredericia",
        ),
    )
    session.commit()
    return meeting


def _upload(client, meeting, data: bytes, name: str, **fields):  # type: ignore[no-untyped-def]
    return client.post(
        f"/moeder/{meeting.id}/filer",
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def _stored(app) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_facilitator_uploads_a_pdf_and_a_member_downloads_it(
    app, client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)
    pdf = make_pdf(["Dagsorden", "Referat: netværksråd i praksis", "Nøgletalskatalog 2026"])
    auth.login(facilitator)
    response = _upload(client, meeting, pdf, "referat-efteraar-2026.pdf")
    assert response.status_code == 302, response.get_data(True)
    attachment = session.query(Attachment).one()
    assert (attachment.kind, attachment.pages, attachment.size) == ("pdf", 3, len(pdf))
    assert attachment.text_status == TextStatus.OK
    parts = session.query(AttachmentPart).order_by(AttachmentPart.number).all()
    assert [p.unit for p in parts] == ["page"] * 3
    assert "Nøgletalskatalog" in parts[2].text
    assert len(_stored(app)) >= 1
    auth.logout()

    auth.login(member)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "referat-efteraar-2026.pdf" in page
    assert "Læg filen op" not in page  # members do not upload to a meeting
    response = client.get(f"/filer/{attachment.id}/referat-efteraar-2026.pdf")
    assert response.status_code == 200
    assert response.get_data() == pdf
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    # Another name leads to the file's own.
    other = client.get(f"/filer/{attachment.id}/noget-andet.pdf")
    assert other.status_code == 301
    assert other.headers["Location"].endswith(f"/filer/{attachment.id}/referat-efteraar-2026.pdf")


def test_a_cpr_number_in_a_file_is_refused_naming_the_page(app, client, auth, session, facilitator):
    meeting = _meeting(session, facilitator)
    pdf = make_pdf(["Dagsorden", "Sagen om barnet, cpr 010203-1234", "Tak for i dag"])
    auth.login(facilitator)
    response = _upload(client, meeting, pdf, "referat.pdf")
    assert response.status_code == 400
    page = response.get_data(True)
    assert "CPR-nummer" in page and "side 2" in page and "010203-****" in page
    assert "1234" not in page.split("010203-")[1][:10]
    assert session.query(Attachment).count() == 0
    assert _stored(app) == []  # nothing kept, not even for a moment's reader


def test_refused_files_say_why_and_leave_nothing(app, client, auth, session, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    cases = [
        (b"MZ\x90\x00" + b"\x00" * 200, "program.pdf", "program"),
        (b"<html><script>alert(1)</script></html>", "side.txt", "webside"),
        (make_pdf(["x"]), "slides.docx", "endelsen .pdf"),
        (b"", "tom.pdf", "tom"),
    ]
    for data, name, words in cases:
        response = _upload(client, meeting, data, name)
        assert response.status_code == 400, name
        assert words in response.get_data(True), name
    assert session.query(Attachment).count() == 0
    assert _stored(app) == []


def test_a_file_without_readable_text_needs_the_uploaders_word(
    app, client, auth, session, facilitator
):
    meeting = _meeting(session, facilitator)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    auth.login(facilitator)
    response = _upload(client, meeting, image.getvalue(), "tavle.png")
    assert response.status_code == 400
    page = response.get_data(True)
    assert "personoplysninger" in page and 'name="confirm"' in page
    assert session.query(Attachment).count() == 0
    response = _upload(client, meeting, image.getvalue(), "tavle.png", confirm="y")
    assert response.status_code == 302
    attachment = session.query(Attachment).one()
    assert attachment.confirmed_no_personal_data and not attachment.is_searchable
    assert (attachment.width, attachment.height) == (40, 30)
    page = client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    assert "Tekst ikke læst" in page  # marked for facilitators


def test_an_image_loses_its_exif_and_is_shown_inline(
    app, client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)
    photo = Image.new("RGB", (64, 48), "blue")
    exif = Image.Exif()
    exif[0x8825] = {2: (55.0, 40.0, 0.0), 4: (12.0, 34.0, 0.0)}  # GPSInfo: a location
    exif[0x010F] = "Telefonmærke"  # Make
    raw = io.BytesIO()
    photo.save(raw, "JPEG", exif=exif)
    assert b"Telefonm" in raw.getvalue()
    auth.login(facilitator)
    assert (
        _upload(client, meeting, raw.getvalue(), "whiteboard.jpg", confirm="y").status_code == 302
    )
    attachment = session.query(Attachment).one()
    auth.logout()
    auth.login(member)
    response = client.get(f"/filer/{attachment.id}/whiteboard.jpg")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline;")
    served = response.get_data()
    assert b"Telefonm" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (64, 48)
        assert not image.getexif()


def test_deleting_hides_the_file_and_a_facilitator_restores_it(
    client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pptx(3), "oplaeg.pptx")
    attachment = session.query(Attachment).one()
    url = f"/filer/{attachment.id}/oplaeg.pptx"
    assert client.post(f"/filer/{attachment.id}/slet").status_code == 302
    auth.logout()
    auth.login(member)
    assert client.get(url).status_code == 404
    assert client.post(f"/filer/{attachment.id}/slet").status_code == 404
    assert "oplaeg.pptx" not in client.get(f"/moeder/{meeting.id}-{meeting.slug}").get_data(True)
    auth.logout()
    auth.login(facilitator)
    assert client.post(f"/filer/{attachment.id}/gendan").status_code == 302
    auth.logout()
    auth.login(member)
    assert client.get(url).status_code == 200


def test_a_deleted_meetings_files_are_gone_for_members(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pdf(["Referat"]), "referat.pdf")
    attachment = session.query(Attachment).one()
    meeting.deleted_at = utcnow()
    session.commit()
    auth.logout()
    auth.login(member)
    assert client.get(f"/filer/{attachment.id}/referat.pdf").status_code == 404
    assert client.get(f"/filer/{attachment.id}/forhaandsvisning").status_code == 404


def test_members_may_not_upload_and_files_need_a_login(client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pdf(["Referat"]), "referat.pdf")
    attachment = session.query(Attachment).one()
    auth.logout()
    response = client.get(f"/filer/{attachment.id}/referat.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    other = factories.user(session)
    session.commit()
    auth.login(other)
    assert _upload(client, meeting, make_pdf(["x"]), "x.pdf").status_code == 403
    assert session.query(Attachment).count() == 1


def test_purge_removes_old_deleted_files_and_their_bytes(
    app, client, auth, session, facilitator, runner
):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    pdf = make_pdf(["Referat"])
    _upload(client, meeting, pdf, "referat.pdf")
    _upload(client, meeting, pdf, "samme-referat.pdf")  # the same bytes, stored once
    first, second = session.query(Attachment).order_by(Attachment.id).all()
    assert first.digest == second.digest
    client.post(f"/filer/{first.id}/slet")
    session.expire_all()
    first = session.get(Attachment, first.id)
    first.deleted_at = utcnow() - timedelta(days=40)
    session.commit()
    result = runner.invoke(args=["files", "purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 deleted file(s)" in result.output
    session.expire_all()
    assert session.get(Attachment, first.id) is None
    # The other file still has its bytes.
    assert client.get(f"/filer/{second.id}/samme-referat.pdf").get_data() == pdf
    client.post(f"/filer/{second.id}/slet")
    session.expire_all()
    session.get(Attachment, second.id).deleted_at = utcnow() - timedelta(days=40)
    session.commit()
    before = len(_stored(app))
    runner.invoke(args=["files", "purge", "--days", "30"])
    assert len(_stored(app)) < before  # now nothing uses them: gone from storage too


def test_the_materials_page_lists_every_visible_file(
    client, auth, session, member, facilitator, count_queries
):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pdf(["Referat"]), "referat-syd.pdf")
    _upload(client, meeting, make_pptx(2), "slettet-oplaeg.pptx")
    gone = session.query(Attachment).filter_by(filename="slettet-oplaeg.pptx").one()
    client.post(f"/filer/{gone.id}/slet")
    auth.logout()
    auth.login(member)
    page = client.get("/materialer").get_data(True)
    assert "referat-syd.pdf" in page and "Netværksmøde i Region Syddanmark" in page
    assert "slettet-oplaeg.pptx" not in page
    assert "referat-syd.pdf" in client.get("/materialer?region=syddanmark").get_data(True)
    assert "referat-syd.pdf" not in client.get("/materialer?region=nordjylland").get_data(True)
    assert "referat-syd.pdf" in client.get("/materialer?tema=netvaerksanbringelser").get_data(True)
    assert client.get("/materialer?tema=findes-ikke").status_code == 404
    with count_queries() as few:
        client.get("/materialer")
    auth.logout()
    auth.login(facilitator)
    for n in range(5):
        _upload(client, meeting, make_pdf([f"Bilag {n}"]), f"bilag-{n}.pdf")
    auth.logout()
    auth.login(member)
    with count_queries() as many:
        client.get("/materialer")
    assert many.count == few.count
