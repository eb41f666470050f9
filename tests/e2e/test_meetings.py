"""Meetings in a real browser: the facilitator plans one in Region Syddanmark and puts its
materials on it; a member sees it on the region page, takes the .ics file, signs up, searches a
phrase that is only on slide 3 and lands on that slide; the facilitator sees the sign-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import icalendar

from forum.extensions import db
from forum.models import Role
from forum.search import search_index
from forum.timeutil import utcnow
from tests import factories
from tests.e2e.conftest import login
from tests.test_extract import make_pdf, make_pptx

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button[type=submit]")
    page.wait_for_url("**/login")


def test_plan_see_calendar_and_sign_up(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        jonas = factories.user(
            db.session, name="Jonas Holm", email="jonas@kl.example", role=Role.FACILITATOR,
            organisation="KL",
        )  # fmt: skip
        anne = factories.user(
            db.session, name="Anne Lund", email="anne@odense.example", municipality="Odense"
        )
        db.session.commit()
        jonas_email, anne_email = jonas.email, anne.email
        search_index(app).rebuild(db.session)  # as `make run` does; uploads sync it after
    day = (utcnow() + timedelta(days=40)).date()

    page = browser.new_page(accept_downloads=True)
    # 1. The facilitator plans the meeting from /moeder.
    login(page, base, jonas_email, factories.PASSWORD)
    page.goto(f"{base}/moeder")
    page.click("text=Nyt møde")
    page.fill("input[name=title]", "Netværksmøde i Region Syddanmark, foråret")
    page.select_option("select[name=kind]", "netvaerksmoede")
    page.select_option("select[name=region]", "syddanmark")
    page.select_option("select[name=theme]", "netvaerksanbringelser")
    page.fill("input[name=day]", day.isoformat())
    page.fill("input[name=starts]", "09:30")
    page.fill("input[name=ends]", "15:00")
    page.fill("input[name=place]", "Messe C, Fredericia")
    page.fill("input[name=capacity]", "40")
    page.fill("textarea[name=agenda]", "- 9.30 Velkomst\n- 10.00 Oplæg om netværksråd")
    page.click("button:has-text('Opret mødet')")
    page.wait_for_selector("h1:has-text('Netværksmøde i Region Syddanmark')")
    assert "0 af 40 pladser er taget." in page.inner_text("#tilmelding")
    meeting_url = page.url.split("#")[0]  # the form's #moede carries over the redirect
    # ... and puts the slides and the minutes on it (no JavaScript needed: a file field).
    for name, mime, data in (
        ("referat-efteraar.pdf", "application/pdf", make_pdf(["Referat", "Netværksråd"])),
        ("oplaeg.pptx", PPTX_MIME, make_pptx(3)),
    ):
        page.set_input_files(
            "input[name=file]", files=[{"name": name, "mimeType": mime, "buffer": data}]
        )
        page.click("button:has-text('Læg filen op')")
        page.wait_for_selector(f".file-name:has-text('{name}')")
    # ... and pins them to the region's page.
    page.click("button:has-text('Fastgør på regionens side')")
    page.wait_for_selector("text=Materialerne er fastgjort på regionens side.")
    _logout(page)

    # 2. A member in Odense sees it on her region's page and opens it.
    login(page, base, anne_email, factories.PASSWORD)
    page.goto(f"{base}/region/syddanmark")
    pinned = page.inner_text(".pinned-materials")
    assert "referat-efteraar.pdf" in pinned and "oplaeg.pptx" in pinned
    page.click(".next-meetings a:has-text('Netværksmøde i Region Syddanmark')")
    page.wait_for_url(lambda url: url.startswith(meeting_url))
    assert "Messe C, Fredericia" in page.inner_text(".meeting-facts")
    with page.expect_download() as download:
        page.click(".file-name:has-text('referat-efteraar.pdf')")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == "referat-efteraar.pdf"

    # 3. "Tilføj til kalender" gives an .ics file that a calendar program reads.
    with page.expect_download() as download:
        page.click("text=Tilføj til kalender")
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert "Netværksmøde i Region Syddanmark" in str(event["SUMMARY"])
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert event["DTSTART"].dt.strftime("%H:%M") == "09:30"
    assert calendar.walk("VTIMEZONE")

    # 4. She signs up.
    page.click("#tilmelding button:has-text('Tilmeld')")
    page.wait_for_selector(".signup-status")
    assert "Du er tilmeldt." in page.inner_text("#tilmelding")
    assert "1 af 40 pladser er taget." in page.inner_text("#tilmelding")

    # 5. She searches a word said only in slide 3's speaker notes and lands on that slide.
    page.fill("header input[name=q]", "nøgletalskataloget")
    page.press("header input[name=q]", "Enter")
    hit = page.locator(".search-hit-file a.topic-title").first
    assert hit.inner_text() == "Bilag: oplaeg.pptx, dias 3"
    hit.click()
    page.wait_for_selector(".file-text mark")
    assert "/side/3" in page.url
    assert page.inner_text(".file-text mark") == "nøgletalskatalog"
    assert "Husk nøgletalskatalog til mødet" in page.inner_text(".file-text")
    with page.expect_download() as download:
        page.click("text=Hent filen")
    assert download.value.suggested_filename == "oplaeg.pptx"
    _logout(page)

    # 6. The facilitator sees her with her municipality.
    login(page, base, jonas_email, factories.PASSWORD)
    page.goto(meeting_url)
    row = page.locator(".signup-list tbody tr").first
    assert "Anne Lund" in row.inner_text() and "Odense" in row.inner_text()
    page.close()
