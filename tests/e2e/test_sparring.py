"""A sparring question from start to marked answer, in a real browser."""

from __future__ import annotations

from forum.extensions import db
from tests import factories


def _login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button[type=submit]")
    page.wait_for_url("**/login")


def test_ask_reply_mark_answer(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    base, app = live_server
    with app.app_context():
        asker = factories.user(
            db.session, name="Mette Kjær", email="mette@norddjurs.example", municipality="Norddjurs"
        )
        helper = factories.user(
            db.session,
            name="Susanne Friis",
            email="susanne@syddjurs.example",
            municipality="Syddjurs",
        )
        db.session.commit()
        asker_email, helper_email = asker.email, helper.email

    page = browser.new_page()
    # 1. The team leader asks for sparring.
    _login(page, base, asker_email)
    page.click("text=Nyt emne >> nth=0")
    page.select_option("select[name=kind]", "sparring")
    page.select_option("select[name=region]", "midtjylland")
    page.select_option("select[name=theme]", "netvaerksanbringelser")
    page.fill("input[name=title]", "Hvordan mobiliserer I barnets netværk før en anbringelse?")
    page.fill("textarea[name=body]", "Vi kommer ofte for sent i gang. Hvad gør I **før** krisen?")
    page.click("text=Opret emne")
    page.wait_for_selector("h1:has-text('mobiliserer')")
    topic_url = page.url
    assert page.locator(".badge-sparring").count() == 1
    _logout(page)

    # 2. A colleague from another municipality replies.
    _login(page, base, helper_email)
    page.goto(topic_url)
    # Quoting fills the reply box in place (no reload, nothing typed is lost).
    page.fill("textarea[name=body]", "Godt spørgsmål.")
    page.click("#p1 .quote-link")
    page.wait_for_function(
        "document.querySelector('#svar textarea').value.includes('Mette Kjær skrev:')"
    )
    assert page.input_value("textarea[name=body]").startswith("Godt spørgsmål.\n\n> ")
    page.fill("textarea[name=body]", "Vi har netværkskoordinatorer i udførerområdet. Det virker.")
    page.click("text=Send svar")
    page.wait_for_selector("#p2")
    assert "netværkskoordinatorer" in page.inner_text("#p2")
    # Only the asker (or a facilitator) may mark the answer.
    assert page.locator("#p2 .mark-answer").count() == 0
    _logout(page)

    # 3. The asker marks the reply that helped.
    _login(page, base, asker_email)
    page.goto(topic_url)
    page.click("#p2 .mark-answer")
    page.wait_for_selector(".answer-box")
    assert "netværkskoordinatorer" in page.inner_text(".answer-box")
    assert page.locator("#p2.is-answer").count() == 1

    # 4. The list shows the topic as answered.
    page.goto(f"{base}/region/midtjylland")
    row = page.locator(".topic-row", has_text="mobiliserer")
    assert row.locator(".badge-answered").count() == 1
    page.close()
