"""A file in search over HTTP: uploaded on a meeting, found at its slide by a member, the hit
leading to that slide's text with the words marked; gone with the file."""

from __future__ import annotations

import io
import re

from forum.models import Attachment
from tests import factories
from tests.blueprints.test_files import _meeting
from tests.test_extract import make_pdf, make_pptx


def _upload(client, meeting, data: bytes, name: str):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/moeder/{meeting.id}/filer",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(True)


def test_an_uploaded_slide_is_found_and_the_hit_opens_that_slide(
    searcher, client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pptx(4), "oplaeg-efteraar-2026.pptx")
    attachment = session.query(Attachment).one()
    searcher.sync()  # the request's own sync ran after its response; this one finds nothing left
    auth.logout()
    auth.login(member)

    page = client.get("/search?q=nøgletalskatalog").get_data(True)
    assert "Bilag: oplaeg-efteraar-2026.pptx, dias 3" in re.sub(r"</?mark>", "", page)
    assert "Fra mødet" in page and "Netværksmøde i Region Syddanmark" in page
    assert re.search(r"1 fil\s+\(1 side\)", page)
    factories.topic(session, member, title="Hvem bruger nøgletalskataloget?", body="Vi gør.")
    searcher.sync()
    both = client.get("/search?q=nøgletalskatalog").get_data(True)
    assert re.search(r"1 emne\s+og 1 fil\s+\(2 indlæg og sider\)", both)
    link = f"/filer/{attachment.id}/side/3?q=n%C3%B8gletalskatalog"
    assert f'href="{link}"' in page

    landed = client.get(link)
    assert landed.status_code == 200
    text = landed.get_data(True)
    assert "<mark>nøgletalskatalog</mark>" in text and "Dias nummer 3" in text
    assert f'href="/filer/{attachment.id}/oplaeg-efteraar-2026.pptx"' in text
    assert "Forrige" in text and "Næste" in text  # slides 2 and 4 are a click away

    found = client.get("/search.json?q=nøgletalskatalog type:bilag").get_json()
    [row] = found["results"]
    assert (row["file_id"], row["page"], row["post_id"], row["kind"]) == (
        attachment.id,
        3,
        None,
        "bilag",
    )
    assert row["url"] == link.replace("n%C3%B8gletalskatalog", "n%C3%B8gletalskatalog+type:bilag")
    assert found["facets"]["kind"] == [
        {"value": "bilag", "label": "Bilag", "count": 1, "selected": True}
    ]


def test_a_pdf_hit_opens_the_file_at_its_page(searcher, client, auth, session, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(
        client, meeting, make_pdf(["Dagsorden", "Velkomst", "Brobygning i praksis"]), "referat.pdf"
    )
    attachment = session.query(Attachment).one()
    searcher.sync()
    text = client.get(f"/filer/{attachment.id}/side/3?q=brobygning").get_data(True)
    assert f'href="/filer/{attachment.id}/referat.pdf#page=3"' in text
    assert "side 3" in text and "af 3" in text


def test_a_file_page_follows_the_files_visibility(
    searcher, client, auth, session, member, facilitator
):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pptx(3), "oplaeg.pptx")
    attachment = session.query(Attachment).one()
    assert client.post(f"/filer/{attachment.id}/slet").status_code == 302
    searcher.sync()
    auth.logout()
    auth.login(member)
    assert client.get(f"/filer/{attachment.id}/side/3").status_code == 404
    assert client.get(f"/filer/{attachment.id}/side/99").status_code == 404
    assert "Bilag" not in client.get("/search?q=nøgletalskatalog").get_data(True).split("<main")[-1]
    auth.logout()
    response = client.get(f"/filer/{attachment.id}/side/3")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hostile_text_on_a_page_is_escaped(searcher, client, auth, session, member, facilitator):
    meeting = _meeting(session, facilitator)
    auth.login(facilitator)
    _upload(client, meeting, make_pdf(['<script>alert(1)</script> "brobygning" <b>x</b>']), "x.pdf")
    attachment = session.query(Attachment).one()
    searcher.sync()
    auth.logout()
    auth.login(member)
    for url in ("/search?q=brobygning", f"/filer/{attachment.id}/side/1?q=brobygning"):
        page = client.get(url).get_data(True)
        assert "<script>alert" not in page and "&lt;/script&gt;" in page
